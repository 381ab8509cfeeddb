package db_test

import (
	"context"
	"testing"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
)

// Current lets a start skip the migration lock only when nothing, of the
// app's or of River's migrations, is left to apply; when it cannot tell it
// says false and Migrate runs.
func TestCurrent(t *testing.T) {
	ctx := context.Background()
	gdb := testdb.Open(t)

	if db.Current(ctx, gdb) {
		t.Fatal("Current = true on an empty database")
	}
	if err := db.Migrate(ctx, gdb, quiet()); err != nil {
		t.Fatal(err)
	}
	if !db.Current(ctx, gdb) {
		t.Fatal("Current = false right after Migrate")
	}

	t.Run("AppMigrationMissing", func(t *testing.T) {
		var last int64
		if err := gdb.Raw("SELECT MAX(version_id) FROM goose_db_version").Scan(&last).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec("DELETE FROM goose_db_version WHERE version_id = ?", last).Error; err != nil {
			t.Fatal(err)
		}
		if db.Current(ctx, gdb) {
			t.Fatalf("Current = true with migration %d not recorded", last)
		}
		if err := gdb.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)", last, true).Error; err != nil {
			t.Fatal(err)
		}
		if !db.Current(ctx, gdb) {
			t.Fatal("Current = false once the row is back")
		}
	})

	t.Run("JobMigrationMissing", func(t *testing.T) {
		var last int64
		if err := gdb.Raw("SELECT MAX(version) FROM river_migration").Scan(&last).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec("DELETE FROM river_migration WHERE version = ?", last).Error; err != nil {
			t.Fatal(err)
		}
		if db.Current(ctx, gdb) {
			t.Fatalf("Current = true with River's migration %d not recorded", last)
		}
	})
}
