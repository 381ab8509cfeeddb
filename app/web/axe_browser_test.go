package web_test

// Accessibility of the invitee's pages in a real browser (issue 12):
// axe-core (npm, injected through DevTools, so the page's CSP does not
// apply to it) reports no WCAG 2.2 AA violation on the consent page and
// the pages after it (success, used, declined, denied, expired) in every
// language, and on the error page of a mistyped address; and on a 390 × 844 phone, Start is visible without scrolling.

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/views/locale"
)

// axeTags are the rule sets of WCAG 2.2 level AA (A and AA of 2.0, 2.1
// and 2.2).
const axeTags = `["wcag2a","wcag2aa","wcag21a","wcag21aa","wcag22a","wcag22aa"]`

// axeSource is axe-core's script from node_modules (npm ci installs it).
// Without it the test is skipped locally and fails in CI, as without
// Chromium (newBrowserTab): call newBrowserTab first, so that a machine
// with neither skips for Chromium.
func axeSource(t *testing.T) string {
	t.Helper()
	path := filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is not installed (%v); CI must install it (npm ci)", err)
		}
		t.Skipf("axe-core is not installed at %s (run npm ci to run this test): %v", path, err)
	}
	return string(b)
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeCheck runs axe-core on the page the tab shows and reports each
// violation as an error.
func axeCheck(t *testing.T, tab context.Context, axe, page string) {
	t.Helper()
	_ = browserEval[bool](t, tab, axe+";true")
	out := browserEval[string](t, tab, `axe.run(document, {runOnly: {type: "tag", values: `+axeTags+`}})
		.then(r => JSON.stringify({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))}))`, chromedp.EvalAwaitPromise)
	var res struct {
		Passes     int            `json:"passes"`
		Violations []axeViolation `json:"violations"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%s: axe answered %q: %v", page, out, err)
	}
	// axe checked something: contrast, names, landmarks, language...
	if res.Passes < 5 {
		t.Errorf("%s: axe passed only %d rules: did it run?", page, res.Passes)
	}
	for _, v := range res.Violations {
		t.Errorf("%s: %s (%s, %s): %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, " | "))
	}
}

func TestBrowserInviteeAccessibility(t *testing.T) {
	tab, problems := newBrowserTab(t)
	axe := axeSource(t)
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	type links struct{ consent, decline, connect, deny *testutil.GeneratedLink }
	byLang := map[string]links{}
	for _, tag := range locale.Supported {
		byLang[tag.String()] = links{e.GenerateLink(t, testutil.SandboxKey), e.GenerateLink(t, testutil.SandboxKey),
			e.GenerateLink(t, testutil.SandboxKey), e.GenerateLink(t, testutil.SandboxKey)}
	}
	browserDo(t, tab, "a phone's screen",
		cdpDo(emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true}))
	for _, tag := range locale.Supported {
		lang := tag.String()
		l := byLang[lang]
		at := func(testid string) chromedp.Action[chromedp.Void] {
			return chromedp.WaitVisible(browserCSS(`html[lang="` + lang + `"] [data-testid="` + testid + `"]`))
		}

		// Active: the consent page, Start above the fold, the hidden
		// permissions open too.
		browserDo(t, tab, lang+": consent page", chromedp.Navigate(l.consent.URL+"?lang="+lang), at("consent"))
		if bottom := browserEval[float64](t, tab, `document.querySelector('[data-testid="start"]').getBoundingClientRect().bottom`); bottom > 844 || bottom <= 0 {
			t.Errorf("%s: Start ends at y=%.0f, not within the 844 px of a phone's screen", lang, bottom)
		}
		if scrolled := browserEval[float64](t, tab, `window.scrollY`); scrolled != 0 {
			t.Errorf("%s: the page opened scrolled by %.0f px", lang, scrolled)
		}
		axeCheck(t, tab, axe, lang+" consent")
		summary := `document.querySelector('[data-testid="consent-scopes-more"] summary').innerText.trim()`
		closed := browserEval[string](t, tab, summary)
		browserDo(t, tab, lang+": all permissions", chromedp.Click(browserCSS(`[data-testid="consent-scopes-more"] summary`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="consent-scopes-more"] [data-scope="email"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="consent-scopes-fewer"]`)))
		// Open, the toggle offers to show fewer, in the page's language.
		if open := browserEval[string](t, tab, summary); open == closed || open == "" {
			t.Errorf("%s: the toggle says %q open and %q closed, want it to change", lang, open, closed)
		}
		browserDo(t, tab, lang+": decline form",
			chromedp.Click(browserCSS(`[data-testid="decline-toggle"]`)), chromedp.WaitVisible(browserCSS(`[data-testid="decline-form"]`)))
		axeCheck(t, tab, axe, lang+" consent, all open")

		// Declined.
		browserDo(t, tab, lang+": decline", chromedp.Navigate(l.decline.URL), at("consent"),
			chromedp.Click(browserCSS(`[data-testid="decline-toggle"]`)), chromedp.WaitVisible(browserCSS(`[data-testid="decline"]`)),
			chromedp.Click(browserCSS(`[data-testid="decline"]`)), at("connect-declined"))
		axeCheck(t, tab, axe, lang+" declined")

		// Error: denied at the provider.
		browserDo(t, tab, lang+": deny at the provider", chromedp.Navigate(l.deny.URL), at("consent"),
			chromedp.Click(browserCSS(`[data-testid="start"]`)),
			chromedp.WaitVisible(browserCSS(`form.consent input[name="account"]`)),
			chromedp.Click(browserCSS(`button[name="action"][value="deny"]`)), at("connect-error"))
		axeCheck(t, tab, axe, lang+" denied")

		// Connected, then used.
		browserDo(t, tab, lang+": connect", chromedp.Navigate(l.connect.URL), at("consent"))
		browserDo(t, tab, lang+": connect", browserAllowAs("sandbox-user-2", at("connect-success"))...)
		axeCheck(t, tab, axe, lang+" connected")
		browserDo(t, tab, lang+": the used link", chromedp.Navigate(l.connect.URL), at("connect-used"))
		axeCheck(t, tab, axe, lang+" used")
	}

	// Expired: a week and a day later.
	e.Clock.Advance(access.LinkLifetime + 24*time.Hour)
	for _, tag := range locale.Supported {
		lang := tag.String()
		browserDo(t, tab, lang+": expired", chromedp.Navigate(byLang[lang].consent.URL+"?lang="+lang),
			chromedp.WaitVisible(browserCSS(`html[lang="`+lang+`"] [data-testid="connect-expired"]`)))
		axeCheck(t, tab, axe, lang+" expired")
	}
	// A link cut short: the public error page.
	browserDo(t, tab, "a mistyped address", chromedp.Navigate(e.AppURL+"/connect/"), chromedp.WaitVisible(browserCSS(`[data-testid="error"]`)))
	axeCheck(t, tab, axe, "mistyped address")
	// The used and expired pages answer 410 Gone, the mistyped address 404,
	// as they should.
	wantOnlyExpectedProblems(t, problems, "status of 410 (Gone)", "status of 404 (Not Found)")
}
