package web_test

// The links list in a real browser with more links than one page holds
// (issue 7, items 19 and 21): "Load more" until every link shows, each
// once; where the focus goes after "Load more", a status tab and a delete;
// a slow delete shows that it is under way.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/browser"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// heldDeletes serves h but holds every DELETE until release is called:
// held receives one value per DELETE that arrived.
type heldDeletes struct {
	held    chan struct{}
	release func()
}

func holdDeletes(t *testing.T, h http.Handler) (*httptest.Server, *heldDeletes) {
	t.Helper()
	gate := make(chan struct{})
	var once sync.Once
	hd := &heldDeletes{held: make(chan struct{}, 8), release: func() { once.Do(func() { close(gate) }) }}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			hd.held <- struct{}{}
			<-gate
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(hd.release) // runs first: nothing stays held at the end
	return ts, hd
}

// TestBrowserLoadMoreFocusAndDelete runs on the database DATABASE_URL
// names, like every test here.
func TestBrowserLoadMoreFocusAndDelete(t *testing.T) {
	tab, problems := newBrowserTab(t)

	svc, f := testutil.NewSeeded(t, nil)
	app := testutil.NewServer(t, svc)
	srv, deletes := holdDeletes(t, app.Web)
	ctx := context.Background()

	// 120 links: the first page and two clicks on "Load more".
	const total = 2*access.PageSize + 20
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	want := make([]string, 0, total)
	for i := 0; i < total; i++ {
		l, err := svc.GenerateLink(ctx, m, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "google_ads")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, "link-"+l.ID)
	}
	sort.Strings(want)

	const rows = `document.querySelectorAll('#links-body [data-testid="link-row"]')`
	browserStep(t, "SignIn", func(t *testing.T) {
		browserDo(t, tab, "sign in", browserSignedIn(srv.URL, f.Admin.Email,
			chromedp.Navigate(srv.URL+"/w/"+f.Reporting.ID+"/sources/access-requests"),
			chromedp.WaitVisible(browserCSS(`[data-testid="links-table"]`)),
		)...)
		if n := browserEval[int](t, tab, rows+`.length`); n != access.PageSize {
			t.Fatalf("%d rows on the first page, want %d", n, access.PageSize)
		}
	})

	browserStep(t, "LoadMoreUntilAll", func(t *testing.T) {
		for click := 1; browserEval[bool](t, tab, `!!document.querySelector('[data-testid="load-more"]')`); click++ {
			if click > 3 {
				t.Fatal(`"Load more" is still there after 3 clicks`)
			}
			before := browserEval[int](t, tab, rows+`.length`)
			browserDo(t, tab, fmt.Sprintf("click Load more (%d)", click),
				chromedp.Evaluate[chromedp.Void](`window.__oldMore = document.querySelector('[data-testid="load-more"]'), true`),
				chromedp.Click(browserCSS(`[data-testid="load-more"]`)),
				browser.WaitTrue(`!document.body.contains(window.__oldMore)`),
			)
			after := browserEval[int](t, tab, rows+`.length`)
			if after <= before {
				t.Fatalf("click %d: %d rows, then %d: Load more added nothing", click, before, after)
			}
			// The focus is in the first new row, not on <body>.
			focus := browserEval[map[string]any](t, tab, `(function () {
				var a = document.activeElement, row = a && a.closest && a.closest('tr');
				var all = Array.prototype.slice.call(`+rows+`);
				return {body: a === document.body || !a, index: row ? all.indexOf(row) : -1, tag: a ? a.tagName : ""};
			})()`)
			if focus["body"] == true {
				t.Fatalf("click %d: the focus fell to <body>", click)
			}
			if idx, _ := focus["index"].(float64); int(idx) != before {
				t.Errorf("click %d: the focus is on %v in row %v, want the first new row (%d)", click, focus["tag"], focus["index"], before)
			}
		}
		got := browserEval[[]string](t, tab, `Array.prototype.map.call(`+rows+`, function (r) { return r.id; })`)
		sort.Strings(got)
		if len(got) != total {
			t.Errorf("%d rows after loading everything, want %d", len(got), total)
		}
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] {
				t.Errorf("row %s shows twice", got[i])
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Error("the rows are not the workspace's links")
		}
	})

	browserStep(t, "SlowDeleteShowsProgressThenFocusMoves", func(t *testing.T) {
		ids := browserEval[[]string](t, tab, `Array.prototype.map.call(`+rows+`, function (r) { return r.id; }).slice(10, 12)`)
		victim, next := ids[0], ids[1]
		del := `#` + victim + ` [data-testid="delete-link"]`
		browserDo(t, tab, "click delete and confirm",
			chromedp.Click(browserCSS(del)),
			chromedp.WaitVisible(browserCSS(`#modal[open] [data-testid="confirm-delete"]`)),
		)
		// The dialog's buttons say what they do, in the page's words.
		if words := browserEval[string](t, tab, `document.querySelector('#modal [data-close-modal]').textContent + "|" + document.querySelector('#modal [data-testid="confirm-delete"]').textContent`); words != "Cancel|Delete link" {
			t.Errorf("the confirmation's buttons say %q, want Cancel|Delete link", words)
		}
		browserDo(t, tab, "confirm", chromedp.Click(browserCSS(`#modal [data-testid="confirm-delete"]`)))
		select {
		case <-deletes.held:
		case <-time.After(browserStepTimeout):
			t.Fatal("the DELETE request never arrived")
		}
		// While the server works: disabled, with a spinner and "Deleting…".
		browserWait(t, tab, "the delete control is disabled", `document.querySelector('`+del+`').hasAttribute("disabled")`)
		busy := browserEval[map[string]bool](t, tab, `(function () {
			var a = document.querySelector('`+del+`');
			var shown = function (el) { return !!el && getComputedStyle(el).display !== "none"; };
			return {
				spinner: shown(a.querySelector('.spinner')),
				deleting: shown(a.querySelector('[data-testid="deleting"]')),
				trash: shown(a.querySelector('svg')) && getComputedStyle(a.querySelector('svg').parentElement).display !== "none",
				clickable: getComputedStyle(a).pointerEvents !== "none"
			};
		})()`)
		if !busy["spinner"] || !busy["deleting"] || busy["trash"] || busy["clickable"] {
			t.Errorf("while deleting: %v, want a spinner and Deleting…, no trash icon, no second click", busy)
		}
		deletes.release()
		browserDo(t, tab, "the row goes", chromedp.WaitNotPresent(browserCSS(`#`+victim)))
		browserWait(t, tab, "the focus settles", `document.activeElement !== document.body`)
		if got := browserEval[string](t, tab, `(function () { var a = document.activeElement; return (a.closest('tr') || {}).id + " " + a.getAttribute("data-testid"); })()`); got != next+" delete-link" {
			t.Errorf("after delete the focus is on %q, want the next row's delete control (%s)", got, next)
		}
	})

	browserStep(t, "StatusTabKeepsFocus", func(t *testing.T) {
		browserDo(t, tab, "choose the Active tab",
			chromedp.Click(browserCSS(`[data-testid="filter-Active"]`)),
			browser.WaitTrue(`!!document.querySelector('[data-testid="filter-Active"][aria-current="page"]')`),
		)
		if got := browserEval[string](t, tab, `document.activeElement === document.body ? "body" : document.activeElement.getAttribute("data-testid")`); got != "filter-Active" {
			t.Errorf("after choosing a tab the focus is on %q, want the tab", got)
		}
	})

	wantCleanPages(t, tab, problems)
}

// TestBrowserFirstLink: from the empty state, the first link brings the
// header's Generate button back with the list (the empty state's button
// was the page's only one), and closing the dialog puts the focus there,
// not on <body>, although the button that opened it is gone.
func TestBrowserFirstLink(t *testing.T) {
	tab, problems := newBrowserTab(t)
	svc, f := testutil.NewSeeded(t, nil)
	srv := testutil.NewServer(t, svc)

	browserDo(t, tab, "sign in and open the empty list", browserSignedIn(srv.URL, f.Admin.Email,
		chromedp.Navigate(srv.URL+"/w/"+f.Reporting.ID+"/sources/access-requests"),
		chromedp.WaitVisible(browserCSS(`[data-testid="links-empty"]`)),
	)...)
	if browserEval[bool](t, tab, `!!document.querySelector('[data-testid="generate-button"]')`) {
		t.Error("the empty page shows the header's Generate button next to the empty state's")
	}
	browserDo(t, tab, "generate the first link",
		chromedp.Click(browserCSS(`[data-testid="generate-first"]`)),
		chromedp.WaitVisible(browserCSS(`#modal[open] [data-testid="generate-form"]`)),
		chromedp.Click(browserCSS(`#modal label:has([data-testid="source-sandbox"])`)),
		chromedp.Click(browserCSS(`#modal [data-testid="generate-submit"]`)),
		chromedp.WaitVisible(browserCSS(`#modal[open] [data-testid="generated"]`)),
		browser.WaitTrue(`document.querySelectorAll('#links-body [data-testid="link-row"]').length === 1`),
		browser.WaitTrue(`!!document.querySelector('#page-actions [data-testid="generate-button"]')`),
		chromedp.Click(browserCSS(`#modal [data-testid="generated"] button[data-close-modal]`)),
		browser.WaitTrue(`!document.getElementById("modal").open`),
	)
	if n := browserEval[int](t, tab, `document.querySelectorAll('[data-testid="generate-button"], [data-testid="generate-first"]').length`); n != 1 {
		t.Errorf("%d Generate buttons after the first link, want 1", n)
	}
	// The dialog's own close button holds the focus until the close
	// handler moves it: wait for it to leave the dialog.
	browserWait(t, tab, "the focus settles", `document.activeElement !== document.body && !document.getElementById("modal").contains(document.activeElement)`)
	if got := browserEval[string](t, tab, `document.activeElement.getAttribute("data-testid") || document.activeElement.tagName`); got != "generate-button" {
		t.Errorf("after closing the dialog the focus is on %q, want the Generate button", got)
	}
	wantNoBrowserProblems(t, problems)
}
