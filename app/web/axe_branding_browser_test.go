package web_test

// Accessibility of the branding settings page (issue 12): axe-core reports
// no WCAG 2.2 AA violation on it as an owner first sees it, with a logo
// uploaded, with a refused logo, and with a colour refused for its
// contrast, on a desktop and on a phone. Then the consent page's states
// that TestBrowserInviteeAccessibility does not reach: branded (logo,
// accent colour, privacy and support links) in every language, a
// reconnect link, and the page of a reconnect link signed in to with
// another account.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/views/locale"
)

func TestBrowserBrandingAccessibility(t *testing.T) {
	tab, problems := newBrowserTab(t)
	axe := axeSource(t)
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	f := e.F
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.svg")
	if err := os.WriteFile(logo, []byte(testutil.LogoSVG), 0o600); err != nil {
		t.Fatal(err)
	}
	notImage := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	page := e.AppURL + "/w/" + f.Reporting.ID + "/settings/branding"

	browserDo(t, tab, "sign in as the owner, open Branding", browserSignedIn(e.AppURL, f.Owner.Email,
		chromedp.Navigate(page),
		chromedp.WaitVisible(browserCSS(`[data-testid="logo-form"]`)),
	)...)
	axeCheck(t, tab, axe, "branding, as first seen")

	browserDo(t, tab, "upload a file that is no image", brandingUpload(notImage, "logo-error")...)
	axeCheck(t, tab, axe, "branding, logo refused")

	browserDo(t, tab, "upload the logo", brandingUpload(logo, "current-logo")...)
	browserDo(t, tab, "save a colour and links", brandingSaveAcme()...)
	axeCheck(t, tab, axe, "branding, with a logo, a colour and a history")

	browserDo(t, tab, "try a yellow and a plain-http link",
		chromedp.SetValue(browserCSS(`#accent-color`), "#ffcc00"),
		chromedp.SetValue(browserCSS(`#support-url`), "http://acme.example/support"),
		chromedp.Click(browserCSS(`[data-testid="save-branding"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="accent-color-error"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="support-url-error"]`)),
	)
	axeCheck(t, tab, axe, "branding, colour refused")

	browserDo(t, tab, "a phone's screen",
		cdpDo(emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true}),
		chromedp.Navigate(page), chromedp.WaitVisible(browserCSS(`[data-testid="current-logo"]`)))
	axeCheck(t, tab, axe, "branding on a phone")

	// The branded consent page (the colour saved above, not the refused
	// one), on the phone, in every language.
	for _, tag := range locale.Supported {
		lang := tag.String()
		link := e.GenerateLink(t, testutil.SandboxKey)
		browserDo(t, tab, lang+": branded consent page", chromedp.Navigate(link.URL+"?lang="+lang),
			chromedp.WaitVisible(browserCSS(`html[lang="`+lang+`"] [data-testid="org-logo"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="brand-links"]`)))
		browserWait(t, tab, "the accent colour applies", `getComputedStyle(document.querySelector('[data-testid="start"]')).backgroundColor === "rgb(15, 76, 129)"`)
		axeCheck(t, tab, axe, lang+" branded consent")
	}

	// A reconnect link for sandbox-user-1's account; then signed in to as
	// sandbox-user-2.
	if p := e.NewInvitee("first").Connect(t, e.GenerateLink(t, testutil.SandboxKey).Token, "sandbox-user-1"); !p.Has("connect-success") {
		t.Fatalf("connect: %d\n%s", p.Status, p.Excerpt())
	}
	accounts := e.Accounts(t)
	if len(accounts) != 1 {
		t.Fatalf("%d accounts, want 1", len(accounts))
	}
	admin := testutil.Member(t, e.Svc, f.Admin.ID, f.Reporting.ID)
	rl, err := e.Svc.GenerateReconnectLink(t.Context(), admin, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, accounts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	browserDo(t, tab, "the reconnect link", chromedp.Navigate(rl.URL+"?lang=en"),
		chromedp.WaitVisible(browserCSS(`[data-testid="consent-reconnect"]`)))
	axeCheck(t, tab, axe, "reconnect consent")
	browserDo(t, tab, "sign in as another account", browserAllowAs("sandbox-user-2",
		chromedp.WaitVisible(browserCSS(`[data-testid="error-code"]`)))...)
	if code := browserEval[string](t, tab, `document.querySelector('[data-testid="error-code"]').textContent`); code != access.ReasonWrongAccount {
		t.Fatalf("the page says %q, want %s", code, access.ReasonWrongAccount)
	}
	axeCheck(t, tab, axe, "wrong account")

	for _, p := range problems.List() {
		if strings.Contains(p, "status of 422") || strings.Contains(p, "status of 415") || strings.Contains(p, "status of 400") ||
			strings.Contains(p, "status of 409") {
			continue // the refused logo and colour, and the wrong account, above
		}
		t.Errorf("the pages reported: %s", p)
	}
}
