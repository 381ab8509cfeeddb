package oauth_test

// Code exchange and token refresh against a fake provider on a TLS
// listener, with sources declared in an operator's SOURCES_FILE: each
// provider quirk, scope checks, identity failures, and the one-send rule of
// the token endpoint.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/oauth"
	"github.com/accessrequests/accessrequests/app/sources"
)

// quirkSources declares one source per quirk; %[1]s is the fake
// provider's URL. Shopify's URLs keep the {shop} placeholder; the test
// client dials the fake provider for every host.
const quirkSources = `sources:
  - key: qb_test
    name: QuickBooks-like
    auth_url: %[1]s/qb/authorize
    token_url: %[1]s/qb/token
    pkce: false
    quirks: [quickbooks_realm]
    scopes:
      - {name: com.intuit.quickbooks.accounting, title: Books}
      - {name: openid, title: Who}
    identity: {userinfo_url: "%[1]s/qb/userinfo", id_field: sub, name_field: givenName, email_field: email}
  - key: xero_test
    name: Xero-like
    auth_url: %[1]s/xero/authorize
    token_url: %[1]s/xero/token
    quirks: [xero_tenants]
    scopes:
      - {name: accounting.reports.read, title: Reports}
      - {name: offline_access, title: Offline}
    identity: {userinfo_url: "%[1]s/xero/userinfo", id_field: xero_userid, name_field: name}
  - key: fb_test
    name: Facebook-like
    auth_url: %[1]s/fb/dialog/oauth
    token_url: %[1]s/fb/oauth/access_token
    pkce: false
    scope_separator: ","
    quirks: [facebook_long_lived]
    scopes:
      - {name: ads_read, title: Ads}
    identity: {userinfo_url: "%[1]s/fb/me?fields=id,name,email", id_field: id, name_field: name, email_field: email}
  - key: shop_test
    name: Shopify-like
    auth_url: https://{shop}/admin/oauth/authorize
    token_url: https://{shop}/admin/oauth/access_token
    pkce: false
    scope_separator: ","
    quirks: [shopify]
    scopes:
      - {name: read_orders, title: Orders}
      - {name: read_products, title: Products}
    identity: {userinfo_url: "https://{shop}/admin/api/2025-01/shop.json", id_field: shop.id, name_field: shop.name, email_field: shop.email}
  - key: plain_test
    name: Plain OAuth
    auth_url: %[1]s/plain/authorize
    token_url: %[1]s/plain/token
    scopes:
      - {name: openid, title: Who}
      - {name: data.read, title: Data}
      - {name: extra.read, title: Extras, optional: true}
    identity: {userinfo_url: "%[1]s/plain/userinfo", id_field: sub, name_field: name}
`

// fakeProvider is a provider on a TLS listener whose routes each test
// sets; it records every request it gets.
type fakeProvider struct {
	t      *testing.T
	srv    *httptest.Server
	cat    *sources.Catalog
	client *oauth.Client

	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	seen   []seenRequest
}

type seenRequest struct {
	Method, Host, Path string
	Query, Form        url.Values
	Header             http.Header
	BasicUser          string
}

func newFakeProvider(t *testing.T) *fakeProvider {
	t.Helper()
	return newFakeProviderWith(t, quirkSources)
}

// newFakeProviderWith is newFakeProvider with other sources (%[1]s is the
// fake provider's URL); the built-in catalog is loaded as well.
func newFakeProviderWith(t *testing.T, sourcesYAML string) *fakeProvider {
	t.Helper()
	p := &fakeProvider{t: t, routes: map[string]http.HandlerFunc{}}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)

	file := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(file, fmt.Appendf(nil, sourcesYAML, p.srv.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := sources.Load(sources.Options{File: file, Getenv: func(k string) string {
		if key, ok := strings.CutSuffix(k, "_CLIENT_ID"); ok {
			return strings.ToLower(strings.TrimPrefix(key, "SOURCE_")) + "-client"
		}
		if strings.HasSuffix(k, "_CLIENT_SECRET") {
			return "s3cret/+="
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	p.cat = cat

	// Trust the listener's certificate, and reach it whatever the host
	// (acme.myshopify.com included); the certificate is for example.com.
	pool := x509.NewCertPool()
	pool.AddCert(p.srv.Certificate())
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com", MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, p.srv.Listener.Addr().String())
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	p.client = oauth.NewClient("https://app.example/oauth/callback")
	p.client.HTTP = &http.Client{Timeout: 5 * time.Second, Transport: tr}
	return p
}

func (p *fakeProvider) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	user, _, _ := r.BasicAuth()
	p.mu.Lock()
	p.seen = append(p.seen, seenRequest{Method: r.Method, Host: r.Host, Path: r.URL.Path, Query: r.URL.Query(), Form: form, Header: r.Header.Clone(), BasicUser: user})
	h := p.routes[r.URL.Path]
	p.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	r.Form = form
	r.Body = io.NopCloser(bytes.NewReader(body))
	h(w, r)
}

// handle sets the handler of a path.
func (p *fakeProvider) handle(path string, h http.HandlerFunc) {
	p.mu.Lock()
	p.routes[path] = h
	p.mu.Unlock()
}

// requests lists the requests received at a path.
func (p *fakeProvider) requests(path string) []seenRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []seenRequest
	for _, s := range p.seen {
		if s.Path == path {
			out = append(out, s)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// answer is a handler that always sends body as JSON.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, status, body) }
}

// hang never answers: it holds the request until the client gives up (at
// most 3 seconds), then drops the connection without a response.
func hang(_ http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(3 * time.Second):
	}
	panic(http.ErrAbortHandler)
}

// tokenAnswer is a handler for a code exchange that checks the code.
func tokenAnswer(t *testing.T, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Form.Get("grant_type") != "authorization_code" || r.Form.Get("code") != "the-code" {
			t.Errorf("token request %s %v, want a POST exchanging the-code", r.Method, r.Form)
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// exchange runs Exchange for a source with a fresh flow and the callback
// query extra (code and state added).
func (p *fakeProvider) exchange(key, shop string, extra url.Values) (*oauth.Identity, error) {
	p.t.Helper()
	src := p.cat.Get(key)
	if src == nil {
		p.t.Fatalf("source %s not loaded", key)
	}
	f := oauth.Begin("link-1", src, shop, time.Now())
	q := url.Values{"code": {"the-code"}, "state": {f.State}}
	for k, v := range extra {
		q[k] = v
	}
	return p.client.Exchange(context.Background(), src, f, q)
}

// wantError fails unless err is a *oauth.Error of kind and code.
func wantError(t *testing.T, err error, kind, code string) *oauth.Error {
	t.Helper()
	var ce *oauth.Error
	if !errors.As(err, &ce) || ce.Kind != kind || ce.Code != code {
		t.Fatalf("err = %v, want *oauth.Error %s: %s", err, kind, code)
	}
	return ce
}

func extraOf(t *testing.T, id *oauth.Identity) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(id.Extra), &m); err != nil {
		t.Fatalf("extra %q: %v", id.Extra, err)
	}
	return m
}

func TestExchangeQuickBooksRealm(t *testing.T) {
	p := newFakeProvider(t)
	p.handle("/qb/token", tokenAnswer(t, `{"access_token":"qb-at","refresh_token":"qb-rt","token_type":"bearer","expires_in":3600}`))
	p.handle("/qb/userinfo", answer(200, `{"sub":"qb-user-1","givenName":"Quinn","email":"quinn@books.example"}`))

	id, err := p.exchange("qb_test", "", url.Values{"realmId": {"9130354"}})
	if err != nil {
		t.Fatal(err)
	}
	if id.ExternalID != "qb-user-1" || id.DisplayName != "Quinn" || id.Email != "quinn@books.example" ||
		id.AccessToken != "qb-at" || id.RefreshToken != "qb-rt" {
		t.Errorf("identity %+v", id)
	}
	if got := extraOf(t, id)["realm_id"]; got != "9130354" {
		t.Errorf("extra %s, want realm_id 9130354", id.Extra)
	}
	if d := time.Until(id.Expiry); d < 59*time.Minute || d > time.Hour {
		t.Errorf("expiry in %v, want an hour", d)
	}
	tok := p.requests("/qb/token")
	if len(tok) != 1 || tok[0].BasicUser != "qb_test-client" || tok[0].Form.Has("code_verifier") || tok[0].Form.Has("client_secret") {
		t.Errorf("token requests %+v, want one with HTTP Basic and no PKCE", tok)
	}

	t.Run("CallbackWithoutRealmIsRefusedBeforeTheExchange", func(t *testing.T) {
		_, err := p.exchange("qb_test", "", nil)
		wantError(t, err, oauth.KindIdentity, "no_realm")
		if n := len(p.requests("/qb/token")); n != 1 {
			t.Errorf("%d token requests, want no new one", n)
		}
	})
}

func TestExchangeXeroTenants(t *testing.T) {
	p := newFakeProvider(t)
	saved := oauth.XeroConnectionsURL
	oauth.XeroConnectionsURL = p.srv.URL + "/xero/connections"
	t.Cleanup(func() { oauth.XeroConnectionsURL = saved })

	p.handle("/xero/token", tokenAnswer(t, `{"access_token":"xero-at","refresh_token":"xero-rt","expires_in":1800,"scope":"accounting.reports.read offline_access"}`))
	p.handle("/xero/userinfo", answer(200, `{"xero_userid":"xu-1","name":"Xavier"}`))
	p.handle("/xero/connections", answer(200, `[{"id":"c1","tenantId":"t-1","tenantName":"Org One","tenantType":"ORGANISATION"},
		{"id":"c2","tenantId":"t-2","tenantName":"Org Two","tenantType":"ORGANISATION"}]`))

	id, err := p.exchange("xero_test", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"id": "t-1", "name": "Org One", "type": "ORGANISATION"},
		map[string]any{"id": "t-2", "name": "Org Two", "type": "ORGANISATION"},
	}
	if got := extraOf(t, id)["tenants"]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tenants %v, want %v", got, want)
	}
	if id.ExternalID != "xu-1" {
		t.Errorf("external ID %q", id.ExternalID)
	}
	conns := p.requests("/xero/connections")
	if len(conns) != 1 || conns[0].Header.Get("Authorization") != "Bearer xero-at" {
		t.Errorf("connections requests %+v, want one with the access token", conns)
	}
	if tok := p.requests("/xero/token"); len(tok) != 1 || len(tok[0].Form.Get("code_verifier")) != 43 {
		t.Errorf("token requests %+v, want one with the PKCE verifier", tok)
	}

	t.Run("NoTenantSharedIsRefused", func(t *testing.T) {
		p.handle("/xero/connections", answer(200, `[]`))
		_, err := p.exchange("xero_test", "", nil)
		wantError(t, err, oauth.KindIdentity, "no_tenants")
	})
}

func TestExchangeFacebookLongLived(t *testing.T) {
	p := newFakeProvider(t)
	p.handle("/fb/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet { // the long-lived exchange
			writeJSON(w, 200, `{"access_token":"fb-long","token_type":"bearer","expires_in":5184000}`)
			return
		}
		tokenAnswer(t, `{"access_token":"fb-short","token_type":"bearer","expires_in":7200}`)(w, r)
	})
	p.handle("/fb/me", answer(200, `{"id":"10223456789012345","name":"Fay Book","email":"fay@fb.example"}`))

	id, err := p.exchange("fb_test", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if id.AccessToken != "fb-long" || id.RefreshToken != "" {
		t.Errorf("stored tokens %q / %q, want the long-lived fb-long and no refresh token", id.AccessToken, id.RefreshToken)
	}
	if d := time.Until(id.Expiry); d < 59*24*time.Hour || d > 60*24*time.Hour {
		t.Errorf("expiry in %v, want 60 days", d)
	}
	if id.ExternalID != "10223456789012345" || id.DisplayName != "Fay Book" {
		t.Errorf("identity %+v", id)
	}
	reqs := p.requests("/fb/oauth/access_token")
	if len(reqs) != 2 || reqs[0].Method != http.MethodPost || reqs[1].Method != http.MethodGet {
		t.Fatalf("token endpoint requests %+v, want the code exchange then one GET", reqs)
	}
	q := reqs[1].Query
	for k, want := range map[string]string{"grant_type": "fb_exchange_token", "client_id": "fb_test-client", "client_secret": "s3cret/+=", "fb_exchange_token": "fb-short"} {
		if got := q.Get(k); got != want {
			t.Errorf("long-lived exchange %s = %q, want %q", k, got, want)
		}
	}
	me := p.requests("/fb/me")
	if len(me) != 1 || me[0].Header.Get("Authorization") != "Bearer fb-long" || me[0].Query.Get("fields") != "id,name,email" {
		t.Errorf("user-info requests %+v, want one with the long-lived token", me)
	}

	t.Run("NoLongLivedTokenFails", func(t *testing.T) {
		p.handle("/fb/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				writeJSON(w, 400, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
				return
			}
			writeJSON(w, 200, `{"access_token":"fb-short","token_type":"bearer","expires_in":7200}`)
		})
		_, err := p.exchange("fb_test", "", nil)
		wantError(t, err, oauth.KindToken, "long_lived_failed")
	})
}

func TestExchangeShopify(t *testing.T) {
	p := newFakeProvider(t)
	p.handle("/admin/oauth/access_token", tokenAnswer(t, `{"access_token":"shpat_1","scope":"read_orders,read_products"}`))
	// A numeric ID beyond 2^53 keeps every digit.
	p.handle("/admin/api/2025-01/shop.json", answer(200, `{"shop":{"id":9007199254740993,"name":"Acme Store","email":"owner@acme.example"}}`))

	id, err := p.exchange("shop_test", "acme.myshopify.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if id.ExternalID != "9007199254740993" || id.DisplayName != "Acme Store" || id.Email != "owner@acme.example" {
		t.Errorf("identity %+v", id)
	}
	if got := extraOf(t, id)["shop"]; got != "acme.myshopify.com" {
		t.Errorf("extra %s, want the shop", id.Extra)
	}
	if !slices.Equal(id.Scopes, []string{"read_orders", "read_products"}) {
		t.Errorf("scopes %v", id.Scopes)
	}
	tok := p.requests("/admin/oauth/access_token")
	if len(tok) != 1 || tok[0].Host != "acme.myshopify.com" {
		t.Errorf("token requests %+v, want one to the shop's host", tok)
	}
	info := p.requests("/admin/api/2025-01/shop.json")
	if len(info) != 1 || info[0].Host != "acme.myshopify.com" || info[0].Header.Get("X-Shopify-Access-Token") != "shpat_1" ||
		info[0].Header.Get("Authorization") != "" {
		t.Errorf("user-info requests %+v, want one to the shop with X-Shopify-Access-Token and no Authorization", info)
	}
}

func TestExchangeScopes(t *testing.T) {
	p := newFakeProvider(t)
	p.handle("/plain/userinfo", answer(200, `{"sub":"u-1","name":"Pat"}`))

	t.Run("NoScopeInTheAnswerMeansTheRequestedScopes", func(t *testing.T) {
		p.handle("/plain/token", tokenAnswer(t, `{"access_token":"at","token_type":"Bearer"}`))
		id, err := p.exchange("plain_test", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"openid", "data.read", "extra.read"}; !slices.Equal(id.Scopes, want) {
			t.Errorf("scopes %v, want the requested %v", id.Scopes, want)
		}
		if !id.Expiry.IsZero() {
			t.Errorf("expiry %v without expires_in", id.Expiry)
		}
	})
	t.Run("OptionalAndIdentityScopesMayBeRefused", func(t *testing.T) {
		p.handle("/plain/token", tokenAnswer(t, `{"access_token":"at","token_type":"Bearer","scope":"data.read"}`))
		id, err := p.exchange("plain_test", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(id.Scopes, []string{"data.read"}) {
			t.Errorf("scopes %v, want the granted data.read", id.Scopes)
		}
	})
	t.Run("MissingRequiredScope", func(t *testing.T) {
		p.handle("/plain/token", tokenAnswer(t, `{"access_token":"at","token_type":"Bearer","scope":"openid extra.read"}`))
		before := len(p.requests("/plain/userinfo"))
		_, err := p.exchange("plain_test", "", nil)
		ce := wantError(t, err, oauth.KindScopes, "scopes_missing")
		if !slices.Equal(ce.Missing, []string{"data.read"}) {
			t.Errorf("missing %v, want [data.read]", ce.Missing)
		}
		if n := len(p.requests("/plain/userinfo")) - before; n != 0 {
			t.Errorf("user info read %d times for a refused grant", n)
		}
	})
}

func TestExchangeIdentityFailures(t *testing.T) {
	p := newFakeProvider(t)
	p.handle("/plain/token", tokenAnswer(t, `{"access_token":"at","token_type":"Bearer"}`))
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
		code string
	}{
		{"Status500", answer(500, `{"error":"server_error"}`), "http_500"},
		{"BadJSON", answer(200, `{"sub":"u-1",`), "bad_json"},
		{"NotAnObject", answer(200, `["u-1"]`), "bad_json"},
		{"NoAccountID", answer(200, `{"name":"Nobody"}`), "no_account_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p.handle("/plain/userinfo", c.h)
			_, err := p.exchange("plain_test", "", nil)
			wantError(t, err, oauth.KindIdentity, c.code)
		})
	}
}

func TestExchangeTokenEndpointSentOnce(t *testing.T) {
	p := newFakeProvider(t)
	p.handle("/plain/userinfo", answer(200, `{"sub":"u-1"}`))
	for _, c := range []struct {
		name  string
		h     http.HandlerFunc
		kind  string
		code  string
		sends int
	}{
		{"Status500", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(500)
			_, _ = io.WriteString(w, "<h1>Internal Server Error</h1>")
		}, oauth.KindToken, "http_500", 1},
		{"Status503JSON", answer(503, `{"error":"temporarily_unavailable"}`), oauth.KindToken, "temporarily_unavailable", 1},
		{"InvalidGrant", answer(400, `{"error":"invalid_grant","error_description":"Code already used"}`), oauth.KindToken, "invalid_grant", 1},
		{"MalformedJSON", answer(200, `{"access_token":"at",`), oauth.KindToken, "exchange_failed", 1},
		{"Timeout", hang, oauth.KindToken, "timeout", 1},
		// The provider refuses the client before it reads the code: the code
		// is sent again, with the credentials in the body.
		{"InvalidClientThenPost", func(w http.ResponseWriter, r *http.Request) {
			if _, _, basic := r.BasicAuth(); basic {
				writeJSON(w, 401, `{"error":"invalid_client"}`)
				return
			}
			writeJSON(w, 200, `{"access_token":"at","token_type":"Bearer"}`)
		}, "", "", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "Timeout" {
				saved := p.client.HTTP.Timeout
				p.client.HTTP.Timeout = 300 * time.Millisecond
				defer func() { p.client.HTTP.Timeout = saved }()
			}
			before := len(p.requests("/plain/token"))
			p.handle("/plain/token", c.h)
			_, err := p.exchange("plain_test", "", nil)
			if c.kind == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				wantError(t, err, c.kind, c.code)
			}
			reqs := p.requests("/plain/token")[before:]
			if len(reqs) != c.sends {
				t.Fatalf("the code was sent %d times, want %d", len(reqs), c.sends)
			}
			if c.sends == 2 && (reqs[1].BasicUser != "" || reqs[1].Form.Get("client_secret") != "s3cret/+=") {
				t.Errorf("second send %+v, want the credentials in the body", reqs[1])
			}
		})
	}
}

// Refresh: the refresh token is sent once, rotation is reported, and a
// refused token matches oauth.ErrInvalidGrant.
func TestRefresh(t *testing.T) {
	p := newFakeProvider(t)
	src := p.cat.Get("xero_test")
	refreshHandler := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Form.Get("grant_type") != "refresh_token" || r.Form.Get("refresh_token") != "rt-0" || r.Form.Has("code") {
				t.Errorf("refresh request %v", r.Form)
			}
			writeJSON(w, 200, body)
		}
	}
	sends := func() int { return len(p.requests("/xero/token")) }

	t.Run("Rotating", func(t *testing.T) {
		p.handle("/xero/token", refreshHandler(`{"access_token":"at-1","refresh_token":"rt-1","token_type":"Bearer","expires_in":1800}`))
		tok, err := p.client.Refresh(context.Background(), src, "", "rt-0")
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != "at-1" || tok.RefreshToken != "rt-1" || tok.ExpiresIn != 30*time.Minute {
			t.Errorf("tokens %+v", tok)
		}
		last := p.requests("/xero/token")[sends()-1]
		if last.BasicUser != "xero_test-client" || last.Form.Has("client_secret") {
			t.Errorf("refresh authenticated the client with %+v, want HTTP Basic", last)
		}
	})
	t.Run("NotRotatingFormEncoded", func(t *testing.T) {
		p.handle("/xero/token", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			_, _ = io.WriteString(w, "access_token=at-2&token_type=bearer&expires_in=3600")
		})
		tok, err := p.client.Refresh(context.Background(), src, "", "rt-0")
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != "at-2" || tok.RefreshToken != "" || tok.ExpiresIn < 59*time.Minute || tok.ExpiresIn > time.Hour {
			t.Errorf("tokens %+v, want at-2, no new refresh token, an hour", tok)
		}
	})
	t.Run("InvalidGrant", func(t *testing.T) {
		p.handle("/xero/token", answer(400, `{"error":"invalid_grant"}`))
		before := sends()
		_, err := p.client.Refresh(context.Background(), src, "", "rt-0")
		wantError(t, err, oauth.KindToken, "invalid_grant")
		if !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Error("invalid_grant does not match oauth.ErrInvalidGrant")
		}
		if n := sends() - before; n != 1 {
			t.Errorf("sent %d times, want 1", n)
		}
	})
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
		code string
	}{
		{"Status500", answer(500, `{}`), "http_500"},
		{"Status502HTML", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
		}, "http_502"},
		{"Timeout", hang, "timeout"},
		{"MalformedJSON", answer(200, `{"access_token":`), "exchange_failed"},
	} {
		t.Run("SentOnce"+c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.code == "timeout" {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
			}
			p.handle("/xero/token", c.h)
			before := sends()
			_, err := p.client.Refresh(ctx, src, "", "rt-0")
			wantError(t, err, oauth.KindToken, c.code)
			if errors.Is(err, oauth.ErrInvalidGrant) {
				t.Error("a provider failure passes for invalid_grant")
			}
			if n := sends() - before; n != 1 {
				t.Errorf("the refresh token was sent %d times, want 1", n)
			}
		})
	}
	t.Run("InvalidClientThenPost", func(t *testing.T) {
		p.handle("/xero/token", func(w http.ResponseWriter, r *http.Request) {
			if _, _, basic := r.BasicAuth(); basic {
				writeJSON(w, 401, `{"error":"invalid_client"}`)
				return
			}
			writeJSON(w, 200, `{"access_token":"at-3","token_type":"Bearer"}`)
		})
		before := sends()
		tok, err := p.client.Refresh(context.Background(), src, "", "rt-0")
		if err != nil || tok.AccessToken != "at-3" || tok.ExpiresIn != 0 {
			t.Fatalf("Refresh = %+v, %v", tok, err)
		}
		if n := sends() - before; n != 2 {
			t.Errorf("sent %d times, want 2 (Basic refused, then the body)", n)
		}
	})
	t.Run("NoRefreshToken", func(t *testing.T) {
		before := sends()
		_, err := p.client.Refresh(context.Background(), src, "", "")
		wantError(t, err, oauth.KindToken, "no_refresh_token")
		if sends() != before {
			t.Error("a request was sent without a refresh token")
		}
	})
}

func TestRefreshShopAndRefresher(t *testing.T) {
	p := newFakeProvider(t)
	p.handle("/admin/oauth/access_token", answer(200, `{"access_token":"shpat_2","refresh_token":"shprt_2","expires_in":86400}`))
	src := p.cat.Get("shop_test")

	t.Run("InvalidShopIsRefusedBeforeAnyRequest", func(t *testing.T) {
		for _, shop := range []string{"", "evil.example.com", "acme.myshopify.com.evil.example", "acme.myshopify.com/x"} {
			_, err := p.client.Refresh(context.Background(), src, shop, "rt")
			wantError(t, err, oauth.KindInput, "invalid_shop")
		}
		p.mu.Lock()
		n := len(p.seen)
		p.mu.Unlock()
		if n != 0 {
			t.Errorf("%d requests sent for invalid shops", n)
		}
	})
	t.Run("RefresherReadsTheShopFromTheAccount", func(t *testing.T) {
		refresh := refresher(p.client, p.cat)
		tok, err := refresh(context.Background(), accountRefresh{AccountID: "a-1", SourceKey: "shop_test",
			Extra: `{"shop":"acme.myshopify.com"}`, RefreshToken: "shprt_1"})
		if err != nil || tok.AccessToken != "shpat_2" || tok.RefreshToken != "shprt_2" || tok.ExpiresIn != 24*time.Hour {
			t.Fatalf("refresh = %+v, %v", tok, err)
		}
		reqs := p.requests("/admin/oauth/access_token")
		if len(reqs) != 1 || reqs[0].Host != "acme.myshopify.com" || reqs[0].Form.Get("refresh_token") != "shprt_1" {
			t.Errorf("requests %+v, want one to the shop with the refresh token", reqs)
		}
		if _, err := refresh(context.Background(), accountRefresh{SourceKey: "gone", RefreshToken: "x"}); err == nil {
			t.Error("an unknown source refreshed")
		}
	})
}
