package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestRenewRetiresOldLinkFlow: an invitee denies at the provider, starts
// again on the same link, and before the provider sends them back the admin
// renews the link. The old link's consent page and Start answer 410 with a
// page that says it was replaced, and the callback that was under way is
// refused and connects nothing; the new link works.
func TestRenewRetiresOldLinkFlow(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, "owner")
	_, denied := inv.Authorized(t, link.Token, "deny", "")
	wantErrorPage(t, inv.Callback(t, denied), http.StatusOK, "access_denied")
	_, pending := inv.Authorized(t, link.Token, "allow", "sandbox-user-1") // under way

	admin := e.Login(t, e.F.Admin.Email)
	req, err := http.NewRequest(http.MethodPost, e.AppURL+"/w/"+e.F.Reporting.ID+"/sources/access-requests/"+link.ID+"/renew", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.AppURL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	old := e.Link(t, link.ID)
	if res.StatusCode != http.StatusSeeOther || old.RenewedToID == nil {
		t.Fatalf("renew: status %d, renewed_to_id %v; want 303 and a new link", res.StatusCode, old.RenewedToID)
	}
	if st := e.LinkStatus(t, link.ID); st != access.StatusExpired {
		t.Errorf("old link status %s after renewal, want expired", st)
	}

	t.Run("ConsentGone", func(t *testing.T) {
		p := inv.Consent(t, link.Token)
		wantPage(t, p, http.StatusGone, "connect-expired")
		if got := p.Text("connect-title"); got != "This link was replaced by a new one" {
			t.Errorf("title %q, want the replaced page", got)
		}
		if !strings.Contains(p.Text("connect-body"), e.F.Admin.Name+" sent a new link in place of this one.") {
			t.Errorf("body %q, want it to say who sent a new link", p.Text("connect-body"))
		}
	})
	t.Run("StartGone", func(t *testing.T) {
		if p := inv.Start(t, link.Token); p.Status != http.StatusGone {
			t.Errorf("start on the old link: status %d, want 410:\n%s", p.Status, p.Excerpt())
		}
	})
	t.Run("CallbackRefused", func(t *testing.T) {
		p := inv.Callback(t, pending)
		if p.Status != http.StatusGone {
			t.Errorf("callback through the old link: status %d, want 410:\n%s", p.Status, p.Excerpt())
		}
		wantAccounts(t, e, 0)
		if l := e.Link(t, link.ID); l.UsedAt != nil {
			t.Errorf("old link used at %v after its renewal", l.UsedAt)
		}
	})
	t.Run("NewLinkWorks", func(t *testing.T) {
		nl, err := e.Svc.GetLink(context.Background(), e.F.Reporting.ID, *old.RenewedToID)
		if err != nil {
			t.Fatal(err)
		}
		if p := e.NewInvitee("owner-again").Connect(t, strings.TrimPrefix(nl.URL, e.AppURL+"/connect/"), "sandbox-user-1"); p.Status != http.StatusOK {
			t.Fatalf("the new link: status %d:\n%s", p.Status, p.Excerpt())
		}
		wantAccounts(t, e, 1)
	})
}
