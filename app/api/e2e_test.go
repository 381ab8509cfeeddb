package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/api/client"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/web"
)

// TestEndToEnd: a link made through the API, completed at the sandbox; the
// account read and its token fetched through the API, and accepted by the
// sandbox's user-info endpoint; once the token expires, 20 concurrent
// token calls make one refresh, whose token works; a refresh the provider
// refuses makes the account needs_reconnect, the API answer 409, and the
// Connected accounts page say so.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	const ttl = 8 * time.Second
	e := newAPIEnv(t, testutil.FlowOptions{SandboxTokenTTL: ttl})
	c := e.client(t, e.valid)

	created := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox"}))
	if created.JSON201 == nil {
		t.Fatalf("create: %d %s", created.StatusCode(), created.Body)
	}
	connected := time.Now() // the sandbox's token is issued after this
	e.connect(t, *created.JSON201.Url, "sandbox-user-2")

	got := must(c.GetLinkWithResponse(e.ctx, created.JSON201.Id))
	if got.JSON200 == nil || got.JSON200.Status != client.LinkStatusUsed || got.JSON200.Url != nil || got.JSON200.AccountId == nil || got.JSON200.UsedAt == nil {
		t.Fatalf("the used link: %d %s; want used, no url, its account", got.StatusCode(), got.Body)
	}
	accID := *got.JSON200.AccountId
	acc := must(c.GetAccountWithResponse(e.ctx, accID))
	if acc.JSON200 == nil || acc.JSON200.ExternalId != "sandbox-user-2" || acc.JSON200.Status != client.Connected {
		t.Fatalf("account: %d %s", acc.StatusCode(), acc.Body)
	}

	token := func(t *testing.T) *client.GetAccountTokenResponse {
		t.Helper()
		return must(c.GetAccountTokenWithResponse(e.ctx, accID, nil))
	}
	// The sandbox's tokens live ttl (real time); the service's clock is
	// set two minutes before the stored expiry, so the token is fresh to
	// it (a token within a minute of expiry is refreshed first).
	issuedAt := time.Now() // the token was issued between connected and now
	e.Clock.Set(acc.JSON200.TokenExpiresAt.Add(-2 * time.Minute))
	first := token(t)
	if first.JSON200 == nil {
		t.Fatalf("token: %d %s", first.StatusCode(), first.Body)
	}
	if status, sub := e.SandboxUserinfo(t, first.JSON200.AccessToken); status != 200 || sub != "sandbox-user-2" {
		t.Fatalf("user-info with the API's token: %d %q, %v after connecting (tokens live %v)", status, sub, time.Since(connected), ttl)
	}
	issued := e.Sandbox.Tap.Issued()

	t.Run("FreshTokenNotRefreshed", func(t *testing.T) {
		sends := e.Sandbox.Tap.Requests()
		if again := token(t); again.JSON200 == nil || again.JSON200.AccessToken != first.JSON200.AccessToken || e.Sandbox.Tap.Requests() != sends {
			t.Fatalf("a fresh token asked again: %s, %d token requests", again.Body, e.Sandbox.Tap.Requests()-sends)
		}
	})

	t.Run("ExpiredTokenRefreshedOnceFor20Callers", func(t *testing.T) {
		time.Sleep(time.Until(issuedAt.Add(ttl + 100*time.Millisecond)))
		if status, _ := e.SandboxUserinfo(t, first.JSON200.AccessToken); status != http.StatusUnauthorized {
			t.Fatalf("user-info with the expired token: %d, want 401", status)
		}
		e.Clock.Set(first.JSON200.ExpiresAt.Add(time.Second))
		sends, refreshes := e.Sandbox.Tap.Requests(), e.Sandbox.Tap.Grants("refresh_token")
		const n = 20
		// The provider takes its time, as real ones do, so most callers are
		// under way before the refresh ends; those that come after it get
		// its token, which is fresh until half its life has passed.
		e.Sandbox.Tap.BeforeNext(func() { time.Sleep(300 * time.Millisecond) })
		answers := make([]*client.GetAccountTokenResponse, n)
		burst := time.Now()
		testutil.Concurrently(n, func(i int) { answers[i], _ = c.GetAccountTokenWithResponse(e.ctx, accID, nil) })
		if got := e.Sandbox.Tap.Requests() - sends; got != 1 || e.Sandbox.Tap.Grants("refresh_token")-refreshes != 1 {
			t.Fatalf("%d requests to the token endpoint for %d concurrent calls, want 1 refresh", got, n)
		}
		for i, a := range answers {
			if a == nil || a.JSON200 == nil || a.JSON200.AccessToken != answers[0].JSON200.AccessToken {
				t.Fatalf("call %d: %v", i, a)
			}
		}
		tok := answers[0].JSON200
		// (The provider says expires_in from when it answers: on a machine
		// so loaded that answering took longer than ttl, it says none.)
		if tok.AccessToken == first.JSON200.AccessToken || (time.Since(burst) < ttl/2 && (tok.ExpiresAt == nil || !tok.ExpiresAt.After(e.Clock.Now()))) {
			t.Errorf("the refreshed token is the old one, or expires at %v (now %v)", tok.ExpiresAt, e.Clock.Now())
		}
		// The new token works at the provider. On a machine so loaded that
		// the burst outlived the token, the next call refreshes again, and
		// that token is tried at once.
		for try, tok, start := 1, tok.AccessToken, burst; ; try++ {
			status, sub := e.SandboxUserinfo(t, tok)
			if status == 200 && sub == "sandbox-user-2" {
				break
			}
			if time.Since(start) < ttl/2 || try == 3 {
				t.Fatalf("user-info with the refreshed token: %d %q after %v", status, sub, time.Since(start))
			}
			e.Clock.Set(e.Clock.Now().Add(time.Hour))
			start = time.Now()
			tok = token(t).JSON200.AccessToken
		}
	})

	t.Run("RefusedRefreshNeedsReconnect", func(t *testing.T) {
		// The first refresh token, rotated out by the refresh, comes back:
		// the sandbox answers invalid_grant and revokes the grant.
		refresh := web.Refresher(e.Connect, e.Svc.Sources())
		if _, err := refresh(e.ctx, access.RefreshRequest{AccountID: accID, SourceKey: testutil.SandboxKey, RefreshToken: issued[0].RefreshToken}); err == nil {
			t.Fatal("the rotated-out refresh token was accepted")
		}
		e.Clock.Set(e.Clock.Now().Add(time.Hour)) // past the stored token's expiry
		res := token(t)
		if res.StatusCode() != http.StatusConflict {
			t.Fatalf("token after the grant was revoked: %d %s, want 409", res.StatusCode(), res.Body)
		}
		if p := problem(t, res.HTTPResponse, res.Body); p.Code != "needs_reconnect" || p.Type != "/api/v1/docs#problem-needs_reconnect" {
			t.Errorf("problem %+v", p)
		}
		if a := must(c.GetAccountWithResponse(e.ctx, accID)); a.JSON200 == nil || a.JSON200.Status != client.NeedsReconnect {
			t.Errorf("account after the refusal: %s, want needs_reconnect", a.Body)
		}
		page := e.Get(t, e.Login(t, e.F.Admin.Email), "/w/"+e.F.Reporting.ID+"/sources")
		if st := page.Text("account-status"); page.Status != 200 || st != "Needs reconnecting" {
			t.Errorf("Connected accounts page: %d, status %q; want Needs reconnecting", page.Status, st)
		}
	})
}

// TestClientAddress: the key's use and the link's history record the
// client's address as the web layer reads it (X-Forwarded-For from a
// trusted proxy), and the history names the key.
func TestClientAddress(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, testutil.FlowOptions{})
	c, err := client.NewClientWithResponses(e.AppURL+"/api/v1", client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+e.valid)
		r.Header.Set("X-Forwarded-For", "198.51.100.23")
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	l := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox"}))
	if l.JSON201 == nil {
		t.Fatalf("create: %d %s", l.StatusCode(), l.Body)
	}
	evs := e.Events(t, l.JSON201.Id)
	if len(evs) != 1 || evs[0].IP != "198.51.100.23" || evs[0].Actor != "API key CRM sync" {
		t.Errorf("created event %+v; want the forwarded address and the key's name", evs)
	}
	uses, err := e.Svc.APIKeyEvents(e.ctx, e.F.Reporting.ID, e.validID)
	if err != nil || !strings.Contains(func() string {
		var s []string
		for _, u := range uses {
			s = append(s, u.Kind+"@"+u.IP)
		}
		return strings.Join(s, " ")
	}(), "used@198.51.100.23") {
		t.Errorf("key events %+v (%v); want used from 198.51.100.23", uses, err)
	}
}
