package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/internal/fakeclock"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
)

var internalKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newTestStorage(t *testing.T) (*storage, *fakeclock.Clock) {
	t.Helper()
	cl := &client{id: "c", redirectURIs: []string{"http://localhost/cb"}, scopes: defaultScopes, loginURL: "http://localhost/login"}
	s, err := newStorage(cl, testdb.OpenMigrated(t), "http://localhost", "secret", DefaultAccounts, internalKey())
	if err != nil {
		t.Fatal(err)
	}
	clock := fakeclock.New(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	s.now = clock.Now
	return s, clock
}

func validAuthRequest() *oidc.AuthRequest {
	return &oidc.AuthRequest{
		ClientID:            "c",
		RedirectURI:         "http://localhost/cb",
		ResponseType:        oidc.ResponseTypeCode,
		Scopes:              []string{"openid", "offline_access"},
		State:               "st",
		CodeChallenge:       oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()),
		CodeChallengeMethod: oidc.CodeChallengeMethodS256,
	}
}

// approved creates a request, allows it and issues a code for it.
func approved(t *testing.T, s *storage, code string) string {
	t.Helper()
	ctx := context.Background()
	r, err := s.CreateAuthRequest(ctx, validAuthRequest(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.approve(ctx, r.GetID(), "sandbox-user-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAuthCode(ctx, r.GetID(), code); err != nil {
		t.Fatal(err)
	}
	return r.GetID()
}

func TestAuthRequestExpires(t *testing.T) {
	s, clock := newTestStorage(t)
	ctx := context.Background()
	r, err := s.CreateAuthRequest(ctx, validAuthRequest(), "")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(authRequestTTL - time.Second)
	if _, err := s.pending(ctx, r.GetID()); err != nil {
		t.Fatal("request gone before 10 minutes")
	}
	clock.Advance(time.Second)
	if _, err := s.pending(ctx, r.GetID()); err == nil {
		t.Error("request still pending after 10 minutes")
	}
	if _, err := s.AuthRequestByID(ctx, r.GetID()); err == nil {
		t.Error("AuthRequestByID found an expired request")
	}
	if err := s.approve(ctx, r.GetID(), "sandbox-user-1"); err == nil {
		t.Error("an expired request was approved")
	}
}

func TestCodeExpires(t *testing.T) {
	s, clock := newTestStorage(t)
	ctx := context.Background()
	approved(t, s, "code-1")
	approved(t, s, "code-2")

	clock.Advance(codeTTL - time.Second)
	if _, err := s.AuthRequestByCode(ctx, "code-1"); err != nil {
		t.Fatalf("code refused before one minute: %v", err)
	}
	clock.Advance(time.Second)
	if _, err := s.AuthRequestByCode(ctx, "code-2"); err == nil {
		t.Error("code accepted after one minute")
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	s, _ := newTestStorage(t)
	ctx := context.Background()
	id := approved(t, s, "code")
	if _, err := s.AuthRequestByID(ctx, id); err == nil {
		t.Error("the callback can still fetch a request whose code was issued")
	}
	if err := s.SaveAuthCode(ctx, id, "second-code"); err == nil {
		t.Error("a second code was issued for one request")
	}
	r, err := s.AuthRequestByCode(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	at, rt, _, err := s.CreateAccessAndRefreshTokens(ctx, r, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthRequestByCode(ctx, "code"); err == nil {
		t.Fatal("code accepted twice")
	}
	if tok, err := s.findToken(ctx, at, kindAccess); err != nil || tok != nil {
		t.Error("access token survived the code replay")
	}
	if _, err := s.TokenRequestByRefreshToken(ctx, rt); err == nil {
		t.Error("refresh token survived the code replay")
	}
}

func TestSweepKeepsMemoryBounded(t *testing.T) {
	s, clock := newTestStorage(t)
	ctx := context.Background()
	for i := range 50 {
		if _, err := s.CreateAuthRequest(ctx, validAuthRequest(), ""); err != nil {
			t.Fatal(err)
		}
		code := "code-" + rand.Text()
		approved(t, s, code)
		if i%2 == 0 {
			r, err := s.AuthRequestByCode(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			_, rt, _, err := s.CreateAccessAndRefreshTokens(ctx, r, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteAuthRequest(ctx, r.GetID()); err != nil {
				t.Fatal(err)
			}
			if i%4 == 0 { // rotate the refresh token
				rr, err := s.TokenRequestByRefreshToken(ctx, rt)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, _, err := s.CreateAccessAndRefreshTokens(ctx, rr, rt); err != nil {
					t.Fatal(err)
				}
			} else { // replay the code, which revokes the grant
				if _, err := s.AuthRequestByCode(ctx, code); err == nil {
					t.Fatal("code replay accepted")
				}
			}
		}
	}
	if n := rowCounts(t, s); slices.Contains(n[:], 0) {
		t.Fatalf("setup did not fill every table: %v", n)
	}

	clock.Advance(refreshTokenTTL + time.Second)
	if _, err := s.CreateAuthRequest(ctx, validAuthRequest(), ""); err != nil { // any write sweeps
		t.Fatal(err)
	}
	if n := rowCounts(t, s); n != [6]int64{1, 0, 0, 0, 0, 0} {
		t.Errorf("after expiry: requests, codes, access, refresh, used refresh, revoked = %v; want only the new request", n)
	}
}

// rowCounts counts the rows of the sandbox's tables: auth requests, codes,
// access tokens, refresh tokens, used refresh tokens, revoked grants.
func rowCounts(t *testing.T, s *storage) [6]int64 {
	t.Helper()
	var n [6]int64
	for i, q := range []*gorm.DB{
		s.db.Model(&authRequestRow{}),
		s.db.Model(&codeRow{}),
		s.db.Model(&tokenRow{}).Where("kind = ?", kindAccess),
		s.db.Model(&tokenRow{}).Where("kind = ?", kindRefresh),
		s.db.Model(&tokenRow{}).Where("kind = ?", kindUsed),
		s.db.Model(&revokedRow{}),
	} {
		if err := q.Count(&n[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func TestAccessTokenExpires(t *testing.T) {
	s, clock := newTestStorage(t)
	ctx := context.Background()
	approved(t, s, "code")
	r, err := s.AuthRequestByCode(ctx, "code")
	if err != nil {
		t.Fatal(err)
	}
	id, exp, err := s.CreateAccessToken(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if got := exp.Sub(clock.Now()); got != accessTokenTTL {
		t.Errorf("access token lives %v, want %v", got, accessTokenTTL)
	}
	info := new(oidc.UserInfo)
	if err := s.SetUserinfoFromToken(ctx, info, id, "sandbox-user-1", ""); err != nil || info.Subject != "sandbox-user-1" {
		t.Fatalf("userinfo: %v %+v", err, info)
	}
	clock.Advance(accessTokenTTL)
	if err := s.SetUserinfoFromToken(ctx, new(oidc.UserInfo), id, "sandbox-user-1", ""); err == nil {
		t.Error("expired access token accepted")
	}
}

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{
		"Acme Ads (demo)":        "AA",
		"Northwind Store (demo)": "NS",
		"globex":                 "G",
		"(demo)":                 "?",
		"Émile Zola Street":      "ÉZ",
	} {
		if got := initials(name); got != want {
			t.Errorf("initials(%q) = %q, want %q", name, got, want)
		}
	}
}
