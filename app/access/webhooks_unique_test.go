package access_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// TestWebhookEndpointDuplicateURL: one URL receives a workspace's events
// once: a second endpoint with the same URL is a conflict on the url field,
// also when two are created at once (a unique index); a disabled endpoint
// does not hold its URL, but enabling it again while another has the URL
// is a conflict. Another workspace may use the same URL.
func TestWebhookEndpointDuplicateURL(t *testing.T) {
	ctx := context.Background()
	svc, f := testutil.NewSeeded(t, nil)
	admin := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	actor := access.Actor{UserID: f.Admin.ID}
	in := access.NewWebhookEndpoint{URL: "https://hooks.example.com/dup"}
	first, _, err := svc.CreateWebhookEndpoint(ctx, admin, actor, in)
	if err != nil {
		t.Fatal(err)
	}
	wantDuplicate := func(t *testing.T, err error) {
		t.Helper()
		de := assertCode(t, err, access.ECONFLICT)
		if de.Reason != access.ReasonEndpointDuplicate || !strings.Contains(de.Fields["url"], "already") {
			t.Errorf("reason %q fields %v, want %s with a url field error", de.Reason, de.Fields, access.ReasonEndpointDuplicate)
		}
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		_, _, err := svc.CreateWebhookEndpoint(ctx, admin, actor, access.NewWebhookEndpoint{URL: " https://hooks.example.com/dup "})
		wantDuplicate(t, err)
	})
	t.Run("OtherWorkspace", func(t *testing.T) {
		other := testutil.Member(t, svc, f.OtherAdmin.ID, f.Internal.ID)
		if _, _, err := svc.CreateWebhookEndpoint(ctx, other, access.Actor{UserID: f.OtherAdmin.ID}, in); err != nil {
			t.Fatalf("the same URL in another workspace: %v", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = svc.CreateWebhookEndpoint(ctx, admin, actor, access.NewWebhookEndpoint{URL: "https://hooks.example.com/race"})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if access.ErrorCode(err) != access.ECONFLICT {
				t.Errorf("a losing create: %v, want conflict", err)
			}
		}
		var n int64
		testutil.DBOf(svc).Model(&models.WebhookEndpoint{}).Where("workspace_id = ? AND url = ?", f.Reporting.ID, "https://hooks.example.com/race").Count(&n)
		if ok != 1 || n != 1 {
			t.Fatalf("%d creates succeeded, %d endpoints; want 1 and 1", ok, n)
		}
	})
	t.Run("DisabledThenEnable", func(t *testing.T) {
		if err := testutil.DBOf(svc).Model(&models.WebhookEndpoint{}).Where("id = ?", first.ID).Update("disabled_at", svc.Clock()).Error; err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.CreateWebhookEndpoint(ctx, admin, actor, in); err != nil {
			t.Fatalf("the URL of a disabled endpoint: %v", err)
		}
		wantDuplicate(t, svc.EnableWebhookEndpoint(ctx, admin, first.ID))
	})
}

// TestNewWebhookSecret: the page a creation redirects to shows the new
// secret to its creator only, for NewSecretWindow, and not after a
// rotation.
func TestNewWebhookSecret(t *testing.T) {
	e, admin := newAdminEnv(t)
	ep, secret, err := e.svc.CreateWebhookEndpoint(e.ctx, admin, e.actor(e.f.Admin), access.NewWebhookEndpoint{URL: "https://hooks.example.com/new"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		got, s, err := e.svc.NewWebhookSecret(e.ctx, admin, e.actor(e.f.Admin), ep.ID)
		if err != nil || s != secret || got.ID != ep.ID {
			t.Fatalf("creator: %v, %q; want the secret %q", err, s, secret)
		}
	})
	t.Run("ErrOtherManager", func(t *testing.T) {
		owner := e.member(e.f.Owner, e.f.Reporting)
		_, _, err := e.svc.NewWebhookSecret(e.ctx, owner, e.actor(e.f.Owner), ep.ID)
		assertCode(t, err, access.ENOTFOUND)
	})
	t.Run("ErrLater", func(t *testing.T) {
		e.clock.Advance(access.NewSecretWindow + time.Second)
		_, _, err := e.svc.NewWebhookSecret(e.ctx, admin, e.actor(e.f.Admin), ep.ID)
		assertCode(t, err, access.ENOTFOUND)
	})
}
