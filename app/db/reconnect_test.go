package db_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/secret"
)

// killSessions ends every session whose application_name is app and waits
// until each has ended. The sessions are listed first and ended one by
// one, so no other session is ever touched.
func killSessions(t *testing.T, base, app string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, app)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid); err != nil {
			t.Fatal(err)
		}
	}
	return len(pids)
}

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
	ctx := context.Background()
	name := "t_rc_" + strings.ToLower(strings.ReplaceAll(secret.RandomToken(9), "-", "_"))
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE SCHEMA "`+name+`"; CREATE TABLE "`+name+`".t (n int)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), `DROP SCHEMA "`+name+`" CASCADE`) })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", name)
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	gdb, err := db.Open(u.String(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.SQL(gdb).Close()

	// warm replaces the pool's idle connections with n new ones, each used
	// twice: pgx's stdlib pings a pooled connection before reuse only when
	// it has been idle for more than a second, as it has not under load.
	warm := func(t *testing.T, n int) {
		t.Helper()
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
	count := func(t *testing.T) int64 {
		t.Helper()
		var n int64
		if err := gdb.Raw(`SELECT count(*) FROM t`).Scan(&n).Error; err != nil {
			t.Fatalf("count after the kill: %v", err)
		}
		return n
	}

	t.Run("ReadRetried", func(t *testing.T) {
		warm(t, 4)
		if n := killSessions(t, base, name); n < 4 {
			t.Fatalf("%d sessions ended, want the 4 pooled", n)
		}
		if n := count(t); n != 0 {
			t.Fatalf("%d rows", n)
		}
	})
	t.Run("AutocommitWriteRetriedOnce", func(t *testing.T) {
		warm(t, 4)
		killSessions(t, base, name)
		if err := gdb.Exec(`INSERT INTO t (n) VALUES (1)`).Error; err != nil {
			t.Fatalf("insert after the kill: %v", err)
		}
		if n := count(t); n != 1 {
			t.Fatalf("%d rows, want the insert once", n)
		}
	})
	t.Run("TransactionFailsAsAWhole", func(t *testing.T) {
		warm(t, 4)
		killSessions(t, base, name)
		err := gdb.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(`INSERT INTO t (n) VALUES (2)`).Error; err != nil {
				return err // the BEGIN met a closed session and was retried: this runs
			}
			killSessions(t, base, name)
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
