package access_test

import (
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

func TestStatusOf(t *testing.T) {
	t.Parallel()
	exp := time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC)
	at := exp.Add(-time.Hour)
	for _, tc := range []struct {
		name string
		link models.AccessLink
		now  time.Time
		want access.Status
	}{
		{"ActiveLongBefore", models.AccessLink{ExpiresAt: exp}, exp.Add(-7 * 24 * time.Hour), access.StatusActive},
		{"ActiveOneMicrosecondBefore", models.AccessLink{ExpiresAt: exp}, exp.Add(-time.Microsecond), access.StatusActive},
		{"ExpiredAtExpiry", models.AccessLink{ExpiresAt: exp}, exp, access.StatusExpired},
		{"ExpiredOneMicrosecondAfter", models.AccessLink{ExpiresAt: exp}, exp.Add(time.Microsecond), access.StatusExpired},
		{"ExpiredAtExpiryOtherZone", models.AccessLink{ExpiresAt: exp}, exp.In(time.FixedZone("UTC+5", 5*3600)), access.StatusExpired},
		{"UsedBeatsExpired", models.AccessLink{ExpiresAt: exp, UsedAt: &at}, exp.Add(time.Hour), access.StatusUsed},
		{"UsedBeforeExpiry", models.AccessLink{ExpiresAt: exp, UsedAt: &at}, at, access.StatusUsed},
		{"DeletedBeatsUsed", models.AccessLink{ExpiresAt: exp, UsedAt: &at, DeletedAt: &at}, at, access.StatusDeleted},
		{"DeletedBeatsExpired", models.AccessLink{ExpiresAt: exp, DeletedAt: &at}, exp.Add(time.Hour), access.StatusDeleted},
	} {
		if got := access.StatusOf(&tc.link, tc.now); got != tc.want {
			t.Errorf("%s: StatusOf = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestExpiryBoundary moves the injected clock to either side of each link's
// expiry and checks the status the list filters, GetLink and StatusOf agree
// on. Links are made at a whole second and at fractional seconds, since
// SQLite compares timestamps as text.
func TestExpiryBoundary(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	var links []*access.Link
	for _, d := range []time.Duration{0, time.Microsecond, 499999 * time.Microsecond, 500 * time.Millisecond} {
		e.clock.Set(domainStart.Add(d))
		links = append(links, e.generate(e.f.Admin, e.f.Reporting, "google_ads"))
	}

	inFilter := func(f access.Status, id string) bool {
		t.Helper()
		for _, l := range e.list(e.f.Reporting, access.ListFilter{Status: f}).Links {
			if l.ID == id {
				return true
			}
		}
		return false
	}

	for _, l := range links {
		exp := l.ExpiresAt
		if !exp.Equal(l.CreatedAt.Add(access.LinkLifetime)) {
			t.Fatalf("expires_at = %v, want created_at + 7 days", exp)
		}
		for _, tc := range []struct {
			name string
			now  time.Time
			want access.Status
		}{
			{"ActiveOneMicrosecondBefore", exp.Add(-time.Microsecond), access.StatusActive},
			{"ExpiredAtExpiry", exp, access.StatusExpired},
			{"ExpiredAfter", exp.Add(time.Microsecond), access.StatusExpired},
		} {
			t.Run(exp.Format("15:04:05.000000")+"/"+tc.name, func(t *testing.T) {
				e.clock.Set(tc.now)
				if got := access.StatusOf(&l.AccessLink, tc.now); got != tc.want {
					t.Errorf("StatusOf = %s, want %s", got, tc.want)
				}
				got, err := e.svc.GetLink(e.ctx, e.f.Reporting.ID, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tc.want {
					t.Errorf("GetLink status = %s, want %s", got.Status, tc.want)
				}
				active, expired := inFilter(access.StatusActive, l.ID), inFilter(access.StatusExpired, l.ID)
				if active != (tc.want == access.StatusActive) || expired != (tc.want == access.StatusExpired) {
					t.Errorf("in active filter %v, in expired filter %v; want status %s", active, expired, tc.want)
				}
				for _, ll := range e.list(e.f.Reporting, access.ListFilter{}).Links {
					if ll.ID == l.ID && ll.Status != tc.want {
						t.Errorf("list status = %s, want %s", ll.Status, tc.want)
					}
				}
			})
		}
	}
}
