package access_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// TestRenew: "Send a new link" makes a fresh link like the old one, links
// the two both ways and in both histories, and happens once.
func TestRenew(t *testing.T) {
	e, m := newAdminEnv(t)
	old := e.generateWith(t, m, e.f.Admin, access.NewLink{Source: "google_ads", Label: "Acme Bakery", ExpiresIn: 3 * 24 * time.Hour})
	if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", old.ID).Update("recipient_email", "owner@bakery.test").Error; err != nil {
		t.Fatal(err)
	}

	t.Run("ErrActive", func(t *testing.T) {
		if _, err := e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), old.ID); access.ErrorCode(err) != access.ECONFLICT || !strings.Contains(access.ErrorMessage(err), "still active") {
			t.Fatalf("renewing an active link: %v, want a conflict that says it is still active", err)
		}
	})

	e.clock.Advance(3*24*time.Hour + time.Minute) // expired

	t.Run("ErrOtherWorkspace", func(t *testing.T) {
		if _, err := e.svc.Renew(e.ctx, e.member(e.f.OtherAdmin, e.f.Internal), e.actor(e.f.OtherAdmin), old.ID); access.ErrorCode(err) != access.ENOTFOUND {
			t.Fatalf("renewing another workspace's link: %v, want not found", err)
		}
	})
	t.Run("ErrMember", func(t *testing.T) {
		if _, err := e.svc.Renew(e.ctx, e.member(e.f.Member, e.f.Reporting), e.actor(e.f.Member), old.ID); access.ErrorCode(err) != access.EFORBIDDEN {
			t.Fatalf("a member renewing: %v, want forbidden", err)
		}
	})

	var renewed *access.Link
	var err error
	t.Run("OK", func(t *testing.T) {
		renewed, err = e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), old.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := e.row(renewed.ID)
		if n.SourceKey != "google_ads" || n.Label != "Acme Bakery" || n.RecipientEmail != "owner@bakery.test" {
			t.Errorf("new link %s/%q/%q, want the old one's source, label and recipient", n.SourceKey, n.Label, n.RecipientEmail)
		}
		if got := n.ExpiresAt.Sub(n.CreatedAt); got != 3*24*time.Hour {
			t.Errorf("new lifetime %v, want the old one's 3 days", got)
		}
		if access.StatusOf(&n, e.clock.Now()) != access.StatusActive || renewed.URL == "" {
			t.Errorf("the new link is not active with a URL")
		}
		if n.RenewedFromID == nil || *n.RenewedFromID != old.ID {
			t.Errorf("renewed_from_id = %v, want %s", n.RenewedFromID, old.ID)
		}
		if o := e.row(old.ID); o.RenewedToID == nil || *o.RenewedToID != renewed.ID || o.DeletedAt != nil {
			t.Errorf("old link renewed_to_id = %v deleted %v, want %s and kept", o.RenewedToID, o.DeletedAt, renewed.ID)
		}
		if ev := e.events(old.ID); len(ev) == 0 || ev[len(ev)-1].Type != access.EventRenewed || ev[len(ev)-1].Fields["renewed_to"] != renewed.ID {
			t.Errorf("old link's latest event %+v, want renewed to %s", ev, renewed.ID)
		}
		if ev := e.events(renewed.ID); len(ev) == 0 || ev[0].Fields["renewed_from"] != old.ID {
			t.Errorf("new link's created event %+v, want renewed_from %s", ev, old.ID)
		}
	})

	t.Run("ErrTwice", func(t *testing.T) {
		if _, err := e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), old.ID); access.ErrorCode(err) != access.ECONFLICT {
			t.Fatalf("renewing again: %v, want conflict", err)
		}
	})

	t.Run("ErrUsed", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		e.setUsed(l.ID, e.clock.Now())
		if _, err := e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), l.ID); access.ErrorCode(err) != access.ECONFLICT || !strings.Contains(access.ErrorMessage(err), "was used") {
			t.Fatalf("renewing a used link: %v, want a conflict that says it was used", err)
		}
	})

	t.Run("ErrDeleted", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		if err := e.svc.DeleteLink(e.ctx, m, e.actor(e.f.Admin), l.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), l.ID); access.ErrorCode(err) != access.ENOTFOUND {
			t.Fatalf("renewing a deleted link: %v, want not found", err)
		}
	})

	t.Run("Declined", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", l.ID).Update("last_outcome", access.OutcomeDeclined).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), l.ID); err != nil {
			t.Fatalf("renewing a declined link: %v", err)
		}
	})

	// Two admins press "Send a new link" at once: one new link.
	t.Run("Concurrent", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		e.clock.Advance(8 * 24 * time.Hour)
		ok := race(t, 4, "renewal", func(int) error {
			_, err := e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), l.ID)
			return err
		})
		if ok != 1 || e.count(&models.AccessLink{}, "renewed_from_id = ?", l.ID) != 1 {
			t.Fatalf("%d renewals succeeded, %d links renew it; want 1 and 1", ok, e.count(&models.AccessLink{}, "renewed_from_id = ?", l.ID))
		}
	})
}

// TestRenewRetiresOldLink: renewing a declined link ends the old one in
// the same transaction: it expires at the moment of renewal (lists, API
// and webhooks call it expired), its invitee's page says it was replaced,
// and a claim through it is refused, even one whose clock is behind the
// renewal's.
func TestRenewRetiresOldLink(t *testing.T) {
	e, m := newAdminEnv(t)
	declined := func() *access.Link {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", l.ID).Update("last_outcome", access.OutcomeDeclined).Error; err != nil {
			t.Fatal(err)
		}
		return l
	}
	old := declined()
	e.clock.Advance(time.Hour)
	renewed, err := e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), old.ID)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ExpiredAtRenewal", func(t *testing.T) {
		o := e.row(old.ID)
		if !o.ExpiresAt.Equal(e.clock.Now()) || access.StatusOf(&o, e.clock.Now()) != access.StatusExpired {
			t.Fatalf("old link expires %v, status %s; want expired at the renewal, %v", o.ExpiresAt, access.StatusOf(&o, e.clock.Now()), e.clock.Now())
		}
		active := ids(e.list(e.f.Reporting, access.ListFilter{Status: access.StatusActive}).Links)
		if slices.Contains(active, old.ID) || !slices.Contains(active, renewed.ID) {
			t.Errorf("active links %v: want the new %s and not the old %s", active, renewed.ID, old.ID)
		}
	})
	t.Run("InviteeSeesReplaced", func(t *testing.T) {
		pl, err := e.svc.OpenLink(e.ctx, strings.TrimPrefix(old.URL[strings.LastIndex(old.URL, "/"):], "/"))
		if err != nil {
			t.Fatal(err)
		}
		if pl.Status != access.StatusExpired || pl.RenewedToID == nil {
			t.Errorf("opening the old link: status %s renewed_to %v, want expired and replaced", pl.Status, pl.RenewedToID)
		}
	})
	t.Run("ErrClaimOld", func(t *testing.T) {
		_, err := e.svc.ClaimLink(e.ctx, old.ID, access.Actor{}, identity("through-old"))
		assertCode(t, err, access.EEXPIRED)
		if err := e.svc.CheckLinkActive(e.ctx, old.ID); access.ErrorCode(err) != access.EEXPIRED {
			t.Errorf("CheckLinkActive on the old link: %v, want expired", err)
		}
		e.wantUnclaimed(old.ID)
		if _, err := e.svc.ClaimLink(e.ctx, renewed.ID, access.Actor{}, identity("through-new")); err != nil {
			t.Fatalf("claiming the new link: %v", err)
		}
	})
	// A process whose clock is behind the one that renewed still refuses:
	// the claim's condition names the renewal itself, not only the time.
	t.Run("ErrClaimOldClockBehind", func(t *testing.T) {
		l := declined()
		if _, err := e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), l.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", l.ID).Update("expires_at", e.clock.Now().Add(time.Minute)).Error; err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.ClaimLink(e.ctx, l.ID, access.Actor{}, identity("skewed"))
		assertCode(t, err, access.EEXPIRED)
		if err := e.svc.CheckLinkActive(e.ctx, l.ID); access.ErrorCode(err) != access.EEXPIRED {
			t.Errorf("CheckLinkActive on a renewed link: %v, want expired", err)
		}
	})
	// Renewal and a claim of the same declined link at once: exactly one
	// of them happens.
	t.Run("RaceWithClaim", func(t *testing.T) {
		for i := range 5 {
			l := declined()
			var renewErr, claimErr error
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); _, renewErr = e.svc.Renew(e.ctx, m, e.actor(e.f.Admin), l.ID) }()
			go func() {
				defer wg.Done()
				_, claimErr = e.svc.ClaimLink(e.ctx, l.ID, access.Actor{}, identity(fmt.Sprintf("race-%d", i)))
			}()
			wg.Wait()
			if (renewErr == nil) == (claimErr == nil) {
				t.Fatalf("round %d: renew %v, claim %v; want exactly one to succeed", i, renewErr, claimErr)
			}
			o := e.row(l.ID)
			if renewErr == nil && (o.UsedAt != nil || o.RenewedToID == nil) || claimErr == nil && (o.UsedAt == nil || o.RenewedToID != nil) {
				t.Errorf("round %d: link used %v renewed to %v after renew %v, claim %v", i, o.UsedAt, o.RenewedToID, renewErr, claimErr)
			}
		}
	})
}
