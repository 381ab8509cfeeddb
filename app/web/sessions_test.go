package web_test

// Server-side sessions (issue 7, item 4), the sign-in throttle that never
// locks out the right password (item 5), bad text at sign-in (item 6) and
// the return to the page after the session ended (item 21).

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"golang.org/x/net/html"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// copyOf returns a new client holding the same cookies as c: a copy of the
// cookie taken by someone else, or a second device.
func copyOf(t *testing.T, e *env, c *http.Client) *http.Client {
	t.Helper()
	u := mustURL(t, e.srv.URL)
	cookies := c.Jar.Cookies(u)
	if len(cookies) == 0 {
		t.Fatal("no cookie to copy")
	}
	cp := e.srv.Client()
	cp.Jar.SetCookies(u, cookies)
	return cp
}

// wantSignedIn fails unless c opens a page that needs a session.
func wantSignedIn(t *testing.T, e *env, c *http.Client, who string) {
	t.Helper()
	res, body := testutil.Do(t, c, "GET", e.srv.URL+e.expand("/w/{reporting}/sources"), nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d, want signed in (200)\n%s", who, res.StatusCode, excerpt(body))
	}
}

// wantSignedOut fails unless c is sent to sign-in from a page that needs a
// session.
func wantSignedOut(t *testing.T, e *env, c *http.Client, who string) {
	t.Helper()
	path := e.expand("/w/{reporting}/sources")
	res, _ := testutil.Do(t, c, "GET", e.srv.URL+path, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next="+url.QueryEscape(path) {
		t.Fatalf("%s: status %d to %q, want 303 to sign-in", who, res.StatusCode, res.Header.Get("Location"))
	}
}

// TestSessionRevoked (issue 7, item 4): a copy of the session cookie taken
// before logout, a password change or "sign out everywhere" no longer works
// afterwards; a flash does not re-issue the cookie.
func TestSessionRevoked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("Logout", func(t *testing.T) {
		c := e.srv.Login(t, e.f.Admin.Email)
		stolen, otherDevice := copyOf(t, e, c), e.srv.Login(t, e.f.Admin.Email)
		wantSignedIn(t, e, stolen, "copied cookie before logout")
		res, _ := testutil.Do(t, c, "POST", e.srv.URL+"/logout", url.Values{})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", res.StatusCode)
		}
		wantSignedOut(t, e, stolen, "copied cookie after logout")
		wantSignedIn(t, e, otherDevice, "another device after logout")
	})

	t.Run("PasswordChange", func(t *testing.T) {
		const newPassword = "another fine password"
		c := e.srv.Login(t, e.f.Member.Email)
		stolen, otherDevice := copyOf(t, e, c), e.srv.Login(t, e.f.Member.Email)
		bystander := e.srv.Login(t, e.f.Viewer.Email)

		res, body := testutil.Do(t, c, "GET", e.srv.URL+"/account/password", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="password-form"`) {
			t.Fatalf("password page: %d\n%s", res.StatusCode, excerpt(body))
		}
		// A refused change: each field says what is wrong, nothing ends.
		res, body = testutil.Do(t, c, "POST", e.srv.URL+"/account/password",
			url.Values{"current": {"wrong password"}, "new": {"short"}, "confirm": {"other"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad change: %d, want 422\n%s", res.StatusCode, excerpt(body))
		}
		for _, id := range []string{"password-current-error", "password-new-error", "password-confirm-error"} {
			if testutil.TestIDText(t, body, id) == "" {
				t.Errorf("%s is empty", id)
			}
		}
		if strings.Contains(body, "wrong password") {
			t.Error("the page repeats a password")
		}
		wantSignedIn(t, e, stolen, "copied cookie after a refused change")

		res, body = testutil.Do(t, c, "POST", e.srv.URL+"/account/password",
			url.Values{"current": {testutil.Password}, "new": {newPassword}, "confirm": {newPassword}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account/password" {
			t.Fatalf("change: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), excerpt(body))
		}
		// The session is renewed: a copy of the old cookie is worthless.
		if ck := sessionCookie(e, res); ck == nil || ck.MaxAge <= 0 {
			t.Errorf("the change did not renew the session cookie: %+v", ck)
		}
		// The browser that changed it stays signed in and is told.
		res, body = testutil.Do(t, c, "GET", e.srv.URL+"/account/password", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(testutil.TestIDText(t, body, "flash"), "password was changed") {
			t.Fatalf("after the change: %d\n%s", res.StatusCode, excerpt(body))
		}
		wantSignedIn(t, e, c, "the browser that changed the password")
		wantSignedOut(t, e, stolen, "copied cookie after the password change")
		wantSignedOut(t, e, otherDevice, "another device after the password change")
		wantSignedIn(t, e, bystander, "another user")
		if _, err := e.svc.Authenticate(context.Background(), e.f.Member.Email, newPassword); err != nil {
			t.Fatalf("new password: %v", err)
		}
	})

	t.Run("SignOutEverywhere", func(t *testing.T) {
		c := e.srv.Login(t, e.f.Owner.Email)
		stolen, otherDevice := copyOf(t, e, c), e.srv.Login(t, e.f.Owner.Email)
		bystander := e.srv.Login(t, e.f.Admin.Email)
		res, body := testutil.Do(t, c, "GET", e.srv.URL+e.expand("/w/{reporting}/sources"), nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("sources: %d", res.StatusCode)
		}
		for _, id := range []string{"user-menu", "logout-everywhere", "change-password", "logout"} {
			if len(testutil.ByTestID(testutil.ParseHTML(t, body), id)) == 0 {
				t.Errorf("the signed-in page has no %s", id)
			}
		}
		res, _ = testutil.Do(t, c, "POST", e.srv.URL+"/logout/everywhere", url.Values{})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Fatalf("sign out everywhere: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		if ck := sessionCookie(e, res); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("the cookie was not cleared: %+v", ck)
		}
		wantSignedOut(t, e, stolen, "copied cookie after sign out everywhere")
		wantSignedOut(t, e, otherDevice, "another device after sign out everywhere")
		wantSignedIn(t, e, bystander, "another user")
		// Signed out, the button leads to sign-in and ends nothing.
		res, _ = testutil.Do(t, e.srv.Client(), "POST", e.srv.URL+"/logout/everywhere", url.Values{})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("signed out: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		wantSignedIn(t, e, bystander, "another user after a signed-out request")
	})

	t.Run("SignInAgainEndsThePreviousSession", func(t *testing.T) {
		c := e.srv.Login(t, e.f.Viewer.Email)
		before := copyOf(t, e, c)
		res, _ := testutil.Do(t, c, "POST", e.srv.URL+"/login", loginForm(e.f.Viewer.Email, testutil.Password))
		if res.StatusCode != http.StatusSeeOther || sessionCookie(e, res) == nil {
			t.Fatalf("sign-in again: %d", res.StatusCode)
		}
		wantSignedIn(t, e, c, "the new session")
		wantSignedOut(t, e, before, "the session this browser held before")
	})

	t.Run("FlashDoesNotReissueTheCookie", func(t *testing.T) {
		c := e.srv.Login(t, e.f.Admin.Email)
		l := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
		res, _ := testutil.Do(t, c, "POST", e.srv.URL+e.expand("{links}/")+l.ID+"/delete", url.Values{})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", res.StatusCode)
		}
		if ck := sessionCookie(e, res); ck != nil {
			t.Errorf("saving a flash re-issued the session cookie: %+v", ck)
		}
		res, body := testutil.Do(t, c, "GET", e.srv.URL+e.expand("{links}"), nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(testutil.TestIDText(t, body, "flash"), "deleted") {
			t.Fatalf("no flash after the delete: %d", res.StatusCode)
		}
		if ck := sessionCookie(e, res); ck != nil {
			t.Errorf("showing a flash re-issued the session cookie: %+v", ck)
		}
	})
}

// TestSessionCookieHoldsOnlyID (issue 7, item 4): opened with the app's
// keys, the session cookie holds one value, the session's random ID; the
// database holds only its SHA-256 hash.
func TestSessionCookieHoldsOnlyID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	value := sessionValue(t, e, e.srv.Login(t, e.f.Admin.Email))
	store := sessions.NewCookieStore(testutil.KeysOf(e.svc).Derive("session hash", 64), testutil.KeysOf(e.svc).Derive("session block", 32))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: e.srv.Web.SessionCookieName(), Value: value})
	sess, err := store.Get(req, e.srv.Web.SessionCookieName())
	if err != nil {
		t.Fatalf("open the cookie: %v", err)
	}
	token, _ := sess.Values["sid"].(string)
	if len(sess.Values) != 1 || len(token) < 43 {
		t.Fatalf("cookie values = %v, want only a random session ID", sess.Values)
	}
	var rows []models.Session
	if err := testutil.DBOf(e.svc).Find(&rows).Error; err != nil || len(rows) != 1 {
		t.Fatalf("sessions: %v, %v; want 1", rows, err)
	}
	if rows[0].IDHash != secret.HashToken(token) || rows[0].UserID != e.f.Admin.ID {
		t.Fatalf("row %+v is not keyed by the hash of the cookie's ID", rows[0])
	}
}

// TestSessionTimeouts (issue 7, item 4): the idle timeout and the absolute
// lifetime are checked on the server with the service's clock, whatever
// the cookie says.
func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	idle, lifetime := e.svc.SessionDurations()

	t.Run("Idle", func(t *testing.T) {
		e.clock.Set(testNow)
		c := e.srv.Login(t, e.f.Admin.Email)
		e.clock.Advance(idle - time.Minute)
		wantSignedIn(t, e, c, "used just before the idle timeout")
		e.clock.Advance(idle - time.Minute)
		wantSignedIn(t, e, c, "used again just before the idle timeout")
		e.clock.Advance(idle)
		wantSignedOut(t, e, c, "idle for the timeout")
	})

	t.Run("Lifetime", func(t *testing.T) {
		e.clock.Set(testNow)
		c := e.srv.Login(t, e.f.Admin.Email)
		for e.clock.Now().Add(time.Hour).Before(testNow.Add(lifetime)) {
			e.clock.Advance(time.Hour)
			wantSignedIn(t, e, c, fmt.Sprintf("active, %v after sign-in", e.clock.Now().Sub(testNow)))
		}
		e.clock.Set(testNow.Add(lifetime))
		wantSignedOut(t, e, c, "active but at the end of the lifetime")
	})
}

// TestSessionExpiredReturnsToPage (issue 7, item 21): after the session
// has ended, a page, a Generate or a Delete (htmx or plain form) lands on
// sign-in, which returns to the page the user was on; the action is never
// redone.
func TestSessionExpiredReturnsToPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := e.namedLink(t)
	links, linkPage := e.expand("{links}"), e.expand("{links}/{link}")
	c := e.client(t, "admin")
	e.clock.Advance(3 * time.Hour) // past the idle timeout

	// signInFrom follows the sign-in page at loginPath as the user would:
	// the form carries next, and signing in returns there.
	signInFrom := func(t *testing.T, loginPath, want string) {
		t.Helper()
		res, body := testutil.Do(t, c, "GET", e.srv.URL+loginPath, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", loginPath, res.StatusCode)
		}
		next := ""
		for _, in := range testutil.FindAll(testutil.ParseHTML(t, body), func(n *html.Node) bool { return testutil.Attr(n, "name") == "next" }) {
			next = testutil.Attr(in, "value")
		}
		if next != want {
			t.Fatalf("the form's next = %q, want %q", next, want)
		}
		res, _ = testutil.Do(t, c, "POST", e.srv.URL+"/login", url.Values{"email": {e.f.Admin.Email}, "password": {testutil.Password}, "next": {next}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Fatalf("sign-in: %d to %q, want %q", res.StatusCode, res.Header.Get("Location"), want)
		}
		res, _ = testutil.Do(t, c, "GET", e.srv.URL+want, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("back on %s: %d", want, res.StatusCode)
		}
		// End this session again for the next case.
		e.clock.Advance(3 * time.Hour)
	}
	nothingDone := func(t *testing.T, wantLinks int64) {
		t.Helper()
		if n := e.countLinks(t, e.f.Reporting.ID); n != wantLinks {
			t.Errorf("%d links, want %d: an action ran without a session or was redone", n, wantLinks)
		}
		if e.row(t, l.ID).DeletedAt != nil {
			t.Error("the link was deleted")
		}
	}
	htmx := func(current string) []string {
		return []string{"HX-Request", "true", "HX-Current-URL", current}
	}

	for _, tt := range []struct {
		name, method, path string
		form               url.Values
		header             []string
		wantNext           string
	}{
		{"Page", "GET", linkPage, nil, nil, linkPage},
		{"GenerateWithoutJS", "POST", links, url.Values{"source": {"google_ads"}}, nil, links},
		{"DeleteWithoutJS", "POST", linkPage + "/delete", url.Values{}, nil, linkPage + "/delete"},
		{"GenerateHTMX", "POST", links, url.Values{"source": {"google_ads"}}, htmx(e.srv.URL + links + "?status=active"), links},
		{"DeleteHTMX", "DELETE", linkPage, nil, htmx(e.srv.URL + links), links},
		{"DeleteHTMXFromLinkPage", "DELETE", linkPage, nil, htmx(testutil.BaseURL + linkPage), linkPage},
		{"HTMXForeignCurrentURL", "DELETE", linkPage, nil, htmx("https://evil.example" + links), linkPage},
		{"HTMXProtocolRelativeCurrentURL", "DELETE", linkPage, nil, htmx(e.srv.URL + "//evil.example/x"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := testutil.Do(t, c, tt.method, e.srv.URL+tt.path, tt.form, tt.header...)
			want := "/login"
			if tt.wantNext != "" {
				want = "/login?next=" + url.QueryEscape(tt.wantNext)
			}
			if tt.header != nil {
				if res.StatusCode != http.StatusUnauthorized || res.Header.Get("HX-Redirect") != want {
					t.Fatalf("htmx: %d with HX-Redirect %q, want 401 with %q\n%s", res.StatusCode, res.Header.Get("HX-Redirect"), want, excerpt(body))
				}
			} else if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
				t.Fatalf("%d to %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), want)
			}
			nothingDone(t, 1)
			if tt.wantNext != "" {
				signInFrom(t, want, tt.wantNext)
				nothingDone(t, 1)
			}
		})
	}
}

// lockoutServer runs the application behind a trusted local proxy, so each
// request's X-Forwarded-For is its client address.
func lockoutServer(t *testing.T) (*testutil.Server, *testutil.Fixture) {
	t.Helper()
	svc, f := testutil.NewSeeded(t, nil)
	return testutil.NewServer(t, svc, testutil.BehindLocalProxy), f
}

// TestLoginThrottleAllowsRightPassword (issue 7, item 5): failed sign-ins
// for one email from many addresses do not lock its owner out: the right
// password from an address that has not been failing signs in, while a
// wrong one past the limit, and every guessing address, get 429.
func TestLoginThrottleAllowsRightPassword(t *testing.T) {
	t.Parallel()
	srv, f := lockoutServer(t)
	email := f.Member.Email
	post := func(t *testing.T, ip, password string) *http.Response {
		t.Helper()
		res, _ := testutil.Do(t, srv.Client(), "POST", srv.URL+"/login", loginForm(email, password), "X-Forwarded-For", ip)
		return res
	}
	guessers := make([]string, 10)
	for i := range guessers {
		guessers[i] = fmt.Sprintf("203.0.113.%d", i+1)
		if res := post(t, guessers[i], fmt.Sprintf("guess %d", i)); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, res.StatusCode)
		}
	}
	t.Run("GuessersThrottled", func(t *testing.T) {
		for _, ip := range guessers {
			if res := post(t, ip, "another guess"); res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("guessing address %s: %d, want 429", ip, res.StatusCode)
			}
		}
	})
	t.Run("WrongPasswordFromFreshAddress", func(t *testing.T) {
		res := post(t, "198.51.100.7", "yet another guess")
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("fresh address, wrong password: %d, want 429 with Retry-After", res.StatusCode)
		}
		// That address is now failing too: even the right password waits.
		if res := post(t, "198.51.100.7", testutil.Password); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("address that just failed, right password: %d, want 429", res.StatusCode)
		}
	})
	t.Run("RightPasswordFromFreshAddress", func(t *testing.T) {
		res := post(t, "198.51.100.20", testutil.Password)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("owner from a fresh address: %d, want 303 (signed in)", res.StatusCode)
		}
		var ck *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == srv.Web.SessionCookieName() {
				ck = c
			}
		}
		if ck == nil || ck.Value == "" {
			t.Fatal("no session started")
		}
	})
	t.Run("GuessersStillThrottled", func(t *testing.T) {
		for _, ip := range guessers {
			if res := post(t, ip, testutil.Password); res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("guessing address %s after the owner signed in: %d, want 429", ip, res.StatusCode)
			}
		}
	})
}

// TestLoginBadText (issue 7, item 6): NUL, invalid UTF-8, control
// characters and over-long values at sign-in answer the normal "do not
// match" page with 401, never a 500, on both databases.
func TestLoginBadText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var scenarios []scenario
	for i, form := range []url.Values{
		loginForm("a\x00@b.c", testutil.Password),
		loginForm("admin@test.example\x00", testutil.Password),
		loginForm("\xff\xfe@test.example", testutil.Password),
		loginForm(strings.Repeat("a", 399)+"é", testutil.Password),
		loginForm("admin@test.example", "pass\x00word\xff"),
		loginForm("a\u202e@b.c", strings.Repeat("\xff", 1025)),
		{"email": {"admin@test.example"}, "password": {"wrong password!"}, "next": {"/w/\x00/x"}},
	} {
		scenarios = append(scenarios, scenario{
			name: fmt.Sprint(i), method: "POST", url: "/login", form: form,
			status: http.StatusUnauthorized, testids: []string{"login-form", "login-error"},
			contains: []string{"do not match"}, absent: []string{"\x00", "\xff"},
		})
	}
	e.run(t, scenarios)
	var n int64
	if err := testutil.DBOf(e.svc).Model(&models.Session{}).Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("%d sessions after failed sign-ins (%v)", n, err)
	}
}
