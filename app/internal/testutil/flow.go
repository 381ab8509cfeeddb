package testutil

// End-to-end helpers for the invitee's OAuth flow: the application on one
// real listener, the sandbox provider on another (a separate origin, like a
// real provider), a fault-injecting tap in front of each provider's token
// endpoint, and invitees with their own cookie jars who walk consent, Start,
// the provider's consent page, Allow or Deny and the callback one step at a
// time, so that tests can interfere between steps.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/connect"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/sandbox"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/app/web"
	"github.com/accessrequests/accessrequests/models"
)

// FlowStart is the service clock's start in a flow environment.
var FlowStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// SandboxKey is the catalog key of the built-in sandbox source.
const SandboxKey = "sandbox"

// FlowOptions configure NewFlowEnv.
type FlowOptions struct {
	// Clock is the service clock; nil starts one at FlowStart.
	Clock *Clock
	// ClientTimeout is the timeout of the app's OAuth client
	// (connect.Client.HTTP.Timeout); zero means 10 seconds.
	ClientTimeout time.Duration
	// ExtraProviders start one more sandbox provider per key, each on its
	// own TLS listener (an https issuer, as a real provider has), and
	// declare each as a source of that key through a SOURCES_FILE with
	// credentials from the environment (SOURCE_<KEY>_CLIENT_ID/_SECRET).
	ExtraProviders []string
	// Tick is how far each invitee step at the application moves the clock,
	// so that the events of one flow have distinct, ordered times; zero
	// means one second, negative means the clock does not move.
	Tick time.Duration
}

// FlowEnv is the application and its providers, each on a real listener.
type FlowEnv struct {
	App     *httptest.Server
	AppURL  string
	Web     *web.Server
	Svc     *access.Service
	DB      *gorm.DB
	Clock   *Clock
	F       *Fixture
	Connect *connect.Client
	// Sandbox is the provider of the built-in sandbox source.
	Sandbox *Provider
	// Providers are every provider by source key, Sandbox included.
	Providers map[string]*Provider
	// SourcesFile is the YAML file that declares ExtraProviders, if any.
	SourcesFile string
	// Logs receives the application's log.
	Logs *LogBuffer

	tick      time.Duration
	transport *http.Transport
	ips       atomic.Int32
}

// Provider is one sandbox provider on its own listener.
type Provider struct {
	Key          string // its source key
	Issuer       string // its URL, without a trailing slash
	ClientID     string
	ClientSecret string
	Server       *httptest.Server
	// Tap sits in front of the token endpoint.
	Tap *TokenTap

	mu            sync.Mutex
	authorizeFail string // one-shot error for the next authorization request
}

// NewFlowEnv starts the sandbox provider and the application, each on its
// own httptest server, on a fresh database with the seeded fixture. The
// application's BaseURL is its own URL; the sandbox source points at the
// sandbox server with a shared client secret; the only registered redirect
// URI is AppURL + "/oauth/callback".
func NewFlowEnv(tb testing.TB, opt FlowOptions) *FlowEnv {
	tb.Helper()
	clock := opt.Clock
	if clock == nil {
		clock = NewClock(FlowStart)
	}
	timeout := opt.ClientTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	e := &FlowEnv{Clock: clock, Providers: map[string]*Provider{}, Logs: &LogBuffer{}, tick: opt.Tick}
	if e.tick == 0 {
		e.tick = time.Second
	}

	// Listeners first: every URL is known before anything is wired.
	app := httptest.NewUnstartedServer(nil)
	e.App = app
	e.AppURL = "http://" + app.Listener.Addr().String()
	redirectURI := e.AppURL + "/oauth/callback"
	e.DB = OpenDB(tb) // the sandbox providers keep their state in it too

	newProvider := func(key, clientID string, tlsServer bool) *Provider {
		ts := httptest.NewUnstartedServer(nil)
		scheme := "http"
		if tlsServer {
			scheme = "https"
		}
		p := &Provider{Key: key, Issuer: scheme + "://" + ts.Listener.Addr().String(), ClientID: clientID,
			ClientSecret: secret.RandomToken(32), Server: ts}
		h, err := sandbox.New(sandbox.Options{
			Issuer: p.Issuer, ClientID: clientID, ClientSecret: p.ClientSecret, RedirectURIs: []string{redirectURI},
			Logger: slog.New(slog.DiscardHandler), DB: e.DB,
		})
		if err != nil {
			tb.Fatal(err)
		}
		p.Tap = &TokenTap{next: h, path: "/oauth/token"}
		ts.Config.Handler = p
		if tlsServer {
			ts.StartTLS()
		} else {
			ts.Start()
		}
		tb.Cleanup(ts.Close)
		e.Providers[key] = p
		return p
	}
	e.Sandbox = newProvider(SandboxKey, sources.SandboxClientID, false)

	// Extra providers are plain sources from an operator's SOURCES_FILE.
	creds := map[string]string{}
	if len(opt.ExtraProviders) > 0 {
		var yaml strings.Builder
		yaml.WriteString("sources:\n")
		for _, key := range opt.ExtraProviders {
			p := newProvider(key, key+"-client", true)
			env := "SOURCE_" + strings.ToUpper(key)
			creds[env+"_CLIENT_ID"] = p.ClientID
			creds[env+"_CLIENT_SECRET"] = p.ClientSecret
			fmt.Fprintf(&yaml, sourceYAML, key, "Second sandbox ("+key+")", p.Issuer)
		}
		e.SourcesFile = filepath.Join(tb.TempDir(), "sources.yaml")
		if err := os.WriteFile(e.SourcesFile, []byte(yaml.String()), 0o600); err != nil {
			tb.Fatal(err)
		}
	}

	// One transport trusts the TLS providers (httptest servers share one
	// certificate), for the app's OAuth client and for the invitees.
	pool := x509.NewCertPool()
	for _, p := range e.Providers {
		if c := p.Server.Certificate(); c != nil {
			pool.AddCert(c)
		}
	}
	e.transport = http.DefaultTransport.(*http.Transport).Clone()
	e.transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	e.transport.MaxIdleConnsPerHost = 64
	tb.Cleanup(e.transport.CloseIdleConnections)

	cat, err := sources.Load(sources.Options{
		File: e.SourcesFile,
		Getenv: func(k string) string {
			if v, ok := creds[k]; ok {
				return v
			}
			return Env(k)
		},
		SandboxURL:    e.Sandbox.Issuer,
		SandboxSecret: e.Sandbox.ClientSecret,
	})
	if err != nil {
		tb.Fatal(err)
	}
	key := make([]byte, secret.KeySize)
	_, _ = rand.Read(key)
	keys, err := secret.NewKeyring(key)
	if err != nil {
		tb.Fatal(err)
	}
	e.Svc = &access.Service{DB: e.DB, Keys: keys, Sources: cat, BaseURL: e.AppURL, Now: clock.Now}
	e.F = Seed(tb, e.Svc)

	e.Connect = connect.NewClient(redirectURI)
	e.Connect.HTTP = &http.Client{Timeout: timeout, Transport: e.transport}
	base, _ := url.Parse(e.AppURL)
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	e.Web = web.New(web.Options{
		Service: e.Svc,
		Log:     slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseURL: base,
		// The test clients are distinct invitees behind a local proxy: each
		// sends its own address in X-Forwarded-For.
		TrustedProxies: []*net.IPNet{loopback},
		Ready:          func(ctx context.Context) error { return db.Ping(ctx, e.DB) },
		Connect:        e.Connect,
	})
	app.Config.Handler = e.Web
	app.Start()
	tb.Cleanup(app.Close)
	return e
}

// sourceYAML declares an extra sandbox provider as an ordinary OIDC source:
// key, name, issuer.
const sourceYAML = `  - key: %[1]s
    name: %[2]s
    category: Testing
    auth_url: %[3]s/authorize
    token_url: %[3]s/oauth/token
    issuer: %[3]s
    jwks_url: %[3]s/keys
    scopes:
      - {name: openid, title: Know who you are}
      - {name: profile, title: See the account's name}
      - {name: email, title: See the account's email address}
      - {name: reports.read, title: Read sample reports}
    identity: {id_token: true, id_field: sub, name_field: name, email_field: email}
`

// ServeHTTP serves the provider behind its token tap, answering the next
// authorization request with an injected error if one is set.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/authorize" {
		p.mu.Lock()
		code := p.authorizeFail
		p.authorizeFail = ""
		p.mu.Unlock()
		if code != "" {
			q := r.URL.Query()
			back := url.Values{"error": {code}, "error_description": {"Injected by the test."}, "state": {q.Get("state")}}
			http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
			return
		}
	}
	p.Tap.ServeHTTP(w, r)
}

// FailNextAuthorize makes the next authorization request answer the client
// with error=code (and its state) instead of showing the consent page.
func (p *Provider) FailNextAuthorize(code string) {
	p.mu.Lock()
	p.authorizeFail = code
	p.mu.Unlock()
}

// Fault is what the token tap does to one token request.
type Fault int

// Faults the token tap can inject.
const (
	FaultNone Fault = iota
	// Fault500 answers 500 with an HTML body, without asking the provider.
	Fault500
	// FaultTimeout holds the request until the client gives up (at most
	// 10 seconds), without asking the provider.
	FaultTimeout
	// FaultMalformedJSON asks the provider (which issues tokens) and sends
	// the client half of its JSON answer.
	FaultMalformedJSON
	// FaultInvalidClient answers 401 invalid_client, as a provider that
	// wants the client's credentials elsewhere does, without asking the
	// provider.
	FaultInvalidClient
)

// Issued is one token response the provider sent, read by the tap.
type Issued struct {
	Status       int
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
}

// TokenTap wraps a provider: requests to its token endpoint are counted,
// answered with injected faults when asked, and the provider's answers are
// read so tests know the tokens it issued.
type TokenTap struct {
	next http.Handler
	path string

	mu       sync.Mutex
	faults   []Fault
	before   []func()
	requests int
	auth     []string
	issued   []Issued
}

// FailNext queues faults for the next token requests, one each.
func (t *TokenTap) FailNext(faults ...Fault) {
	t.mu.Lock()
	t.faults = append(t.faults, faults...)
	t.mu.Unlock()
}

// BeforeNext runs fn when the next token request arrives, before it is
// answered: a test's way to act while the app is exchanging a code.
func (t *TokenTap) BeforeNext(fn func()) {
	t.mu.Lock()
	t.before = append(t.before, fn)
	t.mu.Unlock()
}

// Requests is the number of token requests received.
func (t *TokenTap) Requests() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests
}

// ClientAuth lists how each token request authenticated the client:
// "basic" (Authorization header) or "post" (client_secret in the body).
func (t *TokenTap) ClientAuth() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.auth...)
}

// Issued lists the provider's token responses, in order.
func (t *TokenTap) Issued() []Issued {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Issued(nil), t.issued...)
}

// ServeHTTP implements http.Handler.
func (t *TokenTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != t.path {
		t.next.ServeHTTP(w, r)
		return
	}
	// Read the form (and put it back for the provider), so that the
	// server notices when the client hangs up.
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	auth := "none"
	if _, _, ok := r.BasicAuth(); ok {
		auth = "basic"
	} else if form.Get("client_secret") != "" {
		auth = "post"
	}

	t.mu.Lock()
	t.requests++
	t.auth = append(t.auth, auth)
	fault := FaultNone
	if len(t.faults) > 0 {
		fault, t.faults = t.faults[0], t.faults[1:]
	}
	var before func()
	if len(t.before) > 0 {
		before, t.before = t.before[0], t.before[1:]
	}
	t.mu.Unlock()
	if before != nil {
		before()
	}

	switch fault {
	case Fault500:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "<html><body><h1>500 Internal Server Error</h1></body></html>")
		return
	case FaultTimeout:
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		// Drop the connection rather than answer: a late 504 could reach a
		// client that has not quite given up yet, and the test wants a timeout.
		panic(http.ErrAbortHandler)
	case FaultInvalidClient:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"Send the client's credentials in the request body."}`)
		return
	}

	rec := httptest.NewRecorder()
	t.next.ServeHTTP(rec, r)
	body = rec.Body.Bytes()
	var got Issued
	_ = json.Unmarshal(body, &got)
	got.Status = rec.Code
	t.mu.Lock()
	t.issued = append(t.issued, got)
	t.mu.Unlock()

	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	if fault == FaultMalformedJSON {
		body = body[:len(body)/2]
		w.Header().Del("Content-Length")
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

// LogBuffer collects log output safely from many goroutines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// GeneratedLink is a link generated by the admin, with its token.
type GeneratedLink struct {
	ID    string
	Token string
	URL   string
}

// GenerateLink generates a link for sourceKey as the fixture's admin in
// the Client reporting workspace.
func (e *FlowEnv) GenerateLink(tb testing.TB, sourceKey string) *GeneratedLink {
	tb.Helper()
	m := Member(tb, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
	l, err := e.Svc.GenerateLink(context.Background(), m, access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name}, sourceKey)
	if err != nil {
		tb.Fatalf("generate a %s link: %v", sourceKey, err)
	}
	prefix := e.AppURL + "/connect/"
	if !strings.HasPrefix(l.URL, prefix) {
		tb.Fatalf("link URL %q does not start with %q", l.URL, prefix)
	}
	return &GeneratedLink{ID: l.ID, Token: strings.TrimPrefix(l.URL, prefix), URL: l.URL}
}

// DeleteLink deletes a link as the fixture's admin.
func (e *FlowEnv) DeleteLink(tb testing.TB, linkID string) {
	tb.Helper()
	m := Member(tb, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
	if err := e.Svc.DeleteLink(context.Background(), m, access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name}, linkID); err != nil {
		tb.Fatalf("delete link: %v", err)
	}
}

// Link reads a link's row.
func (e *FlowEnv) Link(tb testing.TB, id string) models.AccessLink {
	tb.Helper()
	var l models.AccessLink
	if err := e.DB.Where("id = ?", id).Take(&l).Error; err != nil {
		tb.Fatalf("read link %s: %v", id, err)
	}
	return l
}

// LinkStatus is a link's status now.
func (e *FlowEnv) LinkStatus(tb testing.TB, id string) access.Status {
	tb.Helper()
	l := e.Link(tb, id)
	return access.StatusOf(&l, e.Svc.Clock())
}

// Accounts reads every connected_accounts row, oldest first.
func (e *FlowEnv) Accounts(tb testing.TB) []models.ConnectedAccount {
	tb.Helper()
	var rows []models.ConnectedAccount
	if err := e.DB.Order("created_at, id").Find(&rows).Error; err != nil {
		tb.Fatal(err)
	}
	return rows
}

// Events reads a link's history, oldest first.
func (e *FlowEnv) Events(tb testing.TB, linkID string) []access.Event {
	tb.Helper()
	ev, err := e.Svc.Events(context.Background(), linkID)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// EventsOf keeps the events of one type.
func EventsOf(events []access.Event, typ string) []access.Event {
	var out []access.Event
	for _, ev := range events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// EventTypes lists the types of events in order.
func EventTypes(events []access.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.Type
	}
	return out
}

// Login signs a fixture user in to the application and returns a client
// that does not follow redirects.
func (e *FlowEnv) Login(tb testing.TB, email string) *http.Client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: e.transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return signIn(tb, c, e.AppURL, email)
}

// Get fetches an application path with a signed-in client.
func (e *FlowEnv) Get(tb testing.TB, c *http.Client, path string) *Page {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, e.AppURL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return send(tb, c, req)
}

// TextColumnsContaining reads every column of every row of every table as
// text and returns "table.column" for each value that contains one of the
// needles (keyed by a name for the report), in clear or base64-encoded.
func (e *FlowEnv) TextColumnsContaining(tb testing.TB, needles map[string]string) []string {
	tb.Helper()
	sqlDB := db.SQL(e.DB)
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if Dialect() == db.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := sqlDB.Query(q)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 8 {
		tb.Fatalf("only %d tables found: %v", len(tables), tables)
	}

	variants := map[string][]string{}
	for name, n := range needles {
		if n == "" {
			tb.Fatalf("needle %s is empty", name)
		}
		variants[name] = []string{n, base64.StdEncoding.EncodeToString([]byte(n)), base64.RawURLEncoding.EncodeToString([]byte(n))}
	}
	var found []string
	for _, table := range tables {
		found = append(found, scanTable(tb, sqlDB, table, variants)...)
	}
	return found
}

func scanTable(tb testing.TB, sqlDB *sql.DB, table string, variants map[string][]string) []string {
	tb.Helper()
	rows, err := sqlDB.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		tb.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var found []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatalf("scan %s: %v", table, err)
		}
		for i, v := range vals {
			var s string
			switch v := v.(type) {
			case nil:
				continue
			case []byte:
				s = string(v)
			case string:
				s = v
			default:
				s = fmt.Sprint(v)
			}
			for name, vs := range variants {
				for _, n := range vs {
					if strings.Contains(s, n) {
						found = append(found, table+"."+cols[i]+" holds "+name)
					}
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return found
}

// Invitee is one browser: its own cookie jar and its own client address.
// It never follows redirects by itself.
type Invitee struct {
	Name string
	IP   string
	HTTP *http.Client
	env  *FlowEnv
}

// NewInvitee opens a fresh browser.
func (e *FlowEnv) NewInvitee(name string) *Invitee {
	n := e.ips.Add(1)
	jar, _ := cookiejar.New(nil)
	return &Invitee{
		Name: name,
		IP:   fmt.Sprintf("198.18.%d.%d", n/250, n%250+1),
		env:  e,
		HTTP: &http.Client{
			Jar:           jar,
			Transport:     e.transport,
			Timeout:       60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (i *Invitee) request(tb testing.TB, method, target string, form url.Values) *http.Request {
	tb.Helper()
	req := NewRequest(tb, method, target, form)
	req.Header.Set("User-Agent", "flow-test/"+i.Name)
	req.Header.Set("X-Forwarded-For", i.IP)
	return req
}

func (i *Invitee) tick() {
	if i.env.tick > 0 {
		i.env.Clock.Advance(i.env.tick)
	}
}

// Get fetches any URL in this browser, as is.
func (i *Invitee) Get(tb testing.TB, target string) *Page {
	tb.Helper()
	return send(tb, i.HTTP, i.request(tb, http.MethodGet, target, nil))
}

// Consent opens the link: GET /connect/{token}.
func (i *Invitee) Consent(tb testing.TB, token string) *Page {
	tb.Helper()
	i.tick()
	return i.Get(tb, i.env.AppURL+"/connect/"+token)
}

// Start submits the consent page's Start form, as a browser on the app's
// page would: POST /connect/{token}/start.
func (i *Invitee) Start(tb testing.TB, token string) *Page {
	tb.Helper()
	return i.post(tb, "/connect/"+token+"/start", url.Values{})
}

// Decline submits the Decline form.
func (i *Invitee) Decline(tb testing.TB, token, reason string) *Page {
	tb.Helper()
	return i.post(tb, "/connect/"+token+"/decline", url.Values{"reason": {reason}})
}

func (i *Invitee) post(tb testing.TB, path string, form url.Values) *Page {
	tb.Helper()
	i.tick()
	req := i.request(tb, http.MethodPost, i.env.AppURL+path, form)
	req.Header.Set("Origin", i.env.AppURL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return send(tb, i.HTTP, req)
}

// Callback opens a callback URL (normally the provider's redirect) at the
// application.
func (i *Invitee) Callback(tb testing.TB, callbackURL string) *Page {
	tb.Helper()
	if !strings.HasPrefix(callbackURL, i.env.AppURL+"/oauth/callback?") {
		tb.Fatalf("not a callback URL of the app: %s", callbackURL)
	}
	i.tick()
	return i.Get(tb, callbackURL)
}

// TryCallback is Callback without failing the test, so that it can run on
// goroutines other than the test's.
func (i *Invitee) TryCallback(callbackURL string) (*Page, error) {
	i.tick()
	req, err := http.NewRequest(http.MethodGet, callbackURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "flow-test/"+i.Name)
	req.Header.Set("X-Forwarded-For", i.IP)
	return do(i.HTTP, req)
}

// LoginForm is the provider's consent page.
type LoginForm struct {
	Page     *Page
	PageURL  *url.URL
	Action   string
	ID       string
	Accounts []string // the radio values, in order
	Buttons  []string // the values of the buttons named action
}

// Authorize opens the provider's authorization URL and follows the
// provider's own redirects to its consent page. If the provider sends the
// browser back to the app instead, it fails the test; use Visit for that.
func (i *Invitee) Authorize(tb testing.TB, authURL string) *LoginForm {
	tb.Helper()
	p, at := i.followProvider(tb, i.Get(tb, authURL), authURL)
	if p.Location != "" || p.Status != http.StatusOK {
		tb.Fatalf("authorize: status %d, location %q, want the provider's consent page:\n%s", p.Status, p.Location, excerptOf(p.Body))
	}
	f := &LoginForm{Page: p, PageURL: at}
	for _, n := range p.find(func(n *html.Node) bool { return n.Type == html.ElementNode }) {
		switch {
		case n.Data == "form" && f.Action == "":
			f.Action = attrOf(n, "action")
		case n.Data == "input" && attrOf(n, "name") == "id":
			f.ID = attrOf(n, "value")
		case n.Data == "input" && attrOf(n, "type") == "radio" && attrOf(n, "name") == "account":
			f.Accounts = append(f.Accounts, attrOf(n, "value"))
		case n.Data == "button" && attrOf(n, "name") == "action":
			f.Buttons = append(f.Buttons, attrOf(n, "value"))
		}
	}
	if f.Action == "" || f.ID == "" {
		tb.Fatalf("no consent form on the provider's page:\n%s", excerptOf(p.Body))
	}
	return f
}

// Visit opens a provider URL and follows the provider's redirects; it
// returns the URL the provider sends the browser to outside itself (the
// app's callback), or fails.
func (i *Invitee) Visit(tb testing.TB, providerURL string) string {
	tb.Helper()
	p, _ := i.followProvider(tb, i.Get(tb, providerURL), providerURL)
	if p.Location == "" {
		tb.Fatalf("the provider answered %d instead of sending the browser back:\n%s", p.Status, excerptOf(p.Body))
	}
	return p.Location
}

// Answer submits the provider's consent form with action "allow" or
// "deny" for account ("" keeps the preselected one) and follows the
// provider's redirects; it returns the URL the provider sends the browser
// to: the app's callback with code or error, and state.
func (i *Invitee) Answer(tb testing.TB, f *LoginForm, action, account string) string {
	tb.Helper()
	form := url.Values{"id": {f.ID}, "action": {action}}
	if account != "" {
		form.Set("account", account)
	}
	target, err := f.PageURL.Parse(f.Action)
	if err != nil {
		tb.Fatal(err)
	}
	req := i.request(tb, http.MethodPost, target.String(), form)
	req.Header.Set("Origin", target.Scheme+"://"+target.Host)
	p, _ := i.followProvider(tb, send(tb, i.HTTP, req), target.String())
	if p.Location == "" {
		tb.Fatalf("the provider answered %d instead of sending the browser back:\n%s", p.Status, excerptOf(p.Body))
	}
	return p.Location
}

// followProvider follows redirects while they stay at a provider; it
// returns the last page and its URL, with Location made absolute.
func (i *Invitee) followProvider(tb testing.TB, p *Page, at string) (*Page, *url.URL) {
	tb.Helper()
	cur, _ := url.Parse(at)
	for n := 0; n < 10; n++ {
		if p.Location == "" {
			return p, cur
		}
		next, err := cur.Parse(p.Location)
		if err != nil {
			tb.Fatalf("bad redirect %q: %v", p.Location, err)
		}
		p.Location = next.String()
		if !i.env.isProvider(next) {
			return p, cur
		}
		cur = next
		p = i.Get(tb, next.String())
	}
	tb.Fatalf("too many redirects at the provider")
	return nil, nil
}

func (e *FlowEnv) isProvider(u *url.URL) bool {
	for _, p := range e.Providers {
		if strings.HasPrefix(u.String(), p.Issuer+"/") {
			return true
		}
	}
	return false
}

// Authorized walks Start, the provider's consent page and Allow (or Deny)
// for account, and returns Start's page and the callback URL the provider
// sent the browser to, not yet opened.
func (i *Invitee) Authorized(tb testing.TB, token, action, account string) (*Page, string) {
	tb.Helper()
	start := i.Start(tb, token)
	if start.Status != http.StatusSeeOther || start.Location == "" {
		tb.Fatalf("start: status %d, location %q, want 303 to the provider:\n%s", start.Status, start.Location, excerptOf(start.Body))
	}
	form := i.Authorize(tb, start.Location)
	return start, i.Answer(tb, form, action, account)
}

// Connect walks the whole flow with Allow for account: consent, Start, the
// provider, the callback. It returns the callback's page.
func (i *Invitee) Connect(tb testing.TB, token, account string) *Page {
	tb.Helper()
	if c := i.Consent(tb, token); c.Status != http.StatusOK {
		tb.Fatalf("consent: status %d:\n%s", c.Status, excerptOf(c.Body))
	}
	_, cb := i.Authorized(tb, token, "allow", account)
	return i.Callback(tb, cb)
}

// Page is one response, read whole.
type Page struct {
	URL      string
	Status   int
	Header   http.Header
	Cookies  []*http.Cookie // the cookies the response set
	Body     string
	Location string // the Location header, if any

	once sync.Once
	doc  *html.Node
}

func send(tb testing.TB, c *http.Client, req *http.Request) *Page {
	tb.Helper()
	p, err := do(c, req)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func do(c *http.Client, req *http.Request) (*Page, error) {
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the body: %w", req.Method, req.URL.Path, err)
	}
	return &Page{URL: req.URL.String(), Status: res.StatusCode, Header: res.Header, Cookies: res.Cookies(), Body: string(b),
		Location: res.Header.Get("Location")}, nil
}

func (p *Page) find(match func(*html.Node) bool) []*html.Node {
	p.once.Do(func() {
		doc, err := html.Parse(strings.NewReader(p.Body))
		if err != nil {
			doc = &html.Node{Type: html.DocumentNode}
		}
		p.doc = doc
	})
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.doc)
	return out
}

// ByTestID returns the elements with data-testid=id.
func (p *Page) ByTestID(id string) []*html.Node {
	return p.find(func(n *html.Node) bool { return n.Type == html.ElementNode && attrOf(n, "data-testid") == id })
}

// Has reports whether an element with data-testid=id is on the page.
func (p *Page) Has(id string) bool { return len(p.ByTestID(id)) > 0 }

// Text is the text of the first element with data-testid=id, with
// whitespace collapsed; "" if there is none.
func (p *Page) Text(id string) string {
	if t := p.Texts(id); len(t) > 0 {
		return t[0]
	}
	return ""
}

// Texts are the texts of every element with data-testid=id.
func (p *Page) Texts(id string) []string {
	var out []string
	for _, n := range p.ByTestID(id) {
		out = append(out, TextOf(n))
	}
	return out
}

// Attrs are the values of attribute name on every element with
// data-testid=id.
func (p *Page) Attrs(id, name string) []string {
	var out []string
	for _, n := range p.ByTestID(id) {
		out = append(out, attrOf(n, name))
	}
	return out
}

// Cookie returns the cookie the response set under name, or nil.
func (p *Page) Cookie(name string) *http.Cookie {
	for _, c := range p.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Excerpt is the start of the body, for failure messages.
func (p *Page) Excerpt() string { return excerptOf(p.Body) }

func excerptOf(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 1500 {
		s = s[:1500] + "..."
	}
	return s
}

func attrOf(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// TextOf is the text content of n with whitespace collapsed.
func TextOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}
