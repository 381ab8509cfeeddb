package access_test

import (
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// TestAccountTokensSealedPerRow (SECURITY 18): an account's OAuth tokens
// are sealed with the current key's ID, a fresh nonce each time, and the
// row's identity as associated data: a sealed token copied into another
// account's row does not open there.
func TestAccountTokensSealedPerRow(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	la := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	lb := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	a, err := e.svc.ClaimLink(e.ctx, la.ID, access.Actor{}, identity("a"))
	if err != nil {
		t.Fatal(err)
	}
	// The same token values for b: only the row tells them apart.
	idB := identity("b")
	idB.AccessToken, idB.RefreshToken = "at-a", "rt-a"
	b, err := e.svc.ClaimLink(e.ctx, lb.ID, access.Actor{}, idB)
	if err != nil {
		t.Fatal(err)
	}
	read := func(id string) models.ConnectedAccount {
		t.Helper()
		var acc models.ConnectedAccount
		if err := e.svc.DB().Where("id = ?", id).Take(&acc).Error; err != nil {
			t.Fatal(err)
		}
		return acc
	}
	ra, rb := read(a.ID), read(b.ID)

	t.Run("KeyIDAndNoClearText", func(t *testing.T) {
		prefix := "v1." + e.svc.Keys().CurrentKeyID() + "."
		for name, v := range map[string]string{"access": ra.AccessTokenSealed, "refresh": ra.RefreshTokenSealed} {
			if !strings.HasPrefix(v, prefix) {
				t.Errorf("%s token sealed as %.20q…, want the prefix %q", name, v, prefix)
			}
			if strings.Contains(v, "at-a") || strings.Contains(v, "rt-a") {
				t.Errorf("%s token stored in clear", name)
			}
		}
	})
	t.Run("FreshNonce", func(t *testing.T) {
		if ra.AccessTokenSealed == rb.AccessTokenSealed || ra.RefreshTokenSealed == rb.RefreshTokenSealed {
			t.Error("the same token sealed twice gives the same value")
		}
	})
	t.Run("ErrCopiedToAnotherRow", func(t *testing.T) {
		if err := e.svc.DB().Model(&models.ConnectedAccount{}).Where("id = ?", b.ID).
			Update("access_token_sealed", ra.AccessTokenSealed).Error; err != nil {
			t.Fatal(err)
		}
		tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, b.ID, nil)
		if err == nil || tok != "" {
			t.Fatalf("AccessToken of b with a's sealed token = %q, %v; want an error", tok, err)
		}
		if got, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, nil); err != nil || got != "at-a" {
			t.Fatalf("AccessToken of a = %q, %v", got, err)
		}
		if _, err := e.svc.Keys().Open(ra.RefreshTokenSealed, "connected_accounts/"+b.ID+"/refresh_token"); err != secret.ErrOpen {
			t.Errorf("a's refresh token opens as b's: %v", err)
		}
	})
}
