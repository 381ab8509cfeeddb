package web_test

import (
	"context"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/bench/baresql"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestHotPagesStatements pins the SQL statements of the two hottest pages
// (docs/benchmarks.md): the consent page sends 2 (the link's lookup and the
// history event's upsert, whose collapse check is part of the same
// statement), on a first view, a repeated view and another client's view;
// the links list sends 4 (session, membership, the menu's workspaces, the
// page of links), on the first page and a later one.
func TestHotPagesStatements(t *testing.T) {
	ctx := context.Background()
	svc, f := newBenchService(t)
	insertLinks(t, svc, rand.New(rand.NewPCG(3, 4)), linkSet{workspaceID: f.Reporting.ID, creators: []string{f.Admin.ID}, n: 120, newest: benchNow, span: 5 * 24 * time.Hour})
	l, path := sandboxConsent(t, svc, f)
	srv := serveCounted(t, svc, f)
	counter, admin, anon := srv.counter, srv.admin, srv.Client()
	consent := srv.URL + path

	for _, view := range []struct{ name, agent string }{
		{"first view", "Browser A"}, {"repeated view", "Browser A"}, {"another client", "Browser B"},
	} {
		var body string
		n := counter.during(func() { body = get(t, anon, consent, "User-Agent", view.agent) })
		if !strings.Contains(body, `data-testid="consent`) {
			t.Fatalf("consent page, %s: not the consent page\n%.300s", view.name, body)
		}
		if n != 2 {
			t.Errorf("consent page, %s: %d SQL statements, want 2", view.name, n)
		}
	}
	// The bare program of the benchmark harness sends these statements
	// word for word (app/internal/bench/baresql).
	page0, err := svc.ListLinks(ctx, f.Reporting.ID, access.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		name string
		get  func()
		want []string
	}{
		{"consent page", func() { get(t, anon, consent, "User-Agent", "Browser A") }, []string{baresql.PublicLink, baresql.CollapseEvent}},
		{"links list", func() { get(t, admin, srv.LinksURL(f.Reporting.ID)) }, []string{baresql.Session, baresql.Membership, baresql.Workspaces, baresql.ListFirst}},
		{"links list after a cursor", func() { get(t, admin, srv.LinksURL(f.Reporting.ID)+"?cursor="+page0.NextCursor) },
			[]string{baresql.Session, baresql.Membership, baresql.Workspaces, baresql.ListAfter}},
	} {
		got := counter.sentDuring(v.get)
		for i := range got {
			// On PostgreSQL GORM binds the LIMIT of Take as a parameter
			// (always 1); the bare program writes the 1.
			got[i] = placeholders.ReplaceAllString(boundLimit.ReplaceAllString(got[i], "LIMIT 1"), "?")
		}
		if !slices.Equal(got, v.want) {
			t.Errorf("%s: the app sent\n%s\nbut app/internal/bench/baresql has\n%s", v.name, strings.Join(got, "\n--\n"), strings.Join(v.want, "\n--\n"))
		}
	}
	var views int64
	if err := testutil.DBOf(svc).Raw("SELECT count(*) FROM link_events WHERE link_id = ? AND type = 'opened'", l.ID).Scan(&views).Error; err != nil {
		t.Fatal(err)
	}
	if views != 2 {
		t.Errorf("%d opened events for two clients, want 2 (repeated views collapse)", views)
	}

	page, err := svc.ListLinks(ctx, f.Reporting.ID, access.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ name, query string }{{"first page", ""}, {"cursor page", "?cursor=" + page.NextCursor}} {
		var body string
		n := counter.during(func() { body = get(t, admin, srv.LinksURL(f.Reporting.ID)+v.query) })
		if countRows(body) != access.PageSize {
			t.Fatalf("links list, %s: %d rows, want %d", v.name, countRows(body), access.PageSize)
		}
		if n != 4 {
			t.Errorf("links list, %s: %d SQL statements, want 4", v.name, n)
		}
	}
}

// placeholders are PostgreSQL's bind parameters, $1, $2, ...; boundLimit
// is one as a LIMIT at the end of a statement.
var (
	placeholders = regexp.MustCompile(`\$[0-9]+`)
	boundLimit   = regexp.MustCompile(`LIMIT \$[0-9]+$`)
)
