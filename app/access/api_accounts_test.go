package access_test

import (
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
)

// TestAccountsPage: connected accounts for the API, newest first by keyset
// pages, scoped to the workspace, with provider details and expiry.
func TestAccountsPage(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	var made []string
	for _, ext := range []string{"a", "b", "c"} {
		id := identity(ext)
		id.Extra = `{"realm_id":"` + ext + `"}`
		acc, err := e.svc.ClaimLink(e.ctx, e.generate(e.f.Admin, e.f.Reporting, "google_ads").ID, access.Actor{}, id)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, acc.ID)
		e.clock.Advance(time.Second)
	}
	if _, err := e.svc.ClaimLink(e.ctx, e.generate(e.f.OtherAdmin, e.f.Internal, "google_ads").ID, access.Actor{}, identity("z")); err != nil {
		t.Fatal(err)
	}

	t.Run("NewestFirstByPages", func(t *testing.T) {
		var got []string
		cursor := ""
		for range 3 {
			page, err := e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Cursor: cursor, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Accounts {
				got = append(got, a.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if want := []string{made[2], made[1], made[0]}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("pages %v, want %v", got, want)
		}
	})
	t.Run("OneWithDetails", func(t *testing.T) {
		a, err := e.svc.Account(e.ctx, e.f.Reporting.ID, made[0])
		if err != nil || a.Extra != `{"realm_id":"a"}` || a.TokenExpiresAt == nil || !a.TokenExpiresAt.Equal(domainStart.Add(time.Hour)) ||
			a.CreatorName != e.f.Admin.Name || a.TokenExpiresAt.Location() != time.UTC {
			t.Errorf("account %+v, %v", a, err)
		}
	})
	t.Run("ErrNotFoundInAnotherWorkspace", func(t *testing.T) {
		for _, id := range []string{made[0], "not-an-id"} {
			if _, err := e.svc.Account(e.ctx, e.f.Internal.ID, id); access.ErrorCode(err) != access.ENOTFOUND {
				t.Errorf("account %s from another workspace: %v", id, err)
			}
		}
	})
	t.Run("ErrBadCursor", func(t *testing.T) {
		if _, err := e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Cursor: "nope", Limit: 2}); access.ErrorCode(err) != access.EBADREQUEST {
			t.Errorf("bad cursor: %v", err)
		}
	})
}
