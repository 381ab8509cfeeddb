package access_test

import (
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
)

func TestAPIKeysPageReads(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	k, raw := e.createKey(e.f.Admin, e.f.Reporting, "CRM")
	e.clock.Advance(time.Minute)
	cli, _, err := e.svc.CreateAPIKeyForWorkspace(e.ctx, e.f.Reporting.ID, "Nightly job")
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := e.createKey(e.f.OtherAdmin, e.f.Internal, "Internal tool")
	if _, err := e.svc.AuthenticateAPIKey(e.ctx, raw, "198.51.100.7", "crm/2"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeAPIKey(e.ctx, e.member(e.f.Owner, e.f.Reporting), e.actor(e.f.Owner), k.ID); err != nil {
		t.Fatal(err)
	}

	t.Run("GetAPIKey", func(t *testing.T) {
		got, err := e.svc.GetAPIKey(e.ctx, e.f.Reporting.ID, k.ID)
		if err != nil || got.Name != "CRM" || got.CreatorName != "Adam Admin" || !got.Revoked() {
			t.Fatalf("key = %+v, %v", got, err)
		}
		if got, err := e.svc.GetAPIKey(e.ctx, e.f.Reporting.ID, cli.ID); err != nil || got.CreatorName != "" || got.CreatedBy != nil {
			t.Fatalf("command-line key = %+v, %v", got, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []string{foreign.ID, access.NewID(), "not-an-id", ""} {
			_, err := e.svc.GetAPIKey(e.ctx, e.f.Reporting.ID, id)
			assertCode(t, err, access.ENOTFOUND)
		}
	})
	t.Run("Events", func(t *testing.T) {
		list, err := e.svc.APIKeysWithEvents(e.ctx, e.f.Reporting.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Keys) != 2 || list.Keys[0].ID != cli.ID || list.Keys[1].ID != k.ID {
			t.Fatalf("keys = %+v, want the workspace's two, newest first", list.Keys)
		}
		byKey := list.Events
		if len(byKey) != 2 || byKey[foreign.ID] != nil {
			t.Fatalf("events of %d keys, want the workspace's 2: %+v", len(byKey), byKey)
		}
		ev := byKey[k.ID]
		if len(ev) != 3 || ev[0].Kind != access.APIKeyCreated || ev[0].ActorName != "Adam Admin" ||
			ev[1].Kind != access.APIKeyUsed || ev[1].IP != "198.51.100.7" || ev[1].UserAgent != "crm/2" || ev[1].ActorName != "" ||
			ev[2].Kind != access.APIKeyRevoked || ev[2].ActorName != "Olivia Owner" {
			t.Fatalf("events of the key = %+v", ev)
		}
		if ev := byKey[cli.ID]; len(ev) != 1 || ev[0].Kind != access.APIKeyCreated || ev[0].ActorID != nil {
			t.Fatalf("events of the command-line key = %+v", ev)
		}
	})
}
