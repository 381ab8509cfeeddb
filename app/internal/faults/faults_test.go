package faults_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// Shape of the run.
const (
	invitees    = 8                     // concurrent invitee flows
	admins      = 2                     // concurrent admins loading their pages
	adminPause  = 50 * time.Millisecond // between an admin's page loads (pacing, not synchronisation)
	kills       = 8                     // times every session of the database is ended
	defaultLoad = 40 * time.Second      // FAULTS_SECONDS overrides, at most maxLoad
	maxLoad     = 50 * time.Second
)

// flowResult is what one invitee's flow came to.
type flowResult struct {
	linkID string
	page   string // the callback page's data-testid (connect-success, connect-error, ...) or "status NNN"
	code   string // the error code shown, if any
}

// tally counts every response of the application by step and status.
type tally struct {
	mu        sync.Mutex
	statuses  map[string]map[int]int // step -> status -> count
	flows     []flowResult
	setup     int      // links that could not be generated (not a request)
	setupErrs []string // the first few reasons
	// failedSteps are steps the harness could not finish (the provider
	// answered unexpectedly, a connection failed): errors of the run.
	failedSteps int
}

func (t *tally) add(step string, status int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.statuses[step] == nil {
		t.statuses[step] = map[int]int{}
	}
	t.statuses[step][status]++
}

func (t *tally) count(match func(status int) bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, byStatus := range t.statuses {
		for st, c := range byStatus {
			if match(st) {
				n += c
			}
		}
	}
	return n
}

// TestFaults is the fault script (see doc.go): FAULTS=1 runs it.
func TestFaults(t *testing.T) {
	if os.Getenv("FAULTS") == "" {
		t.Skip("the fault script runs with FAULTS=1 and DATABASE_URL set to a loopback PostgreSQL")
	}
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		t.Fatal("DATABASE_URL must name a PostgreSQL on a loopback address")
	}
	load := defaultLoad
	if s := os.Getenv("FAULTS_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 5 {
			t.Fatalf("FAULTS_SECONDS=%q: want a number of seconds, at least 5", s)
		}
		load = min(time.Duration(n)*time.Second, maxLoad)
	}
	dbURL := createDatabase(t, base)
	t.Setenv("DATABASE_URL", dbURL) // the harness's schema goes into the script's own database

	e := testutil.NewFlowEnv(t, testutil.FlowOptions{Tick: -1})
	m := testutil.Member(t, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
	adminClients := make([]*http.Client, admins)
	for i := range adminClients {
		adminClients[i] = e.Login(t, e.F.Admin.Email)
	}
	listPath := "/w/" + e.F.Reporting.ID + "/sources/access-requests"
	res := &tally{statuses: map[string]map[int]int{}}

	began := time.Now()
	deadline := began.Add(load)
	killed, killErrs := killDuring(dbURL, deadline, load/(kills+1))

	var wg sync.WaitGroup
	for w := 0; w < invitees; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(deadline); n++ {
				guard(t, res, func(tb testing.TB) {
					invite(tb, e, m, res, fmt.Sprintf("w%d-%d", w, n), "sandbox-user-"+strconv.Itoa(n%3+1))
				})
			}
		}()
	}
	for a := range adminClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				guard(t, res, func(tb testing.TB) {
					p := e.Get(tb, adminClients[a], listPath)
					res.add("admin list", p.Status)
					if id := firstLinkID(p); id != "" {
						res.add("admin link", e.Get(tb, adminClients[a], listPath+"/"+id).Status)
					}
				})
				time.Sleep(adminPause)
			}
		}()
	}
	wg.Wait()
	sessions := <-killed
	loadTook := time.Since(began)

	// The checks, after every request has finished.
	var falseErrors, falseSuccesses []string
	pages := map[string]int{}
	for _, f := range res.flows {
		pages[f.page+" "+f.code]++
		var l models.AccessLink
		if err := e.DB.Where("id = ?", f.linkID).Take(&l).Error; err != nil {
			t.Fatalf("read link %s: %v", f.linkID, err)
		}
		used := l.UsedAt != nil
		switch {
		case used && f.page != "connect-success":
			falseErrors = append(falseErrors, f.linkID+": "+f.page+" "+f.code)
		case !used && f.page == "connect-success":
			falseSuccesses = append(falseSuccesses, f.linkID)
		}
	}
	var pending int64
	if err := e.DB.Model(&models.OAuthCallback{}).Where("outcome = ?", access.CallbackPending).Count(&pending).Error; err != nil {
		t.Fatal(err)
	}
	status500 := res.count(func(st int) bool { return st == http.StatusInternalServerError })
	other5xx := res.count(func(st int) bool { return st >= 500 && st != http.StatusInternalServerError })

	var b strings.Builder
	fmt.Fprintf(&b, "fault script: %s of load, %d invitees and %d admins at once\n", loadTook.Round(time.Second), invitees, admins)
	fmt.Fprintf(&b, "kills: %d, sessions ended: %d (errors: %d)\n", len(sessions), sum(sessions), len(killErrs()))
	steps := make([]string, 0, len(res.statuses))
	for s := range res.statuses {
		steps = append(steps, s)
	}
	sort.Strings(steps)
	for _, s := range steps {
		fmt.Fprintf(&b, "  %-12s %v\n", s, res.statuses[s])
	}
	fmt.Fprintf(&b, "flows: %d (links not generated: %d %q); callback pages: %v\n", len(res.flows), res.setup, res.setupErrs, pages)
	fmt.Fprintf(&b, "500s: %d; other 5xx: %d\n", status500, other5xx)
	fmt.Fprintf(&b, "false error pages (error shown, account connected): %d\n", len(falseErrors))
	fmt.Fprintf(&b, "false success pages (success shown, nothing connected): %d\n", len(falseSuccesses))
	fmt.Fprintf(&b, "oauth_callbacks rows left pending: %d\n", pending)
	for _, line := range errorLines(e.Logs.String(), 10) {
		fmt.Fprintf(&b, "  logged: %s\n", line)
	}
	fmt.Print(b.String())
	t.Log("\n" + b.String())

	if len(sessions) < 3 || sum(sessions) == 0 {
		t.Errorf("the database's sessions were ended %d times (%d sessions), want several", len(sessions), sum(sessions))
	}
	if errs := killErrs(); len(errs) > 0 {
		t.Errorf("kills failed: %v", errs)
	}
	if len(res.flows) < invitees {
		t.Errorf("only %d flows completed", len(res.flows))
	}
	if status500 != 0 {
		t.Errorf("%d responses were 500", status500)
	}
	if len(falseErrors) != 0 || len(falseSuccesses) != 0 {
		t.Errorf("false error pages %v, false success pages %v", falseErrors, falseSuccesses)
	}
	if pending != 0 {
		t.Errorf("%d oauth_callbacks rows left pending", pending)
	}
}

// softTB lets the harness's helpers, which stop a test at the first
// surprise, run on the script's own goroutines: a failure ends the one
// step (guard recovers it) and is reported on the test.
type softTB struct {
	testing.TB
}

type stepFailed struct{ msg string }

func (s softTB) Fatal(args ...any)                 { panic(stepFailed{fmt.Sprint(args...)}) }
func (s softTB) Fatalf(format string, args ...any) { panic(stepFailed{fmt.Sprintf(format, args...)}) }
func (s softTB) FailNow()                          { panic(stepFailed{"FailNow"}) }

// guard runs one step; a harness failure in it is an error of the test,
// and the load goes on.
func guard(t *testing.T, res *tally, step func(tb testing.TB)) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(stepFailed)
			if !ok {
				panic(r)
			}
			res.mu.Lock()
			res.failedSteps++
			res.mu.Unlock()
			t.Errorf("step failed: %s", f.msg)
		}
	}()
	step(softTB{t})
}

// invite walks one invitee's flow on a fresh link: consent, Start, the
// sandbox's consent page, Allow, the callback.
func invite(t testing.TB, e *testutil.FlowEnv, m *access.Membership, res *tally, name, account string) {
	t.Helper()
	l, err := e.Svc.GenerateLink(context.Background(), m, access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name}, testutil.SandboxKey)
	if err != nil {
		res.mu.Lock()
		res.setup++
		if len(res.setupErrs) < 3 {
			res.setupErrs = append(res.setupErrs, err.Error())
		}
		res.mu.Unlock()
		return
	}
	token := strings.TrimPrefix(l.URL, e.AppURL+"/connect/")
	inv := e.NewInvitee(name)
	p := inv.Consent(t, token)
	res.add("consent", p.Status)
	if p.Status != http.StatusOK {
		return
	}
	start := inv.Start(t, token)
	res.add("start", start.Status)
	if start.Status != http.StatusSeeOther {
		return
	}
	cb := inv.Answer(t, inv.Authorize(t, start.Location), "allow", account)
	page, err := inv.TryCallback(cb)
	if err != nil {
		t.Errorf("callback: %v", err)
		return
	}
	res.add("callback", page.Status)
	kind := "status " + strconv.Itoa(page.Status)
	for _, id := range []string{"connect-success", "connect-error", "connect-abandoned", "connect-pending", "connect-used", "connect-unknown", "connect-expired"} {
		if page.Has(id) {
			kind = id
		}
	}
	res.mu.Lock()
	res.flows = append(res.flows, flowResult{linkID: l.ID, page: kind, code: page.Text("error-code")})
	res.mu.Unlock()
}

// firstLinkID is the ID of the first link the admin list links to, if any.
func firstLinkID(p *testutil.Page) string {
	const marker = "/sources/access-requests/"
	for rest := p.Body; ; {
		i := strings.Index(rest, marker)
		if i < 0 {
			return ""
		}
		rest = rest[i+len(marker):]
		if len(rest) >= 36 && access.ValidID(rest[:36]) {
			return rest[:36]
		}
	}
}

// killDuring ends every session of the script's database (but its own)
// every interval until the deadline. The returned channel yields, once the
// deadline has passed, how many sessions each kill ended; the function
// lists the kills that failed.
func killDuring(dbURL string, deadline time.Time, interval time.Duration) (<-chan []int, func() []error) {
	out := make(chan []int, 1)
	var mu sync.Mutex
	var errs []error
	go func() {
		var counts []int
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				if !now.Before(deadline) {
					out <- counts
					return
				}
				n, err := killSessions(dbURL)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				counts = append(counts, n)
			case <-time.After(time.Until(deadline)):
				out <- counts
				return
			}
		}
	}()
	return out, func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), errs...)
	}
}

// killSessions ends every other session of the script's database, as a
// restart or failover would. The sessions are listed first and ended one by
// one, so nothing outside this database is ever touched.
func killSessions(dbURL string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	return testutil.TerminateBackends(ctx, conn, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
}

// createDatabase creates a database of the script's own on the server of
// base, which must be a loopback address, and drops it at the end.
func createDatabase(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		t.Fatalf("the fault script ends database sessions: it runs only against a loopback PostgreSQL, not %q", host)
	}
	name := testdb.RandomName("faults_")
	testdb.Create(t, base, `CREATE DATABASE "`+name+`"`, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
	u.Path = "/" + name
	return u.String()
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// errorLines are up to max distinct error lines of the application's log.
func errorLines(log string, max int) []string {
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "level=ERROR") || strings.Contains(line, "msg=request ") {
			continue
		}
		if i := strings.Index(line, "level=ERROR"); i >= 0 {
			line = line[i:]
		}
		if !seen[line] && len(out) < max {
			seen[line] = true
			out = append(out, line)
		}
	}
	return out
}
