package web_test

import (
	"context"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jackc/pgx/v5"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// The links list searched by a label prefix at agency scale (issue 11,
// "What it must show"): the statements per request do not grow with the
// links, and the time with 10,000 links is in docs/benchmarks.md.

// benchClients are the forty clients of an agency; the first four share
// the prefix "Acme", so that typing "acme" matches a tenth of the links.
var benchClients = []string{
	"Acme Bakery", "Acme Dental", "Acme Logistics", "Acme Outdoor",
	"Northwind Outdoor", "Globex Finance", "Initech", "Umbrella Pharmacy", "Stark Garden Centre", "Wayne Hardware",
	"Hooli Cloud", "Soylent Foods", "Cyberdyne Robotics", "Tyrell Optics", "Wonka Sweets", "Oceanic Travel",
	"Blue Harbor Hotel", "Green Valley Farm", "Red Rock Climbing", "Silver Lake Yoga", "Golden Gate Dental",
	"Pinecrest Realty", "Maple Street Books", "Riverside Vet Clinic", "Sunrise Bakery Co", "Harbor Lights Cafe",
	"Copper Kettle Brewing", "Lighthouse Insurance", "Evergreen Landscaping", "Summit Physio", "Bright Smile Ortho",
	"Urban Threads", "Coastal Kitchens", "Peak Performance Gym", "Starlight Cinema", "Orchard Cider House",
	"Ironwood Furniture", "Meadow Pet Supplies", "Bayside Auto Repair", "Quartz Jewellers",
}

// benchLabelSuffixes name what a link is for, after the client's name.
var benchLabelSuffixes = []string{"Google Ads", "Shopify", "Q3 report", "Facebook Ads", "Xero"}

// clientLabel is the label of the i-th link of a set: "Acme Bakery –
// Google Ads", the clients in turn.
func clientLabel(i int) string {
	return benchClients[i%len(benchClients)] + " – " + benchLabelSuffixes[(i/len(benchClients))%len(benchLabelSuffixes)]
}

// searchVariants are the label searches of the links list; cursor points
// inside the list searched for "acme".
func searchVariants(cursor string) []pageVariant {
	return []pageVariant{
		{name: "q=acme", query: "?q=acme"},
		{name: "q=acme&status=active", query: "?q=acme&status=active"},
		{name: "q=acme&sort=expires", query: "?q=acme&sort=expires"},
		{name: "q=acme cursor", query: "?q=acme&cursor=" + url.QueryEscape(cursor)},
		{name: "q=acme load more (htmx rows)", query: "?q=acme&cursor=" + url.QueryEscape(cursor) + "&fragment=rows", header: []string{"HX-Request", "true"}},
	}
}

// searchCursor is the cursor after pages pages of the links that match q.
func searchCursor(tb testing.TB, svc *access.Service, workspaceID, q string, limit, pages int) string {
	tb.Helper()
	cursor := ""
	for range pages {
		p, err := svc.ListLinks(context.Background(), workspaceID, access.ListFilter{Q: q, Limit: limit, Cursor: cursor})
		if err != nil {
			tb.Fatal(err)
		}
		if p.NextCursor == "" {
			tb.Fatalf("the list searched for %q ended before %d pages of %d", q, pages, limit)
		}
		cursor = p.NextCursor
	}
	return cursor
}

// TestLinksSearchStatementsConstant fails if the links list searched by a
// label prefix sends more SQL statements with 1,000 labelled links than
// with 10: 4 (session, membership, the menu's workspaces, the list), 3 for
// the htmx rows, whatever the search matches. BenchmarkLinksSearch runs the
// same searches at 10,000 links.
func TestLinksSearchStatementsConstant(t *testing.T) {
	svc, f := newBenchService(t)
	rng := rand.New(rand.NewPCG(11, 12))
	// Another workspace's links, labelled alike: the search leaves them out.
	insertLinks(t, svc, rng, linkSet{workspaceID: f.Internal.ID, creators: []string{f.OtherAdmin.ID}, n: 200, newest: benchNow, span: 90 * 24 * time.Hour, label: clientLabel})
	srv := serveCounted(t, svc, f)
	list := srv.LinksURL(f.Reporting.ID)
	measure := func(cursor string) []variantCost {
		return srv.measureVariants(t, list, searchVariants(cursor), countRows)
	}
	creators := []string{f.Admin.ID, f.Owner.ID}
	// Ten links over the last ten days: the four newest are Acme's.
	insertLinks(t, svc, rng, linkSet{workspaceID: f.Reporting.ID, creators: creators, n: 10, newest: benchNow, span: 10 * 24 * time.Hour, label: clientLabel})
	few := measure(searchCursor(t, svc, f.Reporting.ID, "acme", 2, 1))

	// 990 more: 120 in the last six days, the rest over two years; the
	// cursor is taken one page (50 Acme links) in.
	insertLinks(t, svc, rng,
		linkSet{workspaceID: f.Reporting.ID, creators: creators, n: 120, newest: benchNow.Add(-time.Hour), span: 6 * 24 * time.Hour, label: clientLabel},
		linkSet{workspaceID: f.Reporting.ID, creators: creators, n: 870, newest: benchNow.Add(-7 * 24 * time.Hour), span: 700 * 24 * time.Hour, label: clientLabel})
	many := measure(searchCursor(t, svc, f.Reporting.ID, "acme", access.PageSize, 1))

	for i, v := range searchVariants("") {
		// More rows with more links, or the comparison proves nothing.
		if many[i].rows == 0 || few[i].rows >= many[i].rows {
			t.Fatalf("%s: %d rows with 10 links, %d with 1,000; want more with more links", v.name, few[i].rows, many[i].rows)
		}
		want := int64(4)
		if v.header != nil {
			want = 3 // an htmx fragment has no workspace menu
		}
		if few[i].statements != want || many[i].statements != want {
			t.Errorf("%s: %d SQL statements with 10 links (%d rows), %d with 1,000 (%d rows); want %d",
				v.name, few[i].statements, few[i].rows, many[i].statements, many[i].rows, want)
		} else {
			t.Logf("%s: %d SQL statements for %d rows and for %d rows", v.name, want, few[i].rows, many[i].rows)
		}
	}
}

// BenchmarkLinksSearch serves the links list searched by label over HTTP
// as the workspace admin, with 10,000 labelled links (forty clients) in the
// workspace and 100,000 in the database. It logs the plan of each search's
// list query, notes how many rows the search reads for its page, and
// reports sql/op.
func BenchmarkLinksSearch(b *testing.B) {
	start := time.Now()
	svc, f := newBenchService(b)
	rng := rand.New(rand.NewPCG(13, 14))
	span := 2 * 365 * 24 * time.Hour
	sets := []linkSet{
		// The last week's links, so that ?status=active has some, then two
		// years of them.
		{workspaceID: f.Reporting.ID, creators: []string{f.Admin.ID, f.Owner.ID}, n: 400, newest: benchNow, span: 7 * 24 * time.Hour, label: clientLabel},
		{workspaceID: f.Reporting.ID, creators: []string{f.Admin.ID, f.Owner.ID}, n: 9_600, newest: benchNow.Add(-7 * 24 * time.Hour), span: span, label: clientLabel},
	}
	insertLinks(b, svc, rng, append(sets, otherLinkSets(b, svc, f, span, clientLabel)...)...)
	srv := serveAtScale(b, svc, f, "access_links, users, api_keys", "100,000 labelled links", start)
	list := srv.LinksURL(f.Reporting.ID)

	variants := []pageVariant{
		{name: "q=acme (4 of 40 clients)", query: "?q=acme"},
		{name: "q=acme cursor 500 in", query: "?q=acme&cursor=" + url.QueryEscape(searchCursor(b, svc, f.Reporting.ID, "acme", access.PageSize, 10))},
		{name: "q=acme&status=active", query: "?q=acme&status=active"},
		{name: "q=acme&sort=expires", query: "?q=acme&sort=expires"},
		{name: "sort=expires (no search)", query: "?sort=expires"},
		{name: "q=northwind (1 of 40)", query: "?q=northwind"},
		{name: "q=acme bakery (two words)", query: "?q=" + url.QueryEscape("acme bakery")},
		{name: "q=zebra (no match)", query: "?q=zebra"},
	}
	srv.explainThenRun(b, list, variants, explainSearch, func(v pageVariant) bool { return strings.Contains(v.name, "no match") })
}

// explainSearch logs the plan of a searched list query q (PostgreSQL:
// EXPLAIN ANALYZE with its values, and the generic plan a cached prepared
// statement may switch to; SQLite: EXPLAIN QUERY PLAN) and fails
// if it reads all of access_links rather than the workspace's links.
func explainSearch(b *testing.B, gdb *gorm.DB, name string, q capturedSQL) {
	b.Helper()
	sqlDB := db.SQL(gdb)
	var plan string
	if db.Dialect(gdb) == db.Postgres {
		args := append([]any{pgx.QueryExecModeSimpleProtocol}, q.vars...)
		plan = "-- EXPLAIN (ANALYZE, BUFFERS), custom plan\n" + testutil.PlanLines(b, sqlDB, "EXPLAIN (ANALYZE, BUFFERS) "+q.sql, args...) +
			"\n-- generic plan (plan_cache_mode = force_generic_plan)\n" + testutil.GenericPlan(b, sqlDB, q.sql, q.vars)
	} else {
		plan = testutil.PlanLines(b, sqlDB, "EXPLAIN QUERY PLAN "+q.sql, q.vars...)
	}
	b.Logf("search query (%s):\n%s\n%s", name, gdb.Dialector.Explain(q.sql, q.vars...), plan)
	if strings.Contains(plan, "Seq Scan on access_links") || strings.Contains(plan, "SCAN l\n") || strings.HasSuffix(plan, "SCAN l") {
		b.Errorf("%s: the plan scans the whole access_links table", name)
	}
	for _, m := range bigScan.FindAllStringSubmatch(plan, -1) {
		b.Logf("NOTE %s: %s%s: %s%s rows", name, m[1], m[3], m[2], m[4])
	}
}
