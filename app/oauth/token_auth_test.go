package oauth_test

// The source's token_auth, token_params, non-RFC error shapes and scope
// lists at the token endpoint (issue 15, item 1).

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

const tokenAuthSources = `sources:
  - key: post_test
    name: Credentials in the body
    auth_url: %[1]s/post/authorize
    token_url: %[1]s/post/token
    token_auth: post
    token_params: {expiring: "1"}
    scopes:
      - {name: data.read, title: Data}
    identity: {userinfo_url: "%[1]s/post/userinfo", id_field: sub}
  - key: basic_test
    name: HTTP Basic only
    auth_url: %[1]s/basic/authorize
    token_url: %[1]s/basic/token
    token_auth: basic
    scopes:
      - {name: data.read, title: Data}
    identity: {userinfo_url: "%[1]s/basic/userinfo", id_field: sub}
`

// rejectBasic answers like a provider that reads the client only from the
// body: a Basic header alone is "client_id is missing".
func rejectBasic(ok string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, _, basic := r.BasicAuth(); basic || r.Form.Get("client_id") == "" || r.Form.Get("client_secret") == "" {
			writeJSON(w, 400, `{"error":"invalid_request","error_description":"A required parameter \"client_id\" is missing"}`)
			return
		}
		writeJSON(w, 200, ok)
	}
}

func TestTokenAuthPost(t *testing.T) {
	p := newFakeProviderWith(t, tokenAuthSources)
	p.handle("/post/userinfo", answer(200, `{"sub":"u-1"}`))
	p.handle("/post/token", rejectBasic(`{"access_token":"at","refresh_token":"rt-1","token_type":"Bearer","expires_in":3600}`))

	t.Run("ExchangeSendsCredentialsAndTokenParamsInTheBody", func(t *testing.T) {
		if _, err := p.exchange("post_test", "", nil); err != nil {
			t.Fatal(err)
		}
		reqs := p.requests("/post/token")
		if len(reqs) != 1 || reqs[0].Form.Get("client_id") != "post_test-client" || reqs[0].Form.Get("expiring") != "1" || reqs[0].BasicUser != "" {
			t.Errorf("token requests %+v, want one with the client and expiring=1 in the body and no Basic", reqs)
		}
	})
	t.Run("RefreshSendsCredentialsInTheBodyAndNoTokenParams", func(t *testing.T) {
		before := len(p.requests("/post/token"))
		tok, err := p.client.Refresh(context.Background(), p.cat.Get("post_test"), "", "rt-0")
		if err != nil || tok.RefreshToken != "rt-1" {
			t.Fatalf("Refresh = %+v, %v", tok, err)
		}
		reqs := p.requests("/post/token")[before:]
		if len(reqs) != 1 || reqs[0].Form.Get("client_secret") != "s3cret/+=" || reqs[0].BasicUser != "" || reqs[0].Form.Has("expiring") {
			t.Errorf("refresh requests %+v, want one with the client in the body", reqs)
		}
	})
	t.Run("NoSecondGuessAfterARefusal", func(t *testing.T) {
		p.handle("/post/token", answer(401, `{"error":"invalid_client"}`))
		before := len(p.requests("/post/token"))
		_, err := p.exchange("post_test", "", nil)
		wantError(t, err, "token", "invalid_client")
		if n := len(p.requests("/post/token")) - before; n != 1 {
			t.Errorf("the code was sent %d times, want 1", n)
		}
	})
}

func TestTokenAuthBasicDeclared(t *testing.T) {
	p := newFakeProviderWith(t, tokenAuthSources)
	p.handle("/basic/userinfo", answer(200, `{"sub":"u-1"}`))
	p.handle("/basic/token", answer(401, `{"error":"invalid_client"}`))
	_, err := p.exchange("basic_test", "", nil)
	wantError(t, err, "token", "invalid_client")
	reqs := p.requests("/basic/token")
	if len(reqs) != 1 || reqs[0].BasicUser != "basic_test-client" || reqs[0].Form.Has("client_secret") {
		t.Errorf("token requests %+v, want one, with HTTP Basic only", reqs)
	}
	_, err = p.client.Refresh(context.Background(), p.cat.Get("basic_test"), "", "rt-0")
	wantError(t, err, "token", "invalid_client")
	if n := len(p.requests("/basic/token")); n != 2 {
		t.Errorf("%d token requests, want 2 (one exchange, one refresh)", n)
	}
}

// Token endpoints that answer errors in their own shape are reported with
// their own code and message, not a bare status.
func TestTokenErrorShapes(t *testing.T) {
	p := newFakeProviderWith(t, tokenAuthSources)
	for _, c := range []struct {
		name, body, code, desc string
	}{
		{"Facebook", `{"error":{"message":"Missing client_id parameter.","type":"OAuthException","code":101,"fbtrace_id":"A1"}}`, "OAuthException_101", "Missing client_id parameter."},
		{"HubSpot", `{"status":"error","message":"missing or invalid client id","correlationId":"c0","category":"BAD_CLIENT_ID"}`, "BAD_CLIENT_ID", "missing or invalid client id"},
		{"HubSpotRefusedRefreshToken", `{"status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token"}`, "invalid_grant", "missing or invalid refresh token"},
		{"HubSpotRefusedCode", `{"status":"error","message":"missing or unknown auth code","category":"BAD_AUTH_CODE"}`, "invalid_grant", "missing or unknown auth code"},
		{"Unknown", `{"oops":true}`, "http_400", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p.handle("/post/token", answer(400, c.body))
			_, err := p.exchange("post_test", "", nil)
			if ce := wantError(t, err, "token", c.code); ce.Description != c.desc {
				t.Errorf("description %q, want %q", ce.Description, c.desc)
			}
		})
	}
}

// A token response may list the granted scopes as an array ("scopes",
// HubSpot's versioned endpoint) instead of RFC 6749's string.
func TestGrantedScopesList(t *testing.T) {
	p := newFakeProviderWith(t, tokenAuthSources)
	p.handle("/post/userinfo", answer(200, `{"sub":"u-1"}`))
	p.handle("/post/token", answer(200, `{"access_token":"at","token_type":"bearer","scopes":["oauth"]}`))
	_, err := p.exchange("post_test", "", nil)
	if ce := wantError(t, err, "scopes", "scopes_missing"); !slices.Equal(ce.Missing, []string{"data.read"}) {
		t.Errorf("missing %v", ce.Missing)
	}
	p.handle("/post/token", answer(200, `{"access_token":"at","token_type":"bearer","scopes":["oauth","data.read"]}`))
	id, err := p.exchange("post_test", "", url.Values{})
	if err != nil || !slices.Equal(id.Scopes, []string{"oauth", "data.read"}) {
		t.Fatalf("exchange = %+v, %v", id, err)
	}
}
