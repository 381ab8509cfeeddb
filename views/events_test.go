package views_test

import (
	"slices"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
)

// The words of a link's history (moved from app/access with them).

func TestEventPresentation(t *testing.T) {
	t.Parallel()
	uid := "u1"
	for _, tc := range []struct {
		typ     string
		fields  map[string]string
		byUser  bool
		title   string
		summary string
		icon    string
	}{
		{access.EventCreated, map[string]string{"source": "google_ads"}, true, "Link created", "Source: Google Ads", "add"},
		{access.EventOpened, nil, false, "Consent page opened", "The consent page was viewed.", "view"},
		{access.EventStarted, map[string]string{"source": "shopify", "shop": "acme.myshopify.com"}, false, "Authorization started", "Source: Shopify · Shop: acme.myshopify.com", "start"},
		{access.EventProviderError, map[string]string{"kind": "provider", "error": "access_denied", "description": "User said no"}, false, "Access denied at the provider", "Kind: provider · Error: access_denied · As reported through the invitee's browser: “User said no”", "error"},
		{access.EventProviderError, map[string]string{"kind": "provider", "error": "server_error"}, false, "The provider reported an error", "Kind: provider · Error: server_error", "error"},
		{access.EventProviderError, map[string]string{"kind": "token", "error": "invalid_grant"}, false, "Token exchange failed", "Kind: token · Error: invalid_grant", "error"},
		{access.EventProviderError, map[string]string{"kind": "scopes", "error": "missing_scopes", "description": "Read your reports"}, false, "Permissions missing", "Kind: scopes · Error: missing_scopes · Read your reports", "error"},
		{access.EventProviderError, map[string]string{"kind": "state", "error": "missing_state"}, false, "Sign-in could not be verified", "Kind: state · Error: missing_state", "error"},
		{access.EventProviderError, map[string]string{"kind": "identity"}, false, "Account identity could not be read", "Kind: identity", "error"},
		{access.EventProviderError, nil, false, "Authorization failed", "", "error"},
		{access.EventDeclined, map[string]string{"reason": "Not mine"}, false, "Declined", "Reason: Not mine", "decline"},
		{access.EventDeclined, nil, false, "Declined", "No reason given.", "decline"},
		{access.EventConnected, map[string]string{"account": "Jane (jane@x.example)", "external_id": "42", "scopes": "a b"}, false, "Account connected", "Account: Jane (jane@x.example) · ID: 42 · Scopes: a, b", "connect"},
		{access.EventConnected, map[string]string{"account": "42", "external_id": "42", "scopes": "", "reconnected": "true"}, false, "Account reconnected", "Account: 42 · No scopes granted", "connect"},
		{access.EventClaimRefused, map[string]string{"reason": "used"}, false, "Connection refused", "The link had already been used.", "refuse"},
		{access.EventClaimRefused, map[string]string{"reason": "conflict"}, false, "Connection refused", "The link had already been used.", "refuse"},
		{access.EventClaimRefused, map[string]string{"reason": "expired"}, false, "Connection refused", "The link had expired.", "refuse"},
		{access.EventClaimRefused, map[string]string{"reason": "deleted"}, false, "Connection refused", "The link had been deleted.", "refuse"},
		{access.EventClaimRefused, map[string]string{"reason": "not_found"}, false, "Connection refused", "The link had been deleted.", "refuse"},
		{access.EventDeleted, nil, true, "Link deleted", "Accounts connected through the link stay connected.", "delete"},
		{access.EventDisconnected, map[string]string{"account": "Jane"}, true, "Account disconnected", "Disconnected Jane; its tokens were deleted.", "delete"},
		{access.EventDisconnected, map[string]string{"account": "Jane", "revoke_error": "answered 503"}, true, "Account disconnected", "Disconnected Jane; its tokens were deleted. The provider did not confirm the revocation: answered 503", "delete"},
		{access.EventRenamed, map[string]string{"account": "Jane (jane@x.example)", "from": "", "to": "Acme Ads"}, true, "Account renamed", "Named Jane (jane@x.example) \u201cAcme Ads\u201d in this workspace.", "add"},
		{access.EventRenamed, map[string]string{"account": "Jane", "from": "Acme Ads", "to": "Acme Bakery"}, true, "Account renamed", "Renamed Acme Ads to \u201cAcme Bakery\u201d.", "add"},
		{access.EventRenamed, map[string]string{"account": "Jane", "from": "Acme Bakery", "to": ""}, true, "Account renamed", "Renamed Acme Bakery back to its name at the provider, Jane.", "add"},
		{access.EventRelabeled, map[string]string{"from": "", "to": "Acme Bakery"}, true, "Label changed", "Labelled \u201cAcme Bakery\u201d.", "add"},
		{access.EventRelabeled, map[string]string{"from": "Acme", "to": "Acme Bakery"}, true, "Label changed", "Relabelled \u201cAcme\u201d to \u201cAcme Bakery\u201d.", "add"},
		{access.EventRelabeled, map[string]string{"from": "Acme Bakery", "to": ""}, true, "Label changed", "Removed the label \u201cAcme Bakery\u201d.", "add"},
		{access.EventSupportViewed, map[string]string{"view": "page"}, true, "Viewed by support", "Opened the link in the support console.", "support"},
		{access.EventSupportViewed, map[string]string{"view": "export"}, true, "History exported by support", "Downloaded the history as JSON from the support console.", "support"},
		{"renamed_later", nil, false, "Renamed later", "", "dot"},
	} {
		t.Run(tc.typ+"/"+tc.title, func(t *testing.T) {
			ev := access.Event{LinkEvent: models.LinkEvent{Type: tc.typ, Actor: "invitee"}, Fields: tc.fields}
			if ev.Fields == nil {
				ev.Fields = map[string]string{}
			}
			if src := map[string]string{"google_ads": "Google Ads", "shopify": "Shopify"}[tc.fields["source"]]; src != "" {
				ev.SourceName = src
			}
			wantActor := "Invitee"
			if tc.byUser {
				ev.ActorID, ev.Actor, wantActor = &uid, "Adam Admin", "Adam Admin"
			}
			if views.EventTitle(&ev) != tc.title || views.EventSummary(&ev) != tc.summary || views.EventIcon(&ev) != tc.icon || views.EventActor(&ev) != wantActor {
				t.Errorf("title %q, summary %q, icon %q, actor %q; want %q, %q, %q, %q", views.EventTitle(&ev), views.EventSummary(&ev), views.EventIcon(&ev), views.EventActor(&ev),
					tc.title, tc.summary, tc.icon, wantActor)
			}
		})
	}
}

// TestEventSentences (item 20): every event type reads as a sentence in
// the timeline: "Declined by the invitee", never "Invitee declined by
// Invitee"; the provider's and the app's own events name nobody.
func TestEventSentences(t *testing.T) {
	t.Parallel()
	uid := access.NewID()
	for _, tc := range []struct {
		typ    string
		fields map[string]string
		byUser bool
		want   string
	}{
		{access.EventCreated, nil, true, "Link created by Adam Admin"},
		{access.EventOpened, nil, false, "Consent page opened by the invitee"},
		{access.EventStarted, nil, false, "Authorization started by the invitee"},
		{access.EventProviderError, map[string]string{"error": "access_denied"}, false, "Access denied at the provider"},
		{access.EventProviderError, map[string]string{"kind": "token"}, false, "Token exchange failed"},
		{access.EventDeclined, map[string]string{"reason": "Not mine"}, false, "Declined by the invitee"},
		{access.EventDeclined, nil, true, "Declined by Adam Admin"},
		{access.EventConnected, nil, false, "Account connected by the invitee"},
		{access.EventConnected, map[string]string{"reconnected": "true"}, false, "Account reconnected by the invitee"},
		{access.EventClaimRefused, map[string]string{"reason": "used"}, false, "Connection refused"},
		{access.EventDeleted, nil, true, "Link deleted by Adam Admin"},
		{access.EventRelabeled, map[string]string{"from": "A", "to": "B"}, true, "Label changed by Adam Admin"},
		{access.EventSupportViewed, map[string]string{"view": "page"}, true, "Viewed in the support console by Adam Admin"},
		{access.EventSupportViewed, map[string]string{"view": "export"}, true, "History downloaded from the support console by Adam Admin"},
		{"renamed_later", nil, false, "Renamed later by the invitee"},
	} {
		ev := access.Event{LinkEvent: models.LinkEvent{Type: tc.typ, Actor: "invitee"}, Fields: tc.fields}
		if ev.Fields == nil {
			ev.Fields = map[string]string{}
		}
		if tc.byUser {
			ev.ActorID, ev.Actor = &uid, "Adam Admin"
		}
		what, who := views.EventSentence(&ev)
		got := what
		if who != "" {
			got += " by " + who
		}
		if got != tc.want {
			t.Errorf("%s reads %q, want %q", tc.typ, got, tc.want)
		}
	}
}

// TestOutcomeDetail: the list says in words why the last attempt failed
// (the domain keeps a code); a decline shows the invitee's reason, and
// text stored by earlier versions is shown as it is.
func TestOutcomeDetail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ outcome, detail, want string }{
		{access.OutcomeFailed, "access_denied", "Access denied"},
		{access.OutcomeFailed, "token", "Token exchange failed"},
		{access.OutcomeFailed, "", "Authorization failed"},
		{access.OutcomeFailed, "Sign-in not verified", "Sign-in not verified"},
		{access.OutcomeDeclined, "token", "token"},
		{access.OutcomeDeclined, "", ""},
	} {
		l := access.Link{AccessLink: models.AccessLink{LastOutcome: tc.outcome, LastOutcomeDetail: tc.detail}, Status: access.StatusActive}
		if got := views.OutcomeDetail(&l); got != tc.want {
			t.Errorf("%s %q reads %q, want %q", tc.outcome, tc.detail, got, tc.want)
		}
	}
}

// TestTimelineEmailedOnce: the timeline names a mail's recipient once, in
// the sentence, not again in the line under it; the support export keeps
// its summary.
func TestTimelineEmailedOnce(t *testing.T) {
	t.Parallel()
	ev := access.Event{LinkEvent: models.LinkEvent{Type: access.EventEmailed, Actor: "system"},
		Fields: map[string]string{"to": "carla@client.example"}}
	items := views.TimelineItems(&access.EventPage{Events: []access.Event{ev}}, nil, time.Now(), access.LinkLifetime)
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
	if items[0].Title != "Emailed to carla@client.example" || items[0].Summary != "" {
		t.Errorf("timeline reads %q / %q, want the recipient once", items[0].Title, items[0].Summary)
	}
	if w := views.EventWords(&ev); w.Summary != "Emailed to carla@client.example." {
		t.Errorf("export summary = %q", w.Summary)
	}
}

// TestTimelineRenewalNotExpiry: a link that renewing retired (its
// expires_at set to the renewal's moment) shows the renewal, not "was not
// used within 7 days"; a link that expired on its own before it was
// renewed still shows its expiry.
func TestTimelineRenewalNotExpiry(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	to := "new-link"
	renewed := access.Event{LinkEvent: models.LinkEvent{Type: access.EventRenewed, Actor: "Adam Admin", CreatedAt: at.Add(time.Millisecond)},
		Fields: map[string]string{"renewed_to": to}}
	for _, tc := range []struct {
		name       string
		expiresAt  time.Time
		wantExpiry bool
	}{
		{"RetiredByRenewal", at, false},
		{"ExpiredBefore", at.Add(-48 * time.Hour), true},
	} {
		l := &access.Link{AccessLink: models.AccessLink{CreatedAt: at.Add(-72 * time.Hour), ExpiresAt: tc.expiresAt, RenewedToID: &to}}
		items := views.TimelineItems(&access.EventPage{Events: []access.Event{renewed}}, l, at.Add(time.Hour), access.LinkLifetime)
		got := slices.ContainsFunc(items, func(i views.TimelineItem) bool { return i.Type == views.TypeExpired })
		if got != tc.wantExpiry {
			t.Errorf("%s: expiry shown %v, want %v: %+v", tc.name, got, tc.wantExpiry, items)
		}
	}
}
