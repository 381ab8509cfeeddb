package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/sources"
)

// TestRevoke: RFC 7009's POST of token and token_type_hint with the
// client's credentials as token_auth says; a refusal is an error naming
// the status and never the token; no revoke_url sends nothing.
func TestRevoke(t *testing.T) {
	t.Parallel()
	type seen struct{ token, hint, user, formID string }
	var got []seen
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		u, _, _ := r.BasicAuth()
		if r.Method != http.MethodPost {
			t.Errorf("method %s", r.Method)
		}
		got = append(got, seen{r.PostForm.Get("token"), r.PostForm.Get("token_type_hint"), u, r.PostForm.Get("client_id")})
		w.WriteHeader(status)
	}))
	defer srv.Close()
	c := &Client{HTTP: srv.Client()}
	ctx := context.Background()

	basic := &sources.Source{RevokeURL: srv.URL, ClientID: "cid", ClientSecret: "secret"}
	if err := c.Revoke(ctx, basic, "", "rt-1", "refresh_token"); err != nil {
		t.Fatal(err)
	}
	post := &sources.Source{RevokeURL: srv.URL, ClientID: "cid", ClientSecret: "secret", TokenAuth: sources.TokenAuthPost}
	if err := c.Revoke(ctx, post, "", "at-1", "access_token"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (seen{"rt-1", "refresh_token", "cid", ""}) || got[1] != (seen{"at-1", "access_token", "", "cid"}) {
		t.Fatalf("requests %+v", got)
	}
	status = http.StatusServiceUnavailable
	err := c.Revoke(ctx, basic, "", "rt-2", "refresh_token")
	if err == nil || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "rt-2") {
		t.Errorf("refused revocation: %v", err)
	}
	if err := c.Revoke(ctx, &sources.Source{}, "", "rt-3", "refresh_token"); err != nil || len(got) != 3 {
		t.Errorf("no revoke_url: %v, %d requests", err, len(got))
	}
}
