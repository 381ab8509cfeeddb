package access_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// A link's label: cleaned like other free text, at most 80 characters,
// stored and listed.
func TestLinkLabel(t *testing.T) {
	e, m := newAdminEnv(t)

	t.Run("OK", func(t *testing.T) {
		l := e.generateWith(t, m, e.f.Admin, access.NewLink{Source: "google_ads", Label: "  Acme\u202e \n Bakery\x00 "})
		if l.Label != "Acme Bakery" || e.row(l.ID).Label != "Acme Bakery" {
			t.Fatalf("label = %q, stored %q, want %q", l.Label, e.row(l.ID).Label, "Acme Bakery")
		}
		page, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Links[0].ID != l.ID || page.Links[0].Label != "Acme Bakery" {
			t.Fatalf("list = %+v", page.Links[0].AccessLink)
		}
		got, err := e.svc.GetLink(e.ctx, e.f.Reporting.ID, l.ID)
		if err != nil || got.Label != "Acme Bakery" {
			t.Fatalf("GetLink = %+v, %v", got, err)
		}
	})
	t.Run("OK80Characters", func(t *testing.T) {
		label := strings.Repeat("é", 80) // 160 bytes
		l, err := e.svc.GenerateLinkWith(e.ctx, m, e.actor(e.f.Admin), access.NewLink{Source: "google_ads", Label: label})
		if err != nil || l.Label != label {
			t.Fatalf("label = %q, %v", l.Label, err)
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		_, err := e.svc.GenerateLinkWith(e.ctx, m, e.actor(e.f.Admin), access.NewLink{Source: "google_ads", Label: strings.Repeat("a", 81)})
		if access.ErrorCode(err) != access.EINVALID || !strings.Contains(err.Error(), "80 characters") {
			t.Fatalf("err = %v, want invalid naming the limit", err)
		}
	})
}

// A link's expiry: chosen per link in whole hours from 1 hour to 30 days,
// the organization's default otherwise, and exact at both bounds.
func TestLinkExpiryBounds(t *testing.T) {
	e, m := newAdminEnv(t)
	gen := func(d time.Duration) (*access.Link, error) {
		return e.svc.GenerateLinkWith(e.ctx, m, e.actor(e.f.Admin), access.NewLink{Source: "google_ads", ExpiresIn: d})
	}
	for _, d := range []time.Duration{0, time.Hour, 24 * time.Hour, 14 * 24 * time.Hour, 720 * time.Hour} {
		l, err := gen(d)
		if err != nil {
			t.Fatalf("%v: %v", d, err)
		}
		want := d
		if d == 0 {
			want = 7 * 24 * time.Hour
		}
		if got := e.row(l.ID).ExpiresAt.Sub(e.row(l.ID).CreatedAt); got != want {
			t.Errorf("%v: stored lifetime %v, want %v", d, got, want)
		}
	}
	for _, d := range []time.Duration{-time.Hour, 30 * time.Minute, 90 * time.Minute, 721 * time.Hour, 365 * 24 * time.Hour} {
		if _, err := gen(d); access.ErrorCode(err) != access.EINVALID {
			t.Errorf("%v: err = %v, want invalid", d, err)
		}
	}

	t.Run("OrganizationDefault", func(t *testing.T) {
		if err := e.svc.DB().Model(&models.Organization{}).Where("id = ?", e.f.Agency.ID).Update("default_link_days", 14).Error; err != nil {
			t.Fatal(err)
		}
		m := e.member(e.f.Admin, e.f.Reporting)
		l := e.generateWith(t, m, e.f.Admin, access.NewLink{Source: "google_ads"})
		if got := l.ExpiresAt.Sub(l.CreatedAt); got != 14*24*time.Hour {
			t.Fatalf("lifetime = %v, want the organization's 14 days", got)
		}
	})

	// A 30-day link is active in the list until its last instant, though
	// it is older than the 7 days every link used to live.
	t.Run("ActiveListToTheEnd", func(t *testing.T) {
		e, m := newAdminEnv(t)
		long := e.generateWith(t, m, e.f.Admin, access.NewLink{Source: "google_ads", ExpiresIn: 720 * time.Hour})
		active := func() bool {
			page, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Status: access.StatusActive})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Links) == 1 && page.Links[0].ID == long.ID
		}
		expired := func() bool {
			page, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Status: access.StatusExpired})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Links) == 1 && page.Links[0].ID == long.ID
		}
		e.clock.Advance(720*time.Hour - time.Second)
		if !active() || expired() {
			t.Fatal("a 30-day link is not listed as active a second before its expiry")
		}
		e.clock.Advance(time.Second)
		if active() || !expired() {
			t.Fatal("a 30-day link is not listed as expired at its expiry")
		}
	})
}
