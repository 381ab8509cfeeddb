package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// fakeIntuit is Intuit's OAuth 2.0 for QuickBooks Online: the client with
// HTTP Basic only (credentials in the body are invalid_client), the
// company's realmId on the callback, a refresh token that may change on
// every refresh, and the OpenID user info (no names without the profile
// scope).
type fakeIntuit struct{ fake }

func newFakeIntuit(p *fakeProvider) *fakeIntuit {
	in := &fakeIntuit{newFake(p)}
	p.handle("/connect/oauth2", in.authorize)
	p.handle("/oauth2/v1/tokens/bearer", in.token)
	p.handle("/v1/openid_connect/userinfo", in.userinfo)
	return in
}

func (in *fakeIntuit) authorize(w http.ResponseWriter, r *http.Request) {
	in.codeBack(w, r, "Intuit", "appcenter.intuit.com", "quickbooks-client", "com.intuit.quickbooks.accounting openid email",
		url.Values{"realmId": {"9341453474484455"}})
}

func (in *fakeIntuit) token(w http.ResponseWriter, r *http.Request) {
	grant := tokenRequest(in.t, r, "oauth.platform.intuit.com")
	if !basicClient(r, "quickbooks-client") {
		writeJSON(w, 401, `{"error":"invalid_client"}`)
		return
	}
	answer := func() {
		writeJSON(w, 200, jsonBody(map[string]any{"token_type": "bearer", "expires_in": 3600, "refresh_token": in.codes.newRefresh("AB11"),
			"x_refresh_token_expires_in": 8726400, "access_token": "eyJlbmMiOi"}))
	}
	switch grant {
	case "authorization_code":
		if _, ok := in.codes.redeem(r.Form.Get("code")); !ok || r.Form.Get("redirect_uri") != "https://app.example/oauth/callback" {
			writeJSON(w, 400, `{"error":"invalid_grant"}`)
			return
		}
		answer()
	case "refresh_token":
		if !in.codes.useRefresh(r.Form.Get("refresh_token"), true) {
			writeJSON(w, 400, `{"error":"invalid_grant"}`)
			return
		}
		answer()
	}
}

func (in *fakeIntuit) userinfo(w http.ResponseWriter, r *http.Request) {
	if r.Host != "accounts.platform.intuit.com" || r.Header.Get("Authorization") != "Bearer eyJlbmMiOi" {
		writeJSON(w, 401, `{"error":"invalid_token"}`)
		return
	}
	writeJSON(w, 200, `{"sub":"1182d6ec-2a1f-4bd9-a4b3-d6f2d1e1b2c3","email":"quinn@books.example","emailVerified":true}`)
}

func TestContractQuickBooks(t *testing.T) {
	p := newFakeProvider(t)
	newFakeIntuit(p)
	id := p.connected("quickbooks", "")
	if id.ExternalID != "1182d6ec-2a1f-4bd9-a4b3-d6f2d1e1b2c3" || id.Email != "quinn@books.example" || id.RefreshToken == "" {
		t.Errorf("identity %+v", id)
	}
	if got := extraOf(t, id)["realm_id"]; got != "9341453474484455" {
		t.Errorf("extra %s, want the realmId", id.Extra)
	}
	tok, err := p.client.Refresh(context.Background(), p.cat.Get("quickbooks"), "", id.RefreshToken)
	if err != nil || tok.RefreshToken == "" || tok.RefreshToken == id.RefreshToken {
		t.Fatalf("refresh = %+v, %v, want the new refresh token to be kept", tok, err)
	}
	if src := p.cat.Get("quickbooks"); src.RevokeURL != "https://developer.api.intuit.com/v2/oauth2/tokens/revoke" {
		t.Errorf("revoke_url %q", src.RevokeURL)
	}
}

// fakeXero is Xero's OAuth 2.0 for a web app created after 2 March 2026:
// the broad accounting.transactions(.read) and accounting.reports.read
// scopes are refused with invalid_scope; the client with HTTP Basic only;
// PKCE; an ID token (given_name and family_name, no name) signed with the
// keys at identity.xero.com; the organisations at api.xero.com/connections;
// a refresh token that rotates.
type fakeXero struct {
	t     *testing.T
	codes *codes
	ids   *idSigner
}

var xeroOldScopes = []string{"accounting.transactions", "accounting.transactions.read", "accounting.reports.read"}

func newFakeXero(p *fakeProvider) *fakeXero {
	x := &fakeXero{t: p.t, codes: newCodes(), ids: newIDSigner(p.t)}
	p.handle("/identity/connect/authorize", x.authorize)
	p.handle("/connect/token", x.token)
	p.handle("/.well-known/openid-configuration/jwks", x.ids.jwks("identity.xero.com"))
	p.handle("/connections", x.connections)
	return x
}

func (x *fakeXero) authorize(w http.ResponseWriter, r *http.Request) {
	q := authRequest(x.t, r, "login.xero.com", "xero-client")
	if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" {
		x.t.Errorf("Xero authorize request %v, want PKCE and a nonce", q)
	}
	for _, s := range strings.Fields(q.Get("scope")) {
		if slices.Contains(xeroOldScopes, s) {
			redirectBack(w, r, url.Values{"error": {"invalid_scope"}, "state": {q.Get("state")}})
			return
		}
	}
	if !strings.Contains(q.Get("scope"), "offline_access") {
		x.t.Errorf("Xero scopes %q, want offline_access for a refresh token", q.Get("scope"))
	}
	redirectBack(w, r, url.Values{"code": {x.codes.issue(q)}, "state": {q.Get("state")}, "scope": {q.Get("scope")}})
}

func (x *fakeXero) token(w http.ResponseWriter, r *http.Request) {
	grant := tokenRequest(x.t, r, "identity.xero.com")
	if !basicClient(r, "xero-client") {
		writeJSON(w, 400, `{"error":"invalid_client"}`)
		return
	}
	switch grant {
	case "authorization_code":
		req, ok := x.codes.redeem(r.Form.Get("code"))
		if !ok || len(r.Form.Get("code_verifier")) != 43 {
			writeJSON(w, 400, `{"error":"invalid_grant"}`)
			return
		}
		idToken := x.ids.sign("https://identity.xero.com", "xero-client", req.Get("nonce"), map[string]any{
			"sub": "a3a4dbafh3495a808ed7a7b964388f53", "xero_userid": "1945393b-6eb7-4143-b083-7ab26cd7690b",
			"given_name": "Xavier", "family_name": "Ero", "email": "xavier@xero.example", "preferred_username": "xavier@xero.example"})
		writeJSON(w, 200, jsonBody(map[string]any{"id_token": idToken, "access_token": "xero-at", "expires_in": 1800, "token_type": "Bearer",
			"refresh_token": x.codes.newRefresh("xero-rt"), "scope": req.Get("scope")}))
	case "refresh_token":
		if !x.codes.useRefresh(r.Form.Get("refresh_token"), true) {
			writeJSON(w, 400, `{"error":"invalid_grant"}`)
			return
		}
		writeJSON(w, 200, jsonBody(map[string]any{"access_token": "xero-at2", "expires_in": 1800, "token_type": "Bearer",
			"refresh_token": x.codes.newRefresh("xero-rt"), "scope": "openid offline_access"}))
	}
}

func (x *fakeXero) connections(w http.ResponseWriter, r *http.Request) {
	if r.Host != "api.xero.com" || r.Header.Get("Authorization") != "Bearer xero-at" {
		writeJSON(w, 401, `{"Type":null,"Title":"Unauthorized","Status":401}`)
		return
	}
	writeJSON(w, 200, `[{"id":"e1eede29-f875-4a5d-8470-17f6a29a88b1","authEventId":"d99ecdfe-391d-43d2-b834-17636ba90e8d",
		"tenantId":"70784a63-d24b-46a9-a4db-0e70a274b056","tenantType":"ORGANISATION","tenantName":"Maple Florists",
		"createdDateUtc":"2026-11-30T09:00:00.0000000","updatedDateUtc":"2026-11-30T09:00:00.0000000"}]`)
}

func TestContractXero(t *testing.T) {
	p := newFakeProvider(t)
	newFakeXero(p)
	id := p.connected("xero", "")
	if id.ExternalID != "1945393b-6eb7-4143-b083-7ab26cd7690b" || id.DisplayName != "Xavier Ero" || id.Email != "xavier@xero.example" {
		t.Errorf("identity %+v", id)
	}
	tenants, _ := extraOf(t, id)["tenants"].([]any)
	if len(tenants) != 1 || tenants[0].(map[string]any)["id"] != "70784a63-d24b-46a9-a4db-0e70a274b056" {
		t.Errorf("tenants %v", tenants)
	}
	rt := id.RefreshToken
	tok, err := p.client.Refresh(context.Background(), p.cat.Get("xero"), "", rt)
	if err != nil || tok.RefreshToken == "" || tok.RefreshToken == rt {
		t.Fatalf("refresh = %+v, %v, want a rotated refresh token", tok, err)
	}
	_, err = p.client.Refresh(context.Background(), p.cat.Get("xero"), "", rt)
	wantError(t, err, "token", "invalid_grant")
	if src := p.cat.Get("xero"); src.RevokeURL != "https://identity.xero.com/connect/revocation" {
		t.Errorf("revoke_url %q", src.RevokeURL)
	}

	// The catalog's scopes before issue 15: refused by a new Xero app.
	t.Run("OldScopesAreRefused", func(t *testing.T) {
		src := p.cat.Get("xero")
		saved := src.Scopes
		defer func() { src.Scopes = saved }()
		src.Scopes = append(slices.Clone(saved[:4]), saved[0])
		src.Scopes[4].Name = "accounting.reports.read"
		_, err := p.connectFlow("xero", "")
		wantError(t, err, "provider", "invalid_scope")
	})
}
