package access_test

import (
	"errors"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// TestCallbackSettledOnce: a flow's callback is settled once, at its first
// outcome (issue 7 items 9 and 14). The first failure stands, cleaned and
// capped; a callback left pending past ExchangeTimeout is given up, and the
// request that was still at it cannot connect afterwards; a connected flow
// is never given up.
func TestCallbackSettledOnce(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	claim := func(state string) *access.CallbackRecord {
		t.Helper()
		c, err := e.svc.ReserveCallback(e.ctx, state, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	row := func(state string) models.OAuthCallback {
		t.Helper()
		var r models.OAuthCallback
		if err := e.svc.DB().Where("state_hash = ?", secret.HashToken(state)).Take(&r).Error; err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("FirstFailureStands", func(t *testing.T) {
		state := secret.RandomToken(32)
		if c := claim(state); c != nil {
			t.Fatalf("first claim %+v, want nil", c)
		}
		first, mine, err := e.svc.FailCallback(e.ctx, state, access.CallbackFailure{Kind: "provider", Code: "server_error\x00",
			Description: "Moved\u202e: see https://evil.example"})
		if err != nil || !mine {
			t.Fatalf("first failure: mine %v, %v", mine, err)
		}
		if first.Failure.Code != "server_error" || first.Failure.Description != "Moved: see https://evil.example" {
			t.Errorf("stored %+v, want cleaned", first.Failure)
		}
		again, mine, err := e.svc.FailCallback(e.ctx, state, access.CallbackFailure{Kind: "provider", Code: "other"})
		if err != nil || mine || again.Failure != first.Failure {
			t.Errorf("second failure: mine %v, %+v, %v; want the first", mine, again, err)
		}
		if c := claim(state); c == nil || c.Outcome != access.CallbackFailed || c.Failure != first.Failure {
			t.Errorf("a later callback is told %+v, want the first failure", c)
		}
	})
	t.Run("GivenUpFlowCannotConnect", func(t *testing.T) {
		state := secret.RandomToken(32)
		claim(state)
		if c := claim(state); c == nil || c.Outcome != access.CallbackPending {
			t.Fatalf("within the timeout: %+v, want pending", c)
		}
		e.clock.Advance(access.ExchangeTimeout)
		if c := claim(state); c == nil || !c.Abandoned() {
			t.Fatalf("after the timeout: %+v, want given up", c)
		}
		// The request that took the flow to the exchange comes back late.
		_, err := e.svc.ClaimLinkForFlow(e.ctx, state, l.ID, access.Actor{}, identity("late"))
		if !errors.Is(err, access.ErrFlowSettled) {
			t.Fatalf("late connect = %v, want ErrFlowSettled", err)
		}
		e.wantUnclaimed(l.ID)
		if n := len(e.events(l.ID)); n != 1 { // created
			t.Errorf("%d events, want the link's creation only", n)
		}
	})
	t.Run("ConnectedFlowNeverGivenUp", func(t *testing.T) {
		state := secret.RandomToken(32)
		claim(state)
		acc, err := e.svc.ClaimLinkForFlow(e.ctx, state, l.ID, access.Actor{}, identity("on-time"))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * access.ExchangeTimeout)
		if c := claim(state); c == nil || c.Outcome != access.CallbackConnected || c.AccountLabel != "Account on-time" {
			t.Fatalf("after the timeout: %+v, want connected to %s", c, acc.Label())
		}
	})
	t.Run("NextClaimGivesUpOthers", func(t *testing.T) {
		stale := secret.RandomToken(32)
		claim(stale)
		e.clock.Advance(access.ExchangeTimeout)
		claim(secret.RandomToken(32))
		if r := row(stale); r.Outcome != access.CallbackFailed || r.ErrorCode != access.CallbackAbandoned {
			t.Errorf("stale callback %+v, want given up by the next claim", r)
		}
	})
}

// TestConnectSameAccountAgain: the account's upsert keeps the row, replaces
// the access token, sealed for the row, and keeps the refresh token when
// the provider sends none.
func TestConnectSameAccountAgain(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	first, err := e.svc.ClaimLink(e.ctx, e.generate(e.f.Admin, e.f.Reporting, "google_ads").ID, access.Actor{}, identity("same"))
	if err != nil {
		t.Fatal(err)
	}
	again := identity("same")
	again.AccessToken, again.RefreshToken, again.DisplayName = "at-second", "", "Renamed"
	second, err := e.svc.ClaimLink(e.ctx, e.generate(e.f.Admin, e.f.Reporting, "google_ads").ID, access.Actor{}, again)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID || second.DisplayName != "Renamed" || !second.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("second connect %+v, want the first row %s updated", second, first.ID)
	}
	var a models.ConnectedAccount
	if err := e.svc.DB().Where("id = ?", first.ID).Take(&a).Error; err != nil {
		t.Fatal(err)
	}
	if tok, err := e.svc.Keys().Open(a.AccessTokenSealed, "connected_accounts/"+a.ID+"/access_token"); err != nil || tok != "at-second" {
		t.Errorf("access token %q, %v; want the second", tok, err)
	}
	if tok, err := e.svc.Keys().Open(a.RefreshTokenSealed, "connected_accounts/"+a.ID+"/refresh_token"); err != nil || tok != "rt-same" {
		t.Errorf("refresh token %q, %v; want the first kept", tok, err)
	}
}
