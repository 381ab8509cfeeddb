package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

func loginForm(email, password string) url.Values {
	return url.Values{"email": {email}, "password": {password}}
}

// sessionCookie returns the session cookie the response sets, or nil.
func sessionCookie(e *env, res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == e.srv.Web.SessionCookieName() {
			return c
		}
	}
	return nil
}

// signedIn checks that the response starts a session: an HttpOnly,
// SameSite=Lax cookie for the whole site, Secure because the base URL is
// HTTPS (and then __Host- prefixed, without a Domain).
func signedIn(t *testing.T, e *env, res *http.Response, _ string) {
	t.Helper()
	c := sessionCookie(e, res)
	if c == nil {
		t.Fatalf("no session cookie %q set; Set-Cookie: %q", e.srv.Web.SessionCookieName(), res.Header.Values("Set-Cookie"))
	}
	if c.Value == "" || c.MaxAge < 0 {
		t.Errorf("session cookie is empty or expired: %+v", c)
	}
	if !c.HttpOnly {
		t.Error("session cookie is not HttpOnly")
	}
	if c.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie SameSite = %v, want Lax", c.SameSite)
	}
	if c.Path != "/" {
		t.Errorf("session cookie Path = %q, want /", c.Path)
	}
	if !c.Secure {
		t.Error("session cookie is not Secure although the base URL is HTTPS")
	}
	if !strings.HasPrefix(c.Name, "__Host-") || c.Domain != "" {
		t.Errorf("session cookie %q (Domain %q) is not a __Host- cookie", c.Name, c.Domain)
	}
}

// notSignedIn checks that the response starts no session.
func notSignedIn(t *testing.T, e *env, res *http.Response, _ string) {
	t.Helper()
	if c := sessionCookie(e, res); c != nil && c.MaxAge >= 0 && c.Value != "" {
		t.Errorf("a failed sign-in set a session cookie: %+v", c)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	// The reference failure: a known email with a wrong password. Every
	// other failure must be indistinguishable from it.
	var wantText string
	sameFailure := func(t *testing.T, e *env, res *http.Response, body string) {
		t.Helper()
		notSignedIn(t, e, res, body)
		if got := testutil.TestIDText(t, body, "login-error"); got != wantText {
			t.Errorf("error text %q, want the same as for a wrong password: %q", got, wantText)
		}
	}
	bad := func(name string, form url.Values) scenario {
		return scenario{
			name: name, method: "POST", url: "/login", form: form,
			status: http.StatusUnauthorized, testids: []string{"login-form", "login-error"}, check: sameFailure,
		}
	}
	e.run(t, []scenario{
		{name: "Form", url: "/login", status: http.StatusOK, testids: []string{"login-form"}, noTestid: []string{"login-error"}},
		{
			name: "WrongPassword", method: "POST", url: "/login", form: loginForm("admin@test.example", "wrong password!"),
			status: http.StatusUnauthorized, testids: []string{"login-error"},
			// The email is kept so that a typo is quick to fix; the
			// password never comes back.
			contains: []string{`value="admin@test.example"`},
			absent:   []string{"wrong password!"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				notSignedIn(t, e, res, body)
				wantText = testutil.TestIDText(t, body, "login-error")
				if wantText == "" {
					t.Fatal("empty error text")
				}
			},
		},
		bad("UnknownEmail", loginForm("nobody@test.example", "wrong password!")),
		bad("UnknownEmailRightPassword", loginForm("nobody@test.example", testutil.Password)),
		bad("WrongPasswordOtherCase", loginForm("ADMIN@test.example", strings.ToUpper(testutil.Password))),
		bad("EmptyPassword", loginForm("admin@test.example", "")),
		bad("EmptyEmail", loginForm("", testutil.Password)),
		bad("EmptyForm", url.Values{}),
		bad("EmailTooLong", loginForm(strings.Repeat("a", 300)+"@test.example", testutil.Password)),
		bad("PasswordTooLong", loginForm("admin@test.example", strings.Repeat("p", 2000))),
		bad("PasswordWithSuffix", loginForm("admin@test.example", testutil.Password+" ")),
		{
			name: "Success", method: "POST", url: "/login", form: loginForm("admin@test.example", testutil.Password),
			status: http.StatusSeeOther, location: "/w/{reporting}/sources", check: signedIn,
		},
		{
			name: "SuccessEmailNormalized", method: "POST", url: "/login", form: loginForm("  Admin@Test.Example ", testutil.Password),
			status: http.StatusSeeOther, location: "/w/{reporting}/sources", check: signedIn,
		},
		{
			name: "OwnerLandsInFirstWorkspace", method: "POST", url: "/login", form: loginForm("owner@test.example", testutil.Password),
			status: http.StatusSeeOther, location: "/w/{reporting}/sources", check: signedIn,
		},
		{
			name: "FreeOwnerLandsInOwnWorkspace", method: "POST", url: "/login", form: loginForm("free@test.example", testutil.Password),
			status: http.StatusSeeOther, location: "/w/{main}/sources", check: signedIn,
		},
		{
			name: "SupportWithoutWorkspace", method: "POST", url: "/login", form: loginForm("support@test.example", testutil.Password),
			status: http.StatusSeeOther, location: "/support/links", check: signedIn,
		},
		{name: "SignedIn/LoginFormRedirects", as: "admin", url: "/login", status: http.StatusSeeOther, location: "/w/{reporting}/sources"},
		{name: "SignedIn/HomeRedirects", as: "admin", url: "/", status: http.StatusSeeOther, location: "/w/{reporting}/sources"},
		{
			name: "SignedIn/LandingShowsUser", as: "admin", url: "/w/{reporting}/sources",
			status: http.StatusOK, testids: []string{"user-name", "logout"}, contains: []string{"Adam Admin"},
		},
	})
	if wantText == "" {
		t.Fatal("the reference failure did not run")
	}
	if strings.Contains(strings.ToLower(wantText), "unknown") || strings.Contains(strings.ToLower(wantText), "no account") {
		t.Errorf("the error %q tells whether the email exists", wantText)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.srv.Login(t, "admin@test.example")
	sources := e.srv.URL + e.expand("/w/{reporting}/sources")

	if res, _ := testutil.Do(t, c, "GET", sources, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %s = %d, want 200", sources, res.StatusCode)
	}
	// Keep the signed-in cookie, to show what a stale copy can and cannot do.
	before := c.Jar.Cookies(mustURL(t, e.srv.URL))

	t.Run("ClearsCookie", func(t *testing.T) {
		res, _ := testutil.Do(t, c, "POST", e.srv.URL+"/logout", url.Values{})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Fatalf("POST /logout = %d to %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
		}
		ck := sessionCookie(e, res)
		if ck == nil {
			t.Fatal("logout did not touch the session cookie")
		}
		if ck.MaxAge >= 0 {
			t.Errorf("session cookie Max-Age = %d, want <= 0 (deleted)", ck.MaxAge)
		}
	})
	for _, u := range []string{"/w/{reporting}/sources", "{links}", "/"} {
		t.Run("Afterwards"+strings.ReplaceAll(e.expand(u), "/", "_"), func(t *testing.T) {
			// The sign-in page returns to the page asked for (item 21);
			// home has nothing to return to.
			want := "/login?next=" + url.QueryEscape(e.expand(u))
			if u == "/" {
				want = "/login"
			}
			res, _ := testutil.Do(t, c, "GET", e.srv.URL+e.expand(u), nil)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
				t.Fatalf("GET %s after logout = %d to %q, want 303 to %s", u, res.StatusCode, res.Header.Get("Location"), want)
			}
		})
	}
	t.Run("AfterwardsLoginForm", func(t *testing.T) {
		res, body := testutil.Do(t, c, "GET", e.srv.URL+"/login", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="login-form"`) {
			t.Fatalf("GET /login after logout = %d, want the form", res.StatusCode)
		}
	})
	t.Run("LogoutSignedOutIsHarmless", func(t *testing.T) {
		res, _ := testutil.Do(t, e.srv.Client(), "POST", e.srv.URL+"/logout", url.Values{})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST /logout signed out = %d, want 303", res.StatusCode)
		}
	})
	t.Run("TamperedCookieIsSignedOut", func(t *testing.T) {
		if len(before) == 0 {
			t.Fatal("no cookie kept before logout")
		}
		fresh := e.srv.Client()
		var tampered []*http.Cookie
		for _, ck := range before {
			v := []byte(ck.Value)
			v[len(v)/2] ^= 1
			tampered = append(tampered, &http.Cookie{Name: ck.Name, Value: string(v)})
		}
		fresh.Jar.SetCookies(mustURL(t, e.srv.URL), tampered)
		res, body := testutil.Do(t, fresh, "GET", sources, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next="+url.QueryEscape(strings.TrimPrefix(sources, e.srv.URL)) {
			t.Fatalf("tampered cookie: %d to %q, want 303 to /login\n%s", res.StatusCode, res.Header.Get("Location"), excerpt(body))
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestLoginThrottle: repeated failures for one email are refused with 429
// and Retry-After, even with the right password from the address that has
// been failing (TestLoginThrottleAllowsRightPassword: not from another),
// without locking out other accounts; one client address is throttled
// across emails too.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	post := func(t *testing.T, email, password string) (*http.Response, string) {
		t.Helper()
		return testutil.Do(t, e.srv.Client(), "POST", e.srv.URL+"/login", loginForm(email, password))
	}
	throttled := func(t *testing.T, res *http.Response, body string) {
		t.Helper()
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429\n%s", res.StatusCode, excerpt(body))
		}
		secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || secs < 1 {
			t.Errorf("Retry-After = %q, want a positive number of seconds", res.Header.Get("Retry-After"))
		}
		if c := sessionCookie(e, res); c != nil && c.MaxAge >= 0 && c.Value != "" {
			t.Error("a throttled sign-in set a session cookie")
		}
		if !strings.Contains(testutil.TestIDText(t, body, "login-error"), "Too many") {
			t.Errorf("the page does not say why: %q", testutil.TestIDText(t, body, "login-error"))
		}
		// The sentence names the same wait as Retry-After, in minutes.
		mins := max(1, (secs+59)/60)
		want := fmt.Sprintf("Too many sign-in attempts. Please try again in %d minutes.", mins)
		if mins == 1 {
			want = "Too many sign-in attempts. Please try again in 1 minute."
		}
		if got := testutil.TestIDText(t, body, "login-error"); got != want {
			t.Errorf("the page says %q, want %q", got, want)
		}
	}

	// The limit per email is a burst of 10 attempts refilled over 15 minutes
	// (auth.go). Slow machines (bcrypt under -race) may earn back one token
	// while the test runs, so a little slack is allowed after the burst.
	const perEmail = 10
	t.Run("PerEmail", func(t *testing.T) {
		for i := range perEmail + 3 {
			res, body := post(t, "member@test.example", fmt.Sprintf("wrong %d", i))
			if res.StatusCode == http.StatusTooManyRequests {
				if i < perEmail {
					t.Fatalf("throttled after %d attempts, want at least %d", i, perEmail)
				}
				throttled(t, res, body)
				return
			}
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("attempt %d: status %d, want 401\n%s", i+1, res.StatusCode, excerpt(body))
			}
		}
		t.Fatalf("%d failed attempts for one email were never throttled", perEmail+3)
	})
	t.Run("PerEmail/RightPasswordStillRefused", func(t *testing.T) {
		res, body := post(t, "member@test.example", testutil.Password)
		throttled(t, res, body)
	})
	t.Run("PerEmail/OtherCaseSameEmail", func(t *testing.T) {
		res, body := post(t, " MEMBER@test.example", testutil.Password)
		throttled(t, res, body)
	})
	t.Run("OtherAccountsUnaffected", func(t *testing.T) {
		res, body := post(t, "viewer@test.example", testutil.Password)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("viewer sign-in = %d, want 303\n%s", res.StatusCode, excerpt(body))
		}
	})
	// The limit per address is a burst of 20 attempts a minute. Attempts
	// for the throttled email are answered without checking a password, so
	// they drain the address's bucket quickly; then an email never tried
	// before is refused too.
	t.Run("PerAddress", func(t *testing.T) {
		for try := range 3 {
			for range 25 {
				if res, body := post(t, "member@test.example", "wrong"); res.StatusCode != http.StatusTooManyRequests {
					t.Fatalf("throttled email answered %d\n%s", res.StatusCode, excerpt(body))
				}
			}
			res, body := post(t, fmt.Sprintf("never-seen-%d@test.example", try), "wrong")
			if res.StatusCode == http.StatusTooManyRequests {
				throttled(t, res, body)
				return
			}
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 429 (or 401 if a token came back)", res.StatusCode)
			}
		}
		t.Fatal("a new email from an address that made 75 quick attempts was never throttled")
	})
}
