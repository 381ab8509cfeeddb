package web_test

// Token refresh end to end (SECURITY 11): an account connected through the
// real flow at the sandbox, whose refresh tokens rotate on every use and
// whose grant is revoked when a rotated-out one comes back, refreshed by
// access.Service.AccessToken with web.Refresher (oauth.Client.Refresh), on SQLite and,
// with DATABASE_URL, on PostgreSQL.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/web"
	"github.com/accessrequests/accessrequests/models"
)

func TestRefreshAgainstTheSandbox(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	ctx := context.Background()
	link := e.GenerateLink(t, testutil.SandboxKey)
	wantPage(t, e.NewInvitee("owner").Connect(t, link.Token, "sandbox-user-1"), http.StatusOK, "connect-success")
	acc := wantAccounts(t, e, 1)[0]
	first := e.Sandbox.Tap.Issued()
	if len(first) != 1 || first[0].RefreshToken == "" || acc.TokenExpiresAt == nil {
		t.Fatalf("the exchange issued %+v, stored expiry %v; want a refresh token (offline_access) and an expiry", first, acc.TokenExpiresAt)
	}

	var refreshes atomic.Int32
	connectRefresh := web.Refresher(e.Connect, e.Svc.Sources())
	refresh := func(ctx context.Context, req access.RefreshRequest) (*access.Tokens, error) {
		refreshes.Add(1)
		return connectRefresh(ctx, req)
	}
	row := func() models.ConnectedAccount {
		t.Helper()
		var a models.ConnectedAccount
		if err := e.DB.Where("id = ?", acc.ID).Take(&a).Error; err != nil {
			t.Fatal(err)
		}
		return a
	}
	// open opens a sealed token of the account, checking it is sealed.
	open := func(sealed, field string) string {
		t.Helper()
		plain, err := testutil.KeysOf(e.Svc).Open(sealed, "connected_accounts/"+acc.ID+"/"+field)
		if err != nil || plain == "" || strings.Contains(sealed, plain) || !strings.HasPrefix(sealed, "v1.") {
			t.Fatalf("%s %q is not a sealed token (%v)", field, sealed, err)
		}
		return plain
	}
	// refreshed moves the clock past the stored expiry, gets a token, and
	// checks the sandbox issued it and the account holds it.
	refreshed := func(t *testing.T) (string, testutil.Issued) {
		t.Helper()
		before := row()
		e.Clock.Set(before.TokenExpiresAt.Add(time.Minute))
		sends := e.Sandbox.Tap.Requests()
		tok, err := e.Svc.AccessToken(ctx, e.F.Reporting.ID, acc.ID, refresh)
		if err != nil {
			t.Fatalf("AccessToken: %v", err)
		}
		issued := e.Sandbox.Tap.Issued()
		last := issued[len(issued)-1]
		if n := e.Sandbox.Tap.Requests() - sends; n != 1 || last.Status != http.StatusOK || last.AccessToken != tok {
			t.Fatalf("%d token requests, last answered %d; want one, issuing the token returned", n, last.Status)
		}
		after := row()
		if got := open(after.AccessTokenSealed, "access_token"); got != tok {
			t.Error("the stored access token is not the new one")
		}
		if last.RefreshToken == "" || last.RefreshToken == open(before.RefreshTokenSealed, "refresh_token") {
			t.Fatal("the sandbox did not rotate the refresh token")
		}
		if got := open(after.RefreshTokenSealed, "refresh_token"); got != last.RefreshToken {
			t.Error("the stored refresh token is not the rotated one")
		}
		if after.TokenExpiresAt == nil {
			t.Fatal("no token_expires_at after the refresh")
		}
		if d := after.TokenExpiresAt.Sub(e.Clock.Now()); d < 59*time.Minute || d > time.Hour {
			t.Errorf("token_expires_at %v, want an hour after the service's clock %v", after.TokenExpiresAt, e.Clock.Now())
		}
		if after.RefreshLeaseUntil != nil || after.Status != access.AccountConnected {
			t.Errorf("lease %v, status %q after the refresh", after.RefreshLeaseUntil, after.Status)
		}
		if status, sub := e.SandboxUserinfo(t, tok); status != http.StatusOK || sub != "sandbox-user-1" {
			t.Errorf("the new access token at /userinfo: %d, sub %q", status, sub)
		}
		return tok, last
	}

	t.Run("FreshTokenServedAsIs", func(t *testing.T) {
		tok, err := e.Svc.AccessToken(ctx, e.F.Reporting.ID, acc.ID, refresh)
		if err != nil || tok != first[0].AccessToken || refreshes.Load() != 0 {
			t.Fatalf("AccessToken = %v, %d refreshes; want the exchanged token, none", err, refreshes.Load())
		}
	})

	var second testutil.Issued
	t.Run("ExpiredTokenRefreshedAndRotatedTokenSaved", func(t *testing.T) {
		tok, issued := refreshed(t)
		if tok == first[0].AccessToken {
			t.Error("the access token did not change")
		}
		second = issued
	})
	if second.RefreshToken == "" {
		t.FailNow()
	}

	t.Run("SecondRefreshUsesTheRotatedToken", func(t *testing.T) {
		// The sandbox revokes the grant if the first refresh token comes
		// back, so a success proves the rotated one was sent.
		refreshed(t)
	})

	t.Run("ConcurrentCallsRefreshOnce", func(t *testing.T) {
		e.Clock.Set(row().TokenExpiresAt.Add(time.Minute))
		sends, calls := e.Sandbox.Tap.Requests(), refreshes.Load()
		const n = 10
		toks := make([]string, n)
		errs := make([]error, n)
		testutil.Concurrently(n, func(i int) {
			toks[i], errs[i] = e.Svc.AccessToken(ctx, e.F.Reporting.ID, acc.ID, refresh)
		})
		if got := e.Sandbox.Tap.Requests() - sends; got != 1 || refreshes.Load()-calls != 1 {
			t.Fatalf("%d token requests, %d refreshes for %d concurrent calls; want 1", got, refreshes.Load()-calls, n)
		}
		for i := range n {
			if errs[i] != nil || toks[i] != toks[0] {
				t.Fatalf("call %d: %v (same token as the others: %v)", i, errs[i], toks[i] == toks[0])
			}
		}
		if status, _ := e.SandboxUserinfo(t, toks[0]); status != http.StatusOK {
			t.Errorf("the new access token at /userinfo: %d", status)
		}
	})

	t.Run("NoTokenInClearAnywhere", func(t *testing.T) {
		needles := map[string]string{}
		for i, is := range e.Sandbox.Tap.Issued() {
			if is.AccessToken == "" || is.RefreshToken == "" {
				t.Fatalf("answer %d issued no tokens: %+v", i, is)
			}
			needles[fmt.Sprintf("access token %d", i)] = is.AccessToken
			needles[fmt.Sprintf("refresh token %d", i)] = is.RefreshToken
		}
		for _, where := range e.TextColumnsContaining(t, needles) {
			t.Error(where)
		}
	})

	t.Run("RevokedGrantMarksTheAccount", func(t *testing.T) {
		// A rotated-out refresh token presented again: the sandbox answers
		// invalid_grant and revokes the whole grant.
		_, err := connectRefresh(ctx, access.RefreshRequest{AccountID: acc.ID, SourceKey: testutil.SandboxKey, RefreshToken: second.RefreshToken})
		if !errors.Is(err, access.ErrInvalidGrant) {
			t.Fatalf("replaying a rotated-out refresh token: %v, want invalid_grant", err)
		}
		e.Clock.Set(row().TokenExpiresAt.Add(time.Minute))
		if _, err := e.Svc.AccessToken(ctx, e.F.Reporting.ID, acc.ID, refresh); !errors.Is(err, access.ErrReauthorizationRequired) {
			t.Fatalf("AccessToken after the grant was revoked: %v, want ErrReauthorizationRequired", err)
		}
		accs, err := e.Svc.Accounts(ctx, e.F.Reporting.ID)
		if err != nil || len(accs) != 1 || accs[0].Status != access.AccountReauthorizationRequired {
			t.Fatalf("connected accounts %+v, %v; want status reauthorization_required", accs, err)
		}
		sends := e.Sandbox.Tap.Requests()
		if _, err := e.Svc.AccessToken(ctx, e.F.Reporting.ID, acc.ID, refresh); !errors.Is(err, access.ErrReauthorizationRequired) {
			t.Fatalf("AccessToken again: %v", err)
		}
		if e.Sandbox.Tap.Requests() != sends {
			t.Error("a refused refresh token was sent again")
		}
	})
}
