package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/accessrequests/accessrequests/app/sandbox"
)

// userinfoAnswer is the status and WWW-Authenticate header of /userinfo.
func (e *env) userinfoAnswer(accessToken string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.disc.UserinfoEndpoint, nil)
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("WWW-Authenticate")
}

// TestAccessTokenTTL: with AccessTokenTTL a token expires when asked, the
// user-info endpoint then answers 401 invalid_token (the op package alone
// answers 403), and a refresh gives a token that works.
func TestAccessTokenTTL(t *testing.T) {
	const ttl = 2 * time.Second
	e := start(t, func(o *sandbox.Options) { o.AccessTokenTTL = ttl })
	f := newFlow(e.config(oauth2.AuthStyleInHeader))
	issued := time.Now()
	tok, err := f.exchange(e.obtainCode(f, "sandbox-user-1"))
	if err != nil {
		t.Fatal(err)
	}
	if left := tok.Expiry.Sub(issued); left < ttl-time.Second || left > ttl+time.Second {
		t.Errorf("expires_in gives %v, want about %v", left, ttl)
	}
	// The token was issued between issued and returned: it lives until
	// issued+ttl at least and is dead by returned+ttl, however long the
	// exchange took on a busy machine.
	returned := time.Now()
	if status, info := e.userinfo(tok.AccessToken); time.Since(issued) < ttl && (status != http.StatusOK || info["sub"] != "sandbox-user-1") {
		t.Fatalf("userinfo with a live token = %d %v", status, info)
	}

	time.Sleep(time.Until(returned.Add(ttl + 100*time.Millisecond)))
	status, challenge := e.userinfoAnswer(tok.AccessToken)
	if status != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) {
		t.Errorf("userinfo with an expired token = %d %q, want 401 invalid_token", status, challenge)
	}

	refreshed(t, e, f, tok, "sandbox-user-1")
}

// TestUserinfoRefusesDeadTokens: 401 for a missing, unreadable or revoked
// token, never 403 or 200.
func TestUserinfoRefusesDeadTokens(t *testing.T) {
	e := start(t, nil)
	_, tok := e.exchanged(t, "sandbox-user-2")
	if status, _ := e.userinfoAnswer(tok.AccessToken); status != http.StatusOK {
		t.Fatalf("live token: %d", status)
	}
	t.Run("ErrMissing", func(t *testing.T) {
		if status, challenge := e.userinfoAnswer(""); status != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Bearer") {
			t.Errorf("no token: %d %q, want 401 with a Bearer challenge", status, challenge)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		if status, challenge := e.userinfoAnswer("not-a-token"); status != http.StatusUnauthorized || !strings.Contains(challenge, "invalid_token") {
			t.Errorf("unknown token: %d %q, want 401 invalid_token", status, challenge)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.disc.RevocationEndpoint,
			strings.NewReader(url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(clientID, clientSecret)
		e.do(req, http.StatusOK)
		if status, challenge := e.userinfoAnswer(tok.AccessToken); status != http.StatusUnauthorized || !strings.Contains(challenge, "invalid_token") {
			t.Errorf("revoked token: %d %q, want 401 invalid_token", status, challenge)
		}
	})
}

func TestAccessTokenTTLBounds(t *testing.T) {
	for _, bad := range []time.Duration{-time.Second, 999 * time.Millisecond, 24*time.Hour + time.Second} {
		opts := defaultOptions()
		opts.Issuer = "http://localhost:8080/sandbox"
		opts.AccessTokenTTL = bad
		if _, err := sandbox.New(opts); err == nil || !strings.Contains(err.Error(), "AccessTokenTTL") {
			t.Errorf("AccessTokenTTL %v: error %v, want one naming AccessTokenTTL", bad, err)
		}
	}
}
