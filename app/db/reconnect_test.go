package db_test

import (
	"context"
	"os"
	"testing"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestKilledSessionsRetried (issue 7 item 12): every pooled session is
// ended behind the pool's back, as a restart or failover does. A read and
// an autocommit write that meet a closed session run again on a new one,
// once each; a statement inside a transaction is never replayed on its own:
// the transaction fails, and says that it lost its connection.
func TestKilledSessionsRetried(t *testing.T) {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		t.Skip("needs PostgreSQL (DATABASE_URL)")
	}
	// A schema of the test's own, whose sessions carry its name.
	_, gdb := testutil.PostgresSchema(t, base)
	if err := gdb.Exec(`CREATE TABLE t (n int)`).Error; err != nil {
		t.Fatal(err)
	}

	// killPool warms 4 pooled connections and ends every session of the
	// database; it returns how many ended.
	killPool := func(t *testing.T) int {
		t.Helper()
		warmPool(t, gdb, 4)
		return testutil.KillConnections(t, gdb)
	}
	count := func(t *testing.T) int64 {
		t.Helper()
		var n int64
		if err := gdb.Raw(`SELECT count(*) FROM t`).Scan(&n).Error; err != nil {
			t.Fatalf("count after the kill: %v", err)
		}
		return n
	}

	t.Run("ReadRetried", func(t *testing.T) {
		if n := killPool(t); n < 4 {
			t.Fatalf("%d sessions ended, want the 4 pooled", n)
		}
		if n := count(t); n != 0 {
			t.Fatalf("%d rows", n)
		}
	})
	t.Run("AutocommitWriteRetriedOnce", func(t *testing.T) {
		killPool(t)
		if err := gdb.Exec(`INSERT INTO t (n) VALUES (1)`).Error; err != nil {
			t.Fatalf("insert after the kill: %v", err)
		}
		if n := count(t); n != 1 {
			t.Fatalf("%d rows, want the insert once", n)
		}
	})
	t.Run("TransactionFailsAsAWhole", func(t *testing.T) {
		killPool(t)
		err := gdb.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(`INSERT INTO t (n) VALUES (2)`).Error; err != nil {
				return err // the BEGIN met a closed session and was retried: this runs
			}
			testutil.KillConnections(t, gdb)
			return tx.Exec(`INSERT INTO t (n) VALUES (3)`).Error
		})
		if err == nil || !db.LostConnection(err) {
			t.Fatalf("transaction = %v, want a lost connection", err)
		}
		if n := count(t); n != 1 {
			t.Fatalf("%d rows, want nothing of the failed transaction", n)
		}
	})
}

// warmPool replaces gdb's idle connections with n new ones, each used
// twice: pgx's stdlib pings a pooled connection before reuse only when it
// has been idle for more than a second, as it has not under load.
func warmPool(t *testing.T, gdb *gorm.DB, n int) {
	t.Helper()
	ctx := context.Background()
	db.SQL(gdb).SetMaxIdleConns(0) // drops the idle ones
	db.SQL(gdb).SetMaxIdleConns(10)
	for round := 0; round < 2; round++ {
		conns := make([]interface{ Close() error }, n)
		for i := range conns {
			c, err := db.SQL(gdb).Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.PingContext(ctx); err != nil {
				t.Fatal(err)
			}
			conns[i] = c
		}
		for _, c := range conns {
			c.Close()
		}
	}
}
