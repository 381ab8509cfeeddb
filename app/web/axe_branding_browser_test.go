package web_test

// Accessibility of the branding settings page (issue 12): axe-core reports
// no WCAG 2.2 AA violation on it as an owner first sees it, with a logo
// uploaded, with a refused logo, and with a colour refused for its
// contrast, on a desktop and on a phone.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

func TestBrowserBrandingAccessibility(t *testing.T) {
	axe := axeSource(t)
	tab, problems := newBrowserTab(t)
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

	browserDo(t, tab, "sign in as the owner, open Branding", browserSignIn(e.AppURL, f.Owner.Email,
		chromedp.WaitVisible(browserCSS(`[data-testid="user-name"]`)),
		chromedp.Navigate(page),
		chromedp.WaitVisible(browserCSS(`[data-testid="logo-form"]`)),
	)...)
	axeCheck(t, tab, axe, "branding, as first seen")

	browserDo(t, tab, "upload a file that is no image",
		chromedp.SetUploadFiles(browserCSS(`#logo`), []string{notImage}),
		chromedp.Click(browserCSS(`[data-testid="upload-logo"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="logo-error"]`)),
	)
	axeCheck(t, tab, axe, "branding, logo refused")

	browserDo(t, tab, "upload the logo",
		chromedp.SetUploadFiles(browserCSS(`#logo`), []string{logo}),
		chromedp.Click(browserCSS(`[data-testid="upload-logo"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="current-logo"]`)),
	)
	browserDo(t, tab, "save a colour and links",
		chromedp.SetValue(browserCSS(`#accent-color`), "#0f4c81"),
		chromedp.SetValue(browserCSS(`#privacy-url`), "https://acme.example/privacy"),
		chromedp.SetValue(browserCSS(`#support-url`), "https://acme.example/support"),
		chromedp.Click(browserCSS(`[data-testid="save-branding"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="branding-history"]`)),
	)
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

	for _, p := range problems.List() {
		if strings.Contains(p, "status of 422") || strings.Contains(p, "status of 415") || strings.Contains(p, "status of 400") {
			continue // the refused logo and colour, above
		}
		t.Errorf("the pages reported: %s", p)
	}
}
