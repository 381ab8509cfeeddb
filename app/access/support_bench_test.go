package access_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// BenchmarkSupportSearch runs every kind of support search over 100,000
// links and 1,000,000 events, reports ns/op per kind, logs each query's
// plan (EXPLAIN ANALYZE on PostgreSQL, custom and generic; EXPLAIN QUERY
// PLAN on SQLite) and fails if a plan reads access_links or link_events
// without an index, or walks an index over a tenth of the table and drops
// what it read. See docs/support-benchmark.md.
//
//	go test -run '^$' -bench BenchmarkSupportSearch -benchtime 200x ./app/access/
//	DATABASE_URL=postgres://... go test -run '^$' -bench BenchmarkSupportSearch -benchtime 200x ./app/access/
func BenchmarkSupportSearch(b *testing.B) {
	start := time.Now()
	clock := testutil.NewClock(supportBenchNow)
	svc, f := testutil.NewSeeded(b, clock)
	ctx := context.Background()
	bulkSupportData(b, svc.DB())
	// One link made the real way, so that a real token can be pasted.
	m := testutil.Member(b, svc, f.Admin.ID, f.Reporting.ID)
	real, err := svc.GenerateLink(ctx, m, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "google_ads")
	if err != nil {
		b.Fatal(err)
	}
	if db.Dialect(svc.DB()) == db.Postgres {
		// What autovacuum would have done by now on a live database.
		if err := svc.DB().Exec("ANALYZE").Error; err != nil {
			b.Fatal(err)
		}
	}
	var links, events int64
	svc.DB().Table("access_links").Count(&links)
	svc.DB().Table("link_events").Count(&events)
	if links < 100_000 || events < 1_000_000 {
		b.Fatalf("%d links and %d events, want 100,000 and 1,000,000", links, events)
	}
	b.Logf("%s: %d links and %d events ready in %v", db.Dialect(svc.DB()), links, events, time.Since(start).Round(time.Millisecond))

	var someID string
	if err := svc.DB().Raw("SELECT id FROM access_links ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 50000").Scan(&someID).Error; err != nil || someID == "" {
		b.Fatalf("pick a link: %q, %v", someID, err)
	}
	first, err := svc.SearchLinks(ctx, access.SupportQuery{Source: "shopify"})
	if err != nil || first.NextCursor == "" {
		b.Fatalf("first page: %v", err)
	}
	yearAgo := supportBenchNow.Add(-365 * 24 * time.Hour)

	type variant struct {
		name string
		run  func() (int, error) // returns the rows found
	}
	search := func(q access.SupportQuery) func() (int, error) {
		return func() (int, error) {
			p, err := svc.SearchLinks(ctx, q)
			if err != nil {
				return 0, err
			}
			return len(p.Links), nil
		}
	}
	variants := []variant{
		{"token_url", search(access.SupportQuery{Q: real.URL})},
		{"link_id", search(access.SupportQuery{Q: someID})},
		{"org_name", search(access.SupportQuery{Q: "company 0042"})},
		{"org_name_broad", search(access.SupportQuery{Q: "Company 00"})},
		{"workspace_name", search(access.SupportQuery{Q: "team 01234"})},
		{"creator_email", search(access.SupportQuery{Q: "Creator0042@Bench.Example"})},
		{"source", search(access.SupportQuery{Source: "shopify"})},
		{"source_page2", search(access.SupportQuery{Source: "shopify", Cursor: first.NextCursor})},
		{"status_active", search(access.SupportQuery{Status: access.StatusActive})},
		{"status_used", search(access.SupportQuery{Status: access.StatusUsed})},
		{"status_expired", search(access.SupportQuery{Status: access.StatusExpired})},
		{"status_deleted", search(access.SupportQuery{Status: access.StatusDeleted})},
		{"date_range", search(access.SupportQuery{From: yearAgo, To: yearAgo.Add(7 * 24 * time.Hour)})},
		{"org_name_and_status", search(access.SupportQuery{Q: "company 0042", Status: access.StatusUsed})},
		{"history_events", func() (int, error) {
			ev, err := svc.Events(ctx, someID)
			return len(ev), err
		}},
	}

	capture := captureSQL(b, svc.DB())
	for _, v := range variants {
		capture.reset()
		n, err := v.run()
		if err != nil {
			b.Fatalf("%s: %v", v.name, err)
		}
		if n == 0 {
			b.Fatalf("%s: nothing found; the data set does not exercise it", v.name)
		}
		// Every statement of the search: a name search sends two.
		for i, st := range capture.all(b) {
			name := v.name
			if i > 0 {
				name = fmt.Sprintf("%s, statement %d", v.name, i+1)
			}
			explainSupport(b, svc.DB(), name, n, st.sql, st.vars)
		}
	}

	capture.stop()

	b.Run(db.Dialect(svc.DB()), func(b *testing.B) {
		for _, v := range variants {
			b.Run(v.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := v.run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// supportBenchNow is the clock of the data set: links are spread over the
// two years before it.
var supportBenchNow = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// bulkSupportData inserts, in a few statements: 1,000 organizations
// ("Company 0000", ...) with two workspaces each ("Team 00000", ...), 1,000
// creators (creator0000@bench.example, ...), 100,000 links spread over them,
// four sources and two years (about 45% used, 5% deleted, the last week's
// unused ones active), and ten events per link.
func bulkSupportData(b *testing.B, gdb *gorm.DB) {
	b.Helper()
	var stmts []string
	if db.Dialect(gdb) == db.Postgres {
		stmts = []string{
			`INSERT INTO organizations (id, name, plan, created_at)
			SELECT 'org-' || lpad(i::text, 5, '0'), 'Company ' || lpad(i::text, 4, '0'),
				(ARRAY['pro','agency','enterprise','active','free'])[1 + i % 5], '2024-01-01 00:00:00+00'
			FROM generate_series(0, 999) AS i`,
			`INSERT INTO workspaces (id, organization_id, name, created_at)
			SELECT 'ws-' || lpad(j::text, 5, '0'), 'org-' || lpad((j / 2)::text, 5, '0'), 'Team ' || lpad(j::text, 5, '0'), '2024-01-01 00:00:00+00'
			FROM generate_series(0, 1999) AS j`,
			`INSERT INTO users (id, email, name, password_hash, created_at)
			SELECT 'usr-' || lpad(i::text, 5, '0'), 'creator' || lpad(i::text, 4, '0') || '@bench.example', 'Creator ' || i, 'x', '2024-01-01 00:00:00+00'
			FROM generate_series(0, 999) AS i`,
			`INSERT INTO access_links (id, workspace_id, source_key, token_hash, token_sealed, created_by, created_at, expires_at, used_at, deleted_at, deleted_by)
			SELECT gen_random_uuid()::text, 'ws-' || lpad(((i * 7919) % 2000)::text, 5, '0'),
				(ARRAY['google_ads','sandbox','shopify','xero'])[1 + (i / 7) % 4], 'bench-' || i, 'x', c.creator, c.created,
				c.created + interval '7 days',
				CASE WHEN i % 100 BETWEEN 5 AND 49 THEN c.created + interval '1 hour' END,
				CASE WHEN i % 100 < 5 THEN c.created + interval '2 hours' END,
				CASE WHEN i % 100 < 5 THEN c.creator END
			FROM generate_series(0, 99999) AS i,
				LATERAL (SELECT 'usr-' || lpad(((i * 729) % 1000)::text, 5, '0') AS creator,
					timestamptz '2026-03-01 10:00:00+00' - make_interval(secs => i * 631) AS created) AS c`,
			`INSERT INTO link_events (id, link_id, workspace_id, type, actor, ip, user_agent, detail, created_at)
			SELECT gen_random_uuid()::text, l.id, l.workspace_id,
				(ARRAY['created','opened','started','provider_error','opened','started','declined','opened','started','connected'])[k],
				'invitee', '198.51.100.' || k, 'Mozilla/5.0 (bench)', '{}', l.created_at + make_interval(mins => k)
			FROM access_links l CROSS JOIN generate_series(1, 10) AS k`,
		}
	} else {
		// SQLite stores times as text ("2006-01-02 15:04:05+00:00" for whole
		// seconds, as the driver writes them); strftime writes the same.
		const at = `strftime('%Y-%m-%d %H:%M:%S', '2026-03-01 10:00:00', printf('%+d seconds', `
		const uuid = `lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-a' || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))`
		stmts = []string{
			`INSERT INTO organizations (id, name, plan, created_at)
			WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 999)
			SELECT printf('org-%05d', i), printf('Company %04d', i),
				CASE i % 5 WHEN 0 THEN 'pro' WHEN 1 THEN 'agency' WHEN 2 THEN 'enterprise' WHEN 3 THEN 'active' ELSE 'free' END, '2024-01-01 00:00:00+00:00'
			FROM s`,
			`INSERT INTO workspaces (id, organization_id, name, created_at)
			WITH RECURSIVE s(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM s WHERE j < 1999)
			SELECT printf('ws-%05d', j), printf('org-%05d', j / 2), printf('Team %05d', j), '2024-01-01 00:00:00+00:00' FROM s`,
			`INSERT INTO users (id, email, name, password_hash, created_at)
			WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 999)
			SELECT printf('usr-%05d', i), printf('creator%04d@bench.example', i), 'Creator ' || i, 'x', '2024-01-01 00:00:00+00:00' FROM s`,
			`INSERT INTO access_links (id, workspace_id, source_key, token_hash, token_sealed, created_by, created_at, expires_at, used_at, deleted_at, deleted_by)
			WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 99999)
			SELECT ` + uuid + `, printf('ws-%05d', (i * 7919) % 2000),
				CASE (i / 7) % 4 WHEN 0 THEN 'google_ads' WHEN 1 THEN 'sandbox' WHEN 2 THEN 'shopify' ELSE 'xero' END,
				'bench-' || i, 'x', printf('usr-%05d', (i * 729) % 1000),
				` + at + `-i * 631)) || '+00:00',
				` + at + `-i * 631 + 7 * 86400)) || '+00:00',
				CASE WHEN i % 100 BETWEEN 5 AND 49 THEN ` + at + `-i * 631 + 3600)) || '+00:00' END,
				CASE WHEN i % 100 < 5 THEN ` + at + `-i * 631 + 7200)) || '+00:00' END,
				CASE WHEN i % 100 < 5 THEN printf('usr-%05d', (i * 729) % 1000) END
			FROM s`,
			`INSERT INTO link_events (id, link_id, workspace_id, type, actor, ip, user_agent, detail, created_at)
			WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 10)
			SELECT ` + uuid + `, l.id, l.workspace_id,
				CASE k.n WHEN 1 THEN 'created' WHEN 4 THEN 'provider_error' WHEN 7 THEN 'declined' WHEN 10 THEN 'connected'
					WHEN 2 THEN 'opened' WHEN 5 THEN 'opened' WHEN 8 THEN 'opened' ELSE 'started' END,
				'invitee', '198.51.100.' || k.n, 'Mozilla/5.0 (bench)', '{}',
				strftime('%Y-%m-%d %H:%M:%S', substr(l.created_at, 1, 19), printf('+%d minutes', k.n)) || '+00:00'
			FROM access_links l, k`,
		}
	}
	for _, s := range stmts {
		t0 := time.Now()
		res := gdb.Exec(s)
		if res.Error != nil {
			b.Fatalf("bulk insert: %v\n%s", res.Error, s)
		}
		b.Logf("inserted %d rows in %v: %.60s…", res.RowsAffected, time.Since(t0).Round(time.Millisecond), strings.Join(strings.Fields(s), " "))
	}
}

// sqlCapture keeps the statements a *gorm.DB sent, with their values.
type sqlCapture struct {
	mu      sync.Mutex
	stmts   []capturedStmt
	stopped bool
}

type capturedStmt struct {
	sql  string
	vars []any
}

func captureSQL(b *testing.B, gdb *gorm.DB) *sqlCapture {
	b.Helper()
	c := &sqlCapture{}
	keep := func(tx *gorm.DB) {
		if tx.DryRun || tx.Statement.SQL.Len() == 0 { // subqueries are rendered in dry runs
			return
		}
		c.mu.Lock()
		if !c.stopped {
			c.stmts = append(c.stmts, capturedStmt{tx.Statement.SQL.String(), append([]any(nil), tx.Statement.Vars...)})
		}
		c.mu.Unlock()
	}
	testutil.AfterStatements(b, gdb, "bench:capture", false, keep)
	return c
}

// stop ends the capture, so the timed loops keep nothing.
func (c *sqlCapture) stop() {
	c.mu.Lock()
	c.stopped, c.stmts = true, nil
	c.mu.Unlock()
}

func (c *sqlCapture) reset() {
	c.mu.Lock()
	c.stmts = nil
	c.mu.Unlock()
}

func (c *sqlCapture) all(b *testing.B) []capturedStmt {
	b.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stmts) == 0 {
		b.Fatal("no statement captured")
	}
	return append([]capturedStmt(nil), c.stmts...)
}

// sqliteScan is a SQLite plan line that reads a table in full. "SCAN l
// USING INDEX ..." walks an index in order and stops at the page's end;
// "SCAN l" alone reads every row.
var sqliteScan = regexp.MustCompile(`^SCAN (l|access_links|link_events)$`)

// removedRows finds, in a PostgreSQL plan, the rows a node read and then
// dropped.
var removedRows = regexp.MustCompile(`Rows Removed by (?:Join )?Filter: (\d+)`)

// fullScan reports whether a plan line reads all of access_links or
// link_events without an index.
func fullScan(line string) bool {
	line = strings.TrimSpace(line)
	return strings.Contains(line, "Seq Scan on access_links") || strings.Contains(line, "Seq Scan on link_events") ||
		sqliteScan.MatchString(line)
}

// explainSupport logs the plan of one variant's statement and fails if it
// reads access_links or link_events without an index.
func explainSupport(b *testing.B, gdb *gorm.DB, name string, rows int, query string, vars []any) {
	b.Helper()
	sqlDB := db.SQL(gdb)
	var plans []string
	if db.Dialect(gdb) == db.Postgres {
		// EXPLAIN is a utility statement: PostgreSQL reports no parameters
		// for it, so pgx must send the values inline (simple protocol).
		args := append([]any{pgx.QueryExecModeSimpleProtocol}, vars...)
		plans = append(plans, "-- custom plan: EXPLAIN (ANALYZE, BUFFERS)\n"+testutil.PlanLines(b, sqlDB, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...))
		plans = append(plans, "-- generic plan (plan_cache_mode = force_generic_plan)\n"+testutil.GenericPlan(b, sqlDB, query, vars))
	} else {
		plans = append(plans, "-- EXPLAIN QUERY PLAN\n"+testutil.PlanLines(b, sqlDB, "EXPLAIN QUERY PLAN "+query, vars...))
	}
	b.Logf("%s (%d rows):\n%s\n%s", name, rows, gdb.Dialector.Explain(query, vars...), strings.Join(plans, "\n"))
	for _, p := range plans {
		for _, line := range strings.Split(p, "\n") {
			if fullScan(line) {
				b.Errorf("%s: the plan reads a whole table: %s", name, strings.TrimSpace(line))
			}
			// An index walked from end to end is a full scan too.
			if m := removedRows.FindStringSubmatch(line); m != nil {
				if n, _ := strconv.Atoi(m[1]); n >= 10_000 {
					b.Errorf("%s: the plan reads and drops %d rows, a tenth of the table: %s", name, n, strings.TrimSpace(line))
				}
			}
		}
	}
}
