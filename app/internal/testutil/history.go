package testutil

import (
	"context"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// WantEvent is one expected entry of a link's history: its type, who the
// timeline names as the actor, and a fragment its summary must hold.
type WantEvent struct {
	Type, Actor, Detail string
}

// HistoryWalk is a link taken through every kind of event, with the
// secrets that must never appear in its history, its pages or its export.
type HistoryWalk struct {
	Link *access.Link
	// Token is the link's token; Secrets adds its hash, its sealed form,
	// the account's access and refresh tokens and their sealed forms.
	Token   string
	Secrets []string
	// Events is the history as recorded, oldest first.
	Events []WantEvent
	// Invitee is the invitee's client, as recorded.
	InviteeIP, InviteeUA string
}

// Client details the walk records, so tests can look for them.
const (
	WalkAdminIP   = "203.0.113.10"
	WalkAdminUA   = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	WalkInviteeIP = "198.51.100.20"
	WalkInviteeUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	WalkAccount   = "Jane Client"
)

// WalkLinkHistory generates a Google Ads link in Client reporting as the
// admin and takes it through every kind of event with the domain
// functions, one minute apart on clock: opened, started, provider error,
// declined, started again, connected (with real-looking tokens), a second
// connection refused, deleted by the owner, and one support view.
func WalkLinkHistory(tb testing.TB, svc *access.Service, clock *Clock, f *Fixture) *HistoryWalk {
	tb.Helper()
	ctx := context.Background()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	step := func() { clock.Advance(time.Minute) }
	admin := access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name, IP: WalkAdminIP, UserAgent: WalkAdminUA}
	inv := access.Actor{IP: WalkInviteeIP, UserAgent: WalkInviteeUA}
	w := &HistoryWalk{InviteeIP: WalkInviteeIP, InviteeUA: WalkInviteeUA}

	l, err := svc.GenerateLink(ctx, Member(tb, svc, f.Admin.ID, f.Reporting.ID), admin, "google_ads")
	must(err)
	w.Link = l
	w.Token = l.URL[len(svc.LinkURL("")):]
	w.Events = append(w.Events, WantEvent{access.EventCreated, f.Admin.Name, "Source: Google Ads"})

	record := func(typ string, detail map[string]any, want WantEvent) {
		tb.Helper()
		step()
		must(svc.RecordEvent(ctx, &l.AccessLink, inv, typ, detail))
		w.Events = append(w.Events, want)
	}
	record(access.EventOpened, nil, WantEvent{access.EventOpened, "Invitee", "consent page was viewed"})
	record(access.EventStarted, map[string]any{"source": "google_ads"}, WantEvent{access.EventStarted, "Invitee", "Source: Google Ads"})
	record(access.EventProviderError, map[string]any{"kind": "provider", "error": "access_denied", "description": "The user denied the request"},
		WantEvent{access.EventProviderError, "Invitee", "Error: access_denied · As reported through the invitee's browser: “The user denied the request”"})
	record(access.EventDeclined, map[string]any{"reason": "Wrong account, I will ask my colleague"},
		WantEvent{access.EventDeclined, "Invitee", "Reason: Wrong account, I will ask my colleague"})
	record(access.EventStarted, map[string]any{"source": "google_ads"}, WantEvent{access.EventStarted, "Invitee", "Source: Google Ads"})

	step()
	secretSuffix := l.ID[:8]
	id := access.Identity{
		SourceKey: "google_ads", ExternalID: "123-456-7890", DisplayName: WalkAccount, Email: "jane@client.example",
		Scopes:       []string{"openid", "email", "https://www.googleapis.com/auth/adwords"},
		AccessToken:  "at-secret-" + secretSuffix + "-access",
		RefreshToken: "rt-secret-" + secretSuffix + "-refresh",
		Expiry:       clock.Now().Add(time.Hour),
	}
	acc, err := svc.ClaimLink(ctx, l.ID, inv, id)
	must(err)
	w.Events = append(w.Events, WantEvent{access.EventConnected, "Invitee", "Account: Jane Client (jane@client.example)"})

	step()
	second := id
	second.ExternalID, second.AccessToken, second.RefreshToken = "999", "at-secret-"+secretSuffix+"-second", "rt-secret-"+secretSuffix+"-second"
	if _, err := svc.ClaimLink(ctx, l.ID, inv, second); access.ErrorCode(err) != access.ECONFLICT {
		tb.Fatalf("second Connect = %v, want a conflict", err)
	}
	w.Events = append(w.Events, WantEvent{access.EventClaimRefused, "Invitee", "already been used"})

	step()
	owner := access.Actor{UserID: f.Owner.ID, Name: f.Owner.Name, IP: WalkAdminIP, UserAgent: WalkAdminUA}
	must(svc.DeleteLink(ctx, Member(tb, svc, f.Owner.ID, f.Reporting.ID), owner, l.ID))
	w.Events = append(w.Events, WantEvent{access.EventDeleted, f.Owner.Name, "stay connected"})

	step()
	sl, err := svc.SupportLink(ctx, l.ID)
	must(err)
	must(svc.RecordSupportView(ctx, &sl.SupportLink, access.Actor{UserID: f.Support.ID, Name: f.Support.Name, IP: "192.0.2.5", UserAgent: "SupportDesk/2.0"}, access.SupportViewPage))
	w.Events = append(w.Events, WantEvent{access.EventSupportViewed, f.Support.Name, "support console"})
	step()

	var row models.AccessLink
	must(DBOf(svc).Where("id = ?", l.ID).Take(&row).Error)
	var a models.ConnectedAccount
	must(DBOf(svc).Where("id = ?", acc.ID).Take(&a).Error)
	w.Secrets = []string{w.Token, row.TokenHash, row.TokenSealed, id.AccessToken, id.RefreshToken,
		second.AccessToken, second.RefreshToken, a.AccessTokenSealed, a.RefreshTokenSealed}
	for _, s := range w.Secrets {
		if len(s) < 8 {
			tb.Fatalf("secret %q is too short to search for", s)
		}
	}
	return w
}
