package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestBrowserSupportConsole signs in as support staff in Chromium, pastes a
// customer's link into the console, loads more results with htmx, opens a
// link and reads its history: no console error and no CSP violation on the
// way (icons are inline SVG, nothing uses an inline style or script).
//
// With SUPPORT_SCREENSHOTS=<dir> it also saves support-search.png,
// support-link.png and support-link-mobile.png there.
func TestBrowserSupportConsole(t *testing.T) {
	tab, problems := newBrowserTab(t)
	clock := testutil.NewClock(testNow)
	svc, f := testutil.NewSeeded(t, clock)
	ctx := context.Background()
	// 55 older links, so that a search fills a page and offers Load more.
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	for range 55 {
		if _, err := svc.GenerateLink(ctx, m, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "sandbox"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	w := testutil.WalkLinkHistory(t, svc, clock, f)
	clock.Advance(2 * time.Hour)
	srv := testutil.NewServer(t, svc)
	shot := browserShooter(tab, "SUPPORT_SCREENSHOTS")
	rows := `document.querySelectorAll('[data-testid="support-row"]').length`

	browserStep(t, "SignIn", func(t *testing.T) {
		browserDo(t, tab, "sign in", browserSignIn(srv.URL, f.Support.Email,
			chromedp.WaitVisible(browserCSS(`[data-testid="support-search"]`)),
		)...)
	})

	browserStep(t, "PasteLink", func(t *testing.T) {
		browserDo(t, tab, "paste the link and search",
			chromedp.SendKeys(browserCSS(`[data-testid="support-q"]`), w.Link.URL),
			chromedp.Click(browserCSS(`[data-testid="support-submit"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="support-notice"]`)),
		)
		if n := browserEval[int](t, tab, rows); n != 1 {
			t.Fatalf("%d rows, want the pasted link's", n)
		}
		loc := browserEval[string](t, tab, `location.href`)
		html := browserEval[string](t, tab, `document.documentElement.outerHTML`)
		if strings.Contains(loc, w.Token) || strings.Contains(html, w.Token) {
			t.Error("the token is in the address bar or the page")
		}
	})

	browserStep(t, "LoadMore", func(t *testing.T) {
		browserDo(t, tab, "search the workspace",
			chromedp.Navigate(srv.URL+supportLinks),
			chromedp.WaitVisible(browserCSS(`[data-testid="support-q"]`)),
			chromedp.SendKeys(browserCSS(`[data-testid="support-q"]`), "Client rep"),
			chromedp.Click(browserCSS(`[data-testid="support-submit"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="support-load-more"]`)),
		)
		if n := browserEval[int](t, tab, rows); n != access.PageSize {
			t.Fatalf("%d rows, want %d", n, access.PageSize)
		}
		shot(t, "support-search.png", false)
		browserDo(t, tab, "load more", chromedp.Click(browserCSS(`[data-testid="support-load-more"]`)))
		browserWait(t, tab, "the next rows arrive", rows+` === 56`)
		if browserEval[bool](t, tab, `!!document.querySelector('[data-testid="support-load-more"]')`) {
			t.Error("Load more still shown on the last page")
		}
	})

	browserStep(t, "History", func(t *testing.T) {
		browserDo(t, tab, "open the link",
			chromedp.Navigate(srv.URL+supportLinks+"?q="+w.Link.ID),
			chromedp.WaitVisible(browserCSS(`[data-testid="support-link"]`)),
			chromedp.Click(browserCSS(`[data-testid="support-link"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="timeline"]`)),
		)
		n := browserEval[int](t, tab, `document.querySelectorAll('[data-testid="event"]').length`)
		if n != len(w.Events)+1 {
			t.Errorf("%d timeline entries, want %d", n, len(w.Events)+1)
		}
		shot(t, "support-link.png", true)
		browserDo(t, tab, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile))
		if over := browserEval[bool](t, tab, `document.documentElement.scrollWidth > document.documentElement.clientWidth`); over {
			t.Error("the link page scrolls sideways on a phone")
		}
		shot(t, "support-link-mobile.png", true)
	})

	wantCleanPages(t, tab, problems)
}
