package access_test

import (
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// TestDefaultLinkDays: an organization's owners set how long its new links
// last by default (1, 3, 7, 14 or 30 days); new links in every workspace
// of it get that lifetime when their creator picks none, links already
// made keep theirs; the change is recorded with the old and new value;
// admins and members are refused.
func TestDefaultLinkDays(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	owner := e.member(e.f.Owner, e.f.Reporting)
	before := e.generate(e.f.Admin, e.f.Reporting, "google_ads")

	t.Run("OwnersOnly", func(t *testing.T) {
		for _, u := range []models.User{e.f.Admin, e.f.Member, e.f.Viewer} {
			m := e.member(u, e.f.Reporting)
			_, err := e.svc.OrganizationLinkDefaults(e.ctx, m)
			if de := assertCode(t, err, access.EFORBIDDEN); de.Message != "Only owners of Acme Agency can change how long its links last by default. Ask an owner of the organization." {
				t.Errorf("message %q", de.Message)
			}
			assertCode(t, e.svc.SetDefaultLinkDays(e.ctx, m, e.actor(u), 14), access.EFORBIDDEN)
		}
		if d, err := e.svc.OrganizationLinkDefaults(e.ctx, owner); err != nil || d.Days != 7 || d.OrganizationName != "Acme Agency" || len(d.Changes) != 0 {
			t.Fatalf("defaults %+v (%v), want 7 days and no changes", d, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, days := range []int{-1, 0, 2, 8, 31, 365} {
			de := assertCode(t, e.svc.SetDefaultLinkDays(e.ctx, owner, e.actor(e.f.Owner), days), access.EINVALID)
			if de.Fields["default_link_days"] == "" || de.Reason != access.ReasonDefaultDaysChoice {
				t.Errorf("%d days: field error %q, reason %q", days, de.Fields["default_link_days"], de.Reason)
			}
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := e.svc.SetDefaultLinkDays(e.ctx, owner, e.actor(e.f.Owner), 14); err != nil {
			t.Fatal(err)
		}
		// Memberships are read per request: the next one has the default.
		for _, ws := range []models.Workspace{e.f.Reporting, e.f.Internal} {
			u := e.f.Admin
			if ws.ID == e.f.Internal.ID {
				u = e.f.OtherAdmin
			}
			m := e.member(u, ws)
			if got := access.LinkLifetimeOf(m); got != 14*24*time.Hour {
				t.Errorf("%s: default lifetime %v, want 14 days", ws.Name, got)
			}
			l := e.generateWith(t, m, u, access.NewLink{Source: "google_ads"})
			if got := l.ExpiresAt.Sub(l.CreatedAt); got != 14*24*time.Hour {
				t.Errorf("%s: a new link lives %v, want 14 days", ws.Name, got)
			}
			l, err := e.svc.GenerateLinkWith(e.ctx, m, e.actor(u), access.NewLink{Source: "google_ads", ExpiresIn: 3 * 24 * time.Hour})
			if err != nil || l.ExpiresAt.Sub(l.CreatedAt) != 3*24*time.Hour {
				t.Errorf("%s: a link asked for 3 days: %v", ws.Name, err)
			}
		}
		if b := e.row(before.ID); b.ExpiresAt.Sub(b.CreatedAt) != 7*24*time.Hour {
			t.Errorf("a link made before the change now lives %v, want its 7 days", b.ExpiresAt.Sub(b.CreatedAt))
		}
		d, err := e.svc.OrganizationLinkDefaults(e.ctx, e.member(e.f.Owner, e.f.Reporting))
		if err != nil || d.Days != 14 || len(d.Changes) != 1 {
			t.Fatalf("defaults %+v (%v), want 14 days and one change", d, err)
		}
		if c := d.Changes[0]; c.Kind != access.BrandingLinkDefault || c.Detail != "7→14" || c.ActorName != e.f.Owner.Name || c.UserID == nil || *c.UserID != e.f.Owner.ID {
			t.Errorf("change %+v, want 7→14 by %s", c, e.f.Owner.Name)
		}
		if b := e.branding(e.f.Owner); len(b.Changes) != 0 {
			t.Errorf("the branding history shows %d changes of the link default", len(b.Changes))
		}
	})
	t.Run("Unchanged", func(t *testing.T) {
		if err := e.svc.SetDefaultLinkDays(e.ctx, e.member(e.f.Owner, e.f.Reporting), e.actor(e.f.Owner), 14); err != nil {
			t.Fatal(err)
		}
		if n := e.count(&models.BrandingChange{}, "kind = ?", access.BrandingLinkDefault); n != 1 {
			t.Errorf("%d changes recorded, want still 1", n)
		}
	})
	t.Run("OtherOrganizationUntouched", func(t *testing.T) {
		if got := access.LinkLifetimeOf(e.member(e.f.Free, e.f.Main)); got != 7*24*time.Hour {
			t.Errorf("Solo Shop's default %v, want 7 days", got)
		}
	})
}
