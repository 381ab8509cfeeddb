package web_test

// HTTP scenarios in the pocketbase style: each scenario is a request, the
// status it must answer, and fragments that must (or must not) appear in the
// body, the page text and the headers. Every scenario runs against the real
// handler on a real database (SQLite, or PostgreSQL with DATABASE_URL).
//
// This file holds the harness and the scenarios that are not about one
// feature: sign-in gates, malformed IDs, security headers, cross-site
// requests, health and metrics, unknown routes and methods.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// testNow is the service clock of every scenario environment: links
// generated at testNow expire on Mar 8, 2026.
var testNow = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// env is one running application with the seeded fixture. Scenarios of one
// env run in order and may change its data; each top-level test has its own.
type env struct {
	srv     *testutil.Server
	svc     *access.Service
	f       *testutil.Fixture
	clock   *testutil.Clock
	vars    map[string]string
	clients map[string]*http.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clock := testutil.NewClock(testNow)
	svc, f := testutil.NewSeeded(t, clock)
	e := &env{
		srv:     testutil.NewServer(t, svc),
		svc:     svc,
		f:       f,
		clock:   clock,
		clients: map[string]*http.Client{},
	}
	e.vars = map[string]string{
		"reporting": f.Reporting.ID,
		"internal":  f.Internal.ID,
		"main":      f.Main.ID,
		"base":      testutil.BaseURL,
	}
	// The reasons the gates give, in the domain's own words, so scenarios
	// check that the page explains the refusal without copying the text.
	e.vars["reason_member"] = gateReason(t, svc, f.Member.ID, f.Reporting.ID)
	e.vars["reason_viewer"] = gateReason(t, svc, f.Viewer.ID, f.Reporting.ID)
	e.vars["reason_free"] = gateReason(t, svc, f.Free.ID, f.Main.ID)
	return e
}

func gateReason(t *testing.T, svc *access.Service, userID, workspaceID string) string {
	t.Helper()
	err := testutil.Member(t, svc, userID, workspaceID).CanManageLinks()
	if err == nil {
		t.Fatalf("user %s can manage links in %s; the fixture changed", userID, workspaceID)
	}
	return access.ErrorMessage(err)
}

// user returns the fixture user called who: owner, admin, member, viewer,
// other, support or free.
func (e *env) user(t *testing.T, who string) models.User {
	t.Helper()
	users := map[string]models.User{"owner": e.f.Owner, "admin": e.f.Admin, "member": e.f.Member,
		"viewer": e.f.Viewer, "other": e.f.OtherAdmin, "support": e.f.Support, "free": e.f.Free}
	if u, ok := users[who]; ok {
		return u
	}
	t.Fatalf("no fixture user %q", who)
	return models.User{}
}

// client returns a signed-in client for who (signed in once per env), or a
// fresh anonymous client for "".
func (e *env) client(t *testing.T, who string) *http.Client {
	t.Helper()
	if who == "" {
		return e.srv.Client()
	}
	if c, ok := e.clients[who]; ok {
		return c
	}
	c := e.srv.Login(t, e.user(t, who).Email)
	e.clients[who] = c
	return c
}

// generate creates a link through the domain, as who in workspaceID.
func (e *env) generate(t *testing.T, who, workspaceID, source string) *access.Link {
	t.Helper()
	u := e.user(t, who)
	m := testutil.Member(t, e.svc, u.ID, workspaceID)
	l, err := e.svc.GenerateLink(context.Background(), m, access.Actor{UserID: u.ID, Name: u.Name}, source)
	if err != nil {
		t.Fatalf("generate %s link: %v", source, err)
	}
	return l
}

// namedLink generates a google_ads link as admin in Reporting and names it
// {link} in the scenarios' URLs.
func (e *env) namedLink(t *testing.T) *access.Link {
	t.Helper()
	l := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.vars["link"] = l.ID
	return l
}

// row reads a link as stored, deleted or not.
func (e *env) row(t *testing.T, id string) models.AccessLink {
	t.Helper()
	return testutil.RowOf[models.AccessLink](t, e.svc, id)
}

// countLinks counts the stored links of a workspace, deleted ones included.
func (e *env) countLinks(t *testing.T, workspaceID string) int64 {
	t.Helper()
	return testutil.CountOf[models.AccessLink](t, e.svc, "workspace_id = ?", workspaceID)
}

// set updates columns of a stored link, to put it into a status.
func (e *env) set(t *testing.T, id string, cols map[string]any) {
	t.Helper()
	if err := testutil.DBOf(e.svc).Model(&models.AccessLink{}).Where("id = ?", id).Updates(cols).Error; err != nil {
		t.Fatal(err)
	}
}

// expand replaces {name} with e.vars[name].
func (e *env) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	pairs := make([]string, 0, 2*len(e.vars)+2)
	pairs = append(pairs, "{links}", "/w/{reporting}/sources/access-requests")
	for k, v := range e.vars {
		pairs = append(pairs, "{"+k+"}", v)
	}
	// {links} expands to a string with a placeholder: expand twice.
	r := strings.NewReplacer(pairs...)
	return r.Replace(r.Replace(s))
}

// scenario is one request and what its answer must hold.
// generateOnce returns a setup that, the first time it runs, generates a
// google_ads link as admin in Reporting into *link and names it {link}.
func generateOnce(link **access.Link) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		if *link == nil {
			*link = e.namedLink(t)
		}
	}
}

type scenario struct {
	name   string
	as     string // fixture user, "" for a visitor who is not signed in
	method string // GET when empty
	url    string // path with {placeholders}
	form   url.Values
	header []string // name, value pairs
	// setup runs before the request, for data the scenario needs.
	setup func(t *testing.T, e *env)

	status   int
	location string            // exact Location header, when set
	contains []string          // in the body or its text
	absent   []string          // not in the raw body
	testids  []string          // data-testid values that must be present
	noTestid []string          // data-testid values that must be absent
	headers  map[string]string // header must contain the value
	noHeader []string          // headers that must be absent
	// check runs after the request for anything the fields cannot say.
	check func(t *testing.T, e *env, res *http.Response, body string)
}

// run runs scenarios in order on e, each as a subtest.
func (e *env) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { e.runOne(t, sc) })
	}
}

func (e *env) runOne(t *testing.T, sc scenario) {
	t.Helper()
	if sc.setup != nil {
		sc.setup(t, e)
	}
	method := sc.method
	if method == "" {
		method = http.MethodGet
	}
	header := make([]string, len(sc.header))
	for i, h := range sc.header {
		header[i] = e.expand(h)
	}
	target := e.srv.URL + e.expand(sc.url)
	res, body := testutil.Do(t, e.client(t, sc.as), method, target, sc.form, header...)

	if res.StatusCode != sc.status {
		t.Fatalf("%s %s: status %d, want %d\nLocation: %s\nbody: %s", method, sc.url, res.StatusCode, sc.status, res.Header.Get("Location"), excerpt(body))
	}
	if res.StatusCode >= 500 && sc.status < 500 {
		t.Fatalf("server error %d", res.StatusCode)
	}
	if sc.location != "" {
		if got, want := res.Header.Get("Location"), e.expand(sc.location); got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
	}
	text := ""
	var doc *html.Node
	if isHTML(res) && body != "" {
		doc = testutil.ParseHTML(t, body)
		text = testutil.TextOf(doc)
		checkPageHeaders(t, res, body)
	}
	for _, frag := range sc.contains {
		frag = e.expand(frag)
		if !strings.Contains(body, frag) && !strings.Contains(text, frag) {
			t.Errorf("body does not contain %q\nbody: %s", frag, excerpt(body))
		}
	}
	for _, frag := range sc.absent {
		frag = e.expand(frag)
		if strings.Contains(body, frag) {
			t.Errorf("body contains %q, it must not\nbody: %s", frag, excerpt(body))
		}
	}
	for _, id := range sc.testids {
		if doc == nil || len(testutil.ByTestID(doc, id)) == 0 {
			t.Errorf("no element with data-testid=%q\nbody: %s", id, excerpt(body))
		}
	}
	for _, id := range sc.noTestid {
		if doc != nil && len(testutil.ByTestID(doc, id)) > 0 {
			t.Errorf("element with data-testid=%q present, it must not be", id)
		}
	}
	for name, want := range sc.headers {
		want = e.expand(want)
		if got := res.Header.Get(name); !strings.Contains(got, want) {
			t.Errorf("header %s = %q, want it to contain %q", name, got, want)
		}
	}
	for _, name := range sc.noHeader {
		if got := res.Header.Get(name); got != "" {
			t.Errorf("header %s = %q, want none", name, got)
		}
	}
	if sc.check != nil {
		sc.check(t, e, res, body)
	}
}

func excerpt(body string) string {
	const max = 3000
	if len(body) > max {
		return body[:max] + "…"
	}
	return body
}

// fullFirstPage checks that a list's first page is full, access.PageSize
// rows (testid row), and has one "Load more" (testid more); it returns
// that Load more.
func fullFirstPage(t *testing.T, body, row, more string) *html.Node {
	t.Helper()
	doc := testutil.ParseHTML(t, body)
	if n := len(testutil.ByTestID(doc, row)); n != access.PageSize {
		t.Fatalf("%d rows on the first page, want %d", n, access.PageSize)
	}
	found := testutil.ByTestID(doc, more)
	if len(found) != 1 {
		t.Fatal("no Load more on the first page")
	}
	return found[0]
}

func isHTML(res *http.Response) bool {
	return strings.HasPrefix(res.Header.Get("Content-Type"), "text/html")
}

var nonceRe = regexp.MustCompile(`'nonce-([A-Za-z0-9+/=_-]+)'`)

// checkPageHeaders holds for every HTML answer: a nonce-based CSP that
// forbids inline code, framing, plugins and <base>; nosniff; no caching;
// and every <script> carries the CSP's nonce.
func checkPageHeaders(t *testing.T, res *http.Response, body string) {
	t.Helper()
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "'unsafe-inline'") || strings.Contains(csp, "'unsafe-eval'") {
		t.Errorf("CSP allows unsafe code: %q", csp)
	}
	m := nonceRe.FindStringSubmatch(csp)
	if m == nil {
		t.Errorf("CSP has no nonce: %q", csp)
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
	}
	if got := res.Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if m == nil {
		return
	}
	for _, s := range testutil.FindAll(testutil.ParseHTML(t, body), func(n *html.Node) bool { return n.Data == "script" }) {
		if got := testutil.Attr(s, "nonce"); got != m[1] {
			t.Errorf("<script src=%q> nonce = %q, want the CSP nonce %q", testutil.Attr(s, "src"), got, m[1])
		}
	}
}

func TestSignInRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var link *access.Link
	seed := generateOnce(&link)
	htmx := []string{"HX-Request", "true"}
	var scenarios []scenario
	for _, r := range []struct{ name, method, url string }{
		{"ConnectedAccounts", "GET", "/w/{reporting}/sources"},
		{"LinksPage", "GET", "{links}"},
		{"NewLinkForm", "GET", "{links}/new"},
		{"LinkPage", "GET", "{links}/{link}"},
		{"ConfirmDelete", "GET", "{links}/{link}/delete"},
		{"Generate", "POST", "{links}"},
		{"Delete", "DELETE", "{links}/{link}"},
		{"DeleteWithoutJS", "POST", "{links}/{link}/delete"},
		{"MalformedWorkspace", "GET", "/w/not-a-uuid/sources"},
		{"UnknownWorkspace", "GET", "/w/00000000-0000-4000-8000-000000000000/sources/access-requests"},
	} {
		var form url.Values
		if r.method == "POST" {
			form = url.Values{"source": {"google_ads"}}
		}
		scenarios = append(scenarios,
			scenario{
				name: r.name + "/RedirectsToLogin", method: r.method, url: r.url, form: form, setup: seed,
				// The page to come back to after signing in: the GET
				// of the same path, so no action is replayed (issue 7,
				// item 21).
				status: http.StatusSeeOther,
				check: func(t *testing.T, e *env, res *http.Response, _ string) {
					if got, want := res.Header.Get("Location"), "/login?next="+url.QueryEscape(e.expand(r.url)); got != want {
						t.Errorf("Location = %q, want %q", got, want)
					}
				},
			},
			scenario{
				name: r.name + "/HTMXUnauthorized", method: r.method, url: r.url, form: form, setup: seed, header: htmx,
				status: http.StatusUnauthorized, headers: map[string]string{"HX-Redirect": "/login"},
				absent: []string{"{base}/connect/"},
			},
		)
	}
	scenarios = append(scenarios,
		scenario{name: "Home/RedirectsToLogin", url: "/", status: http.StatusSeeOther, location: "/login"},
		scenario{name: "Login/Form", url: "/login", status: http.StatusOK, testids: []string{"login-form"}},
	)
	e.run(t, scenarios)

	t.Run("NothingChanged", func(t *testing.T) {
		if n := e.countLinks(t, e.f.Reporting.ID); n != 1 {
			t.Fatalf("links in Client reporting = %d, want only the seeded one", n)
		}
		if l := e.row(t, link.ID); l.DeletedAt != nil {
			t.Fatal("a visitor who is not signed in deleted a link")
		}
	})
}

func TestMalformedIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	notFound := func(name, method, path string) scenario {
		return scenario{
			name: name, as: "admin", method: method, url: path,
			status:  http.StatusNotFound,
			testids: []string{"error"},
			absent:  []string{"Internal error", "panic", "goroutine", "sql"},
		}
	}
	e.run(t, []scenario{
		notFound("WorkspaceNotUUID", "GET", "/w/not-a-uuid/sources"),
		notFound("WorkspaceNotUUID/Links", "GET", "/w/not-a-uuid/sources/access-requests"),
		notFound("WorkspaceNumeric", "GET", "/w/1/sources"),
		notFound("WorkspaceQuote", "GET", "/w/%27%20OR%201=1--/sources"),
		notFound("WorkspaceUnknownUUID", "GET", "/w/00000000-0000-4000-8000-000000000000/sources"),
		notFound("LinkNumeric", "GET", "{links}/123"),
		notFound("LinkNumeric/Delete", "DELETE", "{links}/123"),
		notFound("LinkNumeric/ConfirmDelete", "GET", "{links}/123/delete"),
		notFound("LinkNumeric/DeleteWithoutJS", "POST", "{links}/123/delete"),
		notFound("LinkDotDot", "GET", "{links}/../etc"),
		notFound("LinkDotDotEncoded", "GET", "{links}/..%2Fetc"),
		notFound("LinkDotDotEncoded/Delete", "DELETE", "{links}/..%2Fetc"),
		notFound("LinkNotHex", "GET", "{links}/ZZZZZZZZ-0000-4000-8000-000000000000"),
		notFound("LinkUnknownUUID", "GET", "{links}/00000000-0000-4000-8000-000000000000"),
		notFound("LinkUnknownUUID/Delete", "DELETE", "{links}/00000000-0000-4000-8000-000000000000"),
		notFound("LinkTooLong", "GET", "{links}/"+strings.Repeat("a", 5000)),
		{
			name: "LinkNumeric/HTMX", as: "admin", method: "DELETE", url: "{links}/123", header: []string{"HX-Request", "true"},
			status: http.StatusNotFound, testids: []string{"error-message"}, absent: []string{"<html"},
		},
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var link *access.Link
	setup := generateOnce(&link)
	page := func(name, who, path string, status int) scenario {
		return scenario{
			name: name, as: who, url: path, setup: setup, status: status,
			headers: map[string]string{
				"Content-Security-Policy": "'nonce-",
				"X-Content-Type-Options":  "nosniff",
				"Cache-Control":           "no-store",
				"X-Frame-Options":         "DENY",
			},
			// runOne checks the CSP, nosniff, no-store and script nonces of
			// every HTML answer; check makes sure there was one to check.
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if !isHTML(res) {
					t.Fatalf("Content-Type = %q, want HTML", res.Header.Get("Content-Type"))
				}
				if n := len(testutil.FindAll(testutil.ParseHTML(t, body), func(n *html.Node) bool { return n.Data == "script" })); n == 0 {
					t.Fatal("page has no <script>; the nonce check would prove nothing")
				}
			},
		}
	}
	// The error page of a visitor who is not signed in is built like the
	// invitee's pages (issue 12): headers as any page's, and no script.
	scriptless := func(s scenario) scenario {
		s.check = func(t *testing.T, e *env, res *http.Response, body string) {
			if !isHTML(res) {
				t.Fatalf("Content-Type = %q, want HTML", res.Header.Get("Content-Type"))
			}
			if n := len(testutil.FindAll(testutil.ParseHTML(t, body), func(n *html.Node) bool { return n.Data == "script" })); n != 0 {
				t.Errorf("page has %d <script> elements, want none", n)
			}
		}
		return s
	}
	e.run(t, []scenario{
		page("Login", "", "/login", http.StatusOK),
		page("ConnectedAccounts", "admin", "/w/{reporting}/sources", http.StatusOK),
		page("LinksPage", "admin", "{links}", http.StatusOK),
		page("LinkPage", "admin", "{links}/{link}?created=1", http.StatusOK),
		page("NewLinkForm", "admin", "{links}/new", http.StatusOK),
		page("GatePage", "member", "{links}", http.StatusOK),
		page("Forbidden", "member", "{links}/new", http.StatusForbidden),
		page("NotFound", "admin", "/no/such/page", http.StatusNotFound),
		scriptless(page("NotFoundSignedOut", "", "/no/such/page", http.StatusNotFound)),
		{
			name: "Redirect", url: "/w/{reporting}/sources", status: http.StatusSeeOther,
			headers: map[string]string{"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "frame-ancestors 'none'"},
		},
	})

	t.Run("NonceIsFreshPerRequest", func(t *testing.T) {
		c := e.client(t, "")
		seen := map[string]bool{}
		for range 3 {
			res, _ := testutil.Do(t, c, "GET", e.srv.URL+"/login", nil)
			m := nonceRe.FindStringSubmatch(res.Header.Get("Content-Security-Policy"))
			if m == nil {
				t.Fatal("no nonce")
			}
			if seen[m[1]] {
				t.Fatalf("nonce %q repeated across requests", m[1])
			}
			seen[m[1]] = true
		}
	})

	t.Run("StaticHashedNamesAreImmutable", func(t *testing.T) {
		c := e.client(t, "")
		_, body := testutil.Do(t, c, "GET", e.srv.URL+"/login", nil)
		doc := testutil.ParseHTML(t, body)
		var assets []string
		for _, n := range testutil.FindAll(doc, func(n *html.Node) bool { return n.Data == "script" || n.Data == "link" }) {
			for _, a := range []string{"src", "href"} {
				if v := testutil.Attr(n, a); strings.HasPrefix(v, "/static/") {
					assets = append(assets, v)
				}
			}
		}
		if len(assets) < 2 {
			t.Fatalf("login page links %d static files, want the CSS and scripts: %v", len(assets), assets)
		}
		for _, a := range assets {
			res, _ := testutil.Do(t, c, "GET", e.srv.URL+a, nil)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d", a, res.StatusCode)
				continue
			}
			cc := res.Header.Get("Cache-Control")
			if !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
				t.Errorf("%s: Cache-Control = %q, want a year, immutable", a, cc)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options = %q", a, got)
			}
		}
		// A plain name is served but must revalidate: its content changes
		// with each release.
		res, _ := testutil.Do(t, c, "GET", e.srv.URL+"/static/app.css", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("/static/app.css: status %d", res.StatusCode)
		}
		if cc := res.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
			t.Errorf("/static/app.css: Cache-Control = %q; a plain name must not be immutable", cc)
		}
		res, _ = testutil.Do(t, c, "GET", e.srv.URL+"/static/nope.js", nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("/static/nope.js: status %d, want 404", res.StatusCode)
		}
	})
}

// TestCrossSite: a page on another site cannot make a signed-in browser
// generate, delete, or sign out.
func TestCrossSite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var link *access.Link
	setup := generateOnce(&link)
	unchanged := func(t *testing.T, e *env, _ *http.Response, _ string) {
		if n := e.countLinks(t, e.f.Reporting.ID); n != 1 {
			t.Errorf("links = %d, want 1: a cross-site request generated a link", n)
		}
		if l := e.row(t, link.ID); l.DeletedAt != nil {
			t.Errorf("a cross-site request deleted the link")
		}
		// The session survived: the admin still sees the list.
		res, _ := testutil.Do(t, e.client(t, "admin"), "GET", e.srv.URL+e.expand("{links}"), nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("after the refused request the links page answers %d, want 200", res.StatusCode)
		}
	}
	refused := "came from another site"
	var scenarios []scenario
	for _, h := range []struct{ name, key, value string }{
		{"SecFetchSite", "Sec-Fetch-Site", "cross-site"},
		{"ForeignOrigin", "Origin", "https://evil.example"},
	} {
		for _, r := range []struct {
			name, method, url string
			form              url.Values
		}{
			{"Generate", "POST", "{links}", url.Values{"source": {"google_ads"}}},
			{"GenerateHTMX", "POST", "{links}", url.Values{"source": {"google_ads"}}},
			{"Delete", "DELETE", "{links}/{link}", nil},
			{"DeleteWithoutJS", "POST", "{links}/{link}/delete", url.Values{}},
			{"Logout", "POST", "/logout", url.Values{}},
		} {
			header := []string{h.key, h.value}
			if r.name == "GenerateHTMX" {
				header = append(header, "HX-Request", "true")
			}
			scenarios = append(scenarios, scenario{
				name: h.name + "/" + r.name, as: "admin", method: r.method, url: r.url, form: r.form, header: header,
				setup: setup, status: http.StatusForbidden, contains: []string{refused}, check: unchanged,
			})
		}
	}
	scenarios = append(scenarios,
		// A cross-site sign-in would sign the victim into the attacker's
		// account (login CSRF).
		scenario{
			name: "SecFetchSite/Login", method: "POST", url: "/login",
			form:   url.Values{"email": {"admin@test.example"}, "password": {testutil.Password}},
			header: []string{"Sec-Fetch-Site", "cross-site"}, status: http.StatusForbidden,
			check: func(t *testing.T, e *env, res *http.Response, _ string) {
				for _, c := range res.Cookies() {
					if c.Name == e.srv.Web.SessionCookieName() && c.MaxAge >= 0 {
						t.Errorf("a cross-site sign-in set the session cookie")
					}
				}
			},
		},
		// Same-origin requests from the app's own pages go through.
		scenario{
			name: "SameOrigin/Generate", as: "admin", method: "POST", url: "{links}", form: url.Values{"source": {"google_ads"}},
			header: []string{"Sec-Fetch-Site", "same-origin"}, status: http.StatusSeeOther,
		},
		scenario{
			name: "SameOriginHeader/Delete", as: "admin", method: "DELETE", url: "{links}/{link}",
			header: []string{"Origin", "{origin}", "HX-Request", "true"}, status: http.StatusOK,
			setup: func(t *testing.T, e *env) { e.vars["origin"] = e.srv.URL },
			check: func(t *testing.T, e *env, _ *http.Response, _ string) {
				if e.row(t, link.ID).DeletedAt == nil {
					t.Error("a same-origin delete did not delete the link")
				}
			},
		},
		// Safe methods are never refused: a link from another site to a
		// page must work.
		scenario{
			name: "CrossSiteNavigation/LinksPage", as: "admin", url: "{links}",
			header: []string{"Sec-Fetch-Site", "cross-site"}, status: http.StatusOK, testids: []string{"links-table"},
		},
	)
	e.run(t, scenarios)
}

func TestHealth(t *testing.T) {
	t.Parallel()
	svc := testutil.NewService(t, testutil.OpenDB(t), nil)
	srv := testutil.NewServer(t, svc)
	c := srv.Client()
	get := func(t *testing.T, path string) (*http.Response, string) {
		t.Helper()
		return testutil.Do(t, c, "GET", srv.URL+path, nil)
	}

	t.Run("Healthz", func(t *testing.T) {
		res, body := get(t, "/healthz")
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "ok") {
			t.Fatalf("/healthz = %d %q, want 200 ok", res.StatusCode, body)
		}
	})
	t.Run("Readyz", func(t *testing.T) {
		res, body := get(t, "/readyz")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("/readyz = %d %q, want 200", res.StatusCode, body)
		}
	})
	t.Run("Metrics", func(t *testing.T) {
		get(t, "/w/not-a-uuid/sources")
		get(t, "/no-such-route-xyz")
		// Metrics are served to operators (their own listener), not on
		// the public port: read them from the handler that listener uses.
		rec := httptest.NewRecorder()
		srv.Web.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("/metrics = %d", rec.Code)
		}
		if res, _ := get(t, "/metrics"); res.StatusCode != http.StatusNotFound {
			t.Fatalf("/metrics on the public port = %d, want 404", res.StatusCode)
		}
		for _, want := range []string{"http_requests_total", "http_request_duration_seconds", `route="/healthz"`, `route="/w/:workspace/sources"`} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		// Routes are labelled by pattern, never by the raw path (which can
		// carry IDs or tokens and would grow the series without bound).
		for _, raw := range []string{"not-a-uuid", "no-such-route-xyz"} {
			if strings.Contains(body, raw) {
				t.Errorf("/metrics contains the raw path fragment %q", raw)
			}
		}
	})
}

// TestDatabaseDown: with the database gone, /readyz fails and pages answer
// 503, never a wrong answer or a 500; liveness stays up.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	svc := testutil.NewService(t, testutil.OpenDB(t), nil)
	_, err := svc.CreateUser(context.Background(), access.NewUser{
		Email: "solo@test.example", Name: "Solo Admin", Password: testutil.Password,
		Organization: "Solo", Plan: models.PlanPro, OrgRole: models.OrgRoleOwner,
		Workspace: "Only", WorkspaceRole: models.WorkspaceRoleAdmin,
	})
	if err != nil {
		t.Fatal(err)
	}
	var ws models.Workspace
	if err := testutil.DBOf(svc).Where("name = ?", "Only").Take(&ws).Error; err != nil {
		t.Fatal(err)
	}
	srv := testutil.NewServer(t, svc)
	c := srv.Login(t, "solo@test.example")
	links := srv.LinksURL(ws.ID)
	if res, _ := testutil.Do(t, c, "GET", links, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("links page before the outage: %d", res.StatusCode)
	}

	if err := db.SQL(testutil.DBOf(svc)).Close(); err != nil {
		t.Fatal(err)
	}

	// Probes carry no cookies.
	probe := srv.Client()
	t.Run("ReadyzFails", func(t *testing.T) {
		res, _ := testutil.Do(t, probe, "GET", srv.URL+"/readyz", nil)
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("/readyz = %d, want 503", res.StatusCode)
		}
	})
	t.Run("HealthzStaysUp", func(t *testing.T) {
		res, _ := testutil.Do(t, probe, "GET", srv.URL+"/healthz", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("/healthz = %d, want 200", res.StatusCode)
		}
	})
	for _, r := range []struct{ name, method, url string }{
		{"LinksPage", "GET", links},
		{"Generate", "POST", links},
		{"Login", "POST", srv.URL + "/login"},
	} {
		t.Run(r.name+"/ServiceUnavailable", func(t *testing.T) {
			var form url.Values
			if r.method == "POST" {
				form = url.Values{"source": {"google_ads"}, "email": {"solo@test.example"}, "password": {testutil.Password}}
			}
			res, body := testutil.Do(t, c, r.method, r.url, form)
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503\nbody: %s", res.StatusCode, excerpt(body))
			}
			if res.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			if strings.Contains(body, "database is closed") || strings.Contains(body, "sql:") {
				t.Errorf("the page shows the internal error: %s", excerpt(body))
			}
		})
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.run(t, []scenario{
		{name: "UnknownRoute/SignedOut", url: "/no/such/page", status: http.StatusNotFound, testids: []string{"error"}},
		{name: "UnknownRoute/SignedIn", as: "admin", url: "/w/{reporting}/nope", status: http.StatusNotFound, testids: []string{"error"}},
		{name: "UnknownRoute/HEAD", method: "HEAD", url: "/no/such/page", status: http.StatusNotFound},
		{name: "WrongMethod/Healthz", method: "POST", url: "/healthz", form: url.Values{}, status: http.StatusMethodNotAllowed},
		{name: "WrongMethod/Login", method: "DELETE", url: "/login", status: http.StatusMethodNotAllowed, testids: []string{"error"}},
		{name: "WrongMethod/Logout", method: "GET", url: "/logout", status: http.StatusMethodNotAllowed},
		{
			name: "WrongMethod/Link", as: "admin", method: "PUT", url: "{links}/00000000-0000-4000-8000-000000000000",
			status: http.StatusMethodNotAllowed, headers: map[string]string{"Allow": "GET"},
		},
		{name: "WrongMethod/Sources", as: "admin", method: "POST", url: "/w/{reporting}/sources", form: url.Values{}, status: http.StatusMethodNotAllowed},
	})
}
