package web_test

// Branding in a real browser (issue 12): the owner uploads a logo and
// picks a colour; a colour with too little contrast is refused, naming its
// ratio; the consent page shows the logo and colours Start with it, under
// the page's CSP.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// brandingUpload chooses file in the logo form, uploads it and waits for
// the element with the test ID shown (the current logo, or the refusal).
func brandingUpload(file, shown string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.SetUploadFiles(browserCSS(`#logo`), []string{file}),
		chromedp.Click(browserCSS(`[data-testid="upload-logo"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="` + shown + `"]`)),
	}
}

// brandingSaveAcme saves Acme's dark blue, privacy and support links and
// waits for the branding history.
func brandingSaveAcme() []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(browserCSS(`#accent-color`), "#0f4c81"),
		chromedp.SetValue(browserCSS(`#privacy-url`), "https://acme.example/privacy"),
		chromedp.SetValue(browserCSS(`#support-url`), "https://acme.example/support"),
		chromedp.Click(browserCSS(`[data-testid="save-branding"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="branding-history"]`)),
	}
}

func TestBrowserBranding(t *testing.T) {
	tab, problems, e := newBrowserFlow(t)
	f := e.F
	logo := filepath.Join(t.TempDir(), "logo.svg")
	if err := os.WriteFile(logo, []byte(testutil.LogoSVG), 0o600); err != nil {
		t.Fatal(err)
	}
	page := e.AppURL + "/w/" + f.Reporting.ID + "/settings/branding"
	shots := os.Getenv("BRANDING_SCREENSHOTS") // with a directory: branding*.png and consent-branded*.png

	browserStep(t, "OwnerUploadsLogoAndColour", func(t *testing.T) {
		browserDo(t, tab, "sign in as the owner, open Branding from the menu",
			browserOpenFromMenu(e.AppURL, f.Owner.Email, f.Reporting.ID, "/settings/branding", "logo-form")...)
		browserDo(t, tab, "upload the logo", brandingUpload(logo, "current-logo")...)
		browserDo(t, tab, "save a dark blue",
			chromedp.SetValue(browserCSS(`#accent-color`), "#0f4c81"),
			chromedp.Evaluate[chromedp.Void](`document.body.dataset.beforeSave = "1"`),
			chromedp.Click(browserCSS(`[data-testid="save-branding"]`)),
			// The page before the save has the contrast note too: wait
			// for it on the page the save loads (the old one is marked).
			chromedp.WaitVisible(browserCSS(`body:not([data-before-save]) [data-testid="accent-contrast"]`)),
		)
		if got := browserEval[string](t, tab, `getComputedStyle(document.querySelector('[data-testid="preview-start"]')).backgroundColor`); got != "rgb(15, 76, 129)" {
			t.Errorf("the preview's Start is %s", got)
		}
		if shots != "" {
			browserDo(t, tab, "privacy and support links, for the pictures", brandingSaveAcme()...)
			browserShot(t, tab, shots, "branding.png", true)
		}
	})

	browserStep(t, "LowContrastRefused", func(t *testing.T) {
		browserDo(t, tab, "try a yellow",
			chromedp.SetValue(browserCSS(`#accent-color`), "#ffcc00"),
			chromedp.Click(browserCSS(`[data-testid="save-branding"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="accent-color-error"]`)),
		)
		msg := browserEval[string](t, tab, `document.querySelector('[data-testid="accent-color-error"]').textContent`)
		if !strings.Contains(msg, "1.51:1") || !strings.Contains(msg, "4.5:1") {
			t.Errorf("the refusal says %q", msg)
		}
		if got := browserEval[string](t, tab, `document.querySelector('#accent-color').getAttribute('aria-invalid')`); got != "true" {
			t.Errorf("aria-invalid = %q", got)
		}
		browserDo(t, tab, "reload", chromedp.Navigate(page), chromedp.WaitVisible(browserCSS(`[data-testid="accent-contrast"]`)))
		if got := browserEval[string](t, tab, `document.querySelector('#accent-color').value`); got != "#0f4c81" {
			t.Errorf("the stored colour is %q after the refusal", got)
		}
	})

	browserStep(t, "ConsentPageBranded", func(t *testing.T) {
		link := e.GenerateLink(t, testutil.SandboxKey)
		browserDo(t, tab, "open the consent page",
			chromedp.Navigate(link.URL),
			chromedp.WaitVisible(browserCSS(`[data-testid="consent"]`)),
		)
		browserWait(t, tab, "the logo loaded", `(() => { const i = document.querySelector('[data-testid="org-logo"]'); return !!i && i.complete && i.naturalWidth === 120 })()`)
		if got := browserEval[string](t, tab, `getComputedStyle(document.querySelector('[data-testid="start"]')).backgroundColor`); got != "rgb(15, 76, 129)" {
			t.Errorf("Start is %s, want the accent rgb(15, 76, 129)", got)
		}
		if got := browserEval[string](t, tab, `getComputedStyle(document.querySelector('[data-testid="start"]')).color`); got != "rgb(255, 255, 255)" {
			t.Errorf("Start's text is %s", got)
		}
		if got := browserEval[string](t, tab, `document.querySelector('[data-testid="consent-domain"]').textContent`); got != "test.example" {
			t.Errorf("requester's domain reads %q", got)
		}
		if shots != "" {
			browserShot(t, tab, shots, "consent-branded.png", false)
			browserDo(t, tab, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile), chromedp.Reload(),
				chromedp.WaitVisible(browserCSS(`[data-testid="consent"]`)))
			browserShot(t, tab, shots, "consent-branded-mobile.png", false)
			browserDo(t, tab, "settings on a phone", chromedp.Navigate(page), chromedp.WaitVisible(browserCSS(`[data-testid="logo-form"]`)))
			browserShot(t, tab, shots, "branding-mobile.png", true)
		}
	})
	for _, p := range problems.List() {
		if strings.Contains(p, "status of 422") && strings.Contains(p, "/settings/branding") {
			continue // the refused colour, above
		}
		t.Errorf("the pages reported: %s", p)
	}
}
