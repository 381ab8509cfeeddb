package access_test

import (
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// TestRenameAccount: a manager names an account for the workspace; the
// name is cleaned and capped, editors, viewers, the Free plan and other
// workspaces are refused, the link's history records the old and new
// names and who renamed, search finds the new name, and a reconnection
// (the same account connected again) keeps it while the provider's name
// follows the provider.
func TestRenameAccount(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	link := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	acc, err := e.svc.ClaimLink(e.ctx, link.ID, access.Actor{}, identity("r1"))
	if err != nil {
		t.Fatal(err)
	}
	admin := e.member(e.f.Admin, e.f.Reporting)

	t.Run("ErrForbiddenForEditorViewerFreePlan", func(t *testing.T) {
		for _, u := range []models.User{e.f.Member, e.f.Viewer} {
			_, err := e.svc.RenameAccount(e.ctx, e.member(u, e.f.Reporting), e.actor(u), acc.ID, "Mine")
			assertCode(t, err, access.EFORBIDDEN)
		}
		_, err := e.svc.RenameAccount(e.ctx, e.member(e.f.Free, e.f.Main), e.actor(e.f.Free), acc.ID, "Mine")
		assertCode(t, err, access.EFORBIDDEN)
	})
	t.Run("ErrNotFoundForeignOrMalformed", func(t *testing.T) {
		m := e.member(e.f.OtherAdmin, e.f.Internal)
		for _, id := range []string{acc.ID, "not-an-id", ""} {
			_, err := e.svc.RenameAccount(e.ctx, m, e.actor(e.f.OtherAdmin), id, "Mine")
			assertCode(t, err, access.ENOTFOUND)
		}
	})
	t.Run("ErrInvalidTooLong", func(t *testing.T) {
		_, err := e.svc.RenameAccount(e.ctx, admin, e.actor(e.f.Admin), acc.ID, strings.Repeat("é", access.MaxAccountName+1))
		if de := assertCode(t, err, access.EINVALID); de.Fields["display_name"] == "" {
			t.Errorf("no field message: %+v", de)
		}
	})
	if got := rowByID[models.ConnectedAccount](e, acc.ID); got.LocalName != "" {
		t.Fatalf("refused renames stored %q", got.LocalName)
	}
	if n := len(e.events(link.ID)); n != 2 { // created, connected
		t.Fatalf("refused renames wrote history: %d events", n)
	}

	t.Run("OKCleanedAndRecorded", func(t *testing.T) {
		a, err := e.svc.RenameAccount(e.ctx, admin, e.actor(e.f.Admin), acc.ID, "  Acme\u202e  Bakery\x00\n Ads ")
		if err != nil {
			t.Fatal(err)
		}
		if a.LocalName != "Acme Bakery Ads" || a.DisplayName != "Account r1" || a.Label() != "Acme Bakery Ads" {
			t.Errorf("renamed: local %q, provider %q, label %q", a.LocalName, a.DisplayName, a.Label())
		}
		ev := e.events(link.ID)
		var last access.Event
		for _, x := range ev {
			if x.Type == access.EventRenamed {
				last = x
			}
		}
		if len(ev) != 3 || last.Actor != e.f.Admin.Name ||
			last.Fields["from"] != "" || last.Fields["to"] != "Acme Bakery Ads" || last.Fields["account_id"] != acc.ID {
			t.Errorf("history %d events, newest %+v", len(ev), last)
		}
	})
	t.Run("OKExactlyTheMaximum", func(t *testing.T) {
		name := strings.Repeat("é", access.MaxAccountName)
		a, err := e.svc.RenameAccount(e.ctx, admin, e.actor(e.f.Admin), acc.ID, name)
		if err != nil || a.LocalName != name {
			t.Fatalf("%v, %q", err, a.LocalName)
		}
		if _, err := e.svc.RenameAccount(e.ctx, admin, e.actor(e.f.Admin), acc.ID, "Acme Bakery Ads"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("UnchangedWritesNothing", func(t *testing.T) {
		before := len(e.events(link.ID))
		if _, err := e.svc.RenameAccount(e.ctx, admin, e.actor(e.f.Admin), acc.ID, " Acme  Bakery Ads"); err != nil {
			t.Fatal(err)
		}
		if n := len(e.events(link.ID)); n != before {
			t.Errorf("%d events after an unchanged name, want %d", n, before)
		}
	})
	t.Run("SearchFindsTheNewName", func(t *testing.T) {
		page, err := e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Query: "bakery"})
		if err != nil || len(page.Accounts) != 1 || page.Accounts[0].ID != acc.ID {
			t.Errorf("search: %v %+v", err, page)
		}
	})
	t.Run("ReconnectionKeepsTheName", func(t *testing.T) {
		id := identity("r1")
		id.DisplayName = "Renamed at the provider"
		again, err := e.svc.ClaimLink(e.ctx, e.generate(e.f.Admin, e.f.Reporting, "google_ads").ID, access.Actor{}, id)
		if err != nil || again.ID != acc.ID {
			t.Fatalf("reconnect: %v, %v", err, again)
		}
		a, err := e.svc.Account(e.ctx, e.f.Reporting.ID, acc.ID)
		if err != nil || a.LocalName != "Acme Bakery Ads" || a.DisplayName != "Renamed at the provider" {
			t.Errorf("after reconnecting: %+v, %v", a, err)
		}
	})
	t.Run("OKEmptyGoesBackToTheProvidersName", func(t *testing.T) {
		a, err := e.svc.RenameAccount(e.ctx, admin, e.actor(e.f.Admin), acc.ID, "   ")
		if err != nil || a.LocalName != "" || a.Name() != "Renamed at the provider" {
			t.Errorf("%v, %+v", err, a)
		}
	})
}
