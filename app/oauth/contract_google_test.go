package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// fakeGoogle is Google's OAuth 2.0 for web server applications and its
// OpenID Connect: PKCE, access_type=offline, the ID token signed with the
// keys at www.googleapis.com/oauth2/v3/certs and an iss in either form
// (https://accounts.google.com or accounts.google.com), a refresh token
// that is not rotated, client authentication in the body or with Basic
// (the discovery document lists both), RFC 6749 error answers.
type fakeGoogle struct {
	t      *testing.T
	codes  *codes
	ids    *idSigner
	issuer string // the iss of the ID tokens it signs
}

func newFakeGoogle(p *fakeProvider, issuer string) *fakeGoogle {
	g := &fakeGoogle{t: p.t, codes: newCodes(), ids: newIDSigner(p.t), issuer: issuer}
	p.handle("/o/oauth2/v2/auth", g.authorize)
	p.handle("/token", g.token)
	p.handle("/oauth2/v3/certs", g.ids.jwks("www.googleapis.com"))
	return g
}

func (g *fakeGoogle) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID := q.Get("client_id")
	authRequest(g.t, r, "accounts.google.com", clientID)
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("nonce") == "" ||
		q.Get("access_type") != "offline" || q.Get("prompt") != "consent" {
		g.t.Errorf("Google authorize request %v: want PKCE S256, a nonce, access_type=offline, prompt=consent", q)
	}
	scopes := strings.Fields(q.Get("scope"))
	if !slices.Contains(scopes, "openid") || !slices.Contains(scopes, "email") || strings.Contains(q.Get("scope"), ",") {
		g.t.Errorf("Google scopes %q, want space-separated with openid and email", q.Get("scope"))
	}
	redirectBack(w, r, url.Values{"code": {g.codes.issue(q)}, "state": {q.Get("state")}, "scope": {q.Get("scope")},
		"iss": {"https://accounts.google.com"}})
}

func (g *fakeGoogle) token(w http.ResponseWriter, r *http.Request) {
	grant := tokenRequest(g.t, r, "oauth2.googleapis.com")
	clientID := r.Form.Get("client_id")
	if clientID == "" {
		user, _, _ := r.BasicAuth()
		clientID, _ = url.QueryUnescape(user)
	}
	if !bodyClient(r, clientID) && !basicClient(r, clientID) {
		writeJSON(w, 401, `{"error":"invalid_client","error_description":"Unauthorized"}`)
		return
	}
	switch grant {
	case "authorization_code":
		req, ok := g.codes.redeem(r.Form.Get("code"))
		if !ok || r.Form.Get("redirect_uri") != req.Get("redirect_uri") || len(r.Form.Get("code_verifier")) != 43 {
			writeJSON(w, 400, `{"error":"invalid_grant","error_description":"Bad Request"}`)
			return
		}
		// Google answers the email scope with its long name.
		scope := strings.ReplaceAll(req.Get("scope"), "email", "https://www.googleapis.com/auth/userinfo.email")
		idToken := g.ids.sign(g.issuer, clientID, req.Get("nonce"), map[string]any{
			"sub": "110169484474386276334", "email": "ana@example.com", "email_verified": true, "azp": clientID})
		writeJSON(w, 200, jsonBody(map[string]any{"access_token": "ya29.a0", "expires_in": 3599, "refresh_token": g.codes.newRefresh("1//0g"),
			"scope": scope, "token_type": "Bearer", "id_token": idToken}))
	case "refresh_token":
		if !g.codes.useRefresh(r.Form.Get("refresh_token"), false) {
			writeJSON(w, 400, `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`)
			return
		}
		writeJSON(w, 200, `{"access_token":"ya29.a1","expires_in":3599,"scope":"openid","token_type":"Bearer"}`)
	default:
		writeJSON(w, 400, `{"error":"unsupported_grant_type"}`)
	}
}

func TestContractGoogle(t *testing.T) {
	for _, c := range []struct{ key, scope, issuer string }{
		{"google_ads", "https://www.googleapis.com/auth/adwords", "https://accounts.google.com"},
		{"google_analytics", "https://www.googleapis.com/auth/analytics.readonly", "accounts.google.com"},
		{"google_sheets", "https://www.googleapis.com/auth/spreadsheets.readonly", "https://accounts.google.com"},
	} {
		t.Run(c.key, func(t *testing.T) {
			p := newFakeProvider(t)
			newFakeGoogle(p, c.issuer)
			id := p.connected(c.key, "")
			if id.ExternalID != "110169484474386276334" || id.Email != "ana@example.com" || id.DisplayName != "" ||
				id.AccessToken != "ya29.a0" || id.RefreshToken == "" || !slices.Contains(id.Scopes, c.scope) {
				t.Errorf("identity %+v", id)
			}
			rt := id.RefreshToken
			tok, err := p.client.Refresh(context.Background(), p.cat.Get(c.key), "", rt)
			if err != nil || tok.AccessToken != "ya29.a1" || tok.RefreshToken != "" || tok.ExpiresIn.Seconds() != 3599 {
				t.Fatalf("refresh = %+v, %v", tok, err)
			}
			// Google does not rotate: the same refresh token keeps working.
			if _, err := p.client.Refresh(context.Background(), p.cat.Get(c.key), "", rt); err != nil {
				t.Fatalf("second refresh: %v", err)
			}
			if src := p.cat.Get(c.key); src.RevokeURL != "https://oauth2.googleapis.com/revoke" {
				t.Errorf("revoke_url %q", src.RevokeURL)
			}
		})
	}
	t.Run("ErrOtherIssuer", func(t *testing.T) {
		p := newFakeProvider(t)
		newFakeGoogle(p, "https://accounts.google.com.evil.example")
		_, err := p.connectFlow("google_ads", "")
		wantError(t, err, "identity", "invalid_id_token")
	})
}
