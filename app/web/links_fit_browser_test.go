package web_test

// The links list and the connected accounts keep every row's controls
// inside the page at a phone's, a tablet's and a laptop's width, with the
// longest text a row can have: a long label, a link emailed to a long
// address, an account with a long name and email (the note under a link's
// status once pushed its delete button out of the table, and on a phone
// squeezed the source and the link field to nothing; an account's two
// actions side by side pushed Disconnect out of the table). With
// FIT_SCREENSHOTS=<dir> it saves each page at each width.

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

func TestBrowserRowsFit(t *testing.T) {
	tab, problems := newBrowserTab(t)
	svc, f := testutil.NewSeeded(t, nil)
	ctx := context.Background()
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	actor := access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}
	var first *access.Link
	for _, label := range []string{"Supercalifragilisticexpialidocious Holdings International", "Client 2", "Client 3"} {
		l, err := svc.GenerateLinkWith(ctx, m, actor, access.NewLink{Source: "sandbox", Label: label})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = l
		}
	}
	gdb := testutil.DBOf(svc)
	// Two of them emailed (set on the rows: the mail itself is not the point).
	for label, to := range map[string]string{"Client 3": "bartholomew.longname@client-company.example", "Client 2": "carla@client.example"} {
		if err := gdb.Exec("UPDATE access_links SET recipient_email = ? WHERE label = ?", to, label).Error; err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	for i, name := range []string{"Northwind Outdoor Equipment International (Google Ads, EMEA)", "Acme Ads"} {
		acc := models.ConnectedAccount{ID: access.NewID(), WorkspaceID: f.Reporting.ID, SourceKey: "google_ads", ExternalID: fmt.Sprintf("123-456-789%d", i),
			DisplayName: name, Email: "marketing.department.lead@northwind-outdoor-equipment.example", Extra: "{}", Status: "connected",
			Scopes: "openid email https://www.googleapis.com/auth/adwords", CreatedAt: now, UpdatedAt: now}
		if i == 0 { // "link by Adam Admin" under the date
			acc.LinkID = &first.ID
		}
		if err := gdb.Create(&acc).Error; err != nil {
			t.Fatal(err)
		}
	}
	srv := testutil.NewServer(t, svc)
	shot := browserShooter(tab, "FIT_SCREENSHOTS") // to look at them
	browserDo(t, tab, "sign in", browserSignedIn(srv.URL, f.Admin.Email)...)

	for _, page := range []struct {
		name, path, row, wait string
		rows                  int
		cells                 [][3]any // name, selector, least width in pixels
	}{
		{"Links", "/access-requests", "link-row", "link-emailed", 3, [][3]any{
			{"source", ".cell-source", 100}, {"status", ".cell-status", 50},
			{"delete", ".cell-actions button, .cell-actions a", 24}, {"link", ".cell-link input", 100}}},
		{"Accounts", "", "account-row", "account-disconnect", 2, [][3]any{
			{"account", ".cell-account", 100}, {"status", ".cell-status", 50},
			{"reconnect", `[data-testid="account-reconnect"]`, 40}, {"disconnect", `[data-testid="account-disconnect"]`, 40}}},
	} {
		for _, size := range [][2]int64{{375, 800}, {768, 900}, {1280, 900}} {
			t.Run(fmt.Sprintf("%s/%dx%d", page.name, size[0], size[1]), func(t *testing.T) {
				browserDo(t, tab, "open the list", chromedp.EmulateViewport(size[0], size[1]),
					chromedp.Navigate(srv.URL+"/w/"+f.Reporting.ID+"/sources"+page.path),
					chromedp.WaitVisible(browserCSS(`[data-testid="`+page.wait+`"]`)))
				sel := `[data-testid="` + page.row + `"]`
				if n := browserEval[int](t, tab, `document.querySelectorAll('`+sel+`').length`); n != page.rows {
					t.Fatalf("%d rows, want %d", n, page.rows)
				}
				cells, err := json.Marshal(page.cells)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range browserEval[[]string](t, tab, fmt.Sprintf(misfits, sel, cells)) {
					t.Error(p)
				}
				shot(t, fmt.Sprintf("fit-%s-%d.png", page.name, size[0]), true)
			})
		}
	}
	wantCleanPages(t, tab, problems)
}

// misfits lists, for each row (%s, a selector) and each of its cells (%s,
// a JSON list of [name, selector, least width]), a cell that is missing,
// lies outside the table's card or the page, or is narrower than its
// least width; and whether the page scrolls sideways.
const misfits = `(function () {
	var out = [], rows = document.querySelectorAll('%s'), cells = %s;
	var page = document.documentElement.clientWidth;
	rows.forEach(function (row, i) {
		var name = row.id || ('row ' + (i + 1));
		var card = row.closest('.card').getBoundingClientRect(), right = Math.min(page, card.right);
		cells.forEach(function (c) {
			var el = row.querySelector(c[1]);
			if (!el) { out.push(name + ' ' + c[0] + ' missing'); return; }
			var r = el.getBoundingClientRect();
			if (r.right > right + 0.5 || r.left < card.left - 0.5) out.push(name + ' ' + c[0] + ' outside (' + Math.round(r.left) + '-' + Math.round(r.right) + ' of ' + Math.round(card.left) + '-' + Math.round(right) + ')');
			if (r.width < c[2]) out.push(name + ' ' + c[0] + ' squeezed to ' + Math.round(r.width) + 'px');
		});
	});
	if (document.documentElement.scrollWidth > page) out.push('the page scrolls sideways');
	return out;
})()`
