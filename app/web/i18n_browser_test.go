package web_test

// The invitee's languages and time zones in a real browser (issue 12).

import (
	"context"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Australia/Sydney on any machine

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// cdpDo is one DevTools command as a chromedp action.
func cdpDo[P, R any](cmd cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cmd, params)
		return err
	})
}

// TestBrowserGermanConsent: a browser asking for de-DE reads the consent
// page in German, goes through the sandbox and lands on the German success
// page.
func TestBrowserGermanConsent(t *testing.T) {
	tab, problems, e := newBrowserFlow(t)
	link := e.GenerateLink(t, testutil.SandboxKey)

	browserDo(t, tab, "open the consent page in German",
		cdpDo(network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "de-DE,de;q=0.9"}}),
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(browserCSS(`[data-testid="consent"]`)),
	)
	if got := browserEval[string](t, tab, `document.documentElement.lang`); got != "de" {
		t.Fatalf("<html lang=%q>, want de", got)
	}
	for sel, want := range map[string]string{
		`[data-testid="start"]`:           "Starten",
		`[data-testid="consent-scopes"]`:  "Beispielberichte lesen",
		`[data-testid="consent-expires"]`: "läuft in 7 Tagen ab",
		`h1`:                              "bittet um Lesezugriff auf Ihr Sandbox-Konto",
	} {
		if got := browserEval[string](t, tab, `document.querySelector('`+sel+`').textContent`); !strings.Contains(got, want) {
			t.Errorf("%s reads %q, want %q in it", sel, got, want)
		}
	}
	browserDo(t, tab, "start, allow: back, connected", browserAllowAs("sandbox-user-2",
		chromedp.WaitVisible(browserCSS(`[data-testid="connect-success"]`)))...)
	if got := browserEval[string](t, tab, `document.documentElement.lang + " " + document.querySelector('[data-testid="connect-title"]').textContent`); got != "de Verbunden" {
		t.Errorf("success page: %q, want German", got)
	}
	wantNoProblems(t, problems)
}

// TestBrowserLanguageSwitchWithoutJS: with scripts off, the switcher's
// links change the language, and the choice holds on the next visit.
func TestBrowserLanguageSwitchWithoutJS(t *testing.T) {
	tab, _ := newBrowserTab(t)
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link := e.GenerateLink(t, testutil.SandboxKey)

	browserDo(t, tab, "open the consent page, scripts off",
		cdpDo(emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}),
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(browserCSS(`[data-testid="consent"]`)),
	)
	if got := browserEval[string](t, tab, `document.documentElement.lang`); got != "en" {
		t.Fatalf("<html lang=%q>, want en", got)
	}
	browserDo(t, tab, "choose Français",
		chromedp.Click(browserCSS(`[data-testid="language-switcher"] a[data-lang="fr"]`)),
		browserWaitLang("fr"),
	)
	if got := browserEval[string](t, tab, `document.querySelector('[data-testid="start"]').textContent`); !strings.Contains(got, "Commencer") {
		t.Errorf("Start reads %q", got)
	}
	if browserEval[bool](t, tab, `document.querySelector('[data-testid="consent-expiry"]').hasAttribute('data-localized')`) {
		t.Fatal("the time script ran: scripts are not off")
	}
	if got := browserEval[string](t, tab, `document.querySelector('[data-testid="consent-expiry"]').textContent`); !strings.HasSuffix(got, "UTC") {
		t.Errorf("without scripts the expiry is the server's UTC text, got %q", got)
	}
	browserDo(t, tab, "the next visit keeps French",
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(browserCSS(`[data-testid="consent"]`)),
		browserWaitLang("fr"),
	)
}

// browserWaitLang waits for a page in language lang, reading the DOM only
// (scripts may be off).
func browserWaitLang(lang string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitReady(browserCSS(`html[lang="` + lang + `"] [data-testid="consent"]`))
}

// TestBrowserExpiryInSydney: a browser in Australia/Sydney reads the
// expiry in Sydney time; the UTC text stays as its title.
func TestBrowserExpiryInSydney(t *testing.T) {
	tab, problems, e := newBrowserFlow(t)
	link := e.GenerateLink(t, testutil.SandboxKey)
	expires := e.Link(t, link.ID).ExpiresAt

	browserDo(t, tab, "open the consent page in Sydney",
		cdpDo(emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Australia/Sydney"}),
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(browserCSS(`[data-testid="consent"]`)),
	)
	browserWait(t, tab, "the expiry is rewritten", `document.querySelector('[data-testid="consent-expiry"]').hasAttribute('data-localized')`)
	got := browserEval[string](t, tab, `document.querySelector('[data-testid="consent-expiry"]').textContent`)
	syd, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	local := expires.In(syd)
	for _, want := range []string{local.Format("January 2"), local.Format("Monday"), local.Format("3:04"), "GMT+1"} {
		if !strings.Contains(got, want) {
			t.Errorf("expiry reads %q, want %q in it (Sydney: %s)", got, want, local)
		}
	}
	if title := browserEval[string](t, tab, `document.querySelector('[data-testid="consent-expiry"]').title`); !strings.HasSuffix(title, "UTC") || !strings.Contains(title, expires.UTC().Format("15:04")) {
		t.Errorf("title %q, want the UTC text", title)
	}
	if v := browserEval[[]string](t, tab, `window.__cspViolations || []`); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
	wantNoProblems(t, problems)
}
