package web_test

// Managing links and accounts at agency scale in a real browser (issue 11,
// "What it must show"): generate a link with a label and a 14-day expiry
// from the dialog; renew an expired link with "Send a new link"; reconnect
// an account through its reconnect link, signed in at the sandbox as the
// right account, and first as the wrong one (refused with 409, the link
// still usable). The invitee works in a browser context of their own, with
// none of the admin's cookies, through the real sandbox provider.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/browser"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// inviteeContext opens a tab in a new browser context of tab's browser: no
// cookies of the admin, as on the invitee's own machine. Its problems go to
// problems.
func inviteeContext(t *testing.T, tab context.Context, problems *browser.Problems) context.Context {
	t.Helper()
	inv, cancel := chromedp.NewContext(tab, chromedp.WithNewBrowserContext(), chromedp.WithListener(problems.Listener))
	t.Cleanup(cancel)
	browserStart(t, inv, "open the invitee's browser context", browserStepTimeout)
	return inv
}

// navStatus is the HTTP status of the document the tab shows.
func navStatus(t *testing.T, tab context.Context) int {
	t.Helper()
	return browserEval[int](t, tab, `performance.getEntriesByType("navigation")[0].responseStatus`)
}

// TestBrowserGenerateWithLabelAnd14Days: the generate dialog's label and
// expiry choice reach the list (the label on the row, the expiry 14 days
// out) and the database (expires_at = created_at + 14 days).
func TestBrowserGenerateWithLabelAnd14Days(t *testing.T) {
	tab, problems, e := newBrowserFlow(t)
	ctx := context.Background()
	m := testutil.Member(t, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
	// An older link, so the list has a row and the header's Generate button.
	if _, err := e.Svc.GenerateLinkWith(ctx, m, access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name}, access.NewLink{Source: "sandbox", Label: "Zeta Corp"}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Hour)
	const label = "Acme Bakery – Google Ads"
	list := e.AppURL + "/w/" + e.F.Reporting.ID + "/sources/access-requests"

	var created time.Time
	browserStep(t, "GenerateFromTheDialog", func(t *testing.T) {
		browserDo(t, tab, "sign in, open the dialog", browserSignedIn(e.AppURL, e.F.Admin.Email,
			chromedp.Navigate(list),
			chromedp.WaitVisible(browserCSS(`[data-testid="links-table"]`)),
			chromedp.Click(browserCSS(`[data-testid="generate-button"]`)),
			chromedp.WaitVisible(browserCSS(`#modal[open] [data-testid="generate-form"]`)),
		)...)
		if got := browserEval[string](t, tab, `document.querySelector('#modal [data-testid="expires-in-days"]').value`); got != "7" {
			t.Errorf("the expiry choice starts at %q days, want 7 (the default)", got)
		}
		options := browserEval[string](t, tab, `Array.prototype.map.call(document.querySelectorAll('#modal [data-testid="expires-in-days"] option'), function (o) { return o.value; }).join(",")`)
		if options != "1,3,7,14,30" {
			t.Errorf("expiry choices %q, want 1,3,7,14,30", options)
		}
		browserDo(t, tab, "pick the sandbox, type the label, choose 14 days, generate",
			chromedp.Click(browserCSS(`#modal label:has([data-testid="source-sandbox"])`)),
			chromedp.SendKeys(browserCSS(`#modal [data-testid="link-label"]`), label),
			chromedp.SetValue(browserCSS(`#modal [data-testid="expires-in-days"]`), "14"),
			chromedp.Click(browserCSS(`#modal [data-testid="generate-submit"]`)),
			chromedp.WaitVisible(browserCSS(`#modal[open] [data-testid="generated"]`)),
		)
		created = e.Clock.Now()
		want := created.Add(14 * 24 * time.Hour).UTC().Format("Jan 2, 2006")
		if got := browserEval[string](t, tab, `document.querySelector('#modal [data-testid="generated-expiry"]').textContent`); !strings.Contains(got, want) {
			t.Errorf("the dialog says %q, want the expiry %s in it", got, want)
		}
		browserDo(t, tab, "close the dialog",
			chromedp.Click(browserCSS(`#modal [data-testid="generated"] button[data-close-modal]`)),
			browser.WaitTrue(`!document.getElementById("modal").open`),
		)
	})

	browserStep(t, "ListRowShowsLabelAndExpiry", func(t *testing.T) {
		browserWait(t, tab, "the new row is at the top",
			`(function () { var l = document.querySelector('#links-body [data-testid="link-row"] [data-testid="link-label"]'); return !!l && l.textContent.trim() === `+browserJSString(label)+`; })()`)
		row := browserEval[map[string]string](t, tab, `(function () {
			var r = document.querySelector('#links-body [data-testid="link-row"]');
			return {id: r.id, expiry: r.querySelector('[data-testid="link-expiry"]').getAttribute("datetime"),
				relative: r.querySelector('[data-testid="link-when-relative"]').textContent.trim(),
				status: r.querySelector('[data-testid="link-status"]').textContent.trim()};
		})()`)
		if row["status"] != "Active" || row["relative"] != "in 14 days" {
			t.Errorf("row %v, want Active, in 14 days", row)
		}
		shown, err := time.Parse(time.RFC3339, row["expiry"])
		if err != nil {
			t.Fatalf("expiry datetime %q: %v", row["expiry"], err)
		}
		if d := shown.Sub(created.Add(14 * 24 * time.Hour)).Abs(); d > time.Minute {
			t.Errorf("the row's expiry %s is %s off 14 days after %s", shown, d, created)
		}

		l := e.Link(t, strings.TrimPrefix(row["id"], "link-"))
		if l.Label != label || l.SourceKey != "sandbox" {
			t.Errorf("database link: label %q source %q", l.Label, l.SourceKey)
		}
		if got := l.ExpiresAt.Sub(l.CreatedAt); got != 14*24*time.Hour {
			t.Errorf("expires_at - created_at = %s, want 336h (14 days)", got)
		}
	})
	wantOnlyExpectedProblems(t, problems)
}

// TestBrowserRenewExpiredLink: an expired link's page offers "Send a new
// link"; it opens the new link, with the same source and label; each page
// links to the other; the new link works (its consent page answers 200 and
// the invitee connects through it).
func TestBrowserRenewExpiredLink(t *testing.T) {
	tab, problems, e := newBrowserFlow(t)
	ctx := context.Background()
	m := testutil.Member(t, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
	const label = "Northwind Outdoor – Sandbox"
	old, err := e.Svc.GenerateLinkWith(ctx, m, access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name},
		access.NewLink{Source: "sandbox", Label: label, ExpiresIn: 3 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(3*24*time.Hour + time.Hour) // an hour past its expiry
	if st := e.LinkStatus(t, old.ID); st != access.StatusExpired {
		t.Fatalf("old link is %s, want expired", st)
	}
	links := e.AppURL + "/w/" + e.F.Reporting.ID + "/sources/access-requests"

	var newID, newURL string
	browserStep(t, "SendANewLink", func(t *testing.T) {
		browserDo(t, tab, "sign in, open the expired link", browserSignedIn(e.AppURL, e.F.Admin.Email,
			chromedp.Navigate(links+"/"+old.ID),
			chromedp.WaitVisible(browserCSS(`[data-testid="link-renew"]`)),
		)...)
		if st := browserEval[string](t, tab, `document.querySelector('[data-testid="link-status"]').textContent.trim()`); st != "Expired" {
			t.Errorf("the old link's page says %q, want Expired", st)
		}
		browserDo(t, tab, "click Send a new link",
			chromedp.Click(browserCSS(`[data-testid="link-renew"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="generated"]`)),
		)
		path := browserEval[string](t, tab, `location.pathname`)
		newID = path[strings.LastIndex(path, "/")+1:]
		if !strings.HasPrefix(path, "/w/"+e.F.Reporting.ID+"/sources/access-requests/") || newID == old.ID {
			t.Fatalf("after renewing the browser is at %s, want the new link's page", path)
		}
		page := browserEval[map[string]string](t, tab, `(function () {
			var q = function (id) { var el = document.querySelector('[data-testid="' + id + '"]'); return el ? el.textContent.trim() : ""; };
			var from = document.querySelector('[data-testid="link-renewed-from"]');
			return {title: document.querySelector('h1').textContent.trim(), status: q("link-status"), label: q("link-label"),
				from: from ? from.getAttribute("href") : "", renew: document.querySelector('[data-testid="link-renew"]') ? "yes" : "",
				url: document.querySelector('[data-testid="generated"] [data-testid="link-url"]').value};
		})()`)
		if page["title"] != "Sandbox link" || page["status"] != "Active" || page["label"] != label || page["renew"] != "" {
			t.Errorf("new link's page %v, want an Active Sandbox link labelled %q, without Send a new link", page, label)
		}
		if !strings.HasSuffix(page["from"], "/"+old.ID) {
			t.Errorf("the new link's page points to %q, want the old link %s", page["from"], old.ID)
		}
		newURL = page["url"]
		if !strings.HasPrefix(newURL, e.AppURL+"/connect/") || newURL == old.URL {
			t.Errorf("new link URL %q", newURL)
		}
	})

	browserStep(t, "TheOldLinkPointsToTheNew", func(t *testing.T) {
		browserDo(t, tab, "follow the link to the earlier link",
			chromedp.Click(browserCSS(`[data-testid="link-renewed-from"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="link-renewed-to"]`)),
		)
		if to := browserEval[string](t, tab, `document.querySelector('[data-testid="link-renewed-to"]').getAttribute("href")`); !strings.HasSuffix(to, "/"+newID) {
			t.Errorf("the old link's page points to %q, want the new link %s", to, newID)
		}
		if browserEval[bool](t, tab, `!!document.querySelector('[data-testid="link-renew"]')`) {
			t.Error("the old link still offers Send a new link after it was renewed")
		}
		oldRow, newRow := e.Link(t, old.ID), e.Link(t, newID)
		if newRow.SourceKey != oldRow.SourceKey || newRow.Label != label || newRow.RenewedFromID == nil || *newRow.RenewedFromID != old.ID ||
			oldRow.RenewedToID == nil || *oldRow.RenewedToID != newID {
			t.Errorf("database: old %s→%v, new %s←%v, sources %s/%s, label %q", old.ID, oldRow.RenewedToID, newID, newRow.RenewedFromID, oldRow.SourceKey, newRow.SourceKey, newRow.Label)
		}
		if got := newRow.ExpiresAt.Sub(newRow.CreatedAt); got != 3*24*time.Hour {
			t.Errorf("new link lives %s, want the old one's 3 days", got)
		}
	})

	browserStep(t, "TheNewLinkWorks", func(t *testing.T) {
		inv := inviteeContext(t, tab, problems)
		browserDo(t, inv, "open the new link",
			chromedp.Navigate(newURL),
			chromedp.WaitVisible(browserCSS(`[data-testid="consent"]`)),
		)
		if st := navStatus(t, inv); st != http.StatusOK {
			t.Errorf("the new link's consent page answered %d, want 200", st)
		}
		browserDo(t, inv, "start, allow at the sandbox: connected", browserAllowAs("sandbox-user-2",
			chromedp.WaitVisible(browserCSS(`[data-testid="connect-success"]`)))...)
		if st := e.LinkStatus(t, newID); st != access.StatusUsed {
			t.Errorf("new link is %s after connecting, want used", st)
		}
	})
	wantOnlyExpectedProblems(t, problems)
}

// reconnectSetup connects sandbox-user-1 through a first link (the
// simulated invitee), marks the account as needing reconnecting, and
// returns the account as stored, and an access token it had.
func reconnectSetup(t *testing.T, e *testutil.FlowEnv) (models.ConnectedAccount, string) {
	t.Helper()
	ctx := context.Background()
	l := e.GenerateLink(t, testutil.SandboxKey)
	if p := e.NewInvitee("owner").Connect(t, l.Token, "sandbox-user-1"); p.Status != http.StatusOK || !p.Has("connect-success") {
		t.Fatalf("connecting in the sandbox: %d\n%s", p.Status, p.Excerpt())
	}
	accs := e.Accounts(t)
	if len(accs) != 1 {
		t.Fatalf("%d accounts, want 1", len(accs))
	}
	live, err := e.Svc.AccessToken(ctx, e.F.Reporting.ID, accs[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The provider stopped accepting it (as a refresh that came back
	// invalid_grant marks it).
	if err := e.DB.Model(&models.ConnectedAccount{}).Where("id = ?", accs[0].ID).Update("status", access.AccountReauthorizationRequired).Error; err != nil {
		t.Fatal(err)
	}
	accs = e.Accounts(t)
	return accs[0], live
}

// getReconnectLink signs the admin in, clicks "Get reconnect link" on the
// account's row and returns the new link's URL from its page.
func getReconnectLink(t *testing.T, tab context.Context, e *testutil.FlowEnv, acc models.ConnectedAccount) string {
	t.Helper()
	browserDo(t, tab, "sign in, open the accounts page", browserSignedIn(e.AppURL, e.F.Admin.Email,
		chromedp.Navigate(e.AppURL+"/w/"+e.F.Reporting.ID+"/sources"),
		chromedp.WaitVisible(browserCSS(`[data-testid="account-row"]`)),
	)...)
	if st := browserEval[string](t, tab, `document.querySelector('[data-testid="account-row"] [data-testid="account-status"]').textContent.trim()`); st != "Needs reconnecting" {
		t.Errorf("account row says %q, want Needs reconnecting", st)
	}
	browserDo(t, tab, "Get reconnect link",
		chromedp.Click(browserCSS(`[data-testid="account-row"] [data-testid="account-reconnect"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="generated"] [data-testid="link-url"]`)),
	)
	if flash := browserEval[string](t, tab, `document.querySelector('[data-testid="flash"]').textContent`); !strings.Contains(flash, "Reconnect link for Acme Ads (demo)") {
		t.Errorf("flash %q, want it to name the account", flash)
	}
	u := browserEval[string](t, tab, `document.querySelector('[data-testid="generated"] [data-testid="link-url"]').value`)
	if !strings.HasPrefix(u, e.AppURL+"/connect/") {
		t.Fatalf("reconnect link %q", u)
	}
	return u
}

// reconnectAs opens the reconnect link in the invitee's tab, checks that
// the consent page names the account, and signs in at the sandbox as
// sandboxUser; it waits for the page of outcome (a data-testid).
func reconnectAs(t *testing.T, inv context.Context, link, sandboxUser, outcome string) {
	t.Helper()
	browserDo(t, inv, "open the reconnect link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(browserCSS(`[data-testid="consent-reconnect"]`)),
	)
	if got := browserEval[string](t, inv, `document.querySelector('[data-testid="consent-reconnect-account"]').textContent`); !strings.Contains(got, "Acme Ads (demo)") {
		t.Errorf("consent page names %q, want the account Acme Ads (demo)", got)
	}
	browserDo(t, inv, "start, sign in at the sandbox as "+sandboxUser, browserAllowAs(sandboxUser,
		chromedp.WaitVisible(browserCSS(`[data-testid="`+outcome+`"]`)))...)
}

// wantReconnected checks that acc was reconnected in place: one account,
// the same ID, new sealed tokens, connected again, and its new access
// token works at the sandbox for the same user.
func wantReconnected(t *testing.T, e *testutil.FlowEnv, before models.ConnectedAccount, oldToken string) {
	t.Helper()
	accs := e.Accounts(t)
	if len(accs) != 1 || accs[0].ID != before.ID {
		t.Fatalf("accounts after reconnecting: %d, first %v; want only %s", len(accs), testutil.Map(accs, func(a models.ConnectedAccount) string { return a.ID }), before.ID)
	}
	a := accs[0]
	if a.ExternalID != "sandbox-user-1" || a.Status != "connected" {
		t.Errorf("account %s: external %s, status %q; want sandbox-user-1, connected (needs_reconnect cleared)", a.ID, a.ExternalID, a.Status)
	}
	if a.AccessTokenSealed == before.AccessTokenSealed || a.RefreshTokenSealed == before.RefreshTokenSealed {
		t.Error("the account's sealed access or refresh token did not change")
	}
	live, err := e.Svc.AccessToken(context.Background(), e.F.Reporting.ID, a.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if live == oldToken {
		t.Error("the account's access token is the one from before the reconnection")
	}
	if status, body := e.SandboxUserinfo(t, live); status != http.StatusOK || !strings.Contains(body, "sandbox-user-1") {
		t.Errorf("the new token at the sandbox's user-info: %d %s", status, body)
	}
}

// TestBrowserReconnectSameAccount: "Get reconnect link" on an account that
// needs reconnecting; the invitee, in a browser of their own, signs in at
// the sandbox as the same user: the account keeps its ID, gets new tokens
// and is connected again.
func TestBrowserReconnectSameAccount(t *testing.T) {
	tab, problems, e := newBrowserFlow(t)
	acc, oldToken := reconnectSetup(t, e)
	codes := e.Sandbox.Tap.Grants("authorization_code")

	var link string
	browserStep(t, "GetReconnectLink", func(t *testing.T) { link = getReconnectLink(t, tab, e, acc) })
	browserStep(t, "ReconnectAsTheSameUser", func(t *testing.T) {
		inv := inviteeContext(t, tab, problems)
		reconnectAs(t, inv, link, "sandbox-user-1", "connect-success")
		if got := e.Sandbox.Tap.Grants("authorization_code"); got != codes+1 {
			t.Errorf("%d code exchanges at the sandbox, want %d", got, codes+1)
		}
		wantReconnected(t, e, acc, oldToken)
	})
	browserStep(t, "AccountsPageShowsItConnected", func(t *testing.T) {
		browserDo(t, tab, "reload the accounts page",
			chromedp.Navigate(e.AppURL+"/w/"+e.F.Reporting.ID+"/sources"),
			chromedp.WaitVisible(browserCSS(`[data-testid="account-row"]`)),
		)
		if n := browserEval[int](t, tab, `document.querySelectorAll('[data-testid="account-row"]').length`); n != 1 {
			t.Errorf("%d account rows, want 1", n)
		}
		if st := browserEval[string](t, tab, `document.querySelector('[data-testid="account-row"] [data-testid="account-status"]').textContent.trim()`); st != "Connected" {
			t.Errorf("account row says %q, want Connected", st)
		}
	})
	wantOnlyExpectedProblems(t, problems)
}

// TestBrowserReconnectWrongAccountThenRight: the invitee first signs in at
// the sandbox as another user: "You signed in as X, but this link is for
// Y" with 409, nothing changes; "Try again" with the right user on the same
// link then reconnects the account.
func TestBrowserReconnectWrongAccountThenRight(t *testing.T) {
	tab, problems, e := newBrowserFlow(t)
	acc, oldToken := reconnectSetup(t, e)

	var link string
	browserStep(t, "GetReconnectLink", func(t *testing.T) { link = getReconnectLink(t, tab, e, acc) })
	inv := inviteeContext(t, tab, problems)
	browserStep(t, "WrongAccountRefused", func(t *testing.T) {
		reconnectAs(t, inv, link, "sandbox-user-2", "connect-error")
		if st := navStatus(t, inv); st != http.StatusConflict {
			t.Errorf("the wrong-account page answered %d, want 409", st)
		}
		body := browserEval[string](t, inv, `document.querySelector('[data-testid="connect-body"]').textContent`)
		for _, want := range []string{"You signed in as Northwind Store (demo)", "but this link is for Acme Ads (demo)"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page says %q, want %q in it", body, want)
			}
		}
		if code := browserEval[string](t, inv, `(document.querySelector('[data-testid="error-code"]') || {}).textContent || ""`); code != access.ReasonWrongAccount {
			t.Errorf("error code %q, want %s", code, access.ReasonWrongAccount)
		}
		accs := e.Accounts(t)
		if len(accs) != 1 || accs[0].ID != acc.ID || accs[0].AccessTokenSealed != acc.AccessTokenSealed || accs[0].Status != access.AccountReauthorizationRequired {
			t.Errorf("after the wrong account: %d accounts, first %+v; want the account unchanged", len(accs), accs)
		}
	})
	browserStep(t, "TheSameLinkWithTheRightAccount", func(t *testing.T) {
		browserDo(t, inv, "Try again: the consent page of the same link",
			chromedp.Click(browserCSS(`[data-testid="retry"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="consent-reconnect"]`)),
		)
		if got := browserEval[string](t, inv, `location.href`); got != link {
			t.Errorf("Try again opened %s, want the reconnect link %s", got, link)
		}
		reconnectAs(t, inv, link, "sandbox-user-1", "connect-success")
		wantReconnected(t, e, acc, oldToken)
	})
	wantOnlyExpectedProblems(t, problems, "status of 409")
}
