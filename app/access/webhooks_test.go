package access_test

import (
	"context"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestWebhookEndpoints: the gates are the links' (admins and owners, on a
// plan with links); the secret is shown once and stored sealed; bad input
// is refused field by field; production accepts only https on public
// addresses; other workspaces' endpoints answer not found.
func TestWebhookEndpoints(t *testing.T) {
	ctx := context.Background()
	svc, f := testutil.NewSeeded(t, nil)
	gdb := testutil.DBOf(svc)
	admin := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	actor := access.Actor{UserID: f.Admin.ID}
	in := access.NewWebhookEndpoint{URL: "https://hooks.example.com/in", Description: "CRM", Events: []string{access.HookLinkUsed, access.HookLinkCreated}}

	t.Run("OK", func(t *testing.T) {
		ep, secret, err := svc.CreateWebhookEndpoint(ctx, admin, actor, in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "whsec_") || len(ep.Events) != 2 || !ep.Wants(access.HookLinkUsed) || ep.Wants(access.HookLinkOpened) {
			t.Errorf("endpoint %+v secret %q", ep, secret)
		}
		var sealed string
		gdb.Raw("SELECT secret_sealed FROM webhook_endpoints WHERE id = ?", ep.ID).Scan(&sealed)
		if sealed == "" || strings.Contains(sealed, strings.TrimPrefix(secret, "whsec_")) {
			t.Errorf("secret stored as %q", sealed)
		}
		list, err := svc.ListWebhookEndpoints(ctx, admin)
		if err != nil || len(list) != 1 || list[0].ID != ep.ID {
			t.Fatalf("list = %+v, %v", list, err)
		}
		owner := testutil.Member(t, svc, f.Owner.ID, f.Reporting.ID)
		if _, err := svc.GetWebhookEndpoint(ctx, owner, ep.ID); err != nil {
			t.Errorf("the organization owner: %v", err)
		}
		other := testutil.Member(t, svc, f.OtherAdmin.ID, f.Internal.ID)
		if _, err := svc.GetWebhookEndpoint(ctx, other, ep.ID); access.ErrorCode(err) != access.ENOTFOUND {
			t.Errorf("another workspace's admin: %v", err)
		}
		if err := svc.DeleteWebhookEndpoint(ctx, other, ep.ID); access.ErrorCode(err) != access.ENOTFOUND {
			t.Errorf("delete from another workspace: %v", err)
		}
		if err := svc.DeleteWebhookEndpoint(ctx, admin, ep.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := svc.ListWebhookEndpoints(ctx, admin); len(list) != 0 {
			t.Errorf("%d endpoints after delete", len(list))
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		for name, m := range map[string]*access.Membership{
			"editor": testutil.Member(t, svc, f.Member.ID, f.Reporting.ID),
			"free":   testutil.Member(t, svc, f.Free.ID, f.Main.ID),
		} {
			if _, _, err := svc.CreateWebhookEndpoint(ctx, m, actor, in); access.ErrorCode(err) != access.EFORBIDDEN {
				t.Errorf("%s: create = %v, want forbidden", name, err)
			}
			if _, err := svc.ListWebhookEndpoints(ctx, m); access.ErrorCode(err) != access.EFORBIDDEN {
				t.Errorf("%s: list = %v, want forbidden", name, err)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, bad := range []access.NewWebhookEndpoint{
			{URL: ""}, {URL: "ftp://x.example"}, {URL: "hooks.example.com"}, {URL: "https://u:p@x.example"},
			{URL: "https://x.example", Events: []string{"link.nope"}},
		} {
			_, _, err := svc.CreateWebhookEndpoint(ctx, admin, actor, bad)
			if access.ErrorCode(err) != access.EINVALID {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
	})
	t.Run("ProductionRefusesNonPublic", func(t *testing.T) {
		prod := testutil.NewService(t, gdb, nil, access.WithProduction(true))
		for _, url := range []string{"http://hooks.example.com", "https://127.0.0.1/x", "https://10.0.0.1/x", "https://169.254.169.254/latest", "https://[::1]/x", "https://localhost/x"} {
			if _, _, err := prod.CreateWebhookEndpoint(ctx, admin, actor, access.NewWebhookEndpoint{URL: url}); access.ErrorCode(err) != access.EINVALID {
				t.Errorf("production %s: %v, want invalid", url, err)
			}
		}
		// Outside production, a receiver on this machine is fine.
		if _, _, err := svc.CreateWebhookEndpoint(ctx, admin, actor, access.NewWebhookEndpoint{URL: "http://127.0.0.1:9999/x"}); err != nil {
			t.Errorf("development, loopback http: %v", err)
		}
	})
}
