package access_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// recordOutbox keeps the events emitted, in the change's transaction.
type recordOutbox struct {
	mu  sync.Mutex
	evs []access.OutEvent
}

func (o *recordOutbox) Emit(_ *gorm.DB, ev access.OutEvent) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.evs = append(o.evs, ev)
	return nil
}
func (o *recordOutbox) Deliver(*gorm.DB, string, string) error { return nil }

func (o *recordOutbox) ofType(typ string) []access.OutEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []access.OutEvent
	for _, ev := range o.evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// TestDisconnectAccount: a manager disconnects an account of the
// workspace; the row and its tokens are gone, the link keeps its history
// with a "disconnected" event naming the actor, account.disconnected is
// emitted once, and the provider is asked to revoke both tokens.
func TestDisconnectAccount(t *testing.T) {
	t.Parallel()
	clock := testutil.NewClock(domainStart)
	out := &recordOutbox{}
	svc := testutil.NewService(t, testutil.OpenDB(t), clock, access.WithOutbox(out))
	e := &domainEnv{t: t, ctx: t.Context(), clock: clock, svc: svc, f: testutil.Seed(t, svc)}

	link := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	acc, err := e.svc.ClaimLink(e.ctx, link.ID, access.Actor{}, identity("d1"))
	if err != nil {
		t.Fatal(err)
	}
	before := len(e.events(link.ID))

	t.Run("ErrForbiddenForEditorViewerFreePlan", func(t *testing.T) {
		for _, u := range []models.User{e.f.Member, e.f.Viewer} {
			assertCode(t, e.svc.DisconnectAccount(e.ctx, e.member(u, e.f.Reporting), e.actor(u), acc.ID, nil), access.EFORBIDDEN)
		}
		assertCode(t, e.svc.DisconnectAccount(e.ctx, e.member(e.f.Free, e.f.Main), e.actor(e.f.Free), acc.ID, nil), access.EFORBIDDEN)
	})
	t.Run("ErrNotFoundForeignOrMalformed", func(t *testing.T) {
		m := e.member(e.f.OtherAdmin, e.f.Internal)
		for _, id := range []string{acc.ID, "not-an-id", ""} {
			assertCode(t, e.svc.DisconnectAccount(e.ctx, m, e.actor(e.f.OtherAdmin), id, nil), access.ENOTFOUND)
		}
	})
	if n := e.count(&models.ConnectedAccount{}, "id = ?", acc.ID); n != 1 {
		t.Fatalf("refused disconnections removed the account (%d rows)", n)
	}
	if got := out.ofType(access.HookAccountDisconnected); len(got) != 0 {
		t.Fatalf("refused disconnections emitted %d events", len(got))
	}

	var revoked []access.RevokeRequest
	revoke := func(_ context.Context, r access.RevokeRequest) error {
		revoked = append(revoked, r)
		return nil
	}
	if err := e.svc.DisconnectAccount(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), acc.ID, revoke); err != nil {
		t.Fatal(err)
	}

	t.Run("TokensGone", func(t *testing.T) {
		if n := e.count(&models.ConnectedAccount{}, "id = ?", acc.ID); n != 0 {
			t.Errorf("account row still there (%d)", n)
		}
		if _, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, acc.ID, nil); access.ErrorCode(err) != access.ENOTFOUND {
			t.Errorf("access token after disconnect: %v", err)
		}
	})
	t.Run("HistoryKept", func(t *testing.T) {
		evs := e.events(link.ID)
		if len(evs) != before+1 {
			t.Fatalf("%d events, want %d", len(evs), before+1)
		}
		var last *access.Event
		for i := range evs {
			if evs[i].Type == access.EventDisconnected {
				last = &evs[i]
			}
		}
		if last == nil || last.Actor != e.f.Admin.Name || last.Fields["account"] != "Account d1" || last.Fields["revoke_error"] != "" {
			t.Errorf("disconnected event %+v", last)
		}
		if l := e.row(link.ID); l.UsedAt == nil {
			t.Errorf("link no longer used: %+v", l)
		}
	})
	t.Run("EmittedOnce", func(t *testing.T) {
		got := out.ofType(access.HookAccountDisconnected)
		if len(got) != 1 || got[0].LinkID != link.ID || got[0].WorkspaceID != e.f.Reporting.ID {
			t.Fatalf("events %+v", got)
		}
		a, _ := got[0].Data["account"].(map[string]any)
		if a["id"] != acc.ID || a["name"] != "Account d1" {
			t.Errorf("account data %v", a)
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		if len(revoked) != 2 || revoked[0].Token != "rt-d1" || revoked[0].TokenTypeHint != "refresh_token" ||
			revoked[1].Token != "at-d1" || revoked[1].TokenTypeHint != "access_token" || revoked[0].SourceKey != "google_ads" {
			t.Errorf("revoked %+v", revoked)
		}
	})
	t.Run("ErrNotFoundTwice", func(t *testing.T) {
		assertCode(t, e.svc.DisconnectAccount(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), acc.ID, revoke), access.ENOTFOUND)
		if got := out.ofType(access.HookAccountDisconnected); len(got) != 1 {
			t.Errorf("%d events after a second disconnect", len(got))
		}
	})
	t.Run("RevokeFailureNotedByAPIKey", func(t *testing.T) {
		l2 := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		acc2, err := e.svc.ClaimLink(e.ctx, l2.ID, access.Actor{}, identity("d2"))
		if err != nil {
			t.Fatal(err)
		}
		fail := func(context.Context, access.RevokeRequest) error { return errors.New("revocation answered 503") }
		key := access.Actor{APIKeyID: "k1", APIKeyName: "CI"}
		if err := e.svc.DisconnectAccount(e.ctx, e.member(e.f.Admin, e.f.Reporting), key, acc2.ID, fail); err != nil {
			t.Fatalf("a failed revocation fails the disconnection: %v", err)
		}
		if n := e.count(&models.ConnectedAccount{}, "id = ?", acc2.ID); n != 0 {
			t.Errorf("account kept after a failed revocation")
		}
		evs := e.events(l2.ID)
		last := evs[len(evs)-1]
		for _, ev := range evs {
			if ev.Type == access.EventDisconnected {
				last = ev
			}
		}
		if last.Type != access.EventDisconnected || last.Actor != "API key CI" || last.Fields["revoke_error"] != "revocation answered 503" {
			t.Errorf("event %+v", last)
		}
	})
}
