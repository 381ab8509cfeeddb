package web_test

import (
	"net/http"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestDeclineRedirectsAndCountsOnce (review A): Decline answers 303 to a
// GET page that thanks the invitee, so reloading that page posts nothing;
// declines repeated while the link stays declined are one event; the link
// stays usable (DESIGN: a declined authorization leaves the link ACTIVE).
func TestDeclineRedirectsAndCountsOnce(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, "decliner")
	thanks := "/connect/" + link.Token + "/declined"

	t.Run("PostRedirectsToTheThankYouPage", func(t *testing.T) {
		p := inv.DeclinePost(t, link.Token, "Wrong account")
		if p.Status != http.StatusSeeOther || p.Location != thanks {
			t.Fatalf("decline: status %d, location %q; want 303 to %s", p.Status, redact(p.Location), redact(thanks))
		}
	})
	t.Run("ThankYouPageReloads", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			p := inv.Get(t, e.AppURL+thanks)
			wantPage(t, p, http.StatusOK, "connect-declined")
			if p.Header.Get("Cache-Control") != "no-store" || p.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("thank-you page: Cache-Control %q, Referrer-Policy %q", p.Header.Get("Cache-Control"), p.Header.Get("Referrer-Policy"))
			}
		}
	})
	t.Run("RepeatedDeclinesOneEvent", func(t *testing.T) {
		for i := 0; i < 4; i++ {
			wantPage(t, inv.Decline(t, link.Token, "still no"), http.StatusOK, "connect-declined")
			wantPage(t, e.NewInvitee("other").Decline(t, link.Token, ""), http.StatusOK, "connect-declined")
		}
		evs := testutil.EventsOf(e.Events(t, link.ID), access.EventDeclined)
		if len(evs) != 1 || evs[0].Times() != 1 || evs[0].Fields["reason"] != "Wrong account" {
			t.Errorf("declined events %v; want one, with the first reason", evs)
		}
	})
	t.Run("LinkStaysUsable", func(t *testing.T) {
		wantActive(t, e, link.ID)
		wantPage(t, inv.Consent(t, link.Token), http.StatusOK, "consent")
		wantPage(t, inv.Connect(t, link.Token, "sandbox-user-1"), http.StatusOK, "connect-success")
	})
	t.Run("ThankYouPageOfALinkNotDeclinedIsItsConsentPage", func(t *testing.T) {
		other := e.GenerateLink(t, testutil.SandboxKey)
		p := inv.Get(t, e.AppURL+"/connect/"+other.Token+"/declined")
		if p.Status != http.StatusSeeOther || p.Location != "/connect/"+other.Token {
			t.Errorf("status %d, location %q; want 303 to the consent page", p.Status, redact(p.Location))
		}
		if n := len(testutil.EventsOf(e.Events(t, other.ID), access.EventDeclined)); n != 0 {
			t.Errorf("%d declined events", n)
		}
	})
}
