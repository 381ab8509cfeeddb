package access_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
)

func TestDeleteLink(t *testing.T) {
	t.Parallel()
	e, adminM := newAdminEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	keep := e.generate(e.f.Admin, e.f.Reporting, "google_ads")

	// An account connected through the link, as the OAuth callback stores it.
	linkID := l.ID
	expiry := domainStart.Add(time.Hour)
	account := models.ConnectedAccount{
		ID: access.NewID(), WorkspaceID: e.f.Reporting.ID, SourceKey: "google_ads", ExternalID: "ext-123",
		DisplayName: "Client Co", Email: "ads@client.example", Scopes: "openid email", Extra: "{}",
		AccessTokenSealed: "v1.x.y", RefreshTokenSealed: "v1.x.z", TokenExpiresAt: &expiry,
		LinkID: &linkID, Status: "connected", CreatedAt: domainStart, UpdatedAt: domainStart,
	}
	if err := e.svc.DB().Create(&account).Error; err != nil {
		t.Fatal(err)
	}
	e.setUsed(l.ID, domainStart.Add(time.Minute))
	if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", l.ID).Update("connected_account_id", account.ID).Error; err != nil {
		t.Fatal(err)
	}
	readAccount := func() models.ConnectedAccount {
		t.Helper()
		var a models.ConnectedAccount
		if err := e.svc.DB().Where("id = ?", account.ID).Take(&a).Error; err != nil {
			t.Fatalf("connected account: %v", err)
		}
		return a
	}
	accountBefore := readAccount()

	e.clock.Advance(time.Hour)
	deletedAt := e.clock.Now()
	actor := e.actor(e.f.Admin)
	actor.IP = "198.51.100.9"
	if err := e.svc.DeleteLink(e.ctx, adminM, actor, l.ID); err != nil {
		t.Fatal(err)
	}

	t.Run("SoftDeleted", func(t *testing.T) {
		r := e.row(l.ID)
		if r.DeletedAt == nil || !r.DeletedAt.Equal(deletedAt) {
			t.Fatalf("deleted_at = %v, want %v", r.DeletedAt, deletedAt)
		}
		if r.DeletedBy == nil || *r.DeletedBy != e.f.Admin.ID {
			t.Fatalf("deleted_by = %v, want the admin", r.DeletedBy)
		}
		if r.TokenHash == "" || r.TokenSealed == "" || r.UsedAt == nil || r.ConnectedAccountID == nil {
			t.Fatalf("row lost its history: %+v", r)
		}
	})

	t.Run("HiddenFromList", func(t *testing.T) {
		for _, f := range []access.Status{"", access.StatusActive, access.StatusUsed, access.StatusExpired} {
			got := ids(e.list(e.f.Reporting, access.ListFilter{Status: f}).Links)
			for _, id := range got {
				if id == l.ID {
					t.Fatalf("filter %q lists the deleted link", f)
				}
			}
			if f == "" && strings.Join(got, ",") != keep.ID {
				t.Fatalf("list = %v, want only the other link", got)
			}
		}
	})

	t.Run("GetLinkShowsDeleted", func(t *testing.T) {
		got, err := e.svc.GetLink(e.ctx, e.f.Reporting.ID, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != access.StatusDeleted || got.DeletedAt == nil || got.CreatorName != "Adam Admin" {
			t.Fatalf("GetLink = status %s, deleted_at %v, creator %q", got.Status, got.DeletedAt, got.CreatorName)
		}
	})

	t.Run("DeletedEvent", func(t *testing.T) {
		ev := e.events(l.ID)
		if len(ev) != 2 || ev[0].Type != access.EventCreated || ev[1].Type != access.EventDeleted {
			t.Fatalf("events = %+v, want created then deleted", ev)
		}
		d := ev[1]
		if d.ActorID == nil || *d.ActorID != e.f.Admin.ID || d.Actor != "Adam Admin" || d.IP != "198.51.100.9" {
			t.Fatalf("deleted event actor = %v %q %q", d.ActorID, d.Actor, d.IP)
		}
		if !d.CreatedAt.Equal(deletedAt) || views.EventTitle(&d) != "Link deleted" {
			t.Fatalf("deleted event at %v, title %q", d.CreatedAt, views.EventTitle(&d))
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		// Again, by someone else: still nil, nothing changes.
		if err := e.svc.DeleteLink(e.ctx, e.member(e.f.Owner, e.f.Reporting), e.actor(e.f.Owner), l.ID); err != nil {
			t.Fatalf("second delete = %v, want nil", err)
		}
		if n := len(e.events(l.ID)); n != 2 {
			t.Fatalf("%d events after a second delete, want 2", n)
		}
		r := e.row(l.ID)
		if !r.DeletedAt.Equal(deletedAt) || *r.DeletedBy != e.f.Admin.ID {
			t.Fatalf("second delete rewrote deleted_at/by: %v %v", r.DeletedAt, *r.DeletedBy)
		}
	})

	t.Run("AccountUntouched", func(t *testing.T) {
		after := readAccount()
		if !reflect.DeepEqual(normalizeAccount(accountBefore), normalizeAccount(after)) {
			t.Fatalf("connected account changed:\nbefore %+v\nafter  %+v", accountBefore, after)
		}
		accounts, err := e.svc.Accounts(e.ctx, e.f.Reporting.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(accounts) != 1 || accounts[0].ID != account.ID || accounts[0].Status != "connected" ||
			accounts[0].LinkID == nil || *accounts[0].LinkID != l.ID || accounts[0].CreatorName != "Adam Admin" {
			t.Fatalf("accounts = %+v", accounts)
		}
	})

	t.Run("OtherLinkUntouched", func(t *testing.T) {
		if r := e.row(keep.ID); r.DeletedAt != nil || len(e.events(keep.ID)) != 1 {
			t.Fatalf("other link changed: %+v", r)
		}
	})

	t.Run("ByOrganizationOwner", func(t *testing.T) {
		if err := e.svc.DeleteLink(e.ctx, e.member(e.f.Owner, e.f.Reporting), e.actor(e.f.Owner), keep.ID); err != nil {
			t.Fatal(err)
		}
		if r := e.row(keep.ID); r.DeletedBy == nil || *r.DeletedBy != e.f.Owner.ID {
			t.Fatalf("deleted_by = %v, want the owner", r.DeletedBy)
		}
	})
}

// normalizeAccount puts times in UTC so rows read at different moments
// compare equal when their values are.
func normalizeAccount(a models.ConnectedAccount) models.ConnectedAccount {
	a.CreatedAt = a.CreatedAt.UTC()
	a.UpdatedAt = a.UpdatedAt.UTC()
	if a.TokenExpiresAt != nil {
		t := a.TokenExpiresAt.UTC()
		a.TokenExpiresAt = &t
	}
	return a
}

// TestCrossWorkspace: IDs of another workspace's links answer not found and
// change nothing, even for a user who manages both workspaces.
func TestCrossWorkspace(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	before := e.row(l.ID)

	t.Run("GetLinkErrNotFound", func(t *testing.T) {
		for _, ws := range []string{e.f.Internal.ID, e.f.Main.ID} {
			got, err := e.svc.GetLink(e.ctx, ws, l.ID)
			assertCode(t, err, access.ENOTFOUND)
			if got != nil {
				t.Fatalf("GetLink returned %+v with an error", got)
			}
		}
	})

	t.Run("DeleteLinkErrNotFound", func(t *testing.T) {
		for _, m := range []*access.Membership{
			e.member(e.f.OtherAdmin, e.f.Internal),
			e.member(e.f.Owner, e.f.Internal), // owner of both workspaces, acting in the other one
		} {
			err := e.svc.DeleteLink(e.ctx, m, e.actor(e.f.OtherAdmin), l.ID)
			assertCode(t, err, access.ENOTFOUND)
		}
		after := e.row(l.ID)
		if after.DeletedAt != nil || after.DeletedBy != nil || after.TokenSealed != before.TokenSealed {
			t.Fatalf("link changed: %+v", after)
		}
		if n := len(e.events(l.ID)); n != 1 {
			t.Fatalf("%d events, want only created", n)
		}
		got, err := e.svc.GetLink(e.ctx, e.f.Reporting.ID, l.ID)
		if err != nil || got.Status != access.StatusActive {
			t.Fatalf("GetLink in its own workspace = %+v, %v", got, err)
		}
	})

	t.Run("MalformedIDErrNotFound", func(t *testing.T) {
		m := e.member(e.f.Admin, e.f.Reporting)
		for _, id := range []string{
			"1",
			"../x",
			"",
			strings.Repeat("x", 36),
			"' OR '1'='1' --------------------------",
			l.ID + " ",
			"{" + l.ID + "}",
			"urn:uuid:" + l.ID,
			access.NewID(), // well formed, no such link
		} {
			_, err := e.svc.GetLink(e.ctx, e.f.Reporting.ID, id)
			assertCode(t, err, access.ENOTFOUND)
			assertCode(t, e.svc.DeleteLink(e.ctx, m, e.actor(e.f.Admin), id), access.ENOTFOUND)
		}
		if n := e.count(&models.AccessLink{}, "deleted_at IS NOT NULL"); n != 0 {
			t.Fatalf("%d links deleted by malformed IDs", n)
		}
	})

	t.Run("ListScoped", func(t *testing.T) {
		if got := e.list(e.f.Internal, access.ListFilter{}).Links; len(got) != 0 {
			t.Fatalf("Internal lists %v", ids(got))
		}
	})
}
