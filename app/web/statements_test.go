package web_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
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
	clock := testutil.NewClock(benchNow)
	svc := testutil.NewService(t, testutil.OpenDB(t), clock)
	f := seedFast(t, svc)
	insertLinks(t, svc, rand.New(rand.NewPCG(3, 4)), linkSet{workspaceID: f.Reporting.ID, creators: []string{f.Admin.ID}, n: 120, newest: benchNow, span: 5 * 24 * time.Hour})
	m, err := svc.Membership(ctx, f.Admin.ID, f.Reporting.ID)
	if err != nil {
		t.Fatal(err)
	}
	l, err := svc.GenerateLink(ctx, m, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	counter := countStatements(t, testutil.DBOf(svc))
	srv := testutil.NewServer(t, svc)
	admin := srv.Login(t, f.Admin.Email)
	anon := srv.Client()
	consent := srv.URL + l.URL[strings.Index(l.URL, "/connect/"):]

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
