package db_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/db"
)

// TestStatementTimeout (item 13 of issue 7): with StatementTimeout, a
// statement that runs or waits too long fails with an error TimedOut
// recognises; without it, nothing is limited.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	t.Run("Postgres", func(t *testing.T) {
		base := os.Getenv("DATABASE_URL")
		if base == "" {
			t.Skip("DATABASE_URL not set")
		}
		gdb, err := db.Open(base, "", db.StatementTimeout(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer db.SQL(gdb).Close()
		// Every pooled connection has the limit, not only the first.
		conns := make([]*sql.Conn, 3)
		for i := range conns {
			if conns[i], err = db.SQL(gdb).Conn(ctx); err != nil {
				t.Fatal(err)
			}
			defer conns[i].Close()
			var setting string
			if err := conns[i].QueryRowContext(ctx, "SHOW statement_timeout").Scan(&setting); err != nil {
				t.Fatal(err)
			}
			if setting != "100ms" {
				t.Errorf("connection %d: statement_timeout = %q, want 100ms", i, setting)
			}
		}
		err = gdb.Exec("SELECT pg_sleep(2)").Error
		if err == nil || !db.TimedOut(err) {
			t.Fatalf("a 2 s statement: err = %v, want a timeout", err)
		}

		unlimited, err := db.Open(base, "")
		if err != nil {
			t.Fatal(err)
		}
		defer db.SQL(unlimited).Close()
		var setting string
		if err := unlimited.Raw("SHOW statement_timeout").Scan(&setting).Error; err != nil || setting != "0" {
			t.Fatalf("without the option: statement_timeout = %q (%v), want 0", setting, err)
		}
	})
	t.Run("SQLite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "test.db")
		gdb, err := db.Open("", path, db.StatementTimeout(200*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer db.SQL(gdb).Close()
		if err := gdb.Exec("CREATE TABLE t (x INTEGER)").Error; err != nil {
			t.Fatal(err)
		}
		other, err := db.Open("", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.SQL(other).Close()
		conn, err := db.SQL(other).Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "ROLLBACK")
		err = gdb.Exec("INSERT INTO t VALUES (1)").Error
		if err == nil || !db.TimedOut(err) {
			t.Fatalf("a write under another connection's lock: err = %v, want a timeout", err)
		}
	})
	t.Run("TimedOut", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
		defer cancel()
		<-ctx.Done()
		if !db.TimedOut(ctx.Err()) || db.TimedOut(nil) || db.TimedOut(sql.ErrNoRows) {
			t.Fatal("TimedOut misjudges a deadline, nil or an ordinary error")
		}
	})
}
