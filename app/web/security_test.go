package web_test

// Tests for requirements of SECURITY.md that the feature tests did not pin
// down on their own: links and the redirect URI never built from the Host
// header (5), no open redirects (8), HSTS and Secure cookies in production
// only (20, 14), session renewal at sign-in (14), every public route rate
// limited (4), every unsafe route refused cross-site (16), abandoned flows
// (23), missing scopes reported (10), Shopify's checks before any request
// (13), and no secret in logs, failure pages or events (12).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/oauth"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/app/web"
	"github.com/accessrequests/accessrequests/models"
)

// forgedHost is what an attacker puts in Host and X-Forwarded-Host.
const forgedHost = "evil.example"

// forge makes a request claim to be for forgedHost, directly and through
// the proxy headers.
func forge(req *http.Request) {
	req.Host = forgedHost
	req.Header.Set("X-Forwarded-Host", forgedHost)
	req.Header.Set("X-Forwarded-Proto", "http")
	req.Header.Set("Forwarded", "host="+forgedHost+";proto=http")
}

// sendForged sends req with a forged Host as client c would send it to
// req.URL: the client's cookie jar keys cookies by the Host header, so
// the browser's cookies for the real address are carried by hand.
func sendForged(t *testing.T, c *http.Client, req *http.Request) *http.Response {
	t.Helper()
	real := *req.URL
	if c.Jar != nil {
		for _, ck := range c.Jar.Cookies(&real) {
			req.AddCookie(ck)
		}
	}
	forge(req)
	plain := *c
	plain.Jar = nil
	res, err := plain.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Jar != nil {
		c.Jar.SetCookies(&real, res.Cookies())
	}
	return res
}

// doForged sends a request with a forged Host with client c.
func doForged(t *testing.T, c *http.Client, method, target string, form url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	res := sendForged(t, c, testutil.NewRequest(t, method, target, form, header...))
	return res, testutil.ReadBody(res)
}

// TestLinkURLIgnoresHostHeader (SECURITY 5): an admin whose requests carry
// a forged Host and X-Forwarded-Host still gets links built from the
// configured base URL, on every page that shows one.
func TestLinkURLIgnoresHostHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.client(t, "admin")
	links := e.srv.URL + e.expand("{links}")
	noForgedHost := func(t *testing.T, what string, res *http.Response, body string) {
		t.Helper()
		if strings.Contains(body, forgedHost) || strings.Contains(res.Header.Get("Location"), forgedHost) || strings.Contains(res.Header.Get("HX-Trigger"), forgedHost) {
			t.Errorf("%s mentions the forged host", what)
		}
	}

	t.Run("GenerateWithoutJS", func(t *testing.T) {
		res, body := doForged(t, admin, "POST", links, url.Values{"source": {"google_ads"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d\n%s", res.StatusCode, excerpt(body))
		}
		loc := res.Header.Get("Location")
		m := createdRe.FindStringSubmatch(loc)
		if m == nil || !testutil.SameSitePath(loc) {
			t.Fatalf("Location %q, want the link's page on this site", loc)
		}
		noForgedHost(t, "the redirect", res, body)
		res, body = doForged(t, admin, "GET", e.srv.URL+loc, nil)
		urls := linkURLs(t, body)
		if res.StatusCode != http.StatusOK || len(urls) == 0 {
			t.Fatalf("link page: status %d, links %v", res.StatusCode, urls)
		}
		for _, u := range urls {
			checkLinkURL(t, e, u, m[2])
		}
		noForgedHost(t, "the link page", res, body)
	})
	t.Run("GenerateHTMX", func(t *testing.T) {
		res, body := doForged(t, admin, "POST", links, url.Values{"source": {"sandbox"}}, "HX-Request", "true")
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("status %d\n%s", res.StatusCode, excerpt(body))
		}
		urls := linkURLs(t, body)
		if len(urls) != 1 {
			t.Fatalf("links in the dialog %v, want 1", urls)
		}
		var l models.AccessLink
		if err := testutil.DBOf(e.svc).Where("source_key = ?", "sandbox").Take(&l).Error; err != nil {
			t.Fatal(err)
		}
		checkLinkURL(t, e, urls[0], l.ID)
		noForgedHost(t, "the generated dialog", res, body)
	})
	t.Run("List", func(t *testing.T) {
		res, body := doForged(t, admin, "GET", links, nil)
		urls := linkURLs(t, body)
		if res.StatusCode != http.StatusOK || len(urls) != 2 {
			t.Fatalf("list: status %d, links %v, want 2", res.StatusCode, urls)
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, testutil.BaseURL+"/connect/") {
				t.Errorf("listed link %q does not start with the base URL %s", u, testutil.BaseURL)
			}
		}
		noForgedHost(t, "the list", res, body)
	})
}

// TestRedirectURIIgnoresHostHeader (SECURITY 5, 8): Start sends the
// provider the one registered redirect URI, whatever Host the invitee's
// request carries; the flow then completes there.
func TestRedirectURIIgnoresHostHeader(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, "forger")

	req, err := http.NewRequest(http.MethodPost, e.AppURL+"/connect/"+link.Token+"/start", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", inv.IP)
	res := sendForged(t, inv.HTTP, req)
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, e.Sandbox.Issuer+"/authorize?") {
		t.Fatalf("start: status %d to %s, want 303 to the provider", res.StatusCode, redact(loc))
	}
	if got, want := query(t, loc).Get("redirect_uri"), e.AppURL+"/oauth/callback"; got != want {
		t.Fatalf("redirect_uri %q, want the registered %q", got, want)
	}
	cb := inv.Answer(t, inv.Authorize(t, loc), "allow", "sandbox-user-1")
	wantPage(t, inv.Callback(t, cb), http.StatusOK, "connect-success")
}

// evilTargets are values of a "next" parameter that would leave the site.
var evilTargets = []string{
	"https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example", "https:evil.example",
	"/%2F%2Fevil.example", "%2F%2Fevil.example", "javascript:alert(1)", "http://127.0.0.1.evil.example/",
}

// redirectParams are the names open redirects usually hide behind.
var redirectParams = []string{"next", "return_to", "returnTo", "redirect", "redirect_uri", "continue", "url", "to"}

// evilQuery sets every redirect parameter to target.
func evilQuery(target string) url.Values {
	q := url.Values{}
	for _, p := range redirectParams {
		q.Set(p, target)
	}
	return q
}

// TestNoOpenRedirects (SECURITY 8): no parameter makes sign-in, sign-out
// or the sign-in gate send the browser off the site; every Location is a
// path on this site.
func TestNoOpenRedirects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wantLocation := func(t *testing.T, res *http.Response, want string) {
		t.Helper()
		loc := res.Header.Get("Location")
		if !testutil.SameSitePath(loc) || strings.Contains(loc, "evil") {
			t.Fatalf("Location %q leaves the site", loc)
		}
		if want != "" && loc != e.expand(want) {
			t.Errorf("Location %q, want %q", loc, e.expand(want))
		}
	}
	for i, target := range evilTargets {
		q := evilQuery(target).Encode()
		t.Run(strconv.Itoa(i)+"/"+url.PathEscape(target), func(t *testing.T) {
			// The form carries nothing of the parameters to the next step.
			res, body := testutil.Do(t, e.srv.Client(), "GET", e.srv.URL+"/login?"+q, nil)
			if res.StatusCode != http.StatusOK || strings.Contains(body, "evil.example") || strings.Contains(body, "javascript:alert") {
				t.Fatalf("login form: status %d, or it repeats the target", res.StatusCode)
			}
			// Signing in, with the target in the query and in the form.
			c := e.srv.Client()
			form := evilQuery(target)
			form.Set("email", e.f.Admin.Email)
			form.Set("password", testutil.Password)
			res, _ = testutil.Do(t, c, "POST", e.srv.URL+"/login?"+q, form)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-in: status %d", res.StatusCode)
			}
			wantLocation(t, res, "/w/{reporting}/sources")
			// Signed in, the form and home redirect to the landing page.
			for _, path := range []string{"/login?", "/?"} {
				res, _ = testutil.Do(t, c, "GET", e.srv.URL+path+q, nil)
				if res.StatusCode != http.StatusSeeOther {
					t.Fatalf("GET %s: status %d", path, res.StatusCode)
				}
				wantLocation(t, res, "/w/{reporting}/sources")
			}
			// Signing out.
			res, _ = testutil.Do(t, c, "POST", e.srv.URL+"/logout?"+q, evilQuery(target))
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-out: status %d", res.StatusCode)
			}
			wantLocation(t, res, "/login")
			// The sign-in gate, signed out: it names the page to come back
			// to (its path only, item 21), never the parameters.
			res, _ = testutil.Do(t, c, "GET", e.srv.URL+e.expand("{links}")+"?"+q, nil)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("gate: status %d", res.StatusCode)
			}
			wantLocation(t, res, "/login?next="+url.QueryEscape(e.expand("{links}")))
			// The target as the page to come back to: the form drops it,
			// and signing in lands on the landing page.
			res, body = testutil.Do(t, c, "GET", e.srv.URL+"/login?next="+url.QueryEscape(target), nil)
			if res.StatusCode != http.StatusOK || strings.Contains(body, "evil.example") || strings.Contains(body, "javascript:alert") {
				t.Fatalf("login form with next: status %d, or it repeats the target", res.StatusCode)
			}
			res, _ = testutil.Do(t, c, "POST", e.srv.URL+"/login", url.Values{"email": {e.f.Admin.Email}, "password": {testutil.Password}, "next": {target}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-in with next: status %d", res.StatusCode)
			}
			wantLocation(t, res, "/w/{reporting}/sources")
			res, _ = testutil.Do(t, c, "GET", e.srv.URL+"/login?next="+url.QueryEscape(target), nil)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("GET /login?next= signed in: status %d", res.StatusCode)
			}
			wantLocation(t, res, "/w/{reporting}/sources")
			// A protocol-relative path on the site itself.
			res, _ = testutil.Do(t, c, "GET", e.srv.URL+"//evil.example/login?"+q, nil)
			if loc := res.Header.Get("Location"); loc != "" {
				wantLocation(t, res, "")
			}
		})
	}
}

// TestCallbackNeverRedirects (SECURITY 8): the callback answers with a page,
// never a redirect, whatever parameters ride along: success, failure,
// replay, and a stranger's request.
func TestCallbackNeverRedirects(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	withEvil := func(u string) string {
		return withQuery(t, u, func(q url.Values) {
			for k, v := range evilQuery("https://evil.example/") {
				q[k] = v
			}
		})
	}
	noRedirect := func(t *testing.T, what string, p *testutil.Page) {
		t.Helper()
		if p.Location != "" || (p.Status >= 300 && p.Status < 400) {
			t.Errorf("%s: status %d to %q, want a page", what, p.Status, p.Location)
		}
		if strings.Contains(p.Body, "evil.example") {
			t.Errorf("%s: the page repeats the target", what)
		}
		for _, href := range p.Attrs("retry", "href") {
			if !testutil.SameSitePath(href) {
				t.Errorf("%s: Try again goes to %q", what, href)
			}
		}
	}

	link, inv := e.AtConsent(t, "a")
	_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
	p := inv.Callback(t, withEvil(withQuery(t, cb, func(q url.Values) { q.Set("state", "wrong") })))
	wantPage(t, p, http.StatusBadRequest, "connect-error")
	noRedirect(t, "wrong state", p)
	p = inv.Callback(t, withEvil(cb))
	wantPage(t, p, http.StatusOK, "connect-success")
	noRedirect(t, "success", p)
	p = inv.Callback(t, withEvil(cb))
	wantPage(t, p, http.StatusOK, "connect-success")
	noRedirect(t, "replay", p)
	p = e.NewInvitee("stranger").Callback(t, withEvil(cb))
	wantPage(t, p, http.StatusBadRequest, "connect-error")
	noRedirect(t, "stranger", p)

	denied, d := e.AtConsent(t, "d")
	_, dcb := d.Authorized(t, denied.Token, "deny", "")
	p = d.Callback(t, withEvil(dcb))
	wantPage(t, p, http.StatusOK, "connect-error")
	noRedirect(t, "denied", p)
}

// TestProductionOnlyHeadersAndCookies (SECURITY 20, 14): HSTS on every
// answer in production and never in development; the session cookie is
// Secure and __Host- in production, plain over plain HTTP in development.
func TestProductionOnlyHeadersAndCookies(t *testing.T) {
	t.Parallel()
	svc := testutil.NewService(t, testutil.OpenDB(t), testutil.NewClock(testNow))
	testutil.Seed(t, svc)
	start := func(t *testing.T, production bool, base string) *httptest.Server {
		t.Helper()
		u, _ := url.Parse(base)
		ts := httptest.NewServer(web.New(web.Options{
			Service: svc, Keys: testutil.KeysOf(svc), Log: slog.New(slog.DiscardHandler), BaseURL: u, Production: production,
		}))
		t.Cleanup(ts.Close)
		return ts
	}
	client := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	paths := []string{"/login", "/healthz", "/no/such/page", "/connect/" + strings.Repeat("x", 43)}
	signIn := func(t *testing.T, ts *httptest.Server) *http.Cookie {
		t.Helper()
		res, body := testutil.Do(t, client(), "POST", ts.URL+"/login", loginForm(e2eAdmin, testutil.Password))
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: status %d\n%s", res.StatusCode, excerpt(body))
		}
		for _, c := range res.Cookies() {
			if strings.HasSuffix(c.Name, "ar_session") {
				return c
			}
		}
		t.Fatal("no session cookie")
		return nil
	}

	t.Run("Production", func(t *testing.T) {
		ts := start(t, true, testutil.BaseURL)
		for _, p := range paths {
			res, _ := testutil.Do(t, client(), "GET", ts.URL+p, nil)
			hsts := res.Header.Get("Strict-Transport-Security")
			age := 0
			if v, ok := strings.CutPrefix(hsts, "max-age="); ok {
				age, _ = strconv.Atoi(strings.SplitN(v, ";", 2)[0])
			}
			if age < 31536000 {
				t.Errorf("GET %s: Strict-Transport-Security %q, want max-age of a year or more", p, hsts)
			}
		}
		c := signIn(t, ts)
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Name != "__Host-ar_session" || c.Domain != "" || c.Path != "/" {
			t.Errorf("session cookie %+v, want __Host-ar_session, Secure, HttpOnly, Lax, Path=/", c)
		}
	})
	t.Run("Development", func(t *testing.T) {
		ts := start(t, false, "http://localhost:8080")
		for _, p := range paths {
			res, _ := testutil.Do(t, client(), "GET", ts.URL+p, nil)
			if hsts := res.Header.Get("Strict-Transport-Security"); hsts != "" {
				t.Errorf("GET %s in development: Strict-Transport-Security %q, want none", p, hsts)
			}
		}
		c := signIn(t, ts)
		if c.Secure || c.Name != "ar_session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("development session cookie %+v, want ar_session, HttpOnly, Lax, not Secure over plain HTTP", c)
		}
	})
}

// e2eAdmin is the fixture admin's email.
const e2eAdmin = "admin@test.example"

// TestSessionRenewedAtSignIn (SECURITY 14): signing in replaces the
// session cookie the browser had, even a valid one of another user.
func TestSessionRenewedAtSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.srv.Login(t, e.f.Member.Email)
	before := sessionValue(t, e, c)
	res, _ := testutil.Do(t, c, "POST", e.srv.URL+"/login", loginForm(e.f.Admin.Email, testutil.Password))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second sign-in: status %d", res.StatusCode)
	}
	set := sessionCookie(e, res)
	if set == nil || set.Value == "" || set.Value == before {
		t.Fatalf("sign-in did not issue a new session cookie: %+v", set)
	}
	_, body := testutil.Do(t, c, "GET", e.srv.URL+e.expand("/w/{reporting}/sources"), nil)
	if got := testutil.TestIDText(t, body, "user-name"); got != e.f.Admin.Name {
		t.Errorf("signed in as %q, want %q", got, e.f.Admin.Name)
	}
}

// TestSessionCookieEncrypted (SECURITY 14): the session cookie is signed
// (TestLogout/TamperedCookieIsSignedOut) and encrypted: its payload holds
// neither the user's ID nor the names of the session's values.
func TestSessionCookieEncrypted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	value := sessionValue(t, e, e.srv.Login(t, e.f.Admin.Email))
	outer, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		t.Fatalf("cookie value is not securecookie's encoding: %v", err)
	}
	parts := bytes.SplitN(outer, []byte("|"), 3)
	if len(parts) != 3 {
		t.Fatalf("cookie value has %d parts, want date|payload|mac", len(parts))
	}
	payload, err := base64.URLEncoding.DecodeString(string(parts[1]))
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range [][]byte{[]byte(e.f.Admin.ID), []byte("uid"), []byte("sid")} {
		if bytes.Contains(payload, clear) || bytes.Contains(outer, clear) {
			t.Errorf("the session cookie holds %q in clear", clear)
		}
	}
}

func sessionValue(t *testing.T, e *env, c *http.Client) string {
	t.Helper()
	for _, ck := range c.Jar.Cookies(mustURL(t, e.srv.URL)) {
		if ck.Name == e.srv.Web.SessionCookieName() {
			return ck.Value
		}
	}
	t.Fatal("no session cookie in the jar")
	return ""
}

// TestPublicRoutesRateLimited (SECURITY 4): every public link route, not
// only the consent page, answers 429 with Retry-After to a client that
// hammers it, with the private headers of a page that carries a token;
// other clients are not affected.
func TestPublicRoutesRateLimited(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{Tick: -1})
	link := e.GenerateLink(t, testutil.SandboxKey)
	for _, r := range []struct {
		name string
		hit  func(inv *testutil.Invitee) *testutil.Page
	}{
		{"Consent", func(inv *testutil.Invitee) *testutil.Page { return inv.Consent(t, link.Token) }},
		{"Start", func(inv *testutil.Invitee) *testutil.Page { return inv.Start(t, link.Token) }},
		{"Decline", func(inv *testutil.Invitee) *testutil.Page { return inv.DeclinePost(t, link.Token, "no") }},
		{"Callback", func(inv *testutil.Invitee) *testutil.Page {
			return inv.Callback(t, e.AppURL+"/oauth/callback?code=c&state=s")
		}},
		{"UnknownToken", func(inv *testutil.Invitee) *testutil.Page { return inv.Consent(t, strings.Repeat("y", 43)) }},
	} {
		t.Run(r.name, func(t *testing.T) {
			inv := e.NewInvitee("hammer-" + r.name)
			var limited *testutil.Page
			for i := 0; i < 200 && limited == nil; i++ {
				if p := r.hit(inv); p.Status == http.StatusTooManyRequests {
					if i < 60 {
						t.Fatalf("limited after %d requests, want at least 60", i)
					}
					limited = p
				}
			}
			if limited == nil {
				t.Fatal("200 rapid requests were never limited")
			}
			if s, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
				t.Errorf("Retry-After %q", limited.Header.Get("Retry-After"))
			}
			if limited.Header.Get("Cache-Control") != "no-store" || limited.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("429 headers Cache-Control %q, Referrer-Policy %q", limited.Header.Get("Cache-Control"), limited.Header.Get("Referrer-Policy"))
			}
			wantPage(t, e.NewInvitee("bystander-"+r.name).Consent(t, link.Token), http.StatusOK, "consent")
		})
	}
	wantActive(t, e, link.ID)
}

// TestUnknownAndDeletedDeclineLookTheSame (SECURITY 4): Decline, like
// consent and Start, does not tell a deleted link from one that never
// existed, and records nothing on the deleted one.
func TestUnknownAndDeletedDeclineLookTheSame(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	deleted := e.GenerateLink(t, testutil.SandboxKey)
	e.DeleteLink(t, deleted.ID)
	inv := e.NewInvitee("prober")
	a, b := inv.Decline(t, strings.Repeat("x", 43), "no"), inv.Decline(t, deleted.Token, "no")
	wantPage(t, a, http.StatusNotFound, "connect-unknown")
	wantPage(t, b, http.StatusNotFound, "connect-unknown")
	if x, y := nonceFree(a.Body), nonceFree(b.Body); x != y {
		t.Errorf("bodies differ:\n%s\n---\n%s", x, y)
	}
	// Created and deleted at the same instant: their order is not defined.
	got := testutil.EventTypes(e.Events(t, deleted.ID))
	slices.Sort(got)
	if !slices.Equal(got, []string{"created", "deleted"}) {
		t.Errorf("history of the deleted link %v", got)
	}
}

var anyNonce = regexp.MustCompile(`nonce(=|-)["']?[A-Za-z0-9+/=]+`)

func nonceFree(s string) string { return anyNonce.ReplaceAllString(s, "nonce") }

// TestCrossSiteEveryUnsafeRoute (SECURITY 16): walks every route the server
// declares and sends each unsafe method from another site, by Fetch
// Metadata and by Origin: every one is refused with 403 and changes nothing,
// the public invitee routes included.
func TestCrossSiteEveryUnsafeRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	token := strings.TrimPrefix(link.URL, testutil.BaseURL+"/connect/")
	unsafe := map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "PROPFIND": true, "REPORT": true}
	var targets []string
	for _, r := range e.srv.Web.Routes() {
		if !unsafe[r.Method] || strings.Contains(r.Path, "*") || strings.HasPrefix(r.Path, "/api/") {
			continue // the API takes bearer keys, never cookies: nothing to forge (app/api tests)
		}
		p := strings.NewReplacer(":workspace", e.f.Reporting.ID, ":link", link.ID, ":token", token).Replace(r.Path)
		targets = append(targets, r.Method+" "+p)
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)
	for _, want := range []string{"POST /login", "POST /logout", "POST /connect/" + token + "/start", "POST /connect/" + token + "/decline",
		"DELETE " + e.expand("{links}") + "/" + link.ID, "POST " + e.expand("{links}")} {
		if !slices.Contains(targets, want) {
			t.Fatalf("the route walk misses %s; it found %v", want, targets)
		}
	}
	for _, who := range []string{"admin", "support", ""} {
		for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			for _, target := range targets {
				method, path, _ := strings.Cut(target, " ")
				t.Run(who+"/"+h[0]+"/"+target, func(t *testing.T) {
					form := url.Values{"source": {"google_ads"}, "email": {e.f.Admin.Email}, "password": {testutil.Password}, "reason": {"x"}}
					res, body := testutil.Do(t, e.client(t, who), method, e.srv.URL+path, form, h...)
					if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "came from another site") {
						t.Fatalf("status %d, want 403 refused as cross-site\n%s", res.StatusCode, excerpt(body))
					}
					if len(res.Cookies()) != 0 {
						t.Errorf("a refused request set cookies: %v", res.Header.Values("Set-Cookie"))
					}
				})
			}
		}
	}
	t.Run("NothingChanged", func(t *testing.T) {
		if n := e.countLinks(t, e.f.Reporting.ID); n != 1 {
			t.Errorf("%d links, want 1", n)
		}
		if e.row(t, link.ID).DeletedAt != nil {
			t.Error("the link was deleted")
		}
		evs, err := e.svc.Events(context.Background(), link.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := testutil.EventTypes(evs); !slices.Equal(got, []string{access.EventCreated}) {
			t.Errorf("history %v, want only created", got)
		}
	})
}

// TestAbandonedFlowExpires (SECURITY 23): a flow left at the provider for
// more than 10 minutes is refused by its own timestamp, with nothing
// stored and the link still usable; callback records older than a day go
// away when later flows run, without any job.
func TestAbandonedFlowExpires(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, "away")
	start, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
	if c := flowCookieOf(start); c == nil || c.MaxAge <= 0 || c.MaxAge > int(oauth.Lifetime.Seconds()) {
		t.Fatalf("flow cookie %v, want one that the browser drops within 10 minutes", c)
	}
	callbacks := func() int64 {
		t.Helper()
		var n int64
		if err := e.DB.Model(&models.OAuthCallback{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("RefusedAfterTenMinutes", func(t *testing.T) {
		e.Clock.Advance(oauth.Lifetime + time.Second)
		p := inv.Callback(t, cb)
		wantErrorPage(t, p, http.StatusBadRequest, "flow_expired")
		wantRetry(t, p, link.Token)
		wantActive(t, e, link.ID)
		wantAccounts(t, e, 0)
		if n := e.Sandbox.Tap.Requests(); n != 0 {
			t.Errorf("the abandoned flow's code was exchanged (%d token requests)", n)
		}
		if n := callbacks(); n != 0 {
			t.Errorf("%d callback records for a refused flow", n)
		}
	})
	t.Run("ANewFlowConnects", func(t *testing.T) {
		wantPage(t, inv.Connect(t, link.Token, "sandbox-user-1"), http.StatusOK, "connect-success")
		if n := callbacks(); n != 1 {
			t.Fatalf("%d callback records, want 1", n)
		}
	})
	t.Run("OldCallbackRecordsSweptByLaterFlows", func(t *testing.T) {
		e.Clock.Advance(25 * time.Hour)
		other := e.GenerateLink(t, testutil.SandboxKey)
		wantPage(t, e.NewInvitee("later").Connect(t, other.Token, "sandbox-user-2"), http.StatusOK, "connect-success")
		if n := callbacks(); n != 1 {
			t.Errorf("%d callback records, want only the latest flow's", n)
		}
	})
}

// TestMissingScopesReported (SECURITY 10): an invitee who grants less than
// the source needs is told what is missing, nothing is connected, the
// admin sees it in the link's history, and a full grant then connects with
// its scopes stored and shown.
func TestMissingScopesReported(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, "stingy")
	start := inv.Start(t, link.Token)
	// The provider grants what the authorization request asks for; asking
	// for less is how an invitee unticks a permission.
	less := withQuery(t, start.Location, func(q url.Values) { q.Set("scope", "openid profile email offline_access") })
	p := inv.Callback(t, inv.Answer(t, inv.Authorize(t, less), "allow", "sandbox-user-1"))

	t.Run("InviteeToldWhatIsMissing", func(t *testing.T) {
		wantErrorPage(t, p, http.StatusUnprocessableEntity, "scopes_missing")
		if got := p.Text("connect-title"); got != "Some permissions are missing" {
			t.Errorf("title %q", got)
		}
		if got := p.Text("connect-body"); !strings.Contains(got, "reports.read") {
			t.Errorf("body %q does not name the missing scope", got)
		}
		wantRetry(t, p, link.Token)
		wantActive(t, e, link.ID)
		wantAccounts(t, e, 0)
	})
	t.Run("AdminSeesIt", func(t *testing.T) {
		ev := lastEvent(t, e, link.ID, access.EventProviderError)
		if ev.Fields["kind"] != "scopes" || !strings.Contains(ev.Fields["description"], "reports.read") {
			t.Errorf("provider_error event %v", ev.Fields)
		}
		admin := e.Login(t, e.F.Admin.Email)
		page := e.Get(t, admin, "/w/"+e.F.Reporting.ID+"/sources/access-requests/"+link.ID)
		found := false
		for _, text := range page.Texts("event") {
			if strings.Contains(text, "Permissions missing") && strings.Contains(text, "reports.read") {
				found = true
			}
		}
		if !found {
			t.Errorf("the admin's timeline %q does not report the missing permission", page.Texts("event"))
		}
	})
	t.Run("FullGrantStoredAndShown", func(t *testing.T) {
		wantPage(t, inv.Connect(t, link.Token, "sandbox-user-1"), http.StatusOK, "connect-success")
		a := wantAccounts(t, e, 1)[0]
		if !slices.Contains(strings.Fields(a.Scopes), "reports.read") {
			t.Errorf("scopes stored %q", a.Scopes)
		}
		page := e.Get(t, e.Login(t, e.F.Admin.Email), "/w/"+e.F.Reporting.ID+"/sources")
		wantPage(t, page, http.StatusOK, "account-row")
		if !strings.Contains(page.Body, `data-scopes="`+a.Scopes+`"`) || !strings.Contains(page.Text("account-row"), "Read sample reports") {
			t.Errorf("the connected accounts page does not show the granted scopes %q:\n%s", a.Scopes, page.Text("account-row"))
		}
	})
}

// refusingTransport stands for the network: it records each request and
// answers none, so a test can prove that nothing was sent.
type refusingTransport struct {
	mu   sync.Mutex
	sent []string
}

func (rt *refusingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.sent = append(rt.sent, req.Method+" "+req.URL.Host+req.URL.Path)
	rt.mu.Unlock()
	return nil, errors.New("the test network refuses every request")
}

func (rt *refusingTransport) requests() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.Clone(rt.sent)
}

// TestShopifyChecksBeforeAnyRequest (SECURITY 13): the shop the invitee
// types must be a *.myshopify.com domain before Start redirects anywhere;
// the callback's shop must be the one entered and its hmac valid before
// any request leaves the app.
func TestShopifyChecksBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	const clientSecret = "shpss_test_secret"
	cat, err := sources.Load(sources.Options{Getenv: func(k string) string {
		switch k {
		case "SOURCE_SHOPIFY_CLIENT_ID":
			return "shopify-client"
		case "SOURCE_SHOPIFY_CLIENT_SECRET":
			return clientSecret
		}
		return testutil.Env(k)
	}})
	if err != nil {
		t.Fatal(err)
	}
	svc, f := testutil.NewSeeded(t, testutil.NewClock(testNow), access.WithSources(cat))
	l, err := svc.GenerateLink(context.Background(), testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID), access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "shopify")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(l.URL, testutil.BaseURL+"/connect/")
	network := &refusingTransport{}
	base, _ := url.Parse(testutil.BaseURL)
	ts := httptest.NewServer(web.New(web.Options{
		Service: svc, Keys: testutil.KeysOf(svc), Log: slog.New(slog.DiscardHandler), BaseURL: base,
		OAuth: &oauth.Client{HTTP: &http.Client{Transport: network, Timeout: 5 * time.Second}, RedirectURI: testutil.BaseURL + "/oauth/callback"},
	}))
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	started := func() int {
		t.Helper()
		evs, err := svc.Events(context.Background(), l.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(testutil.EventsOf(evs, access.EventStarted))
	}
	startWith := func(t *testing.T, shop string) *http.Response {
		t.Helper()
		res, _ := testutil.Do(t, browser, "POST", ts.URL+"/connect/"+token+"/start", url.Values{"shop": {shop}}, "Sec-Fetch-Site", "same-origin")
		return res
	}

	for _, shop := range []string{"", "evil.example", "acme.myshopify.com.evil.example", "https://evil.example/?x=.myshopify.com",
		"acme.myshopify.com/../evil", "acme.myshopify.com@evil.example", "acme.myshopify.com:443", "-acme.myshopify.com", "acme .myshopify.com"} {
		t.Run("StartRefuses/"+url.PathEscape(shop), func(t *testing.T) {
			res := startWith(t, shop)
			if res.StatusCode != http.StatusUnprocessableEntity || res.Header.Get("Location") != "" {
				t.Fatalf("status %d to %q, want 422 and no redirect", res.StatusCode, res.Header.Get("Location"))
			}
			if len(res.Cookies()) != 0 {
				t.Errorf("a refused shop started a flow: %v", res.Header.Values("Set-Cookie"))
			}
		})
	}
	if n := started(); n != 0 || len(network.requests()) != 0 {
		t.Fatalf("%d started events and requests %v after refused shops", n, network.requests())
	}

	res := startWith(t, "Acme")
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil || loc.Scheme != "https" || loc.Host != "acme.myshopify.com" || loc.Path != "/admin/oauth/authorize" {
		t.Fatalf("start with a valid shop: %d to %v", res.StatusCode, loc)
	}
	state := loc.Query().Get("state")

	signed := func(q url.Values, key string) url.Values {
		mac := hmac.New(sha256.New, []byte(key))
		_, _ = io.WriteString(mac, oauth.ShopifyMessage(q))
		q.Set("hmac", hex.EncodeToString(mac.Sum(nil)))
		return q
	}
	callback := func(t *testing.T, q url.Values) (*http.Response, string) {
		t.Helper()
		return testutil.Do(t, browser, "GET", ts.URL+"/oauth/callback?"+q.Encode(), nil)
	}
	params := func(shop string) url.Values {
		return url.Values{"code": {"shopify-code"}, "state": {state}, "shop": {shop}, "timestamp": {"1767225600"}}
	}
	for _, tc := range []struct {
		name, code string
		q          url.Values
	}{
		{"NoHMAC", "invalid_hmac", params("acme.myshopify.com")},
		{"WrongHMAC", "invalid_hmac", func() url.Values {
			q := params("acme.myshopify.com")
			q.Set("hmac", strings.Repeat("ab", 32))
			return q
		}()},
		{"HMACOfAnotherSecret", "invalid_hmac", signed(params("acme.myshopify.com"), "not-the-secret")},
		{"HMACOverOtherParameters", "invalid_hmac", func() url.Values {
			q := signed(params("acme.myshopify.com"), clientSecret)
			q.Set("code", "swapped-code")
			return q
		}()},
		{"OtherShopSigned", "shop_mismatch", signed(params("other.myshopify.com"), clientSecret)},
		{"ForeignHostSigned", "shop_mismatch", signed(params("evil.example"), clientSecret)},
	} {
		t.Run("CallbackRefuses/"+tc.name, func(t *testing.T) {
			res, body := callback(t, tc.q)
			if res.StatusCode != http.StatusBadRequest || testutil.TestIDText(t, body, "error-code") != tc.code {
				t.Fatalf("status %d, code %q; want 400 %s", res.StatusCode, testutil.TestIDText(t, body, "error-code"), tc.code)
			}
			if sent := network.requests(); len(sent) != 0 {
				t.Fatalf("requests sent before the checks passed: %v", sent)
			}
		})
	}
	t.Run("ValidCallbackReachesOnlyTheShop", func(t *testing.T) {
		res, body := callback(t, signed(params("acme.myshopify.com"), clientSecret))
		if res.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want 502 from the refused exchange\n%s", res.StatusCode, excerpt(body))
		}
		if sent := network.requests(); !slices.Equal(sent, []string{"POST acme.myshopify.com/admin/oauth/access_token"}) {
			t.Errorf("requests %v, want one token request to the shop entered", sent)
		}
	})
}

// TestNoSecretsInLogsFailurePagesOrEvents (SECURITY 12): flows that fail in
// every way the invitee can meet (denied, provider 500, wrong state, a
// stranger's replay, missing scopes, link deleted during the exchange,
// expiry) and ones that succeed leave no link token, code, state, nonce,
// client secret or provider token in the log (at debug level), in any page
// served, or in any column of any table. A page may hold its own link's
// token only in the links that lead back to that link (Try again, the
// consent page's forms).
func TestNoSecretsInLogsFailurePagesOrEvents(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	needles := map[string]string{"the sandbox client secret": e.Sandbox.ClientSecret}
	type served struct {
		page  *testutil.Page
		token string // the link token the page may link back to
	}
	var pages []served
	keep := func(p *testutil.Page, token string) *testutil.Page {
		pages = append(pages, served{p, token})
		return p
	}
	n := 0
	flow := func(action, account string, tamper func(authURL string) string) (*testutil.GeneratedLink, *testutil.Invitee, string) {
		t.Helper()
		n++
		link := e.GenerateLink(t, testutil.SandboxKey)
		inv := e.NewInvitee("i" + strconv.Itoa(n))
		needles["link token "+strconv.Itoa(n)] = link.Token
		wantPage(t, keep(inv.Consent(t, link.Token), link.Token), http.StatusOK, "consent")
		start := keep(inv.Start(t, link.Token), link.Token)
		q := query(t, start.Location)
		needles["state "+strconv.Itoa(n)] = q.Get("state")
		needles["nonce "+strconv.Itoa(n)] = q.Get("nonce")
		authURL := start.Location
		if tamper != nil {
			authURL = tamper(authURL)
		}
		cb := inv.Answer(t, inv.Authorize(t, authURL), action, account)
		if code := query(t, cb).Get("code"); code != "" {
			needles["code "+strconv.Itoa(n)] = code
		}
		return link, inv, cb
	}

	link, inv, cb := flow("deny", "", nil)
	wantPage(t, keep(inv.Callback(t, cb), link.Token), http.StatusOK, "connect-error")

	link, inv, cb = flow("allow", "sandbox-user-1", nil)
	e.Sandbox.Tap.FailNext(testutil.Fault500)
	wantPage(t, keep(inv.Callback(t, cb), link.Token), http.StatusBadGateway, "connect-error")

	link, inv, cb = flow("allow", "sandbox-user-2", nil)
	wantPage(t, keep(inv.Callback(t, withQuery(t, cb, func(q url.Values) { q.Set("state", "forged") })), link.Token), http.StatusBadRequest, "connect-error")
	wantPage(t, keep(inv.Callback(t, cb), link.Token), http.StatusOK, "connect-success")
	wantPage(t, keep(inv.Callback(t, cb), link.Token), http.StatusOK, "connect-success")
	wantPage(t, keep(e.NewInvitee("stranger").Callback(t, cb), ""), http.StatusBadRequest, "connect-error")
	wantPage(t, keep(e.NewInvitee("late").Consent(t, link.Token), link.Token), http.StatusGone, "connect-used")

	link, inv, cb = flow("allow", "sandbox-user-3", func(u string) string {
		return withQuery(t, u, func(q url.Values) { q.Set("scope", "openid email") })
	})
	wantPage(t, keep(inv.Callback(t, cb), link.Token), http.StatusUnprocessableEntity, "connect-error")

	// Deleted, then expired, while the app exchanges the code: the claim
	// refuses them.
	link, inv, cb = flow("allow", "sandbox-user-1", nil)
	m := testutil.Member(t, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
	linkID := link.ID
	e.Sandbox.Tap.BeforeNext(func() {
		if err := e.Svc.DeleteLink(context.Background(), m, access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name}, linkID); err != nil {
			t.Errorf("delete during the exchange: %v", err)
		}
	})
	wantPage(t, keep(inv.Callback(t, cb), link.Token), http.StatusNotFound, "connect-unknown")

	link, inv, cb = flow("allow", "sandbox-user-2", nil)
	expiry := e.Link(t, link.ID).ExpiresAt
	e.Sandbox.Tap.BeforeNext(func() { e.Clock.Set(expiry) })
	wantPage(t, keep(inv.Callback(t, cb), link.Token), http.StatusGone, "connect-expired")
	wantPage(t, keep(inv.Consent(t, link.Token), link.Token), http.StatusGone, "connect-expired")

	for i, is := range e.Sandbox.Tap.Issued() {
		for name, v := range map[string]string{"access token": is.AccessToken, "refresh token": is.RefreshToken, "ID token": is.IDToken} {
			if v != "" {
				needles["issued "+name+" "+strconv.Itoa(i)] = v
			}
		}
	}
	if len(e.Sandbox.Tap.Issued()) < 4 {
		t.Fatalf("the sandbox issued %d token sets, want at least 4 to look for", len(e.Sandbox.Tap.Issued()))
	}
	for name, v := range needles {
		if len(v) < 16 {
			t.Fatalf("%s %q is too short to look for", name, v)
		}
	}

	t.Run("NotInTheLog", func(t *testing.T) {
		logs := e.Logs.String()
		if !strings.Contains(logs, "/oauth/callback") || !strings.Contains(logs, "status=502") {
			t.Fatalf("the log does not hold the requests:\n%s", logs)
		}
		for name, v := range needles {
			if strings.Contains(logs, v) {
				t.Errorf("the log holds %s", name)
			}
		}
	})
	t.Run("NotInAnyPage", func(t *testing.T) {
		for _, s := range pages {
			body := s.page.Body
			if s.token != "" {
				for _, own := range []string{`"/connect/` + s.token + `"`, `"/connect/` + s.token + `/start"`, `"/connect/` + s.token + `/decline"`} {
					body = strings.ReplaceAll(body, own, `"/connect/own"`)
				}
			}
			for name, v := range needles {
				if strings.Contains(body, v) {
					t.Errorf("%s (%d) holds %s", redact(s.page.URL), s.page.Status, name)
				}
				// Start's Location carries the state and nonce to the
				// provider, as it must; no other header carries anything.
				for k, vals := range s.page.Header {
					for _, h := range vals {
						if k != "Location" && strings.Contains(h, v) {
							t.Errorf("%s: header %s holds %s", redact(s.page.URL), k, name)
						}
					}
				}
			}
		}
	})
	t.Run("NotInAnyTable", func(t *testing.T) {
		for _, where := range e.TextColumnsContaining(t, needles) {
			t.Error(where)
		}
	})
}

// TestAdminPagesWithLinksAreNotCachedNorReferred (SECURITY 20): the admin
// pages that show copyable links (the list, a link's page, the page after
// generating) are never cached and their document's referrer policy is
// no-referrer, by the HTTP header and by the <meta name="referrer"> of every
// page's head.
func TestAdminPagesWithLinksAreNotCachedNorReferred(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.namedLink(t)
	for _, path := range []string{"{links}", "{links}/{link}", "{links}/{link}?created=1"} {
		t.Run(path, func(t *testing.T) {
			res, body := testutil.Do(t, e.client(t, "admin"), "GET", e.srv.URL+e.expand(path), nil)
			if res.StatusCode != http.StatusOK || len(linkURLs(t, body)) == 0 {
				t.Fatalf("status %d, links %v; want a page with the link", res.StatusCode, linkURLs(t, body))
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			metas := testutil.FindAll(testutil.ParseHTML(t, body), func(n *html.Node) bool {
				return n.Data == "meta" && testutil.Attr(n, "name") == "referrer"
			})
			if len(metas) != 1 || testutil.Attr(metas[0], "content") != "no-referrer" {
				t.Errorf("referrer meta %d, want one with no-referrer", len(metas))
			}
			if rp := res.Header.Get("Referrer-Policy"); rp != "no-referrer" {
				t.Errorf("Referrer-Policy %q, want no-referrer", rp)
			}
		})
	}
}

// TestTamperedFlowCookieRefused (SECURITY 6): the flow (state, verifier,
// link) lives in a sealed cookie; a cookie changed by one character opens
// to nothing, and the callback is refused before any exchange.
func TestTamperedFlowCookieRefused(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, "tamperer")
	_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
	app := mustURL(t, e.AppURL)
	var original, name string
	for _, c := range inv.HTTP.Jar.Cookies(app) {
		if isFlowCookie(c.Name) {
			original, name = c.Value, c.Name
		}
	}
	if original == "" {
		t.Fatal("no flow cookie in the browser")
	}
	v := []byte(original)
	v[len(v)/2] ^= 1
	inv.HTTP.Jar.SetCookies(app, []*http.Cookie{{Name: name, Value: string(v), Path: "/"}})
	wantErrorPage(t, inv.Callback(t, cb), http.StatusBadRequest, "missing_state")
	if n := e.Sandbox.Tap.Requests(); n != 0 {
		t.Errorf("%d token requests with a tampered flow", n)
	}
	wantActive(t, e, link.ID)
	// The genuine cookie still completes the flow.
	inv.HTTP.Jar.SetCookies(app, []*http.Cookie{{Name: name, Value: original, Path: "/"}})
	wantPage(t, inv.Callback(t, cb), http.StatusOK, "connect-success")
}
