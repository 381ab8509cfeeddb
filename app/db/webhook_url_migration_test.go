package db_test

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
	"github.com/accessrequests/accessrequests/migrations"
)

// TestWebhookURLUniqueMigration: migration 00021 adds the unique index on
// a workspace's live endpoint URLs to a database that already holds
// duplicates: the oldest of each group stays live, the others are
// disabled (not deleted), and endpoints already disabled or in another
// workspace are left as they were.
func TestWebhookURLUniqueMigration(t *testing.T) {
	ctx := context.Background()
	gdb := testdb.Open(t)
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	dialect, gd := db.Dialect(gdb), goose.DialectPostgres
	if dialect == db.SQLite {
		gd = goose.DialectSQLite3
	}
	dir, err := fs.Sub(migrations.FS, dialect)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(gd, sqlDB, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 20); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exec := func(q string, args ...any) {
		t.Helper()
		if err := gdb.Exec(q, args...).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("INSERT INTO organizations (id, name, plan, created_at) VALUES ('o', 'Org', 'pro', ?)", t0)
	exec("INSERT INTO workspaces (id, organization_id, name, created_at) VALUES ('w1', 'o', 'One', ?), ('w2', 'o', 'Two', ?)", t0, t0)
	for i, ep := range []struct {
		id, ws, url string
		disabled    bool
	}{
		{"a-oldest", "w1", "https://x.example/h", false},
		{"b-dup", "w1", "https://x.example/h", false},
		{"c-dup", "w1", "https://x.example/h", false},
		{"d-disabled", "w1", "https://x.example/h", true},
		{"e-other-ws", "w2", "https://x.example/h", false},
		{"f-other-url", "w1", "https://x.example/other", false},
	} {
		var disabled *time.Time
		if ep.disabled {
			disabled = &t0
		}
		exec("INSERT INTO webhook_endpoints (id, workspace_id, url, secret_sealed, created_at, disabled_at) VALUES (?, ?, ?, 's', ?, ?)",
			ep.id, ep.ws, ep.url, t0.Add(time.Duration(i)*time.Minute), disabled)
	}
	if err := db.Migrate(ctx, gdb, quiet()); err != nil {
		t.Fatal(err)
	}
	var live []string
	if err := gdb.Raw("SELECT id FROM webhook_endpoints WHERE disabled_at IS NULL ORDER BY id").Scan(&live).Error; err != nil {
		t.Fatal(err)
	}
	if want := []string{"a-oldest", "e-other-ws", "f-other-url"}; len(live) != len(want) || live[0] != want[0] || live[1] != want[1] || live[2] != want[2] {
		t.Errorf("live endpoints %v, want %v", live, want)
	}
	var n int64
	gdb.Raw("SELECT count(*) FROM webhook_endpoints").Scan(&n)
	if n != 6 {
		t.Errorf("%d endpoints after the migration, want all 6 kept", n)
	}
	if err := gdb.Exec("INSERT INTO webhook_endpoints (id, workspace_id, url, secret_sealed, created_at) VALUES ('g', 'w1', 'https://x.example/h', 's', ?)", t0).Error; err == nil {
		t.Error("a second live endpoint with the same URL was stored")
	}
}
