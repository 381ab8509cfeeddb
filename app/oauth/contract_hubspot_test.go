package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/accessrequests/accessrequests/app/oauth"
)

// fakeHubSpot is HubSpot's date-versioned OAuth endpoints: the token
// endpoint and the token introspection endpoint take the client only in
// the form body and answer errors as {"message", "correlationId",
// "category"}; the token response carries hub_id, user_id and a "scopes"
// list; the v1 endpoints are shut down (404).
type fakeHubSpot struct {
	t       *testing.T
	version string
	codes   *codes
}

func newFakeHubSpot(p *fakeProvider, version string) *fakeHubSpot {
	h := &fakeHubSpot{t: p.t, version: version, codes: newCodes()}
	p.handle("/oauth/authorize", h.authorize)
	p.handle("/oauth/"+version+"/token", h.token)
	p.handle("/oauth/"+version+"/token/introspect", h.introspect)
	gone := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 404, `{"status":"error","message":"Not found"}`)
	}
	p.handle("/oauth/v1/token", gone)
	return h
}

func hubspotError(w http.ResponseWriter, status int, category, msg string) {
	writeJSON(w, status, jsonBody(map[string]any{"status": "error", "message": msg, "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf", "category": category}))
}

func (h *fakeHubSpot) authorize(w http.ResponseWriter, r *http.Request) {
	q := authRequest(h.t, r, "app.hubspot.com", "hubspot-client")
	if q.Get("scope") != "oauth crm.objects.contacts.read crm.objects.deals.read" {
		h.t.Errorf("HubSpot scopes %q", q.Get("scope"))
	}
	redirectBack(w, r, url.Values{"code": {h.codes.issue(q)}, "state": {q.Get("state")}})
}

func (h *fakeHubSpot) token(w http.ResponseWriter, r *http.Request) {
	grant := tokenRequest(h.t, r, "api.hubapi.com")
	if !bodyClient(r, "hubspot-client") {
		hubspotError(w, 400, "BAD_CLIENT_ID", "missing or invalid client id")
		return
	}
	answer := func() {
		writeJSON(w, 200, jsonBody(map[string]any{"access_token": "CKDZpunPLhIC", "refresh_token": h.codes.newRefresh("6f18f26a"),
			"expires_in": 1800, "token_type": "bearer", "token_use": "access_token", "hub_id": 62515, "user_id": 123456,
			"scopes": []string{"oauth", "crm.objects.contacts.read", "crm.objects.deals.read"}}))
	}
	switch grant {
	case "authorization_code":
		req, ok := h.codes.redeem(r.Form.Get("code"))
		if !ok || r.Form.Get("redirect_uri") != "https://app.example/oauth/callback" ||
			(req.Has("code_challenge") && len(r.Form.Get("code_verifier")) != 43) {
			hubspotError(w, 400, "BAD_AUTH_CODE", "missing or unknown auth code")
			return
		}
		answer()
	case "refresh_token":
		if !h.codes.useRefresh(r.Form.Get("refresh_token"), false) {
			hubspotError(w, 400, "BAD_REFRESH_TOKEN", "missing or unknown refresh token")
			return
		}
		answer()
	}
}

func (h *fakeHubSpot) introspect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Host != "api.hubapi.com" || !bodyClient(r, "hubspot-client") {
		hubspotError(w, 400, "BAD_CLIENT_ID", "missing or invalid client id")
		return
	}
	if r.Form.Get("token") != "CKDZpunPLhIC" {
		writeJSON(w, 200, `{"active":false}`)
		return
	}
	writeJSON(w, 200, `{"active":true,"app_id":456789,"client_id":"hubspot-client","expires_in":1790,"hub_domain":"acme.hubspot.com",
		"hub_id":62515,"is_private_distribution":false,"scopes":["oauth","crm.objects.contacts.read","crm.objects.deals.read"],
		"token":"CKDZpunPLhIC","token_type":"bearer","token_use":"access_token","user":"ana@acme.example","user_id":123456}`)
}

func TestContractHubSpot(t *testing.T) {
	p := newFakeProvider(t)
	src := p.cat.Get("hubspot")
	if src.APIVersion != "2026-03" {
		t.Fatalf("api_version %q", src.APIVersion)
	}
	newFakeHubSpot(p, src.APIVersion)
	id := p.connected("hubspot", "")
	if id.ExternalID != "62515" || id.DisplayName != "acme.hubspot.com" || id.Email != "ana@acme.example" || id.RefreshToken == "" ||
		!slices.Equal(id.Scopes, []string{"oauth", "crm.objects.contacts.read", "crm.objects.deals.read"}) {
		t.Errorf("identity %+v", id)
	}
	tok, err := p.client.Refresh(context.Background(), src, "", id.RefreshToken)
	if err != nil || tok.AccessToken == "" || tok.ExpiresIn.Seconds() != 1800 {
		t.Fatalf("refresh = %+v, %v", tok, err)
	}
	// HubSpot's refusal of a refresh token is RFC 6749's invalid_grant: the
	// account is marked for reconnecting instead of being retried.
	_, err = p.client.Refresh(context.Background(), src, "", "unknown")
	if ce := wantError(t, err, "token", "invalid_grant"); ce.Description != "missing or unknown refresh token" || !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("error %v", ce)
	}
	if src.RevokeURL != "https://api.hubapi.com/oauth/2026-03/token/revoke" {
		t.Errorf("revoke_url %q", src.RevokeURL)
	}
}
