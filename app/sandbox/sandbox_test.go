package sandbox_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/sandbox"
)

const (
	clientID     = "accessrequests-sandbox"
	clientSecret = "sandbox-secret-for-tests"
	redirectURI  = "http://localhost:8080/oauth/callback"
	otherURI     = "http://127.0.0.1:8080/oauth/callback"
)

// testKey is shared so that each test does not pay for an RSA key.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// env is one provider on its own httptest server and a client for it.
type env struct {
	t       *testing.T
	issuer  string
	disc    discovery
	browser *http.Client // never follows redirects
}

type discovery struct {
	Issuer                 string   `json:"issuer"`
	AuthorizationEndpoint  string   `json:"authorization_endpoint"`
	TokenEndpoint          string   `json:"token_endpoint"`
	UserinfoEndpoint       string   `json:"userinfo_endpoint"`
	RevocationEndpoint     string   `json:"revocation_endpoint"`
	IntrospectionEndpoint  string   `json:"introspection_endpoint"`
	EndSessionEndpoint     string   `json:"end_session_endpoint"`
	JwksURI                string   `json:"jwks_uri"`
	ScopesSupported        []string `json:"scopes_supported"`
	CodeChallengeMethods   []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuth      []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenSigningAlgs     []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported []string `json:"response_types_supported"`
}

func defaultOptions() sandbox.Options {
	return sandbox.Options{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURIs: []string{redirectURI, otherURI},
		SigningKey:   testKey(),
	}
}

// start runs New on its own server, with the issuer at the server's root.
func start(t *testing.T, change func(*sandbox.Options)) *env {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	opts := defaultOptions()
	opts.Issuer = srv.URL
	opts.DB = testutil.OpenDB(t)
	if change != nil {
		change(&opts)
	}
	var err error
	if h, err = sandbox.New(opts); err != nil {
		t.Fatal(err)
	}
	return newEnv(t, opts.Issuer)
}

// startMounted serves New under /sandbox/ of an outer mux, as the app does.
func startMounted(t *testing.T) (*env, *atomic.Int32) {
	t.Helper()
	outer := http.NewServeMux()
	var appHits atomic.Int32
	outer.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		appHits.Add(1)
		http.Error(w, "the app, not the sandbox", http.StatusTeapot)
	})
	srv := httptest.NewServer(outer)
	t.Cleanup(srv.Close)
	opts := defaultOptions()
	opts.Issuer = srv.URL + "/sandbox"
	opts.DB = testutil.OpenDB(t)
	h, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	outer.Handle("/sandbox/", h)
	return newEnv(t, opts.Issuer), &appHits
}

func newEnv(t *testing.T, issuer string) *env {
	e := &env{
		t:      t,
		issuer: issuer,
		browser: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	res := e.get(issuer+"/.well-known/openid-configuration", http.StatusOK)
	if err := json.Unmarshal([]byte(res.body), &e.disc); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return e
}

func (e *env) config(style oauth2.AuthStyle, scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = []string{"openid", "profile", "email", "reports.read", "offline_access"}
	}
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURL:  redirectURI,
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   e.disc.AuthorizationEndpoint,
			TokenURL:  e.disc.TokenEndpoint,
			AuthStyle: style,
		},
	}
}

type response struct {
	status   int
	header   http.Header
	body     string
	location *url.URL
}

func (e *env) do(req *http.Request, want int) response {
	e.t.Helper()
	res, err := e.browser.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, body: string(b)}
	if loc := res.Header.Get("Location"); loc != "" {
		if out.location, err = req.URL.Parse(loc); err != nil {
			e.t.Fatalf("bad Location %q: %v", loc, err)
		}
	}
	if want != 0 && res.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d; body: %.300s", req.Method, req.URL, res.StatusCode, want, b)
	}
	return out
}

func (e *env) get(u string, want int) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req, want)
}

func (e *env) post(u string, form url.Values, want int) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req, want)
}

// loginForm is what a browser finds on the consent page.
type loginForm struct {
	pageURL  *url.URL
	html     string
	action   string
	hidden   url.Values
	accounts []string // radio values, in order
	checked  string
	buttons  []string // values of the submit buttons named "action"
	css      []string
}

// startFlow GETs the authorize URL and follows the redirect to the consent page.
func (e *env) startFlow(authURL string) loginForm {
	e.t.Helper()
	res := e.get(authURL, http.StatusFound)
	if res.location == nil || !strings.HasPrefix(res.location.String(), e.issuer+"/login?") {
		e.t.Fatalf("authorize redirected to %v, want the login page under %s", res.location, e.issuer)
	}
	page := e.get(res.location.String(), http.StatusOK)
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		e.t.Fatalf("login page Content-Type = %q", ct)
	}
	f := parseLogin(e.t, page.body)
	f.pageURL = res.location
	return f
}

func parseLogin(t *testing.T, body string) loginForm {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	f := loginForm{html: body, hidden: url.Values{}}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			a := map[string]string{}
			for _, at := range n.Attr {
				a[at.Key] = at.Val
			}
			switch {
			case n.Data == "form":
				f.action = a["action"]
			case n.Data == "input" && a["type"] == "hidden":
				f.hidden.Set(a["name"], a["value"])
			case n.Data == "input" && a["type"] == "radio" && a["name"] == "account":
				f.accounts = append(f.accounts, a["value"])
				if _, ok := a["checked"]; ok {
					f.checked = a["value"]
				}
			case n.Data == "button" && a["name"] == "action":
				f.buttons = append(f.buttons, a["value"])
			case n.Data == "link" && a["rel"] == "stylesheet":
				f.css = append(f.css, a["href"])
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if f.action == "" || f.hidden.Get("id") == "" {
		t.Fatalf("no consent form on the page:\n%s", body)
	}
	return f
}

// submit posts the consent form as a browser would.
func (e *env) submit(f loginForm, action, account string, want int) response {
	e.t.Helper()
	form := url.Values{"id": {f.hidden.Get("id")}, "action": {action}}
	if account != "" {
		form.Set("account", account)
	}
	target, err := f.pageURL.Parse(f.action)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.post(target.String(), form, want)
}

// allow chooses account and follows the provider's redirects up to the
// client's redirect URI, which it returns.
func (e *env) allow(f loginForm, account string) *url.URL {
	e.t.Helper()
	res := e.submit(f, "allow", account, http.StatusSeeOther)
	if res.location == nil || !strings.HasPrefix(res.location.String(), e.issuer+"/") {
		e.t.Fatalf("allow redirected to %v, want the provider's callback", res.location)
	}
	res = e.get(res.location.String(), http.StatusFound)
	return res.location
}

func (e *env) userinfo(accessToken string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.disc.UserinfoEndpoint, nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	res := e.do(req, 0)
	var claims map[string]any
	if res.status == http.StatusOK {
		if err := json.Unmarshal([]byte(res.body), &claims); err != nil {
			e.t.Fatalf("userinfo: %v: %s", err, res.body)
		}
	}
	return res.status, claims
}

func (e *env) verifyIDToken(tok *oauth2.Token, nonce string) *oidc.IDTokenClaims {
	e.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		e.t.Fatal("no id_token in the token response")
	}
	keys := rp.NewRemoteKeySet(http.DefaultClient, e.disc.JwksURI)
	v := rp.NewIDTokenVerifier(e.issuer, clientID, keys, rp.WithNonce(func(context.Context) string { return nonce }))
	claims, err := rp.VerifyTokens[*oidc.IDTokenClaims](context.Background(), tok.AccessToken, raw, v)
	if err != nil {
		e.t.Fatalf("id_token does not verify against %s: %v", e.disc.JwksURI, err)
	}
	return claims
}

func codeAndState(t *testing.T, u *url.URL, wantState string) string {
	t.Helper()
	if u == nil {
		t.Fatal("no redirect")
	}
	base := *u
	base.RawQuery = ""
	if base.String() != redirectURI {
		t.Fatalf("redirected to %s, want %s", base.String(), redirectURI)
	}
	q := u.Query()
	if q.Get("error") != "" {
		t.Fatalf("authorization failed: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if got := q.Get("state"); got != wantState {
		t.Fatalf("state = %q, want %q", got, wantState)
	}
	if q.Get("code") == "" {
		t.Fatalf("no code in %s", u)
	}
	return q.Get("code")
}

func retrieveError(t *testing.T, err error) *oauth2.RetrieveError {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want an OAuth error response, got %v", err)
	}
	return re
}

// flow is one authorization started with PKCE, a state and a nonce.
type flow struct {
	cfg      *oauth2.Config
	verifier string
	state    string
	nonce    string
}

func newFlow(cfg *oauth2.Config) flow {
	return flow{cfg: cfg, verifier: oauth2.GenerateVerifier(), state: rand.Text(), nonce: rand.Text()}
}

func (f flow) authURL(extra ...oauth2.AuthCodeOption) string {
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier), oauth2.SetAuthURLParam("nonce", f.nonce)}, extra...)
	return f.cfg.AuthCodeURL(f.state, opts...)
}

func (f flow) exchange(code string) (*oauth2.Token, error) {
	return f.cfg.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier))
}

// refresh presents refreshToken at the token endpoint, as the client does
// with an access token that has expired.
func (f flow) refresh(refreshToken string) (*oauth2.Token, error) {
	return f.cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
}

// exchanged runs a flow (Basic client authentication) with Allow for
// account and exchanges its code.
func (e *env) exchanged(t *testing.T, account string) (flow, *oauth2.Token) {
	t.Helper()
	f := newFlow(e.config(oauth2.AuthStyleInHeader))
	tok, err := f.exchange(e.obtainCode(f, account))
	if err != nil {
		t.Fatal(err)
	}
	return f, tok
}

// refreshed refreshes tok's grant and checks the new access token: a
// new one, for which userinfo answers with subject.
func refreshed(t *testing.T, e *env, f flow, tok *oauth2.Token, subject string) *oauth2.Token {
	t.Helper()
	fresh, err := f.refresh(tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == "" || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("refresh returned access token %q, want a new one", fresh.AccessToken)
	}
	if status, info := e.userinfo(fresh.AccessToken); status != http.StatusOK || info["sub"] != subject {
		t.Errorf("userinfo with the refreshed token = %d %v", status, info)
	}
	return fresh
}

// obtainCode runs a flow through Allow for account and returns the code.
func (e *env) obtainCode(f flow, account string) string {
	e.t.Helper()
	form := e.startFlow(f.authURL())
	return codeAndState(e.t, e.allow(form, account), f.state)
}

func TestDiscovery(t *testing.T) {
	e := start(t, nil)
	d := e.disc
	if d.Issuer != e.issuer {
		t.Errorf("issuer = %q, want %q", d.Issuer, e.issuer)
	}
	for name, got := range map[string]string{
		"authorization_endpoint": d.AuthorizationEndpoint,
		"token_endpoint":         d.TokenEndpoint,
		"userinfo_endpoint":      d.UserinfoEndpoint,
		"jwks_uri":               d.JwksURI,
	} {
		if !strings.HasPrefix(got, e.issuer+"/") {
			t.Errorf("%s = %q, not under the issuer", name, got)
		}
	}
	if d.AuthorizationEndpoint != e.issuer+"/authorize" || d.TokenEndpoint != e.issuer+"/oauth/token" ||
		d.UserinfoEndpoint != e.issuer+"/userinfo" || d.JwksURI != e.issuer+"/keys" {
		t.Errorf("endpoints moved: %+v", d)
	}
	if !slices.Equal(d.CodeChallengeMethods, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %v, want [S256]", d.CodeChallengeMethods)
	}
	for _, m := range []string{"client_secret_basic", "client_secret_post"} {
		if !slices.Contains(d.TokenEndpointAuth, m) {
			t.Errorf("token_endpoint_auth_methods_supported = %v, missing %s", d.TokenEndpointAuth, m)
		}
	}
	if !slices.Equal(d.ScopesSupported, []string{"openid", "profile", "email", "reports.read", "offline_access"}) {
		t.Errorf("scopes_supported = %v", d.ScopesSupported)
	}
	if !slices.Equal(d.IDTokenSigningAlgs, []string{"RS256"}) {
		t.Errorf("id_token_signing_alg_values_supported = %v", d.IDTokenSigningAlgs)
	}
	keys := e.get(d.JwksURI, http.StatusOK)
	if !strings.Contains(keys.body, `"kid"`) || !strings.Contains(keys.body, `"RS256"`) {
		t.Errorf("/keys = %s", keys.body)
	}
}

func TestCodeFlow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		style oauth2.AuthStyle
	}{
		{"ClientSecretBasic", oauth2.AuthStyleInHeader},
		{"ClientSecretPost", oauth2.AuthStyleInParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, nil)
			f := newFlow(e.config(tc.style))
			form := e.startFlow(f.authURL())

			// The consent page: accounts, first preselected, Allow and Deny.
			want := []string{"sandbox-user-1", "sandbox-user-2", "sandbox-user-3"}
			if !slices.Equal(form.accounts, want) || form.checked != "sandbox-user-1" {
				t.Fatalf("accounts = %v checked %q, want %v with the first checked", form.accounts, form.checked, want)
			}
			if !slices.Equal(form.buttons, []string{"allow", "deny"}) {
				t.Errorf("buttons = %v, want allow then deny", form.buttons)
			}

			code := codeAndState(t, e.allow(form, "sandbox-user-2"), f.state)
			tok, err := f.exchange(code)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" {
				t.Fatalf("want an access and a refresh token, got %+v", tok)
			}
			if left := time.Until(tok.Expiry); left < 55*time.Minute || left > 61*time.Minute {
				t.Errorf("access token lives %v, want 1h", left)
			}
			if got := tok.Extra("scope"); got != "openid profile email reports.read offline_access" {
				t.Errorf("granted scope = %v", got)
			}

			claims := e.verifyIDToken(tok, f.nonce)
			if claims.Subject != "sandbox-user-2" || claims.Name != "Northwind Store (demo)" ||
				claims.Email != "owner@northwind.example" || claims.Nonce != f.nonce || claims.Issuer != e.issuer {
				t.Errorf("id_token claims: sub=%q name=%q email=%q nonce=%q iss=%q",
					claims.Subject, claims.Name, claims.Email, claims.Nonce, claims.Issuer)
			}
			if !slices.Equal([]string(claims.Audience), []string{clientID}) {
				t.Errorf("aud = %v", claims.Audience)
			}

			status, info := e.userinfo(tok.AccessToken)
			if status != http.StatusOK || info["sub"] != "sandbox-user-2" ||
				info["name"] != "Northwind Store (demo)" || info["email"] != "owner@northwind.example" {
				t.Errorf("userinfo = %d %v", status, info)
			}

			// Refresh: a new access token, and the refresh token rotates.
			fresh := refreshed(t, e, f, tok, "sandbox-user-2")
			if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
				t.Errorf("refresh token did not rotate")
			}
		})
	}
}

func TestRefreshTokenReuseRevokesGrant(t *testing.T) {
	e := start(t, nil)
	f, tok := e.exchanged(t, "sandbox-user-1")
	fresh, err := f.refresh(tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.refresh(tok.RefreshToken)
	if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" {
		t.Fatalf("reused refresh token: error %q, want invalid_grant", re.ErrorCode)
	}
	if _, err := f.refresh(fresh.RefreshToken); err == nil {
		t.Error("the rotated refresh token still works after reuse of its predecessor")
	}
	if status, _ := e.userinfo(fresh.AccessToken); status == http.StatusOK {
		t.Error("access token still works after refresh token reuse")
	}
}

func TestScopes(t *testing.T) {
	t.Run("OnlyAllowedScopesAreGranted", func(t *testing.T) {
		e := start(t, nil)
		f := newFlow(e.config(oauth2.AuthStyleInHeader, "openid", "email", "admin.write"))
		form := e.startFlow(f.authURL())
		if strings.Contains(form.html, "admin.write") {
			t.Error("the consent page lists a scope the client may not have")
		}
		if !strings.Contains(form.html, "See the account&#39;s email address") {
			t.Error("the consent page does not describe the email scope in plain words")
		}
		tok, err := f.exchange(codeAndState(t, e.allow(form, "sandbox-user-3"), f.state))
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Extra("scope"); got != "openid email" {
			t.Errorf("granted scope = %v, want openid email", got)
		}
		if tok.RefreshToken != "" {
			t.Error("refresh token issued without offline_access")
		}
		claims := e.verifyIDToken(tok, f.nonce)
		if claims.Email != "finance@globex.example" || claims.Name != "" {
			t.Errorf("id_token email=%q name=%q, want the email only", claims.Email, claims.Name)
		}
	})
	t.Run("ErrNoAllowedScope", func(t *testing.T) {
		e := start(t, func(o *sandbox.Options) { o.Scopes = []string{"openid", "reports.read"} })
		f := newFlow(e.config(oauth2.AuthStyleInHeader, "admin.write", "profile"))
		res := e.get(f.authURL(), http.StatusFound)
		if q := res.location.Query(); q.Get("error") != "invalid_scope" || q.Get("state") != f.state {
			t.Errorf("redirect = %s, want invalid_scope with the state", res.location)
		}
	})
}

func TestConsentPage(t *testing.T) {
	e := start(t, nil)
	f := newFlow(e.config(oauth2.AuthStyleInHeader))
	form := e.startFlow(f.authURL())
	for _, s := range []string{"Sandbox provider", "test provider", "Allow", "Deny",
		"Acme Ads (demo)", "Northwind Store (demo)", "Globex Finance (demo)", "Read sample reports", "localhost:8080"} {
		if !strings.Contains(form.html, s) {
			t.Errorf("consent page does not show %q", s)
		}
	}
	// CSP forbids inline scripts and styles; the page needs neither.
	lower := strings.ToLower(form.html)
	for _, s := range []string{"<script", "<style", " style=", " onclick=", " onload=", " onsubmit="} {
		if strings.Contains(lower, s) {
			t.Errorf("consent page contains %q", s)
		}
	}
	if len(form.css) != 1 || !strings.HasPrefix(form.css[0], "/assets/sandbox.css") {
		t.Fatalf("stylesheets = %v", form.css)
	}
	css := e.get(e.issuer+form.css[0], http.StatusOK)
	if !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || !strings.Contains(css.body, ".btn") {
		t.Errorf("stylesheet: %s %.80s", css.header.Get("Content-Type"), css.body)
	}
	page := e.get(form.pageURL.String(), http.StatusOK)
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	if page.header.Get("Cache-Control") != "no-store" || page.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: Cache-Control %q, Referrer-Policy %q", page.header.Get("Cache-Control"), page.header.Get("Referrer-Policy"))
	}

	t.Run("LoginHintPreselects", func(t *testing.T) {
		f := newFlow(e.config(oauth2.AuthStyleInHeader))
		form := e.startFlow(f.authURL(oauth2.SetAuthURLParam("login_hint", "finance@globex.example")))
		if form.checked != "sandbox-user-3" {
			t.Errorf("checked = %q, want sandbox-user-3", form.checked)
		}
	})
	t.Run("ErrUnknownAccount", func(t *testing.T) {
		f := newFlow(e.config(oauth2.AuthStyleInHeader))
		form := e.startFlow(f.authURL())
		res := e.submit(form, "allow", "sandbox-user-99", http.StatusBadRequest)
		if res.location != nil || !strings.Contains(res.body, "Choose one of the sample accounts") {
			t.Errorf("unknown account: %v %.200s", res.location, res.body)
		}
		// The request is still usable.
		codeAndState(t, e.allow(form, "sandbox-user-1"), f.state)
	})
	t.Run("ErrUnknownRequest", func(t *testing.T) {
		res := e.get(e.issuer+"/login?id=NOPE", http.StatusBadRequest)
		if !strings.Contains(res.body, "expired") {
			t.Errorf("unknown request page: %.200s", res.body)
		}
	})
	t.Run("ErrAnsweredTwice", func(t *testing.T) {
		f := newFlow(e.config(oauth2.AuthStyleInHeader))
		form := e.startFlow(f.authURL())
		codeAndState(t, e.allow(form, "sandbox-user-1"), f.state)
		if res := e.submit(form, "allow", "sandbox-user-2", http.StatusBadRequest); res.location != nil {
			t.Errorf("second Allow redirected to %s", res.location)
		}
		if res := e.submit(form, "deny", "", http.StatusBadRequest); res.location != nil {
			t.Errorf("Deny after Allow redirected to %s", res.location)
		}
	})
}

func TestDeny(t *testing.T) {
	e := start(t, nil)
	f := newFlow(e.config(oauth2.AuthStyleInHeader))
	form := e.startFlow(f.authURL())
	res := e.submit(form, "deny", "", http.StatusFound)
	if res.location == nil {
		t.Fatal("Deny did not redirect")
	}
	q := res.location.Query()
	if !strings.HasPrefix(res.location.String(), redirectURI+"?") || q.Get("error") != "access_denied" ||
		q.Get("error_description") == "" || q.Get("state") != f.state || q.Has("code") {
		t.Fatalf("Deny redirected to %s", res.location)
	}
	// A denied request cannot be allowed afterwards.
	if res := e.submit(form, "allow", "sandbox-user-1", http.StatusBadRequest); res.location != nil {
		t.Errorf("Allow after Deny redirected to %s", res.location)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	e := start(t, nil)
	cfg := e.config(oauth2.AuthStyleInHeader)

	// Errors the client must receive at its redirect URI, with its state.
	for _, tc := range []struct {
		name  string
		opts  []oauth2.AuthCodeOption
		error string
	}{
		{"ErrPKCEMissing", nil, "invalid_request"},
		{"ErrPKCEPlain", []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("code_challenge", oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("code_challenge_method", "plain")}, "invalid_request"},
		{"ErrPKCEMethodMissing", []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("code_challenge", oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()))}, "invalid_request"},
		{"ErrPKCEChallengeMalformed", []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("code_challenge", "abc"),
			oauth2.SetAuthURLParam("code_challenge_method", "S256")}, "invalid_request"},
		{"ErrPromptNone", []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("prompt", "none")}, "login_required"},
		{"ErrImplicit", []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("response_type", "id_token")}, "unauthorized_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := rand.Text()
			res := e.get(cfg.AuthCodeURL(state, tc.opts...), http.StatusFound)
			if res.location == nil {
				t.Fatal("no redirect")
			}
			q := res.location.Query()
			if res.location.Fragment != "" {
				q, _ = url.ParseQuery(res.location.Fragment)
			}
			if !strings.HasPrefix(res.location.String(), redirectURI) || q.Get("error") != tc.error ||
				q.Get("state") != state || q.Has("code") {
				t.Errorf("redirected to %s, want %s?error=%s&state=...", res.location, redirectURI, tc.error)
			}
		})
	}

	// Errors that must not send the browser to the given redirect URI.
	for _, tc := range []struct {
		name   string
		change func(q url.Values)
	}{
		{"ErrRedirectURIUnregistered", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/callback") }},
		{"ErrRedirectURIPrefix", func(q url.Values) { q.Set("redirect_uri", redirectURI+"/more") }},
		{"ErrRedirectURIWithQuery", func(q url.Values) { q.Set("redirect_uri", redirectURI+"?x=1") }},
		{"ErrRedirectURIMissing", func(q url.Values) { q.Del("redirect_uri") }},
		{"ErrRedirectURIRepeated", func(q url.Values) { q.Add("redirect_uri", "https://evil.example/callback") }},
		{"ErrUnknownClient", func(q url.Values) { q.Set("client_id", "someone-else") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := url.Parse(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			q := u.Query()
			tc.change(q)
			u.RawQuery = q.Encode()
			res := e.get(u.String(), http.StatusBadRequest)
			if res.location != nil {
				t.Errorf("redirected to %s", res.location)
			}
			if !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || !strings.Contains(res.body, "Sandbox provider") {
				t.Errorf("want an error page, got %s: %.200s", res.header.Get("Content-Type"), res.body)
			}
		})
	}

	t.Run("LoopbackRedirectURI", func(t *testing.T) {
		c := *cfg
		c.RedirectURL = otherURI
		f := newFlow(&c)
		form := e.startFlow(f.authURL())
		loc := e.allow(form, "sandbox-user-1")
		if !strings.HasPrefix(loc.String(), otherURI+"?") || loc.Query().Get("state") != f.state {
			t.Errorf("redirected to %s", loc)
		}
		if _, err := f.exchange(loc.Query().Get("code")); err != nil {
			t.Error(err)
		}
	})
}

func TestTokenErrors(t *testing.T) {
	e := start(t, nil)

	t.Run("ErrCodeReplay", func(t *testing.T) {
		f := newFlow(e.config(oauth2.AuthStyleInHeader))
		code := e.obtainCode(f, "sandbox-user-1")
		tok, err := f.exchange(code)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.exchange(code)
		if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" {
			t.Fatalf("second exchange: %q, want invalid_grant", re.ErrorCode)
		}
		// RFC 6749 section 4.1.2: tokens issued from a replayed code are revoked.
		if status, _ := e.userinfo(tok.AccessToken); status == http.StatusOK {
			t.Error("access token still works after the code was replayed")
		}
		_, err = f.refresh(tok.RefreshToken)
		if err == nil {
			t.Error("refresh token still works after the code was replayed")
		}
	})

	t.Run("ErrConcurrentExchange", func(t *testing.T) {
		f := newFlow(e.config(oauth2.AuthStyleInHeader))
		code := e.obtainCode(f, "sandbox-user-1")
		var wg sync.WaitGroup
		var ok atomic.Int32
		for range 8 {
			wg.Go(func() {
				if _, err := f.exchange(code); err == nil {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		// At most one wins; the others are replays, which revoke what the
		// winner got, and may do so before it is issued.
		if n := ok.Load(); n > 1 {
			t.Errorf("%d of 8 concurrent exchanges of one code succeeded, want at most 1", n)
		}
	})

	t.Run("ErrWrongClientSecret", func(t *testing.T) {
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			f := newFlow(e.config(style))
			code := e.obtainCode(f, "sandbox-user-1")
			f.cfg.ClientSecret = "wrong"
			_, err := f.exchange(code)
			re := retrieveError(t, err)
			if re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
				t.Errorf("style %d: %d %q, want 401 invalid_client", style, re.Response.StatusCode, re.ErrorCode)
			}
		}
	})

	t.Run("ErrWrongVerifier", func(t *testing.T) {
		f := newFlow(e.config(oauth2.AuthStyleInHeader))
		code := e.obtainCode(f, "sandbox-user-1")
		_, err := f.cfg.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" {
			t.Errorf("wrong verifier: %q, want invalid_grant", re.ErrorCode)
		}
	})

	t.Run("ErrMissingVerifier", func(t *testing.T) {
		f := newFlow(e.config(oauth2.AuthStyleInHeader))
		code := e.obtainCode(f, "sandbox-user-1")
		_, err := f.cfg.Exchange(context.Background(), code)
		if re := retrieveError(t, err); re.ErrorCode != "invalid_request" {
			t.Errorf("no verifier: %q, want invalid_request", re.ErrorCode)
		}
	})

	t.Run("ErrRedirectURIMismatch", func(t *testing.T) {
		f := newFlow(e.config(oauth2.AuthStyleInHeader))
		code := e.obtainCode(f, "sandbox-user-1")
		c := *f.cfg
		c.RedirectURL = otherURI
		_, err := c.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier))
		if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" {
			t.Errorf("other redirect_uri: %q, want invalid_grant", re.ErrorCode)
		}
	})

	t.Run("ErrUnknownCode", func(t *testing.T) {
		f := newFlow(e.config(oauth2.AuthStyleInHeader))
		_, err := f.exchange("not-a-code")
		if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" {
			t.Errorf("unknown code: %q, want invalid_grant", re.ErrorCode)
		}
	})

	t.Run("ErrUserinfoWithoutToken", func(t *testing.T) {
		if status, _ := e.userinfo("garbage"); status != http.StatusUnauthorized {
			t.Errorf("userinfo with a bad token: %d, want 401", status)
		}
	})
}

func TestTokenResponseIsNotCached(t *testing.T) {
	e := start(t, nil)
	f := newFlow(e.config(oauth2.AuthStyleInParams))
	code := e.obtainCode(f, "sandbox-user-1")
	res := e.post(e.disc.TokenEndpoint, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"code_verifier": {f.verifier}, "client_id": {clientID}, "client_secret": {clientSecret},
	}, http.StatusOK)
	if res.header.Get("Cache-Control") != "no-store" || res.header.Get("Pragma") != "no-cache" {
		t.Errorf("token response: Cache-Control %q, Pragma %q", res.header.Get("Cache-Control"), res.header.Get("Pragma"))
	}
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal([]byte(res.body), &body); err != nil || body.AccessToken == "" ||
		!strings.EqualFold(body.TokenType, "bearer") || body.ExpiresIn < 3500 || body.ExpiresIn > 3600 {
		t.Errorf("token response %s (%v)", res.body, err)
	}
}

func TestIntrospectRevokeEndSession(t *testing.T) {
	e, _ := startMounted(t)
	f, tok := e.exchanged(t, "sandbox-user-2")
	basic := func(u string, form url.Values) response {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(clientID, clientSecret)
		return e.do(req, http.StatusOK)
	}
	introspect := func() map[string]any {
		var out map[string]any
		res := basic(e.disc.IntrospectionEndpoint, url.Values{"token": {tok.AccessToken}})
		if err := json.Unmarshal([]byte(res.body), &out); err != nil {
			t.Fatalf("introspection: %v: %s", err, res.body)
		}
		return out
	}
	if got := introspect(); got["active"] != true || got["sub"] != "sandbox-user-2" || got["client_id"] != clientID {
		t.Errorf("introspection of a live token = %v", got)
	}

	// Revoking the refresh token ends the grant (RFC 7009 section 2.1).
	basic(e.disc.RevocationEndpoint, url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}})
	if _, err := f.refresh(tok.RefreshToken); err == nil {
		t.Error("refresh token works after revocation")
	}
	if got := introspect(); got["active"] != false {
		t.Errorf("introspection after revocation = %v", got)
	}

	res := e.get(e.disc.EndSessionEndpoint, http.StatusFound)
	if res.location == nil || res.location.String() != e.issuer+"/logged-out" {
		t.Fatalf("end_session redirected to %v", res.location)
	}
	e.get(res.location.String(), http.StatusOK)
}

func TestMountedUnderPrefix(t *testing.T) {
	e, appHits := startMounted(t)
	if !strings.HasSuffix(e.issuer, "/sandbox") || e.disc.Issuer != e.issuer ||
		e.disc.AuthorizationEndpoint != e.issuer+"/authorize" || e.disc.TokenEndpoint != e.issuer+"/oauth/token" {
		t.Fatalf("discovery under the prefix: %+v", e.disc)
	}
	f := newFlow(e.config(oauth2.AuthStyleInHeader))
	form := e.startFlow(f.authURL())
	if form.action != "/sandbox/login" || len(form.css) != 1 || !strings.HasPrefix(form.css[0], "/sandbox/assets/sandbox.css") {
		t.Fatalf("form action %q, stylesheets %v: want them under /sandbox", form.action, form.css)
	}
	e.get(form.pageURL.Scheme+"://"+form.pageURL.Host+form.css[0], http.StatusOK)

	tok, err := f.exchange(codeAndState(t, e.allow(form, "sandbox-user-2"), f.state))
	if err != nil {
		t.Fatal(err)
	}
	claims := e.verifyIDToken(tok, f.nonce)
	if claims.Issuer != e.issuer || claims.Subject != "sandbox-user-2" {
		t.Errorf("iss=%q sub=%q", claims.Issuer, claims.Subject)
	}
	if status, info := e.userinfo(tok.AccessToken); status != http.StatusOK || info["email"] != "owner@northwind.example" {
		t.Errorf("userinfo = %d %v", status, info)
	}
	if n := appHits.Load(); n != 0 {
		t.Errorf("%d requests of the flow reached the outer app instead of the sandbox", n)
	}
}

func TestNewOptions(t *testing.T) {
	valid := defaultOptions()
	valid.Issuer = "http://localhost:8080/sandbox"
	if _, err := sandbox.New(valid); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	t.Run("GeneratesKey", func(t *testing.T) {
		o := valid
		o.SigningKey = nil
		if _, err := sandbox.New(o); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name   string
		change func(*sandbox.Options)
		want   string
	}{
		{"ErrIssuerMissing", func(o *sandbox.Options) { o.Issuer = "" }, "Issuer"},
		{"ErrIssuerRelative", func(o *sandbox.Options) { o.Issuer = "/sandbox" }, "Issuer"},
		{"ErrIssuerTrailingSlash", func(o *sandbox.Options) { o.Issuer = "http://localhost:8080/sandbox/" }, "slash"},
		{"ErrIssuerPathWildcard", func(o *sandbox.Options) { o.Issuer = "http://localhost:8080/{x}" }, "path"},
		{"ErrIssuerQuery", func(o *sandbox.Options) { o.Issuer = "http://localhost:8080/sandbox?x=1" }, "query"},
		{"ErrClientIDMissing", func(o *sandbox.Options) { o.ClientID = "" }, "ClientID"},
		{"ErrSecretMissing", func(o *sandbox.Options) { o.ClientSecret = "" }, "ClientSecret"},
		{"ErrRedirectURIsMissing", func(o *sandbox.Options) { o.RedirectURIs = nil }, "RedirectURI"},
		{"ErrRedirectURIRelative", func(o *sandbox.Options) { o.RedirectURIs = []string{"/oauth/callback"} }, "RedirectURI"},
		{"ErrAccountDuplicate", func(o *sandbox.Options) {
			o.Accounts = []sandbox.Account{{ID: "a", Name: "A"}, {ID: "a", Name: "B"}}
		}, "twice"},
		{"ErrSmallKey", func(o *sandbox.Options) {
			k, _ := rsa.GenerateKey(rand.Reader, 1024)
			o.SigningKey = k
		}, "2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := valid
			tc.change(&o)
			_, err := sandbox.New(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error about %s", err, tc.want)
			}
		})
	}
	t.Run("ReportsEveryProblem", func(t *testing.T) {
		_, err := sandbox.New(sandbox.Options{})
		for _, s := range []string{"Issuer", "ClientID", "ClientSecret", "RedirectURI"} {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("New(empty) = %v, want it to mention %s", err, s)
			}
		}
	})
}

func TestDefaultAccounts(t *testing.T) {
	if len(sandbox.DefaultAccounts) != 3 {
		t.Fatalf("%d default accounts, want 3", len(sandbox.DefaultAccounts))
	}
	for i, a := range sandbox.DefaultAccounts {
		if a.ID == "" || a.Name == "" || !strings.Contains(a.Email, "@") {
			t.Errorf("account %d incomplete: %+v", i, a)
		}
	}
}
