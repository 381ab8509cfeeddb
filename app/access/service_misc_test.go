package access_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
)

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, secret.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// withKeys is svc on the same database with another key ring.
func withKeys(t *testing.T, svc *access.Service, current []byte, old ...[]byte) *access.Service {
	t.Helper()
	kr, err := secret.NewKeyring(current, old...)
	if err != nil {
		t.Fatal(err)
	}
	return svc.WithKeys(kr)
}

func TestVerifyKey(t *testing.T) {
	t.Parallel()
	clock := testutil.NewClock(domainStart)
	gdb := testutil.OpenDB(t)
	key := randomKey(t)
	svc := withKeys(t, testutil.NewService(t, gdb, clock), key)

	t.Run("EmptyDatabaseOK", func(t *testing.T) {
		if err := withKeys(t, svc, randomKey(t)).VerifyKey(t.Context()); err != nil {
			t.Fatalf("VerifyKey on an empty database = %v", err)
		}
	})

	f := testutil.Seed(t, svc)
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	l, err := svc.GenerateLink(t.Context(), m, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "google_ads")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("SameKeyOK", func(t *testing.T) {
		if err := withKeys(t, svc, key).VerifyKey(t.Context()); err != nil {
			t.Fatalf("VerifyKey = %v", err)
		}
	})

	t.Run("ErrDifferentKey", func(t *testing.T) {
		other := withKeys(t, svc, randomKey(t))
		err := other.VerifyKey(t.Context())
		if err == nil {
			t.Fatal("VerifyKey accepted a key that cannot open the data")
		}
		if !strings.Contains(err.Error(), "APP_SECRET_KEY") {
			t.Fatalf("err = %v, want it to name APP_SECRET_KEY", err)
		}
		// And indeed that service cannot rebuild the link's URL.
		got, err := other.GetLink(t.Context(), f.Reporting.ID, l.ID)
		if err != nil || got.URL != "" {
			t.Fatalf("GetLink with the wrong key = %q, %v", got.URL, err)
		}
	})

	t.Run("RotatedKeyOK", func(t *testing.T) {
		rotated := withKeys(t, svc, randomKey(t), key)
		if err := rotated.VerifyKey(t.Context()); err != nil {
			t.Fatalf("VerifyKey with the old key in the ring = %v", err)
		}
		got, err := rotated.GetLink(t.Context(), f.Reporting.ID, l.ID)
		if err != nil || got.URL != l.URL {
			t.Fatalf("URL after rotation = %q, %v; want %q", got.URL, err, l.URL)
		}
		if !rotated.Keys().NeedsReseal(got.TokenSealed) {
			t.Fatal("value sealed with the old key does not need resealing")
		}
	})
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	linkID := l.ID
	mk := func(ws models.Workspace, ext, name, email string, at time.Time, link *string) models.ConnectedAccount {
		t.Helper()
		a := models.ConnectedAccount{ID: access.NewID(), WorkspaceID: ws.ID, SourceKey: "google_ads", ExternalID: ext,
			DisplayName: name, Email: email, Scopes: "openid", Extra: "{}", AccessTokenSealed: "v1.secret", LinkID: link,
			Status: "connected", CreatedAt: at, UpdatedAt: at}
		if err := e.svc.DB().Create(&a).Error; err != nil {
			t.Fatal(err)
		}
		return a
	}
	older := mk(e.f.Reporting, "ext-1", "", "", domainStart, nil)
	newer := mk(e.f.Reporting, "ext-2", "Client Co", "ads@client.example", domainStart.Add(time.Minute), &linkID)
	foreign := mk(e.f.Internal, "ext-3", "Elsewhere", "", domainStart, nil)

	t.Run("ListScopedNewestFirst", func(t *testing.T) {
		got, err := e.svc.Accounts(e.ctx, e.f.Reporting.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != newer.ID || got[1].ID != older.ID {
			t.Fatalf("accounts = %+v", got)
		}
		if got[0].CreatorName != "Adam Admin" || got[1].CreatorName != "" {
			t.Fatalf("creator names = %q, %q", got[0].CreatorName, got[1].CreatorName)
		}
	})

	t.Run("Label", func(t *testing.T) {
		for _, tc := range []struct {
			a    access.AccountSummary
			want string
		}{
			{access.AccountSummary{ExternalID: "x", DisplayName: "N", Email: "e@x"}, "N (e@x)"},
			{access.AccountSummary{ExternalID: "x", DisplayName: "N"}, "N"},
			{access.AccountSummary{ExternalID: "x", Email: "e@x"}, "e@x"},
			{access.AccountSummary{ExternalID: "x"}, "x"},
		} {
			if got := tc.a.Label(); got != tc.want {
				t.Errorf("Label = %q, want %q", got, tc.want)
			}
		}
	})

	t.Run("LinkAccount", func(t *testing.T) {
		got, err := e.svc.GetLink(e.ctx, e.f.Reporting.ID, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a, err := e.svc.LinkAccount(e.ctx, got); err != nil || a != nil {
			t.Fatalf("unused link's account = %+v, %v; want nil", a, err)
		}
		got.ConnectedAccountID = &newer.ID
		a, err := e.svc.LinkAccount(e.ctx, got)
		if err != nil || a == nil || a.ID != newer.ID || a.Label() != "Client Co (ads@client.example)" {
			t.Fatalf("LinkAccount = %+v, %v", a, err)
		}
		// An account of another workspace is never returned through it.
		got.ConnectedAccountID = &foreign.ID
		if a, err := e.svc.LinkAccount(e.ctx, got); err != nil || a != nil {
			t.Fatalf("foreign account = %+v, %v; want nil", a, err)
		}
	})
}

func TestEvents(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	// An invitee's event, without a user.
	for i, typ := range []string{"provider_error", "opened"} {
		ev := models.LinkEvent{ID: access.NewID(), LinkID: l.ID, WorkspaceID: l.WorkspaceID, Type: typ, Actor: "invitee",
			Detail: `{"error":"access_denied","n":3}`, CreatedAt: domainStart.Add(time.Duration(i+1) * time.Second)}
		if err := e.svc.DB().Create(&ev).Error; err != nil {
			t.Fatal(err)
		}
	}
	got := e.events(l.ID)
	if len(got) != 3 || got[0].Type != access.EventCreated || got[1].Type != "provider_error" || got[2].Type != "opened" {
		t.Fatalf("events = %+v, want oldest first", got)
	}
	if views.EventTitle(&got[1]) != "Access denied at the provider" || got[1].Fields["error"] != "access_denied" || got[1].ActorID != nil || views.EventActor(&got[1]) != "Invitee" {
		t.Fatalf("invitee event = %+v, title %q", got[1], views.EventTitle(&got[1]))
	}
	if _, ok := got[1].Fields["n"]; ok {
		t.Fatal("non-string detail field decoded as a string")
	}
	if views.EventSummary(&got[1]) != "Error: access_denied" {
		t.Fatalf("Summary = %q, want the error code alone (no kind, no description)", views.EventSummary(&got[1]))
	}
	if ev := e.events(access.NewID()); len(ev) != 0 {
		t.Fatalf("events of an unknown link = %v", ev)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	nf := access.Errorf(access.ENOTFOUND, "Link %s not found.", "x")
	if nf.Message != "Link x not found." || nf.Error() != "not_found: Link x not found." {
		t.Fatalf("Errorf = %+v / %q", nf, nf.Error())
	}
	wrapped := fmt.Errorf("loading: %w", nf)
	if access.ErrorCode(wrapped) != access.ENOTFOUND || access.ErrorMessage(wrapped) != "Link x not found." {
		t.Fatalf("wrapped error lost its code or message: %s %q", access.ErrorCode(wrapped), access.ErrorMessage(wrapped))
	}
	internal := errors.New("pq: password authentication failed for user app")
	if access.ErrorCode(internal) != access.EINTERNAL || access.ErrorMessage(internal) != "Internal error." {
		t.Fatalf("plain error = %s %q; want internal, generic message", access.ErrorCode(internal), access.ErrorMessage(internal))
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	id := access.NewID()
	if !access.ValidID(id) || access.NewID() == id {
		t.Fatalf("NewID %q invalid or repeated", id)
	}
	for _, bad := range []string{"", "1", "../x", strings.Repeat("x", 36), "{" + id + "}", "urn:uuid:" + id, id[:35]} {
		if access.ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

// TestErrorCode: nil has no code, a domain error its own, anything else is
// internal.
func TestErrorCode(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"Nil", nil, ""},
		{"Domain", fmt.Errorf("wrapped: %w", access.Errorf(access.ESCOPES, "Some permissions were not granted")), access.ESCOPES},
		{"Other", errors.New("disk full"), access.EINTERNAL},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := access.ErrorCode(c.err); got != c.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", c.err, got, c.want)
			}
		})
	}
}
