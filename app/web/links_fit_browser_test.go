package web_test

// The links list keeps every row's controls inside the page at a phone's,
// a tablet's and a laptop's width, with the longest notes a row can have:
// a long label, and a link emailed to a long address (the note under the
// status once pushed the delete button out of the table, and on a phone
// squeezed the source and the link field to nothing).

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

func TestBrowserLinkRowsFit(t *testing.T) {
	tab, problems := newBrowserTab(t)
	svc, f := testutil.NewSeeded(t, nil)
	ctx := context.Background()
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	actor := access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}
	for _, label := range []string{"Supercalifragilisticexpialidocious Holdings International", "Client 2", "Client 3"} {
		if _, err := svc.GenerateLinkWith(ctx, m, actor, access.NewLink{Source: "sandbox", Label: label}); err != nil {
			t.Fatal(err)
		}
	}
	// Two of them emailed (set on the rows: the mail itself is not the point).
	if err := testutil.DBOf(svc).Exec("UPDATE access_links SET recipient_email = ? WHERE label = ?",
		"bartholomew.longname@client-company.example", "Client 3").Error; err != nil {
		t.Fatal(err)
	}
	if err := testutil.DBOf(svc).Exec("UPDATE access_links SET recipient_email = ? WHERE label = ?", "carla@client.example", "Client 2").Error; err != nil {
		t.Fatal(err)
	}
	srv := testutil.NewServer(t, svc)
	list := srv.URL + "/w/" + f.Reporting.ID + "/sources/access-requests"
	browserDo(t, tab, "sign in", browserSignedIn(srv.URL, f.Admin.Email)...)

	// Each row's source, link field, status and delete button lie inside
	// the page and the table's card, and are not squeezed to nothing.
	const misfits = `(function () {
		var out = [], card = document.querySelector('#links-body').closest('.card, .overflow-x-auto, table').getBoundingClientRect();
		var page = document.documentElement.clientWidth;
		document.querySelectorAll('#links-body [data-testid="link-row"]').forEach(function (row) {
			[['source', '.cell-source', 100], ['status', '.cell-status', 50], ['delete', '.cell-actions button, .cell-actions a', 24], ['link', '.cell-link input', 100]].forEach(function (c) {
				var el = row.querySelector(c[1]);
				if (!el) { out.push(row.id + ' ' + c[0] + ' missing'); return; }
				var r = el.getBoundingClientRect();
				if (r.right > Math.min(page, card.right) + 0.5 || r.left < card.left - 0.5) out.push(row.id + ' ' + c[0] + ' outside (' + Math.round(r.left) + '-' + Math.round(r.right) + ' of ' + Math.round(card.left) + '-' + Math.round(Math.min(page, card.right)) + ')');
				if (r.width < c[2]) out.push(row.id + ' ' + c[0] + ' squeezed to ' + Math.round(r.width) + 'px');
			});
		});
		if (document.documentElement.scrollWidth > page) out.push('the page scrolls sideways');
		return out;
	})()`
	for _, size := range [][2]int64{{375, 800}, {768, 900}, {1280, 900}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			browserDo(t, tab, "open the list", chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(list),
				chromedp.WaitVisible(browserCSS(`[data-testid="link-emailed"]`)))
			if n := browserEval[int](t, tab, `document.querySelectorAll('#links-body [data-testid="link-row"]').length`); n != 3 {
				t.Fatalf("%d rows, want 3", n)
			}
			for _, p := range browserEval[[]string](t, tab, misfits) {
				t.Error(p)
			}
		})
	}
	wantCleanPages(t, tab, problems)
}
