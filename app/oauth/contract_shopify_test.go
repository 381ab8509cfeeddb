package oauth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// fakeShopify is a store's OAuth authorization code grant and GraphQL
// Admin API: the callback signed with hmac (as Shopify's own library
// computes it, the base64 host included), the client only in the body (no
// Basic), expiring=1 for an expiring offline token whose refresh token
// rotates on every use, and the shop read from the GraphQL Admin API; the
// REST shop.json of 2025-01 is past its support window and answers 404.
type fakeShopify struct {
	t       *testing.T
	shop    string
	version string
	codes   *codes
}

func newFakeShopify(p *fakeProvider, shop, version string) *fakeShopify {
	s := &fakeShopify{t: p.t, shop: shop, version: version, codes: newCodes()}
	p.handle("/admin/oauth/authorize", s.authorize)
	p.handle("/admin/oauth/access_token", s.token)
	p.handle("/admin/api/"+version+"/graphql.json", s.graphql)
	p.handle("/admin/api/2025-01/shop.json", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 404, `{"errors":"Not Found"}`)
	})
	return s
}

// shopifySign is Shopify's hmac over the callback parameters: sorted,
// form-encoded like URLSearchParams, joined with "&".
func shopifySign(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	enc := strings.NewReplacer("%2A", "*", "~", "%7E")
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = enc.Replace(url.QueryEscape(k)) + "=" + enc.Replace(url.QueryEscape(q.Get(k)))
	}
	mac := hmac.New(sha256.New, []byte(contractSecret))
	_, _ = io.WriteString(mac, strings.Join(parts, "&"))
	return hex.EncodeToString(mac.Sum(nil))
}

func (s *fakeShopify) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Host != s.shop || q.Get("client_id") != "shopify-client" || q.Get("redirect_uri") != "https://app.example/oauth/callback" ||
		q.Get("scope") != "read_orders,read_products,read_customers" || q.Get("state") == "" || q.Has("code_challenge") {
		s.t.Errorf("Shopify authorize request %s %v", r.Host, q)
	}
	back := url.Values{"code": {s.codes.issue(q)}, "host": {"YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ=="}, "shop": {s.shop},
		"state": {q.Get("state")}, "timestamp": {"1764460800"}}
	back.Set("hmac", shopifySign(back))
	redirectBack(w, r, back)
}

func (s *fakeShopify) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Host != s.shop {
		s.t.Errorf("token request %s %s", r.Method, r.Host)
	}
	if !bodyClient(r, "shopify-client") {
		writeJSON(w, 400, `{"error":"invalid_request","error_description":"Missing or invalid client_id or client_secret"}`)
		return
	}
	answer := func(rt string) {
		writeJSON(w, 200, jsonBody(map[string]any{"access_token": "shpat_" + rt, "expires_in": 3600, "refresh_token": rt,
			"refresh_token_expires_in": 7776000, "scope": "read_orders,read_products,read_customers"}))
	}
	switch r.Form.Get("grant_type") {
	case "", "authorization_code":
		if _, ok := s.codes.redeem(r.Form.Get("code")); !ok {
			writeJSON(w, 400, `{"error":"invalid_request","error_description":"The authorization code was not found or was already used"}`)
			return
		}
		// Public apps: non-expiring offline tokens are refused.
		if r.Form.Get("expiring") != "1" {
			writeJSON(w, 400, `{"error":"invalid_request","error_description":"Public apps must request expiring offline access tokens (expiring=1)"}`)
			return
		}
		answer(s.codes.newRefresh("shprt_"))
	case "refresh_token":
		if !s.codes.useRefresh(r.Form.Get("refresh_token"), true) {
			writeJSON(w, 400, `{"error":"invalid_grant","error_description":"The refresh token is invalid or was already used"}`)
			return
		}
		answer(s.codes.newRefresh("shprt_"))
	default:
		writeJSON(w, 400, `{"error":"unsupported_grant_type"}`)
	}
}

func (s *fakeShopify) graphql(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Query string `json:"query"`
	}
	err := json.NewDecoder(r.Body).Decode(&body)
	if r.Method != http.MethodPost || r.Host != s.shop || err != nil || !strings.Contains(body.Query, "shop") ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, 400, `{"errors":[{"message":"Bad request"}]}`)
		return
	}
	if !strings.HasPrefix(r.Header.Get("X-Shopify-Access-Token"), "shpat_") || r.Header.Get("Authorization") != "" {
		writeJSON(w, 401, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`)
		return
	}
	writeJSON(w, 200, `{"data":{"shop":{"id":"gid://shopify/Shop/548380009","name":"Acme Store","email":"owner@acme.example","myshopifyDomain":"acme.myshopify.com"}},
		"extensions":{"cost":{"requestedQueryCost":1}}}`)
}

func TestContractShopify(t *testing.T) {
	p := newFakeProvider(t)
	src := p.cat.Get("shopify")
	if src.APIVersion != "2026-10" {
		t.Fatalf("api_version %q", src.APIVersion)
	}
	newFakeShopify(p, "acme.myshopify.com", src.APIVersion)
	id := p.connected("shopify", "acme.myshopify.com")
	if id.ExternalID != "gid://shopify/Shop/548380009" || id.DisplayName != "Acme Store" || id.Email != "owner@acme.example" ||
		id.RefreshToken == "" || id.Expiry.IsZero() {
		t.Errorf("identity %+v, want the shop and an expiring token with a refresh token", id)
	}
	if got := extraOf(t, id)["shop"]; got != "acme.myshopify.com" {
		t.Errorf("extra %s", id.Extra)
	}

	// The refresh token rotates: each use returns a new one, and the old
	// one is refused afterwards.
	refresh := refresher(p.client, p.cat)
	rt0 := id.RefreshToken
	tok, err := refresh(context.Background(), refreshRequest("shopify", `{"shop":"acme.myshopify.com"}`, rt0))
	if err != nil || tok.RefreshToken == "" || tok.RefreshToken == rt0 || tok.ExpiresIn.Seconds() != 3600 {
		t.Fatalf("refresh = %+v, %v, want a new refresh token", tok, err)
	}
	if _, err := refresh(context.Background(), refreshRequest("shopify", `{"shop":"acme.myshopify.com"}`, tok.RefreshToken)); err != nil {
		t.Fatalf("refresh with the rotated token: %v", err)
	}
	_, err = refresh(context.Background(), refreshRequest("shopify", `{"shop":"acme.myshopify.com"}`, rt0))
	wantError(t, err, "token", "invalid_grant")
	for _, req := range p.requests("/admin/oauth/access_token") {
		if req.Form.Get("grant_type") == "refresh_token" && req.Form.Has("expiring") {
			t.Errorf("refresh request %v carries the exchange's expiring", req.Form)
		}
	}
}
