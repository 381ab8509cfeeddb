package web_test

// On a phone the workspace's pages are tabs in a strip that scrolls
// sideways: the current tab is scrolled into view, and each edge with more
// tabs beyond it fades (data-more-left, data-more-right), so the tabs out
// of sight are not missed (issue found by a UX review: an owner's last two
// tabs were entirely off-screen, with no hint).

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

func TestBrowserNavStripOnPhone(t *testing.T) {
	tab, problems := newBrowserTab(t)
	svc, f := testutil.NewSeeded(t, nil)
	srv := testutil.NewServer(t, svc)
	ws := srv.URL + "/w/" + f.Reporting.ID
	browserDo(t, tab, "sign in as the owner, on a phone", browserSignedIn(srv.URL, f.Owner.Email, chromedp.EmulateViewport(375, 700))...)
	const state = `(function () {
		var n = document.querySelector('.nav-strip'), c = n.querySelector('[aria-current="page"]');
		var nr = n.getBoundingClientRect(), cr = c.getBoundingClientRect();
		return [n.scrollWidth > n.clientWidth, cr.left >= nr.left - 0.5 && cr.right <= nr.right + 0.5, n.hasAttribute('data-more-left'), n.hasAttribute('data-more-right')];
	})()`
	for _, c := range []struct {
		name, path  string
		left, right bool
	}{
		{"FirstTab", "/sources", false, true},
		{"LastTab", "/settings/link-defaults", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			browserDo(t, tab, "open "+c.path, chromedp.Navigate(ws+c.path), chromedp.WaitVisible(browserCSS(`.nav-strip [aria-current="page"]`)))
			got := browserEval[[]bool](t, tab, state)
			if !got[0] {
				t.Fatal("the tabs fit the phone's width: nothing to test (more tabs needed)")
			}
			if !got[1] {
				t.Error("the current tab is not in view")
			}
			if got[2] != c.left || got[3] != c.right {
				t.Errorf("fades left %v right %v, want left %v right %v", got[2], got[3], c.left, c.right)
			}
		})
	}
	wantCleanPages(t, tab, problems)
}
