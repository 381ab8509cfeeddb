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

	// forgetLast deletes the row of the last migration recorded in table
	// and fails unless Current then says false.
	forgetLast := func(t *testing.T, table, column, whose string) int64 {
		t.Helper()
		var last int64
		if err := gdb.Raw("SELECT MAX(" + column + ") FROM " + table).Scan(&last).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec("DELETE FROM "+table+" WHERE "+column+" = ?", last).Error; err != nil {
			t.Fatal(err)
		}
		if db.Current(ctx, gdb) {
			t.Fatalf("Current = true with %smigration %d not recorded", whose, last)
		}
		return last
	}

	t.Run("AppMigrationMissing", func(t *testing.T) {
		last := forgetLast(t, "goose_db_version", "version_id", "")
		if err := gdb.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)", last, true).Error; err != nil {
			t.Fatal(err)
		}
		if !db.Current(ctx, gdb) {
			t.Fatal("Current = false once the row is back")
		}
	})

	t.Run("JobMigrationMissing", func(t *testing.T) {
		forgetLast(t, "river_migration", "version", "River's ")
	})
}
