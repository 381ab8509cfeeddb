package web_test

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestBrowserConsentFormAction (item 10 of issue 7): the consent page's
// CSP has form-action, and Chromium, which applies it to the redirect that
// answers the Start form, still lets the invitee reach a provider on
// another origin and come back connected.
func TestBrowserConsentFormAction(t *testing.T) {
	tab, problems, e := newBrowserFlow(t)
	link := e.GenerateLink(t, testutil.SandboxKey)
	provider, _ := url.Parse(e.Sandbox.Issuer)
	if app, _ := url.Parse(e.AppURL); app.Host == provider.Host {
		t.Fatal("the provider must be on another origin than the app")
	}

	browserDo(t, tab, "open the consent page",
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(browserCSS(`[data-testid="consent"]`)),
	)
	browserDo(t, tab, "start: the provider's page",
		chromedp.Click(browserCSS(`[data-testid="start"]`)),
		chromedp.WaitVisible(browserCSS(`form.consent input[name="account"]`)),
	)
	if got := browserEval[string](t, tab, `location.host`); got != provider.Host {
		t.Fatalf("after Start the browser is at %s, want the provider %s", got, provider.Host)
	}
	browserDo(t, tab, "allow: back, connected",
		chromedp.Click(browserCSS(`[data-testid="account-sandbox-user-2"]`)),
		chromedp.Click(browserCSS(`button[name="action"][value="allow"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="connect-success"]`)),
	)
	wantNoProblems(t, problems)
}
