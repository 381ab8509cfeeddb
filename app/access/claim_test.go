package access_test

// The claim (SECURITY 2, 3, 21): Connect claims a link with one conditional
// update in the transaction that stores the account. These tests call it
// directly, on SQLite and (with DATABASE_URL) PostgreSQL, with the clock
// injected: concurrent claims, expiry at the exact instant, deletion, a
// second use, and a transaction that fails after the claim.

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// identity is an account as a provider would name it, with tokens.
func identity(external string) access.Identity {
	return access.Identity{
		SourceKey: "google_ads", ExternalID: external, DisplayName: "Account " + external,
		Scopes:      []string{"https://www.googleapis.com/auth/adwords"},
		AccessToken: "at-" + external, RefreshToken: "rt-" + external,
		Expiry: domainStart.Add(time.Hour),
	}
}

// wantUnclaimed fails unless the link is unused with no account, and no
// account exists in its workspace.
func (e *domainEnv) wantUnclaimed(linkID string) {
	e.t.Helper()
	r := e.row(linkID)
	if r.UsedAt != nil || r.ConnectedAccountID != nil {
		e.t.Errorf("link used_at %v, connected_account_id %v; want unclaimed", r.UsedAt, r.ConnectedAccountID)
	}
	if n := e.count(&models.ConnectedAccount{}, "workspace_id = ?", r.WorkspaceID); n != 0 {
		e.t.Errorf("%d connected accounts stored, want none", n)
	}
	if n := len(testutil.EventsOf(e.events(linkID), access.EventConnected)); n != 0 {
		e.t.Errorf("%d connected events, want none", n)
	}
}

// refusedBecause fails unless the link's last event is a claim_refused with
// reason.
func (e *domainEnv) refusedBecause(linkID, reason string) {
	e.t.Helper()
	evs := testutil.EventsOf(e.events(linkID), access.EventClaimRefused)
	if len(evs) == 0 {
		e.t.Fatalf("no claim_refused event; history %v", testutil.EventTypes(e.events(linkID)))
	}
	if got := evs[len(evs)-1].Fields["reason"]; got != reason {
		e.t.Errorf("claim_refused reason %q, want %q", got, reason)
	}
}

// TestConnectConcurrentClaims: 50 callbacks claim one link at once, each
// with a different account. Exactly one wins; the 49 others are told the
// link was used, store nothing, and leave a claim_refused event each.
func TestConnectConcurrentClaims(t *testing.T) {
	t.Parallel()
	const n = 50
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")

	type result struct {
		acc *access.AccountSummary
		err error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			acc, err := e.svc.ClaimLink(e.ctx, l.ID, access.Actor{IP: fmt.Sprintf("198.51.100.%d", i+1)}, identity(fmt.Sprintf("acct-%02d", i)))
			results[i] = result{acc, err}
		}()
	}
	close(start)
	wg.Wait()

	var winner *access.AccountSummary
	conflicts := 0
	for i, r := range results {
		switch {
		case r.err == nil:
			if winner != nil {
				t.Errorf("claim %d also won (%s), after %s", i, r.acc.ExternalID, winner.ExternalID)
			}
			winner = r.acc
		case access.ErrorCode(r.err) == access.ECONFLICT:
			conflicts++
		default:
			t.Errorf("claim %d: %v, want a win or a conflict", i, r.err)
		}
	}
	if winner == nil || conflicts != n-1 {
		t.Fatalf("winner %v and %d conflicts, want one winner and %d conflicts", winner, conflicts, n-1)
	}
	var accounts []models.ConnectedAccount
	if err := e.svc.DB().Where("workspace_id = ?", e.f.Reporting.ID).Find(&accounts).Error; err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 1 || accounts[0].ID != winner.ID {
		t.Fatalf("%d accounts stored, want only the winner's %s", len(accounts), winner.ID)
	}
	r := e.row(l.ID)
	if r.UsedAt == nil || r.ConnectedAccountID == nil || *r.ConnectedAccountID != winner.ID {
		t.Errorf("link used_at %v, connected_account_id %v; want used by %s", r.UsedAt, r.ConnectedAccountID, winner.ID)
	}
	evs := e.events(l.ID)
	connected, refused := testutil.EventsOf(evs, access.EventConnected), testutil.EventsOf(evs, access.EventClaimRefused)
	if len(connected) != 1 || len(refused) != n-1 {
		t.Errorf("%d connected and %d claim_refused events, want 1 and %d", len(connected), len(refused), n-1)
	}
	for _, ev := range refused {
		if ev.Fields["reason"] != string(access.StatusUsed) {
			t.Errorf("claim_refused reason %q, want used", ev.Fields["reason"])
		}
	}
}

// TestConnectClaimExpiry: the claim compares expires_at with the injected
// clock inside the statement: a microsecond before expiry it succeeds, at
// the exact instant and after it is refused. Links are made at whole and
// fractional seconds, since SQLite compares timestamps as text.
func TestConnectClaimExpiry(t *testing.T) {
	t.Parallel()
	for _, offset := range []time.Duration{0, time.Microsecond, 499999 * time.Microsecond} {
		t.Run(fmt.Sprintf("CreatedAt+%dus", offset.Microseconds()), func(t *testing.T) {
			e := newDomainEnv(t)
			e.clock.Set(domainStart.Add(offset))
			refusedAt := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
			refusedAfter := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
			okBefore := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
			exp := refusedAt.ExpiresAt
			if !exp.Equal(domainStart.Add(offset).Add(access.LinkLifetime)) || !okBefore.ExpiresAt.Equal(exp) {
				t.Fatalf("expires_at %v, want created + 7 days", exp)
			}

			t.Run("RefusedAtExactlyExpiresAt", func(t *testing.T) {
				e.clock.Set(exp)
				_, err := e.svc.ClaimLink(e.ctx, refusedAt.ID, access.Actor{}, identity("at-expiry"))
				assertCode(t, err, access.EEXPIRED)
				e.wantUnclaimed(refusedAt.ID)
				e.refusedBecause(refusedAt.ID, string(access.StatusExpired))
			})
			t.Run("RefusedAfterExpiresAt", func(t *testing.T) {
				e.clock.Set(exp.Add(time.Microsecond))
				_, err := e.svc.ClaimLink(e.ctx, refusedAfter.ID, access.Actor{}, identity("after-expiry"))
				assertCode(t, err, access.EEXPIRED)
				e.wantUnclaimed(refusedAfter.ID)
			})
			t.Run("OKOneMicrosecondBefore", func(t *testing.T) {
				e.clock.Set(exp.Add(-time.Microsecond))
				acc, err := e.svc.ClaimLink(e.ctx, okBefore.ID, access.Actor{}, identity("before-expiry"))
				if err != nil {
					t.Fatalf("claim a microsecond before expiry: %v", err)
				}
				if r := e.row(okBefore.ID); r.UsedAt == nil || !r.UsedAt.Equal(exp.Add(-time.Microsecond)) ||
					r.ConnectedAccountID == nil || *r.ConnectedAccountID != acc.ID {
					t.Errorf("link used_at %v, connected_account_id %v; want used at the clock's time by %s", r.UsedAt, r.ConnectedAccountID, acc.ID)
				}
			})
		})
	}
}

// TestConnectClaimRefusals: a deleted, used or unknown link is refused by
// the claim itself (Connect has no earlier check), with nothing stored.
func TestConnectClaimRefusals(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)

	t.Run("DeletedRefusedAsUnknown", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		if err := e.svc.DeleteLink(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), l.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.ClaimLink(e.ctx, l.ID, access.Actor{}, identity("deleted"))
		de := assertCode(t, err, access.ENOTFOUND)
		// The same words as for a token that never existed.
		if _, uerr := e.svc.OpenLink(e.ctx, "unknown-token-unknown-token-unknown-token-x"); access.ErrorMessage(uerr) != de.Message {
			t.Errorf("deleted says %q, unknown says %q", de.Message, access.ErrorMessage(uerr))
		}
		e.wantUnclaimed(l.ID)
		e.refusedBecause(l.ID, string(access.StatusDeleted))
	})
	t.Run("UsedRefusedAsConflict", func(t *testing.T) {
		l := e.generate(e.f.OtherAdmin, e.f.Internal, "google_ads")
		usedAt := e.clock.Now()
		first, err := e.svc.ClaimLink(e.ctx, l.ID, access.Actor{}, identity("first"))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		_, err = e.svc.ClaimLink(e.ctx, l.ID, access.Actor{}, identity("second"))
		assertCode(t, err, access.ECONFLICT)
		if r := e.row(l.ID); r.ConnectedAccountID == nil || *r.ConnectedAccountID != first.ID || !r.UsedAt.Equal(usedAt) {
			t.Errorf("link now points at %v (used %v), want still the first account %s", r.ConnectedAccountID, r.UsedAt, first.ID)
		}
		if n := e.count(&models.ConnectedAccount{}, "external_id = ?", "second"); n != 0 {
			t.Errorf("the refused claim stored its account")
		}
		e.refusedBecause(l.ID, string(access.StatusUsed))
	})
	t.Run("UnknownLinkNotFound", func(t *testing.T) {
		_, err := e.svc.ClaimLink(e.ctx, access.NewID(), access.Actor{}, identity("nowhere"))
		assertCode(t, err, access.ENOTFOUND)
		if n := e.count(&models.ConnectedAccount{}, "external_id = ?", "nowhere"); n != 0 {
			t.Errorf("an account was stored for an unknown link")
		}
	})
}

// TestConnectFailureAfterClaimRollsBack: when the transaction fails after
// the claim (here the account's insert fails, as a crash or a lost
// connection would), nothing of it remains: the link is still active and
// the next attempt connects.
func TestConnectFailureAfterClaimRollsBack(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")

	var armed, fired atomic.Bool
	armed.Store(true)
	crash := errors.New("injected failure after the claim")
	err := e.svc.DB().Callback().Create().After("gorm:create").Register("test:fail_account_insert", func(tx *gorm.DB) {
		if tx.Statement.Table == "connected_accounts" && armed.Load() {
			// The claim's UPDATE and this INSERT ran; the transaction fails.
			fired.Store(true)
			_ = tx.AddError(crash)
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	_, err = e.svc.ClaimLink(e.ctx, l.ID, access.Actor{}, identity("crashed"))
	if !errors.Is(err, crash) || !fired.Load() {
		t.Fatalf("ClaimLink = %v (failure injected: %v), want the injected failure after the claim", err, fired.Load())
	}
	e.wantUnclaimed(l.ID)
	if r := e.row(l.ID); access.StatusOf(&r, e.clock.Now()) != access.StatusActive {
		t.Fatalf("status %s, want active", access.StatusOf(&r, e.clock.Now()))
	}
	if err := e.svc.CheckLinkActive(e.ctx, l.ID); err != nil {
		t.Errorf("CheckLinkActive after the failure: %v", err)
	}

	armed.Store(false)
	acc, err := e.svc.ClaimLink(e.ctx, l.ID, access.Actor{}, identity("retried"))
	if err != nil {
		t.Fatalf("retry after the failure: %v", err)
	}
	if r := e.row(l.ID); r.ConnectedAccountID == nil || *r.ConnectedAccountID != acc.ID {
		t.Errorf("link connected to %v, want the retry's account %s", r.ConnectedAccountID, acc.ID)
	}
	if n := e.count(&models.ConnectedAccount{}, "workspace_id = ?", e.f.Reporting.ID); n != 1 {
		t.Errorf("%d accounts, want the retry's only", n)
	}
}
