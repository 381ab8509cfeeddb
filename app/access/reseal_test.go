package access_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

func newKey(t testing.TB) []byte {
	k := make([]byte, secret.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// keyring makes a ring of keys, the first the current one.
func keyring(tb testing.TB, keys ...[]byte) *secret.Keyring {
	tb.Helper()
	kr, err := secret.NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		tb.Fatal(err)
	}
	return kr
}

func TestReseal(t *testing.T) {
	ctx := context.Background()
	clock := testutil.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	gdb := testutil.OpenDB(t)
	svc := testutil.NewService(t, gdb, clock)
	oldKey, newKeyBytes := newKey(t), newKey(t)
	oldRing, _ := secret.NewKeyring(oldKey)
	svc.SetKeys(oldRing)
	f := testutil.Seed(t, svc)
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	actor := access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}
	var urls []string
	for i := 0; i < 3; i++ {
		l, err := svc.GenerateLink(ctx, m, actor, "google_ads")
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, l.URL)
	}
	l, _ := svc.GenerateLink(ctx, m, actor, "sandbox")
	if _, err := svc.ClaimLink(ctx, l.ID, access.Actor{}, access.Identity{SourceKey: "sandbox", ExternalID: "x1", AccessToken: "at-1", RefreshToken: "rt-1"}); err != nil {
		t.Fatal(err)
	}
	ep, hookSecret, err := svc.CreateWebhookEndpoint(ctx, m, actor, access.NewWebhookEndpoint{URL: "https://hooks.example.com/in"})
	if err != nil {
		t.Fatal(err)
	}

	rotated, _ := secret.NewKeyring(newKeyBytes, oldKey)
	svc.SetKeys(rotated)
	// Two links a batch: the four links take two full batches and an
	// empty one, so every row is reached once across batches.
	defer access.SetResealBatch(2)()
	n, err := svc.Reseal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4+2+1 { // four link tokens, one access and one refresh token, one webhook secret
		t.Fatalf("re-sealed %d values, want 7", n)
	}
	if n, err := svc.Reseal(ctx); err != nil || n != 0 {
		t.Fatalf("second run re-sealed %d (%v), want 0", n, err)
	}

	t.Run("OpensWithTheNewKeyAlone", func(t *testing.T) {
		only, _ := secret.NewKeyring(newKeyBytes)
		svc.SetKeys(only)
		if err := svc.VerifyKey(ctx); err != nil {
			t.Fatal(err)
		}
		page, err := svc.ListLinks(ctx, f.Reporting.ID, access.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, l := range page.Links {
			got[l.URL] = true
		}
		for _, u := range urls {
			if !got[u] {
				t.Errorf("link %s no longer opens after re-sealing", u)
			}
		}
		var acc models.ConnectedAccount
		if err := gdb.Where("external_id = ?", "x1").Take(&acc).Error; err != nil {
			t.Fatal(err)
		}
		if v, err := only.Open(acc.AccessTokenSealed, "connected_accounts/"+acc.ID+"/access_token"); err != nil || v != "at-1" {
			t.Errorf("access token = %q, %v", v, err)
		}
		if v, err := only.Open(acc.RefreshTokenSealed, "connected_accounts/"+acc.ID+"/refresh_token"); err != nil || v != "rt-1" {
			t.Errorf("refresh token = %q, %v", v, err)
		}
		var hook models.WebhookEndpoint
		if err := gdb.Where("id = ?", ep.ID).Take(&hook).Error; err != nil {
			t.Fatal(err)
		}
		if v, err := only.Open(hook.SecretSealed, "webhook_endpoints/"+ep.ID+"/secret"); err != nil || v != hookSecret {
			t.Errorf("webhook secret = %q, %v", v, err)
		}
	})
	t.Run("ErrOldKeyAloneRefused", func(t *testing.T) {
		svc.SetKeys(oldRing)
		if err := svc.VerifyKey(ctx); err == nil {
			t.Fatal("the old key alone still opens the data")
		}
	})
}
