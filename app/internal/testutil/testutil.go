// Package testutil builds real databases, services and HTTP servers for
// tests. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL
// is set; each test gets its own database (SQLite file) or schema
// (PostgreSQL), so tests never see each other's rows.
package testutil

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/fakeclock"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/app/web"
	"github.com/accessrequests/accessrequests/models"
)

func init() {
	// Fixture passwords need no real work factor; production keeps the
	// default cost.
	access.PasswordCost = bcrypt.MinCost
}

// Password is the password of every fixture user.
const Password = "correct horse battery"

// Dialect is "postgres" when DATABASE_URL is set, else "sqlite".
func Dialect() string {
	if os.Getenv("DATABASE_URL") != "" {
		return db.Postgres
	}
	return db.SQLite
}

// OpenDB returns a migrated, empty database for one test.
func OpenDB(tb testing.TB) *gorm.DB {
	tb.Helper()
	return testdb.OpenMigrated(tb)
}

// Clock is a settable clock for tests.
type Clock = fakeclock.Clock

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return fakeclock.New(t) }

// BaseURL is the base URL tests configure; links start with it.
const BaseURL = "https://access.example.test"

// Env is the environment tests load sources with: Google Ads configured,
// the other real sources not.
func Env(key string) string {
	switch key {
	case "SOURCE_GOOGLE_ADS_CLIENT_ID":
		return "test-google-client"
	case "SOURCE_GOOGLE_ADS_CLIENT_SECRET":
		return "test-google-secret"
	}
	return ""
}

// NewService builds a service on gdb with a random key, the built-in
// catalog (sandbox enabled) and the given clock (nil: real time); opts
// come last and may replace any of these.
func NewService(tb testing.TB, gdb *gorm.DB, clock *Clock, opts ...access.Option) *access.Service {
	tb.Helper()
	key := make([]byte, secret.KeySize)
	_, _ = rand.Read(key)
	keys, err := secret.NewKeyring(key)
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := sources.Load(sources.Options{Getenv: Env, SandboxURL: BaseURL + "/sandbox", SandboxSecret: "test-sandbox-secret"})
	if err != nil {
		tb.Fatal(err)
	}
	all := []access.Option{access.WithSources(cat), access.WithBaseURL(BaseURL)}
	if clock != nil {
		all = append(all, access.WithClock(clock.Now))
	}
	svc := access.New(gdb, keys, append(all, opts...)...)
	services.Store(svc, serviceDeps{db: gdb, keys: keys})
	tb.Cleanup(func() { services.Delete(svc) })
	return svc
}

// NewSeeded builds a service as NewService does, on a database of its own
// (OpenDB), and seeds the fixture in it.
func NewSeeded(tb testing.TB, clock *Clock, opts ...access.Option) (*access.Service, *Fixture) {
	tb.Helper()
	svc := NewService(tb, OpenDB(tb), clock, opts...)
	return svc, Seed(tb, svc)
}

// services remembers the database and the keys of each service NewService
// built: the service keeps them unexported, tests outside package access
// read them here.
var services sync.Map // *access.Service -> serviceDeps

type serviceDeps struct {
	db   *gorm.DB
	keys *secret.Keyring
}

func depsOf(svc *access.Service) serviceDeps {
	d, ok := services.Load(svc)
	if !ok {
		panic("testutil: a service not built by NewService")
	}
	return d.(serviceDeps)
}

// DBOf is the database handle of a service built by NewService.
func DBOf(svc *access.Service) *gorm.DB { return depsOf(svc).db }

// KeysOf is the key ring of a service built by NewService.
func KeysOf(svc *access.Service) *secret.Keyring { return depsOf(svc).keys }

// Fixture is the set of organizations, workspaces and users most tests use.
type Fixture struct {
	Agency, Solo                models.Organization
	Reporting, Internal, Main   models.Workspace
	Owner, Admin, Member, Free  models.User
	Support, Viewer, OtherAdmin models.User
}

// Seed creates the fixture: Acme Agency (Pro) with workspaces Client
// reporting and Internal, Solo Shop (Free) with Main, and one user per role.
func Seed(tb testing.TB, svc *access.Service) *Fixture {
	tb.Helper()
	ctx := context.Background()
	users := []access.NewUser{
		{Email: "owner@test.example", Name: "Olivia Owner", Organization: "Acme Agency", Plan: models.PlanPro, OrgRole: models.OrgRoleOwner},
		{Email: "admin@test.example", Name: "Adam Admin", Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Workspace: "Client reporting", WorkspaceRole: models.WorkspaceRoleAdmin},
		{Email: "member@test.example", Name: "Mia Member", Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Workspace: "Client reporting", WorkspaceRole: models.WorkspaceRoleEditor},
		{Email: "viewer@test.example", Name: "Vic Viewer", Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Workspace: "Client reporting", WorkspaceRole: models.WorkspaceRoleViewer},
		{Email: "other@test.example", Name: "Ines Internal", Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Workspace: "Internal", WorkspaceRole: models.WorkspaceRoleAdmin},
		{Email: "support@test.example", Name: "Sam Support", Support: true},
		{Email: "free@test.example", Name: "Fred Free", Organization: "Solo Shop", Plan: models.PlanFree, OrgRole: models.OrgRoleOwner, Workspace: "Main", WorkspaceRole: models.WorkspaceRoleAdmin},
	}
	out := make([]models.User, len(users))
	for i, u := range users {
		u.Password = Password
		created, err := svc.CreateUser(ctx, u)
		if err != nil {
			tb.Fatalf("seed %s: %v", u.Email, err)
		}
		out[i] = *created
	}
	f := &Fixture{Owner: out[0], Admin: out[1], Member: out[2], Viewer: out[3], OtherAdmin: out[4], Support: out[5], Free: out[6]}
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	// The organizations and workspaces, as the domain reads them.
	byName := map[string]*access.Membership{}
	for _, u := range []models.User{f.Owner, f.Free} {
		choices, err := svc.Workspaces(ctx, u.ID)
		must(err)
		for _, c := range choices {
			m, err := svc.Membership(ctx, u.ID, c.ID)
			must(err)
			byName[c.Name] = m
		}
	}
	for _, name := range []string{"Client reporting", "Internal", "Main"} {
		if byName[name] == nil {
			tb.Fatalf("seed: no workspace %q", name)
		}
	}
	f.Agency, f.Solo = byName["Client reporting"].Organization, byName["Main"].Organization
	f.Reporting, f.Internal, f.Main = byName["Client reporting"].Workspace, byName["Internal"].Workspace, byName["Main"].Workspace
	return f
}

// Member returns userID's membership in workspaceID, failing the test if
// there is none.
func Member(tb testing.TB, svc *access.Service, userID, workspaceID string) *access.Membership {
	tb.Helper()
	m, err := svc.Membership(context.Background(), userID, workspaceID)
	if err != nil {
		tb.Fatalf("membership: %v", err)
	}
	return m
}

// Server runs the real HTTP handler on a local listener.
type Server struct {
	*httptest.Server
	Web *web.Server
	Svc *access.Service
}

// ServerOption adjusts the options NewServer gives the web layer.
type ServerOption func(*web.Options)

// BehindLocalProxy trusts X-Forwarded-For from loopback, so each test
// client can send its own address.
func BehindLocalProxy(o *web.Options) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	o.TrustedProxies = []*net.IPNet{loopback}
}

// NewServer starts the application's handler for svc (built by
// NewService), at BaseURL, logging nowhere; opts adjust that.
func NewServer(tb testing.TB, svc *access.Service, opts ...ServerOption) *Server {
	tb.Helper()
	base, _ := url.Parse(BaseURL)
	o := web.Options{
		Service: svc,
		Keys:    KeysOf(svc),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		BaseURL: base,
		Ready:   svc.Ping,
	}
	for _, opt := range opts {
		opt(&o)
	}
	h := web.New(o)
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return &Server{Server: ts, Web: h, Svc: svc}
}

// Client returns an HTTP client with a cookie jar that does not follow
// redirects, so tests see each 303.
func (s *Server) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// Login signs email in and returns its client.
func (s *Server) Login(tb testing.TB, email string) *http.Client {
	tb.Helper()
	return signIn(tb, s.Client(), s.URL, email)
}

// signIn posts the sign-in form on appURL with c and fails the test unless
// it succeeds.
func signIn(tb testing.TB, c *http.Client, appURL, email string) *http.Client {
	tb.Helper()
	res, err := c.PostForm(appURL+"/login", url.Values{"email": {email}, "password": {Password}})
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		tb.Fatalf("login %s: status %d", email, res.StatusCode)
	}
	return c
}

// NewRequest builds a request with an optional url-encoded form body.
// header is name, value, name, value, ...
func NewRequest(tb testing.TB, method, target string, form url.Values, header ...string) *http.Request {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// Do sends a request with an optional form body and returns the status and
// the body.
func Do(tb testing.TB, c *http.Client, method, target string, form url.Values, header ...string) (*http.Response, string) {
	tb.Helper()
	return Send(tb, c, NewRequest(tb, method, target, form, header...))
}

// Send sends req with c and returns the answer with its body, read and
// closed.
func Send(tb testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	tb.Helper()
	res, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	return res, ReadBody(res)
}

// ReadBody reads and closes the body of res.
func ReadBody(res *http.Response) string {
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// LinksURL is the access requests page of a workspace on s.
func (s *Server) LinksURL(workspaceID string) string {
	return fmt.Sprintf("%s/w/%s/sources/access-requests", s.URL, workspaceID)
}

// Concurrently runs fn(0) ... fn(n-1) on n goroutines released together
// once all are started, and waits for all of them.
func Concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			fn(i)
		}()
	}
	close(ready)
	wg.Wait()
}

// ConcurrentlyErr is Concurrently for functions that may fail: it returns
// their errors joined, nil when none failed.
func ConcurrentlyErr(n int, fn func(i int) error) error {
	errs := make([]error, n)
	Concurrently(n, func(i int) { errs[i] = fn(i) })
	return errors.Join(errs...)
}
