package access_test

// Reconnect links (issue 11, item 7): a link pinned to a connected account
// replaces that account's tokens in place when its owner signs in as the
// same account, refuses any other account without spending the link, and
// of two invitees completing it at once exactly one wins. On SQLite and
// (with DATABASE_URL) PostgreSQL.

import (
	"fmt"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// needsReconnect connects external into the Reporting workspace through
// an ordinary link and marks it as the provider having refused its
// refresh: the state a reconnect link is made for.
func (e *domainEnv) needsReconnect(external string) *access.AccountSummary {
	e.t.Helper()
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	acc, err := e.svc.ClaimLink(e.ctx, l.ID, access.Actor{IP: "198.51.100.1"}, identity(external))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.DB().Model(&models.ConnectedAccount{}).Where("id = ?", acc.ID).
		Update("status", access.AccountReauthorizationRequired).Error; err != nil {
		e.t.Fatal(err)
	}
	return acc
}

// reconnectLink makes a reconnect link for acc as the Reporting admin.
func (e *domainEnv) reconnectLink(acc *access.AccountSummary) *access.Link {
	e.t.Helper()
	l, err := e.svc.GenerateReconnectLink(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), acc.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// renewed is the identity of external signed in again, with new tokens
// and one more scope.
func renewed(external, tag string) *access.Identity {
	id := identity(external)
	id.AccessToken, id.RefreshToken = "at-"+tag, "rt-"+tag
	id.Scopes = append(id.Scopes, "openid")
	return &id
}

func TestReconnectLink(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	acc := e.needsReconnect("acct-r")

	t.Run("Gates", func(t *testing.T) {
		_, err := e.svc.GenerateReconnectLink(e.ctx, e.member(e.f.Member, e.f.Reporting), e.actor(e.f.Member), acc.ID)
		assertCode(t, err, access.EFORBIDDEN)
		_, err = e.svc.GenerateReconnectLink(e.ctx, e.member(e.f.Owner, e.f.Internal), e.actor(e.f.Owner), acc.ID)
		assertCode(t, err, access.ENOTFOUND) // another workspace's account
		_, err = e.svc.GenerateReconnectLink(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), "not-an-id")
		assertCode(t, err, access.ENOTFOUND)
	})

	l := e.reconnectLink(acc)
	t.Run("PinnedToTheAccount", func(t *testing.T) {
		r := e.row(l.ID)
		if r.ReconnectAccountID == nil || *r.ReconnectAccountID != acc.ID || r.SourceKey != acc.SourceKey || r.WorkspaceID != e.f.Reporting.ID {
			t.Fatalf("link %+v, want pinned to %s (%s, Reporting)", r, acc.ID, acc.SourceKey)
		}
		pl, err := e.svc.OpenLink(e.ctx, path.Base(l.URL))
		if err != nil {
			t.Fatal(err)
		}
		if pl.ReconnectLabel != "Account acct-r" || pl.Status != access.StatusActive {
			t.Errorf("consent page's link: reconnect label %q, status %s; want Account acct-r, active", pl.ReconnectLabel, pl.Status)
		}
	})

	t.Run("ErrWrongAccount", func(t *testing.T) {
		ex := &fakeExchange{flow: access.FlowRef{LinkID: l.ID, State: secret.RandomToken(32)}, id: renewed("acct-other", "other")}
		out := e.completeFlow(t, ex)
		if out.Kind != access.FlowWrongAccount || out.SignedInAs != "Account acct-other" || out.Account != "Account acct-r" ||
			access.ErrorCode(out.Err) != access.EACCOUNT {
			t.Fatalf("outcome %+v, want wrong account: signed in as Account acct-other, link for Account acct-r", out)
		}
		if again := e.completeFlow(t, ex); again.Kind != access.FlowWrongAccount || again.SignedInAs != out.SignedInAs ||
			again.Account != out.Account || ex.exchanges != 1 {
			t.Errorf("repeated callback: %+v after %d exchanges; want the same outcome, one exchange", again, ex.exchanges)
		}
		r := e.row(l.ID)
		if r.UsedAt != nil || r.ConnectedAccountID != nil {
			t.Errorf("link used_at %v, connected_account_id %v; want still usable", r.UsedAt, r.ConnectedAccountID)
		}
		if n := e.count(&models.ConnectedAccount{}, "workspace_id = ?", e.f.Reporting.ID); n != 1 {
			t.Errorf("%d accounts in the workspace, want 1 (nothing stored)", n)
		}
		stored := rowByID[models.ConnectedAccount](e, acc.ID)
		if stored.Status != access.AccountReauthorizationRequired {
			t.Errorf("account status %q, want still %q", stored.Status, access.AccountReauthorizationRequired)
		}
		evs := testutil.EventsOf(e.events(l.ID), access.EventProviderError)
		if len(evs) != 1 || evs[0].Fields["kind"] != access.EACCOUNT || evs[0].Fields["signed_in_as"] != "Account acct-other" ||
			evs[0].Fields["description"] != access.WrongAccountMessage("Account acct-other", "Account acct-r") {
			t.Errorf("history: %v, want one wrong-account failure", evs)
		}
		if pl, err := e.svc.OpenLink(e.ctx, path.Base(l.URL)); err != nil || pl.Status != access.StatusActive {
			t.Errorf("consent page after the refusal: %v, %v; want the link active", pl, err)
		}
	})

	t.Run("Reconnected", func(t *testing.T) {
		ex := &fakeExchange{flow: access.FlowRef{LinkID: l.ID, State: secret.RandomToken(32)}, id: renewed("acct-r", "new")}
		out := e.completeFlow(t, ex)
		if out.Kind != access.FlowConnected || out.Account != "Account acct-r" {
			t.Fatalf("outcome %+v, want connected as Account acct-r", out)
		}
		var accounts []models.ConnectedAccount
		if err := e.svc.DB().Where("workspace_id = ?", e.f.Reporting.ID).Find(&accounts).Error; err != nil {
			t.Fatal(err)
		}
		if len(accounts) != 1 || accounts[0].ID != acc.ID || !accounts[0].CreatedAt.Equal(acc.CreatedAt) {
			t.Fatalf("accounts %+v, want only %s, created as before", accounts, acc.ID)
		}
		a := accounts[0]
		if a.Status != "connected" || a.Scopes != "https://www.googleapis.com/auth/adwords openid" || a.LinkID == nil || *a.LinkID != l.ID {
			t.Errorf("account status %q, scopes %q, link %v; want connected, the new scopes, through %s", a.Status, a.Scopes, a.LinkID, l.ID)
		}
		tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, acc.ID, nil)
		if err != nil || tok != "at-new" {
			t.Errorf("AccessToken = %q, %v; want the new token at-new", tok, err)
		}
		r := e.row(l.ID)
		if r.UsedAt == nil || r.ConnectedAccountID == nil || *r.ConnectedAccountID != acc.ID {
			t.Errorf("link used_at %v, connected_account_id %v; want used for %s", r.UsedAt, r.ConnectedAccountID, acc.ID)
		}
		evs := testutil.EventsOf(e.events(l.ID), access.EventConnected)
		if len(evs) != 1 || evs[0].Fields["reconnected"] != "true" {
			t.Errorf("connected events %v, want one, reconnected", evs)
		}
	})

	t.Run("ErrAccountGone", func(t *testing.T) {
		l2 := e.reconnectLink(acc)
		if err := e.svc.DisconnectAccount(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), acc.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.OpenLink(e.ctx, path.Base(l2.URL))
		assertCode(t, err, access.ENOTFOUND)
		_, err = e.svc.ClaimLink(e.ctx, l2.ID, access.Actor{IP: "198.51.100.8"}, identity("acct-r"))
		assertCode(t, err, access.ENOTFOUND)
		e.wantUnclaimed(l2.ID)
	})
}

// TestReconnectConcurrentCallbacks: two invitees complete the same
// reconnect link at the same moment, each signed in as the right account
// in a flow of their own. Exactly one wins and its tokens are the
// account's; the other is told the link was already used, and nothing else
// changes. Five rounds, each on a fresh link.
func TestReconnectConcurrentCallbacks(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	acc := e.needsReconnect("acct-c")
	for round := range 5 {
		l := e.reconnectLink(acc)
		exs := []*fakeExchange{
			{flow: access.FlowRef{LinkID: l.ID, State: secret.RandomToken(32)}, id: renewed("acct-c", fmt.Sprintf("r%d-a", round))},
			{flow: access.FlowRef{LinkID: l.ID, State: secret.RandomToken(32)}, id: renewed("acct-c", fmt.Sprintf("r%d-b", round))},
		}
		outs := make([]*access.FlowOutcome, len(exs))
		errs := make([]error, len(exs))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, ex := range exs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				outs[i], errs[i] = e.svc.CompleteFlow(e.ctx, ex, access.Actor{IP: fmt.Sprintf("198.51.100.%d", i+1)})
			}()
		}
		close(start)
		wg.Wait()

		winner := -1
		for i, out := range outs {
			if errs[i] != nil {
				t.Fatalf("round %d, invitee %d: %v", round, i, errs[i])
			}
			switch {
			case out.Kind == access.FlowConnected:
				if winner >= 0 {
					t.Fatalf("round %d: both invitees connected", round)
				}
				winner = i
			case out.Kind == access.FlowRefused && out.LinkStatus == access.StatusUsed && access.ErrorCode(out.Err) == access.ECONFLICT:
			default:
				t.Fatalf("round %d, invitee %d: outcome %+v, want connected or refused as used", round, i, out)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody connected", round)
		}
		tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, acc.ID, nil)
		if want := exs[winner].id.AccessToken; err != nil || tok != want {
			t.Errorf("round %d: AccessToken = %q, %v; want the winner's %q", round, tok, err, want)
		}
		if n := e.count(&models.ConnectedAccount{}, "workspace_id = ?", e.f.Reporting.ID); n != 1 {
			t.Errorf("round %d: %d accounts, want 1", round, n)
		}
		evs := e.events(l.ID)
		if c, r := len(testutil.EventsOf(evs, access.EventConnected)), len(testutil.EventsOf(evs, access.EventClaimRefused)); c != 1 || r != 1 {
			t.Errorf("round %d: %d connected and %d claim_refused events, want 1 and 1", round, c, r)
		}
		e.clock.Advance(time.Second)
	}
}
