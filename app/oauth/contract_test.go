package oauth_test

// Provider contract tests (issue 15): for each built-in source, a fake of
// the provider on a TLS listener that behaves the way the provider's
// documentation says (docs/sources.md names the pages), driven through the
// real catalog entry and the real client: authorize URL, callback, code
// exchange, identity, and a refresh. The entries are used as loaded, URLs
// included: the test client dials the fake provider for every host, and
// each fake checks the host it was asked for.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/accessrequests/accessrequests/app/oauth"
	"github.com/accessrequests/accessrequests/app/sources"
)

// contractSecret is the client secret newFakeProvider gives every source.
const contractSecret = "s3cret/+="

// connected is connectFlow for a flow that must connect: the test fails
// on an error.
func (p *fakeProvider) connected(key, shop string) *oauth.Identity {
	p.t.Helper()
	id, err := p.connectFlow(key, shop)
	if err != nil {
		p.t.Fatal(err)
	}
	return id
}

// connectFlow runs a whole connect against the fake provider with the
// built-in source key: the authorize URL is requested from the fake (which
// checks it and redirects back), the callback is checked as the app checks
// it, and the code is exchanged.
func (p *fakeProvider) connectFlow(key, shop string) (*oauth.Identity, error) {
	p.t.Helper()
	src := p.cat.Get(key)
	if src == nil {
		p.t.Fatalf("built-in source %s not loaded", key)
	}
	f := oauth.Begin("link-1", src, shop, time.Now())
	noFollow := *p.client.HTTP
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := noFollow.Get(p.client.AuthCodeURL(src, f))
	if err != nil {
		p.t.Fatalf("authorize: %v", err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil {
		p.t.Fatalf("authorize answered %d %q, want a redirect", res.StatusCode, res.Header.Get("Location"))
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != p.client.RedirectURI {
		p.t.Fatalf("redirected to %s, want the redirect URI", got)
	}
	q := loc.Query()
	if err := oauth.ProviderError(q); err != nil {
		return nil, err
	}
	if err := oauth.CheckState(f, q.Get("state"), time.Now()); err != nil {
		return nil, err
	}
	if err := oauth.VerifyCallback(src, f, q); err != nil {
		return nil, err
	}
	return p.client.Exchange(context.Background(), src, f, q)
}

// authRequest checks an authorization request common to every provider
// (RFC 6749 section 4.1.1) and returns its query.
func authRequest(t *testing.T, r *http.Request, host, clientID string) url.Values {
	t.Helper()
	q := r.URL.Query()
	if r.Host != host {
		t.Errorf("authorize request to %s, want %s", r.Host, host)
	}
	if q.Get("response_type") != "code" || q.Get("client_id") != clientID || q.Get("redirect_uri") != "https://app.example/oauth/callback" || q.Get("state") == "" {
		t.Errorf("authorize request %v", q)
	}
	return q
}

// fake is what every fake provider holds: its test and the codes it
// issued.
type fake struct {
	t     *testing.T
	codes *codes
}

func newFake(p *fakeProvider) fake { return fake{t: p.t, codes: newCodes()} }

// codeBack answers an authorization request of a provider without PKCE:
// it checks the host, the client and the scope, and sends the browser back
// with a new code, the state and extra.
func (f fake) codeBack(w http.ResponseWriter, r *http.Request, name, host, clientID, scope string, extra url.Values) {
	f.t.Helper()
	q := authRequest(f.t, r, host, clientID)
	if q.Get("scope") != scope || q.Has("code_challenge") {
		f.t.Errorf("%s authorize request %v, want scope %q and no PKCE", name, q, scope)
	}
	back := url.Values{"code": {f.codes.issue(q)}, "state": {q.Get("state")}}
	for k, v := range extra {
		back[k] = v
	}
	redirectBack(w, r, back)
}

// redirectBack sends the browser back to the app's redirect URI.
func redirectBack(w http.ResponseWriter, r *http.Request, params url.Values) {
	http.Redirect(w, r, "https://app.example/oauth/callback?"+params.Encode(), http.StatusFound)
}

// tokenRequest checks the method, host and content type of a token request
// and returns its grant type.
func tokenRequest(t *testing.T, r *http.Request, host string) string {
	t.Helper()
	if r.Method != http.MethodPost || r.Host != host || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		t.Errorf("token request %s %s %q", r.Method, r.Host, r.Header.Get("Content-Type"))
	}
	return r.Form.Get("grant_type")
}

// bodyClient reports whether the request carries the client in the form
// body and not in a Basic header.
func bodyClient(r *http.Request, clientID string) bool {
	_, _, basic := r.BasicAuth()
	return !basic && r.Form.Get("client_id") == clientID && r.Form.Get("client_secret") == contractSecret
}

// basicClient reports whether the request carries the client in a Basic
// header (RFC 6749 section 2.3.1: both parts form-encoded) and not in the body.
func basicClient(r *http.Request, clientID string) bool {
	user, pass, ok := r.BasicAuth()
	u, _ := url.QueryUnescape(user)
	pw, _ := url.QueryUnescape(pass)
	return ok && u == clientID && pw == contractSecret && !r.Form.Has("client_secret")
}

// codes remembers what each issued code was for, and each refresh token,
// as a provider does.
type codes struct {
	mu      sync.Mutex
	issued  map[string]url.Values // code -> the authorization request
	refresh map[string]bool       // refresh token -> still valid
	n       int
}

func newCodes() *codes { return &codes{issued: map[string]url.Values{}, refresh: map[string]bool{}} }

func (c *codes) issue(req url.Values) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	code := "code-" + string(rune('a'+c.n%26)) + strings.Repeat("x", c.n)
	c.issued[code] = req
	return code
}

// redeem returns the authorization request of a code, once.
func (c *codes) redeem(code string) (url.Values, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	req, ok := c.issued[code]
	delete(c.issued, code)
	return req, ok
}

// newRefresh issues a refresh token.
func (c *codes) newRefresh(prefix string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	rt := prefix + strings.Repeat("r", c.n)
	c.refresh[rt] = true
	return rt
}

// useRefresh reports whether rt is valid; with rotate, it is then spent.
func (c *codes) useRefresh(rt string, rotate bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.refresh[rt] {
		return false
	}
	if rotate {
		c.refresh[rt] = false
	}
	return true
}

// idSigner signs ID tokens with a fresh RSA key and serves its JWKS.
type idSigner struct {
	t      *testing.T
	key    *rsa.PrivateKey
	signer jose.Signer
}

func newIDSigner(t *testing.T) *idSigner {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1", Algorithm: "RS256"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	return &idSigner{t: t, key: key, signer: signer}
}

// sign returns a signed ID token with the standard claims and extra.
func (s *idSigner) sign(iss, aud, nonce string, extra map[string]any) string {
	claims := map[string]any{"iss": iss, "aud": aud, "nonce": nonce, "iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix()}
	for k, v := range extra {
		claims[k] = v
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.signer.Sign(payload)
	if err != nil {
		s.t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// jwks serves the public key.
func (s *idSigner) jwks(host string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Host != host {
			s.t.Errorf("JWKS read from %s, want %s", r.Host, host)
		}
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
		b, _ := json.Marshal(set)
		writeJSON(w, 200, string(b))
	}
}

// jsonBody encodes v for writeJSON.
func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// accountRefresh is what access.Service hands its refresher for an
// account (access.RefreshRequest).
type accountRefresh struct{ AccountID, SourceKey, Extra, RefreshToken string }

// refreshRequest is the accountRefresh of an account.
func refreshRequest(key, extra, refreshToken string) accountRefresh {
	return accountRefresh{AccountID: "acc-1", SourceKey: key, Extra: extra, RefreshToken: refreshToken}
}

// refresher is RefreshAccount called the way app/web's adapter calls it
// for access.Service.AccessToken.
func refresher(c *oauth.Client, cat *sources.Catalog) func(context.Context, accountRefresh) (*oauth.Tokens, error) {
	return func(ctx context.Context, r accountRefresh) (*oauth.Tokens, error) {
		return c.RefreshAccount(ctx, cat, r.SourceKey, r.Extra, r.RefreshToken)
	}
}

// TestContractCoversEveryBuiltinSource: each built-in source (the sandbox
// has its own tests in app/sandbox) has a contract test in this package; a
// new built-in source needs one.
func TestContractCoversEveryBuiltinSource(t *testing.T) {
	covered := map[string]string{
		"google_ads": "TestContractGoogle", "google_analytics": "TestContractGoogle", "google_sheets": "TestContractGoogle",
		"facebook_ads": "TestContractFacebook", "linkedin_ads": "TestContractLinkedIn", "shopify": "TestContractShopify",
		"quickbooks": "TestContractQuickBooks", "xero": "TestContractXero", "hubspot": "TestContractHubSpot",
	}
	cat, err := sources.Load(sources.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cat.All()); n != len(covered) {
		t.Errorf("%d built-in sources, %d with a contract test", n, len(covered))
	}
	for _, s := range cat.All() {
		if covered[s.Key] == "" {
			t.Errorf("built-in source %s has no contract test", s.Key)
		}
	}
}
