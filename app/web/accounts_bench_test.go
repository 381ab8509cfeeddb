package web_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// The connected accounts page must cost the same number of SQL statements
// whatever the number of accounts, and stay fast with 1,000 of them (issue
// 11, item 10). See docs/benchmarks.md.

// insertAccounts bulk-inserts n connected accounts into a workspace, the
// newest at benchNow and one a minute before the other (one in ten sharing
// its predecessor's time, for the cursor's tie-break), over four sources,
// with provider names "Client NNNN", emails and external IDs; one in
// twenty has a workspace name "Agency client NNNN".
func insertAccounts(tb testing.TB, svc *access.Service, rng *rand.Rand, workspaceID string, n int) {
	tb.Helper()
	rows := make([]models.ConnectedAccount, 0, n)
	at := benchNow
	for i := range n {
		if i%10 != 9 {
			at = benchNow.Add(-time.Duration(i) * time.Minute)
		}
		a := models.ConnectedAccount{ID: access.NewID(), WorkspaceID: workspaceID,
			SourceKey:  []string{"google_ads", "sandbox", "shopify", "xero"}[rng.IntN(4)],
			ExternalID: fmt.Sprintf("%d-%06d", rng.IntN(900)+100, i), DisplayName: fmt.Sprintf("Client %04d", i),
			Email: fmt.Sprintf("owner%04d@client%d.example", i, i%37), Scopes: "openid email https://www.googleapis.com/auth/adwords",
			Extra: "{}", Status: "connected", CreatedAt: at, UpdatedAt: at}
		if i%20 == 0 {
			a.LocalName = fmt.Sprintf("Agency client %04d", i)
		}
		rows = append(rows, a)
	}
	batch := 1000
	if testutil.Dialect() != db.Postgres {
		batch = 100
	}
	if err := testutil.DBOf(svc).CreateInBatches(rows, batch).Error; err != nil {
		tb.Fatal(err)
	}
}

func countAccountRows(body string) int { return strings.Count(body, `data-testid="account-row"`) }

// accountVariants are the ways of asking for the accounts page; cursor
// points inside the unfiltered list.
func accountVariants(cursor string) []pageVariant {
	return []pageVariant{
		{name: "first page", query: ""},
		{name: "cursor", query: "?cursor=" + url.QueryEscape(cursor)},
		{name: "load more (htmx rows)", query: "?cursor=" + url.QueryEscape(cursor) + "&fragment=rows", header: []string{"HX-Request", "true"}},
		{name: "q=client", query: "?q=client"},
		{name: "q=example&source=xero", query: "?q=example&source=xero"},
	}
}

// accountsCursor is the cursor after the first pages*PageSize accounts.
func accountsCursor(tb testing.TB, svc *access.Service, workspaceID string, pages int) string {
	tb.Helper()
	cursor := ""
	for range pages {
		p, err := svc.AccountsPage(context.Background(), workspaceID, access.AccountFilter{Cursor: cursor})
		if err != nil || p.NextCursor == "" {
			tb.Fatalf("no page after %s: %v", cursor, err)
		}
		cursor = p.NextCursor
	}
	return cursor
}

// TestAccountsPageStatements pins the SQL statements of the connected
// accounts page, like TestHotPagesStatements for the links page: 4
// (session, membership, the menu's workspaces, the page of accounts) on
// the first page, a cursor page, a search and a search with a source, 3 on
// the htmx "Load more" rows (no menu), with 10 accounts and with 1,000; each variant shows
// more rows with more accounts, so the comparison covers different counts.
func TestAccountsPageStatements(t *testing.T) {
	svc, f := newBenchService(t)
	rng := rand.New(rand.NewPCG(5, 6))
	insertAccounts(t, svc, rng, f.Internal.ID, 200) // another workspace's, left out
	srv := serveCounted(t, svc, f)
	page := srv.URL + "/w/" + f.Reporting.ID + "/sources"
	measure := func(cursor string) []variantCost {
		return srv.measureVariants(t, page, accountVariants(cursor), countAccountRows)
	}
	insertAccounts(t, svc, rng, f.Reporting.ID, 10)
	small, err := svc.AccountsPage(context.Background(), f.Reporting.ID, access.AccountFilter{Limit: 5})
	if err != nil || small.NextCursor == "" {
		t.Fatalf("no cursor after five of ten accounts: %v", err)
	}
	few := measure(small.NextCursor)
	if err := testutil.DBOf(svc).Where("workspace_id = ?", f.Reporting.ID).Delete(&models.ConnectedAccount{}).Error; err != nil {
		t.Fatal(err)
	}
	insertAccounts(t, svc, rng, f.Reporting.ID, 1000)
	many := measure(accountsCursor(t, svc, f.Reporting.ID, 10))

	for i, v := range accountVariants("") {
		if many[i].rows != access.PageSize || few[i].rows >= many[i].rows {
			t.Fatalf("%s: %d rows with 10 accounts, %d with 1,000; want fewer, then a full page of %d", v.name, few[i].rows, many[i].rows, access.PageSize)
		}
		want := int64(4)
		if v.header != nil {
			want = 3 // an htmx fragment has no workspace menu
		}
		if few[i].statements != want || many[i].statements != want {
			t.Errorf("%s: %d SQL statements with 10 accounts, %d with 1,000; want %d", v.name, few[i].statements, many[i].statements, want)
		}
	}
}

// BenchmarkAccountsPage serves the connected accounts page over HTTP as
// the workspace admin with 1,000 accounts in the workspace and 10,000 in
// the database, and reports sql/op.
func BenchmarkAccountsPage(b *testing.B) {
	start := time.Now()
	svc, f := newBenchService(b)
	rng := rand.New(rand.NewPCG(7, 8))
	insertAccounts(b, svc, rng, f.Reporting.ID, 1000)
	for _, id := range otherWorkspaces(b, svc, 9) {
		insertAccounts(b, svc, rng, id, 1000)
	}
	srv := serveAtScale(b, svc, f, "connected_accounts", "10,000 accounts", start)
	page := srv.URL + "/w/" + f.Reporting.ID + "/sources"

	variants := append(accountVariants(accountsCursor(b, svc, f.Reporting.ID, 18)), // 900 in
		pageVariant{name: "q=agency (1 in 20)", query: "?q=agency"},
		pageVariant{name: "q=no match", query: "?q=zebra"})
	srv.runPageVariants(b, page, variants)
}
