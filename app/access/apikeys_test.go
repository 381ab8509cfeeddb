package access_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// createKey makes a key as u in ws and returns it with the key itself.
func (e *domainEnv) createKey(u models.User, ws models.Workspace, name string) (*access.APIKey, string) {
	e.t.Helper()
	k, raw, err := e.svc.CreateAPIKey(e.ctx, e.member(u, ws), e.actor(u), name)
	if err != nil {
		e.t.Fatalf("create key as %s: %v", u.Email, err)
	}
	return k, raw
}

func (e *domainEnv) keyRow(id string) models.APIKey {
	e.t.Helper()
	return rowByID[models.APIKey](e, id)
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)

	t.Run("ShownOnceStoredAsHash", func(t *testing.T) {
		k, raw := e.createKey(e.f.Admin, e.f.Reporting, "  CRM  ")
		if !strings.HasPrefix(raw, access.APIKeyPrefix) || len(raw) != len(access.APIKeyPrefix)+43 {
			t.Fatalf("key = %q", raw)
		}
		row := e.keyRow(k.ID)
		if row.Name != "CRM" || row.KeyHash != secret.HashToken(raw) || !strings.HasPrefix(raw, row.Prefix) ||
			len(row.Prefix) >= 16 || row.CreatedBy == nil || *row.CreatedBy != e.f.Admin.ID || row.WorkspaceID != e.f.Reporting.ID {
			t.Fatalf("row = %+v", row)
		}
		if n := e.count(&models.APIKey{}, "key_hash = ? OR prefix = ? OR name = ?", raw, raw, raw); n != 0 {
			t.Fatal("the key itself is stored")
		}
		if n := e.count(&models.APIKeyEvent{}, "api_key_id = ? AND kind = ? AND actor_id = ?", k.ID, access.APIKeyCreated, e.f.Admin.ID); n != 1 {
			t.Fatalf("created events = %d", n)
		}
	})

	t.Run("SameGatesAsLinks", func(t *testing.T) {
		_, _, err := e.svc.CreateAPIKey(e.ctx, e.member(e.f.Member, e.f.Reporting), e.actor(e.f.Member), "x")
		assertCode(t, err, access.EFORBIDDEN)
		_, _, err = e.svc.CreateAPIKey(e.ctx, e.member(e.f.Free, e.f.Main), e.actor(e.f.Free), "x")
		assertCode(t, err, access.EFORBIDDEN)
		_, _, err = e.svc.CreateAPIKeyForWorkspace(e.ctx, e.f.Main.ID, "x")
		assertCode(t, err, access.EFORBIDDEN)
		_, _, err = e.svc.CreateAPIKeyForWorkspace(e.ctx, access.NewID(), "x")
		assertCode(t, err, access.ENOTFOUND)
		k, _ := e.createKey(e.f.Owner, e.f.Internal, "owner's")
		if k.WorkspaceID != e.f.Internal.ID {
			t.Fatalf("owner's key = %+v", k)
		}
	})

	t.Run("Names", func(t *testing.T) {
		for _, name := range []string{"", "   ", "\x00\x01", strings.Repeat("n", access.MaxAPIKeyName+1)} {
			_, _, err := e.svc.CreateAPIKey(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), name)
			if ae := assertCode(t, err, access.EINVALID); ae.Fields["name"] == "" {
				t.Errorf("name %q: no field message", name)
			}
		}
		long := strings.Repeat("ü", access.MaxAPIKeyName)
		if k, _ := e.createKey(e.f.Admin, e.f.Reporting, long); e.keyRow(k.ID).Name != long {
			t.Fatalf("a name of 80 characters is stored as %q", e.keyRow(k.ID).Name)
		}
	})

	t.Run("Authenticate", func(t *testing.T) {
		k, raw := e.createKey(e.f.Admin, e.f.Reporting, "Reports")
		p, err := e.svc.AuthenticateAPIKey(e.ctx, raw, "198.51.100.1", "curl/8")
		if err != nil {
			t.Fatal(err)
		}
		if p.Key.ID != k.ID || p.Membership.Workspace.ID != e.f.Reporting.ID || p.Membership.Key == nil || p.Membership.CanManageLinks() != nil {
			t.Fatalf("principal = %+v / %+v", p.Key, p.Membership)
		}
		for _, bad := range []string{"", raw[:len(raw)-1], raw + "x", "ar_" + strings.Repeat("A", 43), strings.Replace(raw, "ar_", "xx_", 1)} {
			_, err := e.svc.AuthenticateAPIKey(e.ctx, bad, "198.51.100.1", "curl/8")
			assertCode(t, err, access.EUNAUTHORIZED)
		}
	})

	t.Run("UsesRecordedOncePerAddress", func(t *testing.T) {
		k, raw := e.createKey(e.f.Admin, e.f.Reporting, "Uses")
		for range 3 {
			for _, ip := range []string{"198.51.100.1", "198.51.100.2"} {
				if _, err := e.svc.AuthenticateAPIKey(e.ctx, raw, ip, "curl/8"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n := e.count(&models.APIKeyEvent{}, "api_key_id = ? AND kind = ?", k.ID, access.APIKeyUsed); n != 2 {
			t.Fatalf("use events = %d, want one per address", n)
		}
		row := e.keyRow(k.ID)
		if row.LastUsedAt == nil || !row.LastUsedAt.Equal(domainStart) || row.LastUsedIP != "198.51.100.2" {
			t.Fatalf("last use = %v %q", row.LastUsedAt, row.LastUsedIP)
		}
		// From the same address, the last use moves at most once a minute.
		e.clock.Advance(30 * time.Second)
		if _, err := e.svc.AuthenticateAPIKey(e.ctx, raw, "198.51.100.2", "curl/8"); err != nil {
			t.Fatal(err)
		}
		if row := e.keyRow(k.ID); !row.LastUsedAt.Equal(domainStart) {
			t.Fatalf("last use moved after 30 s: %v", row.LastUsedAt)
		}
		e.clock.Advance(31 * time.Second)
		if _, err := e.svc.AuthenticateAPIKey(e.ctx, raw, "198.51.100.2", "curl/8"); err != nil {
			t.Fatal(err)
		}
		if row := e.keyRow(k.ID); !row.LastUsedAt.Equal(domainStart.Add(61 * time.Second)) {
			t.Fatalf("last use after 61 s = %v", row.LastUsedAt)
		}
	})

	t.Run("Revoke", func(t *testing.T) {
		k, raw := e.createKey(e.f.Admin, e.f.Reporting, "Revoked")
		// Another workspace's manager cannot see it.
		err := e.svc.RevokeAPIKey(e.ctx, e.member(e.f.OtherAdmin, e.f.Internal), e.actor(e.f.OtherAdmin), k.ID)
		assertCode(t, err, access.ENOTFOUND)
		err = e.svc.RevokeAPIKey(e.ctx, e.member(e.f.Member, e.f.Reporting), e.actor(e.f.Member), k.ID)
		assertCode(t, err, access.EFORBIDDEN)
		if _, err := e.svc.AuthenticateAPIKey(e.ctx, raw, "198.51.100.1", ""); err != nil {
			t.Fatalf("a foreign revoke touched the key: %v", err)
		}
		for range 2 {
			if err := e.svc.RevokeAPIKey(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), k.ID); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.svc.AuthenticateAPIKey(e.ctx, raw, "198.51.100.1", "")
		assertCode(t, err, access.EUNAUTHORIZED)
		if row := e.keyRow(k.ID); row.RevokedAt == nil || row.RevokedBy == nil || *row.RevokedBy != e.f.Admin.ID {
			t.Fatalf("row = %+v", row)
		}
		if n := e.count(&models.APIKeyEvent{}, "api_key_id = ? AND kind = ?", k.ID, access.APIKeyRevoked); n != 1 {
			t.Fatalf("revoke events = %d", n)
		}
		k2, raw2 := e.createKey(e.f.Admin, e.f.Reporting, "CLI revoked")
		if err := e.svc.RevokeAPIKeyByID(e.ctx, k2.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.AuthenticateAPIKey(e.ctx, raw2, "198.51.100.1", "")
		assertCode(t, err, access.EUNAUTHORIZED)
		assertCode(t, e.svc.RevokeAPIKeyByID(e.ctx, "not-an-id"), access.ENOTFOUND)
	})

	t.Run("PlanDowngradeStopsKeys", func(t *testing.T) {
		_, raw, err := e.svc.CreateAPIKeyForWorkspace(e.ctx, e.f.Internal.ID, "from the CLI")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DB().Model(&models.Organization{}).Where("id = ?", e.f.Agency.ID).Update("plan", models.PlanFree).Error; err != nil {
			t.Fatal(err)
		}
		defer e.svc.DB().Model(&models.Organization{}).Where("id = ?", e.f.Agency.ID).Update("plan", models.PlanPro)
		_, err = e.svc.AuthenticateAPIKey(e.ctx, raw, "198.51.100.1", "")
		assertCode(t, err, access.EFORBIDDEN)
	})

	t.Run("LinksMadeByAKey", func(t *testing.T) {
		_, raw, err := e.svc.CreateAPIKeyForWorkspace(e.ctx, e.f.Reporting.ID, "Onboarding form")
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.AuthenticateAPIKey(e.ctx, raw, "198.51.100.9", "form/1")
		if err != nil {
			t.Fatal(err)
		}
		l, err := e.svc.GenerateLink(e.ctx, p.Membership, p.Actor("198.51.100.9", "form/1"), "sandbox")
		if err != nil {
			t.Fatal(err)
		}
		row := e.row(l.ID)
		if row.CreatedBy != nil || row.CreatedByKeyID == nil || *row.CreatedByKeyID != p.Key.ID {
			t.Fatalf("row = %+v", row)
		}
		got, err := e.svc.GetLink(e.ctx, e.f.Reporting.ID, l.ID)
		if err != nil || got.CreatorKeyName != "Onboarding form" || got.CreatorName != "" {
			t.Fatalf("link = %+v, %v", got, err)
		}
		ev := e.events(l.ID)
		if len(ev) != 1 || ev[0].Actor != "API key Onboarding form" || ev[0].ActorID != nil || ev[0].ByInvitee() {
			t.Fatalf("events = %+v", ev)
		}
		// The invitee's page names the organization: no person is behind
		// a key made from the command line.
		pub, err := e.svc.OpenLink(e.ctx, strings.TrimPrefix(l.URL[strings.LastIndex(l.URL, "/"):], "/"))
		if err != nil || pub.CreatorName != "" || pub.OrganizationName != "Acme Agency" {
			t.Fatalf("public link = %+v, %v", pub, err)
		}
		if err := e.svc.DeleteLink(e.ctx, p.Membership, p.Actor("198.51.100.9", "form/1"), l.ID); err != nil {
			t.Fatal(err)
		}
		if row := e.row(l.ID); row.DeletedAt == nil || row.DeletedBy != nil {
			t.Fatalf("deleted row = %+v", row)
		}
	})

	t.Run("List", func(t *testing.T) {
		keys, err := e.svc.ListAPIKeys(e.ctx, e.f.Reporting.ID)
		if err != nil {
			t.Fatal(err)
		}
		creators := map[string]string{}
		for i, k := range keys {
			if k.WorkspaceID != e.f.Reporting.ID {
				t.Fatalf("foreign key listed: %+v", k)
			}
			if i > 0 && k.CreatedAt.After(keys[i-1].CreatedAt) {
				t.Fatalf("not newest first: %+v", keys)
			}
			creators[k.Name] = k.CreatorName
		}
		if len(keys) != 7 || creators["Onboarding form"] != "" || creators["CRM"] != "Adam Admin" {
			t.Fatalf("keys = %+v", creators)
		}
	})
}
