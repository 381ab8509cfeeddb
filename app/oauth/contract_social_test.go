package oauth_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// fakeFacebook is Facebook Login's manual flow on the Graph API version the
// catalog names: the client only in the query or body (a Basic header is
// ignored, so the client is "missing"), errors in Facebook's own shape, a
// token response without scope, the long-lived token exchange, and the
// permissions the person granted or declined at /me/permissions.
type fakeFacebook struct {
	fake
	version  string
	declined []string // permissions the person declines
}

func newFakeFacebook(p *fakeProvider, version string) *fakeFacebook {
	fb := &fakeFacebook{fake: newFake(p), version: version}
	p.handle("/"+version+"/dialog/oauth", fb.authorize)
	p.handle("/"+version+"/oauth/access_token", fb.token)
	p.handle("/"+version+"/me/permissions", fb.permissions)
	p.handle("/"+version+"/me", fb.me)
	return fb
}

func (fb *fakeFacebook) authorize(w http.ResponseWriter, r *http.Request) {
	fb.codeBack(w, r, "Facebook", "www.facebook.com", "facebook_ads-client", "ads_read,business_management", nil) // comma-separated
}

func fbError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, jsonBody(map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "AbC1"}}))
}

func (fb *fakeFacebook) token(w http.ResponseWriter, r *http.Request) {
	if r.Host != "graph.facebook.com" {
		fb.t.Errorf("token request to %s", r.Host)
	}
	params := r.Form
	if r.Method == http.MethodGet {
		params = r.URL.Query()
	}
	if params.Get("client_id") != "facebook_ads-client" {
		fbError(w, 400, 101, "Missing client_id parameter.")
		return
	}
	if params.Get("client_secret") != contractSecret {
		fbError(w, 400, 1, "Error validating client secret.")
		return
	}
	if params.Get("grant_type") == "fb_exchange_token" {
		if params.Get("fb_exchange_token") != "EAAshort" {
			fbError(w, 400, 190, "Invalid OAuth access token.")
			return
		}
		writeJSON(w, 200, `{"access_token":"EAAlong","token_type":"bearer","expires_in":5183944}`)
		return
	}
	if _, ok := fb.codes.redeem(params.Get("code")); !ok || params.Get("redirect_uri") != "https://app.example/oauth/callback" {
		fbError(w, 400, 100, "This authorization code has been used.")
		return
	}
	// No scope, no refresh token: a short-lived user token.
	writeJSON(w, 200, `{"access_token":"EAAshort","token_type":"bearer","expires_in":5183}`)
}

func (fb *fakeFacebook) permissions(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer EAAlong" {
		fbError(w, 400, 190, "Invalid OAuth access token.")
		return
	}
	data := []map[string]string{{"permission": "public_profile", "status": "granted"}}
	for _, p := range []string{"ads_read", "business_management"} {
		status := "granted"
		if slices.Contains(fb.declined, p) {
			status = "declined"
		}
		data = append(data, map[string]string{"permission": p, "status": status})
	}
	writeJSON(w, 200, jsonBody(map[string]any{"data": data}))
}

func (fb *fakeFacebook) me(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer EAAlong" {
		fbError(w, 400, 190, "Invalid OAuth access token.")
		return
	}
	// email is a field only the email permission opens.
	if strings.Contains(r.URL.Query().Get("fields"), "email") {
		fbError(w, 400, 200, "Requires email permission")
		return
	}
	writeJSON(w, 200, `{"id":"10223456789012345","name":"Fay Book"}`)
}

func TestContractFacebook(t *testing.T) {
	p := newFakeProvider(t)
	src := p.cat.Get("facebook_ads")
	if src.APIVersion != "v27.0" {
		t.Fatalf("api_version %q", src.APIVersion)
	}
	fb := newFakeFacebook(p, src.APIVersion)
	id := p.connected("facebook_ads", "")
	if id.ExternalID != "10223456789012345" || id.DisplayName != "Fay Book" || id.AccessToken != "EAAlong" || id.RefreshToken != "" {
		t.Errorf("identity %+v", id)
	}
	if !slices.Equal(id.Scopes, []string{"public_profile", "ads_read", "business_management"}) {
		t.Errorf("scopes %v, want the granted permissions", id.Scopes)
	}
	t.Run("NoRefreshToken", func(t *testing.T) {
		// Facebook issues no refresh token; a long-lived token is renewed
		// only by the person signing in again.
		before := len(p.requests("/" + src.APIVersion + "/oauth/access_token"))
		_, err := p.client.Refresh(context.Background(), src, "", "")
		wantError(t, err, "token", "no_refresh_token")
		if n := len(p.requests("/"+src.APIVersion+"/oauth/access_token")) - before; n != 0 {
			t.Errorf("%d token requests", n)
		}
	})
	t.Run("DeclinedPermissionIsReported", func(t *testing.T) {
		fb.declined = []string{"business_management"}
		_, err := p.connectFlow("facebook_ads", "")
		if ce := wantError(t, err, "scopes", "scopes_missing"); !slices.Equal(ce.Missing, []string{"business_management"}) {
			t.Errorf("missing %v", ce.Missing)
		}
	})
}

// fakeLinkedIn is LinkedIn's 3-legged OAuth: the client only in the body
// (a Basic header alone is "client_id is missing"), no PKCE for web apps,
// space-separated scopes, programmatic refresh tokens (the same refresh
// token until it expires), and the profile at api.linkedin.com/v2/me.
type fakeLinkedIn struct{ fake }

func newFakeLinkedIn(p *fakeProvider) *fakeLinkedIn {
	li := &fakeLinkedIn{newFake(p)}
	p.handle("/oauth/v2/authorization", li.authorize)
	p.handle("/oauth/v2/accessToken", li.token)
	p.handle("/v2/me", li.me)
	return li
}

func (li *fakeLinkedIn) authorize(w http.ResponseWriter, r *http.Request) {
	li.codeBack(w, r, "LinkedIn", "www.linkedin.com", "linkedin_ads-client", "r_ads r_ads_reporting r_basicprofile", nil)
}

func (li *fakeLinkedIn) token(w http.ResponseWriter, r *http.Request) {
	grant := tokenRequest(li.t, r, "www.linkedin.com")
	if r.Form.Get("client_id") == "" {
		writeJSON(w, 400, `{"error":"invalid_request","error_description":"A required parameter \"client_id\" is missing"}`)
		return
	}
	if !bodyClient(r, "linkedin_ads-client") {
		writeJSON(w, 401, `{"error":"invalid_client","error_description":"Client authentication failed"}`)
		return
	}
	switch grant {
	case "authorization_code":
		if _, ok := li.codes.redeem(r.Form.Get("code")); !ok {
			writeJSON(w, 400, `{"error":"invalid_request","error_description":"Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired."}`)
			return
		}
		writeJSON(w, 200, jsonBody(map[string]any{"access_token": "AQV1", "expires_in": 5183999, "refresh_token": li.codes.newRefresh("AQX"),
			"refresh_token_expires_in": 31535999, "scope": "r_ads,r_ads_reporting,r_basicprofile"}))
	case "refresh_token":
		rt := r.Form.Get("refresh_token")
		if !li.codes.useRefresh(rt, false) {
			writeJSON(w, 400, `{"error":"invalid_request","error_description":"The provided authorization grant or refresh token is invalid, expired or revoked."}`)
			return
		}
		writeJSON(w, 200, jsonBody(map[string]any{"access_token": "AQV2", "expires_in": 5183999, "refresh_token": rt, "refresh_token_expires_in": 31000000}))
	}
}

func (li *fakeLinkedIn) me(w http.ResponseWriter, r *http.Request) {
	if r.Host != "api.linkedin.com" || r.Header.Get("Authorization") != "Bearer AQV1" {
		writeJSON(w, 401, `{"serviceErrorCode":65600,"message":"Invalid access token","status":401}`)
		return
	}
	writeJSON(w, 200, `{"id":"yrZCpj2Z12","localizedFirstName":"Lin","localizedLastName":"Kedin"}`)
}

func TestContractLinkedIn(t *testing.T) {
	p := newFakeProvider(t)
	newFakeLinkedIn(p)
	id := p.connected("linkedin_ads", "")
	if id.ExternalID != "yrZCpj2Z12" || id.DisplayName != "Lin Kedin" || id.RefreshToken == "" ||
		!slices.Equal(id.Scopes, []string{"r_ads", "r_ads_reporting", "r_basicprofile"}) {
		t.Errorf("identity %+v", id)
	}
	tok, err := p.client.Refresh(context.Background(), p.cat.Get("linkedin_ads"), "", id.RefreshToken)
	if err != nil || tok.AccessToken != "AQV2" || tok.RefreshToken != "" {
		t.Fatalf("refresh = %+v, %v (want a new access token and the same refresh token)", tok, err)
	}
}
