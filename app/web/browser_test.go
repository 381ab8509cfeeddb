package web_test

// The end-to-end test in a real browser: headless Chromium drives the real
// HTTP server through sign-in, the generate dialog, the list that refreshes
// itself, copy and delete, and fails on any console error or CSP violation.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/browser"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// browserStepTimeout bounds each wait, so a broken page fails the test
// quickly with the step's name instead of hanging.
const browserStepTimeout = 15 * time.Second

// newBrowserFlow is a browser tab (newBrowserTab) and, beside it, the app
// with a sandbox provider and the fixture (testutil.NewFlowEnv, default
// options).
func newBrowserFlow(t *testing.T) (context.Context, *browser.Problems, *testutil.FlowEnv) {
	t.Helper()
	tab, problems := newBrowserTab(t)
	return tab, problems, testutil.NewFlowEnv(t, testutil.FlowOptions{})
}

// newBrowserTab starts Chromium with a fresh profile and returns a tab
// that records console errors, exceptions and CSP violations. Without
// Chromium the test is skipped locally and fails in CI.
func newBrowserTab(t *testing.T) (context.Context, *browser.Problems) {
	t.Helper()
	if !browser.Available() {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not installed at %s; CI must install it (apt-get install chromium)", browser.ExecPath)
		}
		t.Skipf("chromium is not installed at %s", browser.ExecPath)
	}
	profile := filepath.Join(t.TempDir(), "chromium")
	allocCtx, cancelAlloc := browser.NewAllocator(context.Background(), profile)
	t.Cleanup(cancelAlloc) // runs before TempDir's cleanup: the browser has exited
	problems := &browser.Problems{}
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(problems.Listener))
	t.Cleanup(cancelTab)
	browserStart(t, tab, "start chromium", time.Minute)
	return tab, problems
}

// browserStart runs a new tab's first actions (record CSP violations,
// reduce motion). The first Do starts the browser, or the browser context,
// and ties its life to tab, so it gets no deadline of its own: a timer of
// within bounds it instead. Steps after it get their own timeouts.
func browserStart(t *testing.T, tab context.Context, step string, within time.Duration) {
	t.Helper()
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(tab, browser.RecordCSP(), browser.ReduceMotion()) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	case <-time.After(within):
		t.Fatalf("%s: not done within %v", step, within)
	}
}

// browserDo runs actions with the step timeout and fails the test with the
// step's name.
func browserDo(t *testing.T, tab context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// browserEval evaluates a JavaScript expression in the page.
func browserEval[T any](t *testing.T, tab context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// browserWait waits until a JavaScript expression is true.
func browserWait(t *testing.T, tab context.Context, step, expr string) {
	t.Helper()
	browserDo(t, tab, step, browser.WaitTrue(expr))
}

func browserCSS(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// browserSignIn opens the sign-in page at base and sends the form for
// email, as a person does; then come the caller's actions.
func browserSignIn(base, email string, then ...chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
	return append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/login"),
		chromedp.WaitVisible(browserCSS(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), testutil.Password),
		chromedp.Click(browserCSS(`[data-testid="login-form"] button[type="submit"]`)),
	}, then...)
}

// browserSignedIn is browserSignIn that waits until the page shows the
// signed-in user before then: a navigation sooner would cut the login's
// redirect short.
func browserSignedIn(base, email string, then ...chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
	return browserSignIn(base, email, append([]chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(browserCSS(`[data-testid="user-name"]`)),
	}, then...)...)
}

// browserAllowAs presses Start on a consent page, signs in at the sandbox
// as account (its test ID, such as "sandbox-user-2") and allows; then come
// the caller's actions.
func browserAllowAs(account string, then ...chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
	return append([]chromedp.Action[chromedp.Void]{
		chromedp.Click(browserCSS(`[data-testid="start"]`)),
		chromedp.WaitVisible(browserCSS(`form.consent input[name="account"]`)),
		chromedp.Click(browserCSS(`[data-testid="account-` + account + `"]`)),
		chromedp.Click(browserCSS(`button[name="action"][value="allow"]`)),
	}, then...)
}

// wantCleanPages fails on every CSP violation the page recorded and on
// every console error or exception the browser reported.
func wantCleanPages(t *testing.T, tab context.Context, problems *browser.Problems) {
	t.Helper()
	if v := browserEval[[]string](t, tab, `window.__cspViolations || []`); len(v) > 0 {
		t.Errorf("CSP violations: %v", v)
	}
	wantNoBrowserProblems(t, problems)
}

// wantNoBrowserProblems fails on every console error or exception the
// browser reported.
func wantNoBrowserProblems(t *testing.T, problems *browser.Problems) {
	t.Helper()
	for _, p := range problems.List() {
		t.Errorf("browser reported: %s", p)
	}
}

// wantNoProblems fails on every problem the pages reported.
func wantNoProblems(t *testing.T, problems *browser.Problems) {
	t.Helper()
	wantOnlyExpectedProblems(t, problems)
}

// wantOnlyExpectedProblems fails on every problem the pages reported but
// the answers in expected (substrings, such as "status of 409"). The
// sandbox's pages have an icon of their own: no request for favicon.ico.
func wantOnlyExpectedProblems(t *testing.T, problems *browser.Problems, expected ...string) {
	t.Helper()
next:
	for _, p := range problems.List() {
		for _, e := range expected {
			if strings.Contains(p, e) {
				continue next
			}
		}
		t.Errorf("the pages reported: %s", p)
	}
}

// browserOpenFromMenu signs email in on base, opens the workspace's
// sources page and follows the main menu's link whose href ends in page,
// until the element with the test ID landed shows.
func browserOpenFromMenu(base, email, workspaceID, page, landed string) []chromedp.Action[chromedp.Void] {
	return browserSignedIn(base, email,
		chromedp.Navigate(base+"/w/"+workspaceID+"/sources"),
		chromedp.Click(browserCSS(`nav[aria-label="Main"] a[href$="`+page+`"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="`+landed+`"]`)),
	)
}

// TestBrowserLinksFlow signs in as a workspace admin and manages a link
// the way a person does, with clicks and keystrokes.
func TestBrowserLinksFlow(t *testing.T) {
	tab, problems := newBrowserTab(t)

	svc, f := testutil.NewSeeded(t, nil)
	srv := testutil.NewServer(t, svc)
	ctx := context.Background()

	// An older link, so the new one has a row to go on top of.
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	older, err := svc.GenerateLink(ctx, m, access.Actor{UserID: f.Owner.ID, Name: f.Owner.Name}, "sandbox")
	if err != nil {
		t.Fatal(err)
	}

	// The clipboard works in a headless tab once it is allowed.
	browserAllowClipboard(t, tab, srv.URL)

	browserStep(t, "SignIn", func(t *testing.T) {
		browserDo(t, tab, "open the sign-in page",
			chromedp.Navigate(srv.URL+"/login"),
			chromedp.WaitVisible(browserCSS(`[data-testid="login-form"]`)),
		)
		if v := browserEval[[]string](t, tab, `window.__cspViolations || []`); len(v) > 0 {
			t.Errorf("CSP violations on the sign-in page: %v", v)
		}
		browserDo(t, tab, "sign in",
			chromedp.SendKeys(chromedp.ID("email"), f.Admin.Email),
			chromedp.SendKeys(chromedp.ID("password"), testutil.Password),
			chromedp.Click(browserCSS(`[data-testid="login-form"] button[type="submit"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="user-name"]`)),
		)
		if got := browserEval[string](t, tab, `document.querySelector('[data-testid="user-name"]').textContent`); got != f.Admin.Name {
			t.Fatalf("signed in as %q, want %q", got, f.Admin.Name)
		}
		browserDo(t, tab, "open the links page from the menu",
			chromedp.Click(browserCSS(`nav[aria-label="Main"] a[href$="/sources/access-requests"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="links-table"]`)),
		)
		if n := browserEval[int](t, tab, `document.querySelectorAll('[data-testid="link-row"]').length`); n != 1 {
			t.Fatalf("%d rows before generating, want 1", n)
		}
	})

	browserStep(t, "SearchFiltersSources", func(t *testing.T) {
		browserDo(t, tab, "open the generate dialog",
			chromedp.Click(browserCSS(`[data-testid="generate-button"]`)),
			chromedp.WaitVisible(browserCSS(`#modal[open] [data-testid="generate-form"]`)),
		)
		if focused := browserEval[bool](t, tab, `document.activeElement && document.activeElement.matches("[data-source-search]")`); !focused {
			t.Error("the search box has no focus when the dialog opens")
		}
		// visible lists the keys of the sources the search leaves shown.
		const visible = `Array.from(document.querySelectorAll('#modal [data-source-option]')).filter(function (o) { return o.offsetParent !== null; }).map(function (o) { return o.querySelector('input').value; }).join(" ")`
		all := browserEval[string](t, tab, visible)
		for _, key := range []string{"google_ads", "sandbox"} {
			if !strings.Contains(" "+all+" ", " "+key+" ") {
				t.Fatalf("source %s not listed before searching: %q", key, all)
			}
		}
		// Sources without credentials are not offered at all (issue 7, item 22).
		if strings.Contains(" "+all+" ", " xero ") {
			t.Errorf("xero has no credentials and is listed: %q", all)
		}

		browserDo(t, tab, "search for google", chromedp.SendKeys(browserCSS(`[data-source-search]`), "google"))
		browserWait(t, tab, "the list filters", `!document.querySelector('#modal [data-testid="source-sandbox"]').closest('[data-source-option]').offsetParent`)
		shown := browserEval[string](t, tab, visible)
		if !strings.Contains(shown, "google_ads") || strings.Contains(shown, "sandbox") || strings.Contains(shown, "xero") {
			t.Errorf(`"google" shows %q, want the Google sources only`, shown)
		}
		for _, key := range strings.Fields(shown) {
			if !strings.HasPrefix(key, "google_") {
				t.Errorf(`"google" shows %s`, key)
			}
		}

		browserDo(t, tab, "search for nothing that exists", chromedp.SendKeys(browserCSS(`[data-source-search]`), "zzz"))
		browserWait(t, tab, "the no-match message shows", `document.querySelector('#modal [data-source-none]').offsetParent !== null`)
		if shown := browserEval[string](t, tab, visible); shown != "" {
			t.Errorf(`"googlezzz" shows %q, want nothing`, shown)
		}

		browserDo(t, tab, "erase the search", chromedp.SendKeys(browserCSS(`[data-source-search]`), strings.Repeat(kb.Backspace, len("googlezzz"))))
		browserWait(t, tab, "every source shows again", `document.querySelector('#modal [data-testid="source-sandbox"]').closest('[data-source-option]').offsetParent !== null`)
		if browserEval[bool](t, tab, `document.querySelector('#modal [data-source-none]').offsetParent !== null`) {
			t.Error("the no-match message still shows with an empty search")
		}
	})

	var linkURL, rowID string
	browserStep(t, "Generate", func(t *testing.T) {
		browserDo(t, tab, "pick Google Ads and submit",
			chromedp.SendKeys(browserCSS(`[data-source-search]`), "ads"),
			chromedp.Click(browserCSS(`#modal [data-testid="source-google_ads"]`)),
			chromedp.Click(browserCSS(`#modal [data-testid="generate-submit"]`)),
			chromedp.WaitVisible(browserCSS(`#modal[open] [data-testid="generated"]`)),
		)
		expiry := browserEval[string](t, tab, `document.querySelector('#modal [data-testid="generated-expiry"]').textContent`)
		if !strings.Contains(expiry, "Single use, expires on") {
			t.Errorf("dialog says %q, want it to say Single use, expires on ...", expiry)
		}
		linkURL = browserEval[string](t, tab, `document.querySelector('#modal [data-testid="link-url"]').value`)
		if !strings.HasPrefix(linkURL, testutil.BaseURL+"/connect/") {
			t.Fatalf("generated link %q, want it under %s/connect/", linkURL, testutil.BaseURL)
		}

		// links-changed refreshes the list behind the dialog: the new link
		// is the first row.
		browserWait(t, tab, "the new row appears at the top",
			`(function () { var r = document.querySelector('#links-body [data-testid="link-row"]'); var u = r && r.querySelector('[data-testid="link-url"]'); return !!u && u.value === `+browserJSString(linkURL)+`; })()`)
		first := browserEval[map[string]string](t, tab, `(function () {
			var r = document.querySelector('#links-body [data-testid="link-row"]');
			return {id: r.id, source: r.querySelector('[data-testid="link-source"]').textContent.trim(), status: r.querySelector('[data-testid="link-status"]').textContent.trim(), creator: r.querySelector('[data-testid="link-creator"]').textContent.trim()};
		})()`)
		if first["source"] != "Google Ads" || first["status"] != "Active" || first["creator"] != f.Admin.Name {
			t.Errorf("first row is %v, want an Active Google Ads link by %s", first, f.Admin.Name)
		}
		if n := browserEval[int](t, tab, `document.querySelectorAll('[data-testid="link-row"]').length`); n != 2 {
			t.Errorf("%d rows after generating, want 2", n)
		}
		rowID = first["id"]

		browserDo(t, tab, "close the dialog",
			chromedp.Click(browserCSS(`#modal [data-testid="generated"] button[data-close-modal]`)),
		)
		browserWait(t, tab, "the dialog closes", `!document.getElementById("modal").open`)
	})
	browserStep(t, "Copy", func(t *testing.T) {
		copyBtn := `#` + rowID + ` [data-testid="copy-link"]`
		browserDo(t, tab, "click Copy", chromedp.Click(browserCSS(copyBtn)))
		browserWait(t, tab, "the button says Copied", `document.querySelector('`+copyBtn+`').textContent.trim() === "Copied"`)
		clip := browserEval[string](t, tab, `navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)
		if clip != linkURL {
			t.Errorf("clipboard holds %q, want %q", clip, linkURL)
		}
		browserWait(t, tab, "the label returns to Copy", `document.querySelector('`+copyBtn+`').textContent.trim() === "Copy"`)
	})

	t.Run("Delete", func(t *testing.T) {
		browserDo(t, tab, "click delete",
			chromedp.Click(browserCSS(`#`+rowID+` [data-testid="delete-link"]`)),
			chromedp.WaitVisible(browserCSS(`#modal[open] [data-testid="confirm"]`)),
		)
		question := browserEval[string](t, tab, `document.querySelector('#modal [data-testid="confirm"]').textContent`)
		if !strings.Contains(question, "Google Ads") || !strings.Contains(question, "stay connected") {
			t.Errorf("confirmation says %q", question)
		}
		browserDo(t, tab, "confirm",
			chromedp.Click(browserCSS(`#modal [data-testid="confirm-delete"]`)),
			chromedp.WaitNotPresent(browserCSS(`#`+rowID)),
		)
		browserWait(t, tab, "a toast says connected accounts stay connected",
			`Array.from(document.querySelectorAll('[data-testid="toast"]')).some(function (el) { return el.textContent.indexOf("stay connected") !== -1; })`)
		if n := browserEval[int](t, tab, `document.querySelectorAll('[data-testid="link-row"]').length`); n != 1 {
			t.Errorf("%d rows after deleting, want 1", n)
		}
		if browserEval[bool](t, tab, `document.getElementById("modal").open`) {
			t.Error("the dialog is still open after deleting")
		}

		// The database agrees: the new link is deleted, the older one not.
		page, err := svc.ListLinks(ctx, f.Reporting.ID, access.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Links) != 1 || page.Links[0].ID != older.ID {
			t.Errorf("links left: %+v, want only %s", page.Links, older.ID)
		}
	})

	// No console error, exception or CSP violation on the way.
	wantCleanPages(t, tab, problems)
}

// browserAllowClipboard lets pages of origin read and write the
// clipboard: a headless tab then copies like a person's browser.
func browserAllowClipboard(t *testing.T, tab context.Context, origin string) {
	t.Helper()
	browserDo(t, tab, "allow the clipboard", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: name},
				Setting:    cdpbrowser.PermissionSettingGranted,
				Origin:     origin,
			})
			if err != nil {
				return err
			}
		}
		return nil
	}))
}

// browserShooter is browserShot into the directory that the environment
// variable dirVar names (docs/screenshots, say); unset, it saves nothing.
func browserShooter(tab context.Context, dirVar string) func(t *testing.T, name string, full bool) {
	dir := os.Getenv(dirVar)
	return func(t *testing.T, name string, full bool) {
		t.Helper()
		browserShot(t, tab, dir, name, full)
	}
}

// browserShot saves a screenshot of tab as dir/name (the whole page if
// full), when dir is set (the *_SCREENSHOTS variables of browser tests).
func browserShot(t *testing.T, tab context.Context, dir, name string, full bool) {
	t.Helper()
	if dir == "" {
		return
	}
	capture := chromedp.CaptureScreenshot()
	if full {
		capture = chromedp.FullScreenshot(100)
	}
	buf, err := chromedp.Run(tab, capture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// browserStep runs one step of a flow as a subtest and stops the flow when
// it fails: every step starts where the previous one left the page.
func browserStep(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

// browserJSString quotes s as a JavaScript string literal.
func browserJSString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
