package testutil

// A flow environment: the application on one real listener, the sandbox
// provider on another (a separate origin, like a real provider), each
// provider behind a fault-injecting token tap (tokentap.go), and the
// admin's side of a flow: generate, delete, read links, accounts and events.
// Invitees walk the flow in browser.go.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
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

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/oauth"
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
	// (oauth.Client.HTTP.Timeout); zero means 10 seconds.
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
	// SandboxTokenTTL is the lifetime of the access tokens every sandbox
	// provider issues (sandbox.Options.AccessTokenTTL); zero means one hour.
	// A few seconds let a test see a token expire and be refreshed (count
	// the refreshes with Provider.Tap.Grants("refresh_token")).
	SandboxTokenTTL time.Duration
	// ServiceOptions are added to the service's (access.WithMail, ...).
	ServiceOptions []access.Option
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
	Connect *oauth.Client
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
			Logger: slog.New(slog.DiscardHandler), DB: e.DB, AccessTokenTTL: opt.SandboxTokenTTL,
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
	e.Svc = NewService(tb, e.DB, clock, append([]access.Option{access.WithSources(cat), access.WithBaseURL(e.AppURL)}, opt.ServiceOptions...)...)
	e.F = Seed(tb, e.Svc)

	e.Connect = oauth.NewClient(redirectURI)
	e.Connect.HTTP = &http.Client{Timeout: timeout, Transport: e.transport}
	base, _ := url.Parse(e.AppURL)
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	e.Web = web.New(web.Options{
		Service: e.Svc,
		Keys:    KeysOf(e.Svc),
		Log:     slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseURL: base,
		// The test clients are distinct invitees behind a local proxy: each
		// sends its own address in X-Forwarded-For.
		TrustedProxies: []*net.IPNet{loopback},
		Ready:          func(ctx context.Context) error { return db.Ping(ctx, e.DB) },
		OAuth:          e.Connect,
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

// AtConsent generates a sandbox link as the fixture's admin and opens its
// consent page in a new browser called name; the test fails unless the
// page answers 200 with the consent form.
func (e *FlowEnv) AtConsent(tb testing.TB, name string) (*GeneratedLink, *Invitee) {
	tb.Helper()
	link := e.GenerateLink(tb, SandboxKey)
	inv := e.NewInvitee(name)
	if p := inv.Consent(tb, link.Token); p.Status != http.StatusOK || !p.Has("consent") {
		tb.Fatalf("consent page: status %d, want 200 with data-testid=\"consent\":\n%s", p.Status, p.Excerpt())
	}
	return link, inv
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
	return Map(events, func(ev access.Event) string { return ev.Type })
}

// Map returns f of each of xs, in order.
func Map[T, V any](xs []T, f func(T) V) []V {
	out := make([]V, len(xs))
	for i, x := range xs {
		out[i] = f(x)
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

// SandboxUserinfo asks the sandbox whom an access token belongs to; it
// returns the status and the sub claim.
func (e *FlowEnv) SandboxUserinfo(t testing.TB, accessToken string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.Sandbox.Issuer+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	res, err := e.Connect.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var claims struct {
		Sub string `json:"sub"`
	}
	_ = json.NewDecoder(res.Body).Decode(&claims)
	return res.StatusCode, claims.Sub
}
