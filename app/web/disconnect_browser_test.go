package web_test

// Disconnecting an account in a real browser (issue 11, item 8): through
// the row's Disconnect and the confirmation that names it; the sandbox's
// revocation endpoint gets the token (it stops working there), and the
// account is gone from the page and from the API.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

func TestBrowserDisconnect(t *testing.T) {
	tab, problems, e := newBrowserFlow(t)
	ctx := context.Background()
	m := testutil.Member(t, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
	l, err := e.Svc.GenerateLink(ctx, m, access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name}, "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(l.URL, e.AppURL+"/connect/")
	if p := e.NewInvitee("owner").Connect(t, token, "sandbox-user-1"); p.Status != http.StatusOK || !p.Has("connect-success") {
		t.Fatalf("connecting in the sandbox: %d\n%s", p.Status, p.Excerpt())
	}
	page, err := e.Svc.AccountsPage(ctx, e.F.Reporting.ID, access.AccountFilter{})
	if err != nil || len(page.Accounts) != 1 {
		t.Fatalf("accounts: %v %+v", err, page)
	}
	acc := page.Accounts[0]
	live, err := e.Svc.AccessToken(ctx, e.F.Reporting.ID, acc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := e.SandboxUserinfo(t, live); status != http.StatusOK {
		t.Fatalf("before: the token at the sandbox's user-info: %d", status)
	}
	_, key, err := e.Svc.CreateAPIKeyForWorkspace(ctx, e.F.Reporting.ID, "check")
	if err != nil {
		t.Fatal(err)
	}
	accounts := e.AppURL + "/w/" + e.F.Reporting.ID + "/sources"

	browserStep(t, "ConfirmNamesTheAccount", func(t *testing.T) {
		browserDo(t, tab, "sign in, open the accounts page, Disconnect", browserSignedIn(e.AppURL, e.F.Admin.Email,
			chromedp.Navigate(accounts),
			chromedp.WaitVisible(browserCSS(`[data-testid="account-row"]`)),
			chromedp.Click(browserCSS(`[data-testid="account-disconnect"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="disconnect-confirm"]`)),
		)...)
		if got := browserEval[string](t, tab, `document.querySelector('[data-testid="disconnect-confirm"]').textContent`); !strings.Contains(got, "Disconnect "+acc.Label()+"?") {
			t.Errorf("confirmation says %q, want it to name %s", got, acc.Label())
		}
	})
	browserStep(t, "DisconnectRevokesAndRemoves", func(t *testing.T) {
		browserDo(t, tab, "confirm",
			chromedp.Click(browserCSS(`[data-testid="disconnect-confirm"] button[type="submit"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="flash"]`)),
		)
		if n := browserEval[int](t, tab, `document.querySelectorAll('[data-testid="account-row"]').length`); n != 0 {
			t.Errorf("%d account rows after disconnecting", n)
		}
		if status, _ := e.SandboxUserinfo(t, live); status == http.StatusOK {
			t.Error("the access token still works at the sandbox: its revocation endpoint did not get it")
		}
		req, _ := http.NewRequest(http.MethodGet, e.AppURL+"/api/v1/accounts/"+acc.ID, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /api/v1/accounts/{id} after disconnecting: %d, want 404", res.StatusCode)
		}
	})
	wantNoBrowserProblems(t, problems)
}
