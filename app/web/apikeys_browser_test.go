package web_test

// The API keys page in a real browser (issue 9): create a key, see it
// once and copy it, find it gone on the next visit, revoke it through the
// confirmation page.

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

func TestBrowserAPIKeys(t *testing.T) {
	tab, problems := newBrowserTab(t)
	svc, f := testutil.NewSeeded(t, nil)
	srv := testutil.NewServer(t, svc)
	ctx := context.Background()

	browserAllowClipboard(t, tab, srv.URL)

	browserStep(t, "OpenFromTheMenu", func(t *testing.T) {
		browserDo(t, tab, "sign in and open API keys",
			browserOpenFromMenu(srv.URL, f.Admin.Email, f.Reporting.ID, "/settings/api-keys", "api-keys-empty")...)
	})

	var shown string
	browserStep(t, "CreateShowsTheKeyOnce", func(t *testing.T) {
		browserDo(t, tab, "create a key",
			chromedp.SendKeys(chromedp.ID("api-key-name"), "CRM sync"),
			chromedp.Click(browserCSS(`[data-testid="create-api-key"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="api-key-secret"]`)),
		)
		shown = browserEval[string](t, tab, `document.querySelector('[data-testid="api-key-secret"]').value`)
		if !strings.HasPrefix(shown, access.APIKeyPrefix) {
			t.Fatalf("shown key %q", shown)
		}
		if u := browserEval[string](t, tab, `location.href`); strings.Contains(u, shown) || strings.Contains(u, "?") {
			t.Errorf("the address bar says %q", u)
		}
		browserDo(t, tab, "copy it", chromedp.Click(browserCSS(`[data-testid="api-key-created"] [data-testid="copy-link"]`)))
		browserWait(t, tab, "the button says Copied", `document.querySelector('[data-testid="api-key-created"] [data-testid="copy-link"]').textContent.trim() === "Copied"`)
		if clip := browserEval[string](t, tab, `navigator.clipboard.readText()`, chromedp.EvalAwaitPromise); clip != shown {
			t.Errorf("clipboard holds %q, want the key", clip)
		}
		if _, err := svc.AuthenticateAPIKey(ctx, shown, "198.51.100.4", "crm/1"); err != nil {
			t.Fatalf("the shown key does not work: %v", err)
		}
	})

	browserStep(t, "NotShownAgain", func(t *testing.T) {
		browserDo(t, tab, "open the page again",
			chromedp.Navigate(srv.URL+"/w/"+f.Reporting.ID+"/settings/api-keys"),
			chromedp.WaitVisible(browserCSS(`[data-testid="api-key-row"]`)),
		)
		html := browserEval[string](t, tab, `document.documentElement.outerHTML`)
		if strings.Contains(html, shown) || strings.Contains(html, shown[9:]) {
			t.Error("the key is on the page again")
		}
		if got := browserEval[string](t, tab, `document.querySelector('[data-testid="api-key-last-used"]').textContent`); !strings.Contains(got, "198.51.100.4") {
			t.Errorf("last used says %q, want the address", got)
		}
	})

	browserStep(t, "Revoke", func(t *testing.T) {
		browserDo(t, tab, "revoke with confirmation",
			chromedp.Click(browserCSS(`[data-testid="revoke-api-key"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="revoke-confirm"]`)),
			chromedp.Click(browserCSS(`[data-testid="confirm-revoke"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="flash"]`)),
		)
		if got := browserEval[string](t, tab, `document.querySelector('[data-testid="api-key-status"]').textContent.trim()`); got != "Revoked" {
			t.Errorf("status %q, want Revoked", got)
		}
		if browserEval[bool](t, tab, `!!document.querySelector('[data-testid="revoke-api-key"]')`) {
			t.Error("a revoked key still offers Revoke")
		}
		if _, err := svc.AuthenticateAPIKey(ctx, shown, "198.51.100.4", "crm/1"); access.ErrorCode(err) != access.EUNAUTHORIZED {
			t.Errorf("the revoked key authenticates: %v", err)
		}
	})

	wantCleanPages(t, tab, problems)
}
