package web_test

// The links list at agency scale in a real browser (issue 11, items 3 and
// 5): filter by label with the search box (the address keeps the search
// through a status tab and the back button), then check two links, read
// the confirmation that lists them, and delete them.
//
// With LINKS_SCREENSHOTS=<dir> (docs/screenshots) it saves
// links-filtered.png and bulk-delete-confirm.png.

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/browser"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

func TestBrowserLinksFilterAndBulkDelete(t *testing.T) {
	tab, problems := newBrowserTab(t)

	clock := testutil.NewClock(time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second))
	svc, f := testutil.NewSeeded(t, clock)
	ctx := context.Background()
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	owner := testutil.Member(t, svc, f.Owner.ID, f.Reporting.ID)
	made := map[string][]string{}
	var acme []string
	for i, l := range []struct {
		label, source string
		m             *access.Membership
	}{
		{"Acme Bakery – Google Ads", "google_ads", m},
		{"Zeta Corp", "sandbox", owner},
		{"Acme Bakery – Sandbox", "sandbox", m},
		{"", "google_ads", owner},
		{"Acme Bakery – Q3 report", "sandbox", owner},
		{"Zeta Corp – Shopify", "sandbox", m},
	} {
		u := f.Admin
		if l.m == owner {
			u = f.Owner
		}
		link, err := svc.GenerateLinkWith(ctx, l.m, access.Actor{UserID: u.ID, Name: u.Name}, access.NewLink{Source: l.source, Label: l.label})
		if err != nil {
			t.Fatal(err)
		}
		key := "other"
		if strings.HasPrefix(l.label, "Acme") {
			key = "acme"
		}
		made[key] = append(made[key], "link-"+link.ID)
		if key == "acme" {
			acme = append(acme, "link-"+link.ID) // in creation order
		}
		clock.Advance(time.Duration(i+1) * 7 * time.Minute)
	}
	sort.Strings(made["acme"])
	srv := testutil.NewServer(t, svc)
	shot := browserShooter(tab, "LINKS_SCREENSHOTS")
	list := srv.URL + "/w/" + f.Reporting.ID + "/sources/access-requests"
	const rowIDs = `Array.prototype.map.call(document.querySelectorAll('#links-body [data-testid="link-row"]'), function (r) { return r.id; })`
	rows := func(t *testing.T) []string {
		t.Helper()
		got := browserEval[[]string](t, tab, rowIDs)
		sort.Strings(got)
		return got
	}

	browserStep(t, "SignIn", func(t *testing.T) {
		browserDo(t, tab, "sign in", browserSignedIn(srv.URL, f.Admin.Email,
			chromedp.EmulateViewport(1280, 900),
			chromedp.Navigate(list),
			chromedp.WaitVisible(browserCSS(`[data-testid="links-search"]`)),
		)...)
		if n := len(rows(t)); n != 6 {
			t.Fatalf("%d rows, want 6", n)
		}
	})

	browserStep(t, "FilterByLabel", func(t *testing.T) {
		browserDo(t, tab, "search acme, expiring soonest",
			chromedp.SendKeys(browserCSS(`[data-testid="search-input"]`), "acme"),
			chromedp.SetValue(browserCSS(`[data-testid="sort-select"]`), "expires"),
			chromedp.Click(browserCSS(`[data-testid="search-submit"]`)),
			browser.WaitTrue(`location.search.indexOf("q=acme") >= 0 && !!document.querySelector('[data-testid="links-table"]')`),
		)
		if got := rows(t); strings.Join(got, ",") != strings.Join(made["acme"], ",") {
			t.Fatalf("rows %v, want the Acme Bakery links %v", got, made["acme"])
		}
		// Soonest expiry first: the oldest Acme link leads.
		if first := browserEval[string](t, tab, `document.querySelector('#links-body [data-testid="link-row"]').id`); first != acme[0] {
			t.Errorf("first row %s, want the Acme link that expires first, %s", first, acme[0])
		}
		shot(t, "links-filtered.png", false)

		browserDo(t, tab, "the Active tab keeps the search",
			chromedp.Click(browserCSS(`[data-testid="filter-Active"]`)),
			browser.WaitTrue(`!!document.querySelector('[data-testid="filter-Active"][aria-current="page"]') && location.search.indexOf("status=active") >= 0`),
		)
		if loc := browserEval[string](t, tab, `location.search`); !strings.Contains(loc, "q=acme") || !strings.Contains(loc, "sort=expires") {
			t.Errorf("address after the tab = %q, want the search and the order kept", loc)
		}
		if got := rows(t); strings.Join(got, ",") != strings.Join(made["acme"], ",") {
			t.Errorf("Active rows %v, want the Acme Bakery links", got)
		}
		if v := browserEval[string](t, tab, `document.querySelector('[data-testid="search-input"]').value`); v != "acme" {
			t.Errorf("search box = %q after the tab, want acme", v)
		}

		browserDo(t, tab, "back to every status",
			chromedp.NavigateBack(),
			browser.WaitTrue(`location.search.indexOf("status=active") < 0 && location.search.indexOf("q=acme") >= 0`),
		)
	})

	browserStep(t, "BulkDeleteNoneSelected", func(t *testing.T) {
		browserDo(t, tab, "Delete selected with no box ticked",
			chromedp.Navigate(list+"?q=acme"),
			chromedp.WaitVisible(browserCSS(`[data-testid="links-table"]`)),
			chromedp.Click(browserCSS(`[data-testid="delete-selected"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="toast"]`)),
		)
		if text := browserEval[string](t, tab, `document.querySelector('[data-testid="toast"]').textContent`); !strings.Contains(text, "Select the links to delete first") {
			t.Errorf("toast %q, want it to say to select links first", text)
		}
		if role := browserEval[string](t, tab, `document.querySelector('[data-testid="toast"]').getAttribute("role")`); role != "alert" {
			t.Errorf("toast role %q, want alert", role)
		}
		if loc := browserEval[string](t, tab, `location.pathname + location.search`); strings.Contains(loc, "delete-selected") {
			t.Errorf("went to %s, want to stay on the list", loc)
		}
		if n := browserEval[int](t, tab, `document.querySelectorAll('[data-testid="flash"]').length`); n != 0 {
			t.Errorf("%d flash messages, want none (the toast says it)", n)
		}
	})

	browserStep(t, "BulkDelete", func(t *testing.T) {
		browserDo(t, tab, "reload the search, check two links, Delete selected",
			chromedp.Navigate(list+"?q=acme"),
			chromedp.WaitVisible(browserCSS(`[data-testid="links-table"]`)),
			chromedp.Click(browserCSS(`#`+acme[0]+` [data-testid="select-link"]`)),
			chromedp.Click(browserCSS(`#`+acme[1]+` [data-testid="select-link"]`)),
			chromedp.Click(browserCSS(`[data-testid="delete-selected"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="bulk-delete-confirm"]`)),
		)
		items := browserEval[[]string](t, tab, `Array.prototype.map.call(document.querySelectorAll('[data-testid="bulk-delete-item"]'), function (li) { return li.textContent; })`)
		if len(items) != 2 {
			t.Fatalf("the confirmation lists %d links, want 2: %q", len(items), items)
		}
		for _, it := range items {
			if !strings.Contains(it, "Acme Bakery") {
				t.Errorf("confirmation item %q does not name the link's label", it)
			}
		}
		if h := browserEval[string](t, tab, `document.querySelector('h1').textContent`); !strings.Contains(h, "Delete 2 links?") {
			t.Errorf("title %q", h)
		}
		shot(t, "bulk-delete-confirm.png", false)

		browserDo(t, tab, "confirm",
			chromedp.Click(browserCSS(`[data-testid="bulk-delete-submit"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="links-search"]`)),
		)
		if loc := browserEval[string](t, tab, `location.search`); loc != "?q=acme" {
			t.Errorf("back at %q, want the list as it was searched (?q=acme)", loc)
		}
		if got := rows(t); len(got) != 1 || got[0] != acme[2] {
			t.Errorf("rows after deleting two = %v, want only %s", got, acme[2])
		}
		if text := browserEval[string](t, tab, `document.body.textContent`); !strings.Contains(text, "2 links deleted.") {
			t.Error(`no "2 links deleted." message`)
		}
		for _, id := range acme[:2] {
			var deleted int64
			if err := testutil.DBOf(svc).Table("access_links").Where("id = ? AND deleted_at IS NOT NULL", strings.TrimPrefix(id, "link-")).Count(&deleted).Error; err != nil {
				t.Fatal(err)
			}
			if deleted != 1 {
				t.Errorf("%s is not deleted", id)
			}
		}
	})

	wantCleanPages(t, tab, problems)
}
