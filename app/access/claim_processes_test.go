package access_test

// The claim across processes (SECURITY 2 and 3): replicas of the app share
// one PostgreSQL and keep nothing of their own, so the claim must hold
// between processes, not only between goroutines. These tests start the
// test binary itself again as helper processes (TestHelperClaimProcess),
// each with its own connection pool to the same schema. They need
// PostgreSQL whatever DATABASE_URL says: without one they fail under CI and
// are skipped elsewhere.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// Environment of a helper process.
const (
	helperEnv     = "ACCESS_CLAIM_HELPER" // "claim", "crash" or "upsert"
	helperDSN     = "ACCESS_CLAIM_DSN"
	helperKey     = "ACCESS_CLAIM_KEY"
	helperLink    = "ACCESS_CLAIM_LINK"
	helperClaims  = "ACCESS_CLAIM_N"
	helperProcess = "ACCESS_CLAIM_PROCESS"
	helperLinks   = "ACCESS_CLAIM_LINKS" // "upsert": the links to connect, comma-separated
)

// helperPool is the size of each helper's connection pool: every claim of
// a helper can hold a connection at once.
const helperPool = 10

// claimEnv is a PostgreSQL schema shared by the test and its helpers, with
// the fixture and one link.
type claimEnv struct {
	dsn  string
	key  []byte
	svc  *access.Service
	f    *testutil.Fixture
	link *access.Link
}

func newClaimEnv(t *testing.T) *claimEnv {
	t.Helper()
	dsn, gdb := testutil.PostgresSchema(t, testutil.RequirePostgres(t))
	svc := testutil.NewService(t, gdb, nil)
	key := make([]byte, secret.KeySize)
	_, _ = rand.Read(key)
	keys, err := secret.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetKeys(keys) // the helpers seal with the same key
	f := testutil.Seed(t, svc)
	l, err := svc.GenerateLink(context.Background(), testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID),
		access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "google_ads")
	if err != nil {
		t.Fatal(err)
	}
	return &claimEnv{dsn: dsn, key: key, svc: svc, f: f, link: l}
}

// helper is one running helper process.
type helper struct {
	cmd    *exec.Cmd
	stdin  *os.File
	lines  chan string
	stderr *strings.Builder
	mu     sync.Mutex
}

// startHelper starts the test binary as a helper in mode for the env's link.
func (e *claimEnv) startHelper(t *testing.T, ctx context.Context, mode string, process, claims int, env ...string) *helper {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperClaimProcess$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(),
		helperEnv+"="+mode,
		helperDSN+"="+e.dsn,
		helperKey+"="+base64.StdEncoding.EncodeToString(e.key),
		helperLink+"="+e.link.ID,
		helperClaims+"="+fmt.Sprint(claims),
		helperProcess+"="+fmt.Sprint(process),
	)
	cmd.Env = append(cmd.Env, env...)
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = stdinR
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdinW, lines: make(chan string, 256), stderr: &strings.Builder{}}
	cmd.Stderr = lockedWriter{h}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdinR.Close()
	t.Cleanup(func() { stdinW.Close() })
	go func() {
		defer close(h.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
	}()
	return h
}

type lockedWriter struct{ h *helper }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	return w.h.stderr.Write(p)
}

func (h *helper) errors() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stderr.String()
}

// await reads the helper's output until a line starting with prefix, and
// returns that line and everything read before it.
func (h *helper) await(t *testing.T, prefix string) (string, []string) {
	t.Helper()
	var before []string
	timeout := time.After(90 * time.Second)
	for {
		select {
		case line, ok := <-h.lines:
			if !ok {
				t.Fatalf("helper ended without %q; output %q\nstderr: %s", prefix, before, h.errors())
			}
			if strings.HasPrefix(line, prefix) {
				return line, before
			}
			before = append(before, line)
		case <-timeout:
			t.Fatalf("helper did not say %q within 90s; output %q", prefix, before)
		}
	}
}

// TestClaimAcrossProcesses: two processes, each with its own pool on the
// same PostgreSQL schema, claim one link 25 times each at the same moment.
// Exactly one claim of the 50 wins, in one of the processes; one account is
// stored and the link points at it.
func TestClaimAcrossProcesses(t *testing.T) {
	const processes, perProcess = 2, 25
	e := newClaimEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	helpers := make([]*helper, processes)
	for i := range helpers {
		helpers[i] = e.startHelper(t, ctx, "claim", i, perProcess)
	}
	// Both are connected and waiting before either claims.
	for _, h := range helpers {
		h.await(t, "READY")
	}
	for _, h := range helpers {
		if _, err := h.stdin.WriteString("GO\n"); err != nil {
			t.Fatal(err)
		}
	}
	wins, conflicts := 0, 0
	for i, h := range helpers {
		line, before := h.await(t, "RESULT ")
		var w, c, other int
		if _, err := fmt.Sscanf(line, "RESULT wins=%d conflicts=%d errors=%d", &w, &c, &other); err != nil {
			t.Fatalf("helper %d said %q: %v", i, line, err)
		}
		if other != 0 || w+c != perProcess {
			t.Errorf("helper %d: %d wins, %d conflicts, %d other errors (%q); want %d claims that win or conflict", i, w, c, other, before, perProcess)
		}
		t.Logf("process %d: %d won, %d refused", i, w, c)
		wins += w
		conflicts += c
		if err := h.cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v\n%s", i, err, h.errors())
		}
	}
	if wins != 1 || conflicts != processes*perProcess-1 {
		t.Fatalf("%d wins and %d conflicts across %d processes, want exactly 1 win and %d conflicts", wins, conflicts, processes, processes*perProcess-1)
	}

	var accounts []models.ConnectedAccount
	if err := e.svc.DB().Find(&accounts).Error; err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 1 {
		t.Fatalf("%d connected accounts, want 1", len(accounts))
	}
	var l models.AccessLink
	if err := e.svc.DB().Where("id = ?", e.link.ID).Take(&l).Error; err != nil {
		t.Fatal(err)
	}
	if l.UsedAt == nil || l.ConnectedAccountID == nil || *l.ConnectedAccountID != accounts[0].ID {
		t.Errorf("link used_at %v, connected_account_id %v; want used by %s", l.UsedAt, l.ConnectedAccountID, accounts[0].ID)
	}
	evs, err := e.svc.Events(context.Background(), e.link.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c, r := len(testutil.EventsOf(evs, access.EventConnected)), len(testutil.EventsOf(evs, access.EventClaimRefused)); c != 1 || r != processes*perProcess-1 {
		t.Errorf("%d connected and %d claim_refused events, want 1 and %d", c, r, processes*perProcess-1)
	}
	// The winner's tokens were sealed with the shared key, bound to its row.
	tok, err := e.svc.Keys().Open(accounts[0].AccessTokenSealed, "connected_accounts/"+accounts[0].ID+"/access_token")
	if err != nil || tok != "at-"+accounts[0].ExternalID {
		t.Errorf("access token of the winner = %q, %v; want at-%s", tok, err, accounts[0].ExternalID)
	}
}

// TestClaimProcessCrashLeavesLinkUsable: a process dies in the middle of
// the claiming transaction, after its UPDATE and INSERT and before COMMIT.
// PostgreSQL rolls the transaction back: the link stays active, nothing is
// stored, and another process claims it.
func TestClaimProcessCrashLeavesLinkUsable(t *testing.T) {
	e := newClaimEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	h := e.startHelper(t, ctx, "crash", 0, 1)
	h.await(t, "CRASHING")
	err := h.cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("helper ended with %v, want exit status 3 from inside the transaction\n%s", err, h.errors())
	}

	var l models.AccessLink
	if err := e.svc.DB().Where("id = ?", e.link.ID).Take(&l).Error; err != nil {
		t.Fatal(err)
	}
	if l.UsedAt != nil || l.ConnectedAccountID != nil {
		t.Fatalf("after the crash the link has used_at %v, connected_account_id %v; want unclaimed", l.UsedAt, l.ConnectedAccountID)
	}
	var n int64
	if err := e.svc.DB().Model(&models.ConnectedAccount{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d accounts left by the crashed process", n)
	}
	cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
	defer ccancel()
	acc, err := e.svc.ClaimLink(cctx, e.link.ID, access.Actor{}, identity("after-crash"))
	if err != nil {
		t.Fatalf("claim after the crash: %v", err)
	}
	evs, err := e.svc.Events(ctx, e.link.ID)
	if err != nil {
		t.Fatal(err)
	}
	connected := testutil.EventsOf(evs, access.EventConnected)
	if len(connected) != 1 || connected[0].Fields["external_id"] != acc.ExternalID {
		t.Errorf("connected events %v, want only the claim after the crash", testutil.EventTypes(evs))
	}
}

// TestSameAccountAcrossProcesses (issue 7 item 11): two processes connect
// the same external account through 10 links each, all at the same moment.
// Every one of the 20 connects (the account is written with one INSERT ...
// ON CONFLICT statement, so no transaction fails on the unique identity
// index): one account row, every link used and pointing at it.
func TestSameAccountAcrossProcesses(t *testing.T) {
	const processes, perProcess = 2, 10
	e := newClaimEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m := testutil.Member(t, e.svc, e.f.Admin.ID, e.f.Reporting.ID)
	var all []string
	helpers := make([]*helper, processes)
	for i := range helpers {
		ids := make([]string, perProcess)
		for j := range ids {
			l, err := e.svc.GenerateLink(ctx, m, access.Actor{UserID: e.f.Admin.ID, Name: e.f.Admin.Name}, "google_ads")
			if err != nil {
				t.Fatal(err)
			}
			ids[j] = l.ID
		}
		all = append(all, ids...)
		helpers[i] = e.startHelper(t, ctx, "upsert", i, perProcess, helperLinks+"="+strings.Join(ids, ","))
	}
	for _, h := range helpers {
		h.await(t, "READY")
	}
	for _, h := range helpers {
		if _, err := h.stdin.WriteString("GO\n"); err != nil {
			t.Fatal(err)
		}
	}
	for i, h := range helpers {
		line, before := h.await(t, "RESULT ")
		var w, c, other int
		if _, err := fmt.Sscanf(line, "RESULT wins=%d conflicts=%d errors=%d", &w, &c, &other); err != nil {
			t.Fatalf("helper %d said %q: %v", i, line, err)
		}
		if w != perProcess {
			t.Errorf("helper %d: %d connected, %d refused, %d failed (%q); want all %d connected", i, w, c, other, before, perProcess)
		}
		if err := h.cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v\n%s", i, err, h.errors())
		}
	}
	var accounts []models.ConnectedAccount
	if err := e.svc.DB().Find(&accounts).Error; err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 1 || accounts[0].ExternalID != "shared" {
		t.Fatalf("%d connected accounts %+v, want the shared one", len(accounts), accounts)
	}
	for _, id := range all {
		var l models.AccessLink
		if err := e.svc.DB().Where("id = ?", id).Take(&l).Error; err != nil {
			t.Fatal(err)
		}
		if l.UsedAt == nil || l.ConnectedAccountID == nil || *l.ConnectedAccountID != accounts[0].ID {
			t.Errorf("link %s: used_at %v, connected_account_id %v; want used by %s", id, l.UsedAt, l.ConnectedAccountID, accounts[0].ID)
		}
	}
	// The tokens of one of the flows, sealed for the row's own ID.
	if tok, err := e.svc.Keys().Open(accounts[0].AccessTokenSealed, "connected_accounts/"+accounts[0].ID+"/access_token"); err != nil || tok != "at-shared" {
		t.Errorf("access token %q, %v", tok, err)
	}
}

// TestHelperClaimProcess is not a test: it is the helper process the tests
// above start (see helperEnv). It opens its own pool on the shared schema
// and claims the link.
func TestHelperClaimProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("runs only as a helper process of TestClaimAcrossProcesses")
	}
	gdb, err := db.Open(os.Getenv(helperDSN), "")
	if err != nil {
		t.Fatal(err)
	}
	sqlDB := db.SQL(gdb)
	defer sqlDB.Close()
	sqlDB.SetMaxOpenConns(helperPool)
	sqlDB.SetMaxIdleConns(helperPool)
	key, err := base64.StdEncoding.DecodeString(os.Getenv(helperKey))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := access.New(gdb, keys)
	linkID, process := os.Getenv(helperLink), os.Getenv(helperProcess)
	ctx := context.Background()

	if mode == "crash" {
		// Die inside the claiming transaction, once its UPDATE and the
		// account's INSERT have run and before COMMIT.
		err := gdb.Callback().Create().After("gorm:create").Register("test:crash", func(tx *gorm.DB) {
			if tx.Statement.Table == "connected_accounts" && tx.Error == nil {
				fmt.Println("CRASHING")
				os.Exit(3)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.ClaimLink(ctx, linkID, access.Actor{Name: "crash"}, identity("crashed"))
		t.Fatalf("ClaimLink returned (%v) instead of crashing", err)
	}

	// Open the pool's connections now, so that the claims start together.
	conns := make([]interface{ Close() error }, helperPool)
	for i := range conns {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		c.Close()
	}
	var n int
	fmt.Sscan(os.Getenv(helperClaims), &n)
	links := make([]string, n)
	for i := range links {
		links[i] = linkID
	}
	ident := func(i int) access.Identity { return identity(fmt.Sprintf("p%s-c%02d", process, i)) }
	if mode == "upsert" {
		// Every claim connects its own link to one shared account; each
		// waits, once it has claimed its link, until all of this process
		// have, so that their account writes meet.
		links = strings.Split(os.Getenv(helperLinks), ",")
		ident = func(int) access.Identity { return identity("shared") }
		testutil.HoldAfterClaims(t, gdb, int32(len(links)))
	}
	fmt.Println("READY")
	if line, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil || strings.TrimSpace(line) != "GO" {
		t.Fatalf("waiting for GO: %q, %v", line, err)
	}

	errs := make([]error, n)
	testutil.Concurrently(n, func(i int) {
		_, errs[i] = svc.ClaimLink(ctx, links[i], access.Actor{Name: "process " + process}, ident(i))
	})
	wins, conflicts, other := 0, 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case access.ErrorCode(err) == access.ECONFLICT:
			conflicts++
		default:
			other++
			fmt.Println("ERROR", err)
		}
	}
	fmt.Printf("RESULT wins=%d conflicts=%d errors=%d\n", wins, conflicts, other)
}
