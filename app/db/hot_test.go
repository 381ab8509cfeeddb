package db_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestHotStatements: a hot statement (db.Hot, the consent page's two)
// reads and writes what GORM's Raw and Exec would, goes through GORM's
// callbacks with its SQL (so tracing and the statement-counting tests see
// it), runs inside the transaction it is given, and reports GORM's errors.
func TestHotStatements(t *testing.T) {
	ctx := context.Background()
	gdb := testdb.Open(t)
	if err := gdb.Exec(`CREATE TABLE hot (n int PRIMARY KEY, s text, p text)`).Error; err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	testutil.AfterStatements(t, gdb, "test:hot", true, func(tx *gorm.DB) {
		mu.Lock()
		seen = append(seen, tx.Statement.SQL.String())
		mu.Unlock()
	})
	insert := db.NewHot(`INSERT INTO hot (n, s, p) VALUES (?, ?, ?) ON CONFLICT (n) DO NOTHING`)
	read := db.NewHot(`SELECT n, s, p FROM hot WHERE n >= ? ORDER BY n`)
	if got, want := insert.SQL(gdb), `INSERT INTO hot (n, s, p) VALUES (?, ?, ?) ON CONFLICT (n) DO NOTHING`; db.Dialect(gdb) == db.Postgres {
		if want = `INSERT INTO hot (n, s, p) VALUES ($1, $2, $3) ON CONFLICT (n) DO NOTHING`; got != want {
			t.Fatalf("SQL = %q, want %q", got, want)
		}
	} else if got != want {
		t.Fatalf("SQL = %q, want %q", got, want)
	}

	p := "set"
	for i, arg := range []*string{nil, &p} {
		n, err := db.ExecHot(ctx, gdb, insert, i+1, "row", arg)
		if err != nil || n != 1 {
			t.Fatalf("insert %d = %d, %v; want 1 row", i+1, n, err)
		}
	}
	if n, err := db.ExecHot(ctx, gdb, insert, 1, "again", nil); err != nil || n != 0 {
		t.Fatalf("conflicting insert = %d, %v; want 0 rows", n, err)
	}
	type row struct {
		n int
		s string
		p *string
	}
	readAll := func(tx *gorm.DB, from int) []row {
		t.Helper()
		var rows []row
		err := db.QueryHot(ctx, tx, read, []any{from}, func(r db.Row) error {
			var x row
			if err := r.Scan(&x.n, &x.s, &x.p); err != nil {
				return err
			}
			rows = append(rows, x)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	got := readAll(gdb, 1)
	if len(got) != 2 || got[0].n != 1 || got[0].s != "row" || got[0].p != nil || got[1].n != 2 || got[1].p == nil || *got[1].p != "set" {
		t.Fatalf("rows = %+v", got)
	}
	if rows := readAll(gdb, 3); len(rows) != 0 {
		t.Fatalf("rows past the end = %+v", rows)
	}
	mu.Lock()
	if len(seen) != 5 || seen[0] != insert.SQL(gdb) || seen[4] != read.SQL(gdb) {
		t.Fatalf("statements seen by the callbacks:\n%s", strings.Join(seen, "\n"))
	}
	mu.Unlock()

	// In a transaction: on its connection, undone by its rollback.
	err := gdb.Transaction(func(tx *gorm.DB) error {
		if _, err := db.ExecHot(ctx, tx, insert, 3, "in tx", nil); err != nil {
			return err
		}
		if rows := readAll(tx, 3); len(rows) != 1 {
			t.Errorf("the transaction does not read its own row: %+v", rows)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if rows := readAll(gdb, 3); len(rows) != 0 {
		t.Fatalf("rolled back row read: %+v", rows)
	}

	// GORM's error translation still applies.
	dup := db.NewHot(`INSERT INTO hot (n, s) VALUES (?, ?)`)
	if _, err := db.ExecHot(ctx, gdb, dup, 1, "dup"); !errors.Is(err, gorm.ErrDuplicatedKey) {
		t.Fatalf("duplicate insert = %v, want gorm.ErrDuplicatedKey", err)
	}
	if err := db.QueryHot(ctx, gdb, db.NewHot(`SELECT nope FROM hot`), nil, func(db.Row) error { return nil }); err == nil {
		t.Fatal("a wrong query succeeded")
	}
}

var errRollback = errors.New("rollback")

// TestHotStatementsRetried: on PostgreSQL a hot statement runs on the pgx
// connection itself; like every other statement (TestKilledSessionsRetried),
// a read and a write that meet a session ended behind the pool's back run
// again on a new one, the write once.
func TestHotStatementsRetried(t *testing.T) {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		t.Skip("needs PostgreSQL (DATABASE_URL)")
	}
	ctx := context.Background()
	dsn, gdb := testutil.PostgresSchema(t, base)
	if err := gdb.Exec(`CREATE TABLE t (n int)`).Error; err != nil {
		t.Fatal(err)
	}
	warm := func() {
		warmPool(t, gdb, 4)
		if n := testutil.KillConnections(t, gdb); n < 4 {
			t.Fatalf("%d sessions ended, want the 4 pooled", n)
		}
	}
	count := db.NewHot(`SELECT count(*) FROM t WHERE n >= ?`)
	read := func() int64 {
		t.Helper()
		var n int64
		if err := db.QueryHot(ctx, gdb, count, []any{0}, func(r db.Row) error { return r.Scan(&n) }); err != nil {
			t.Fatalf("read after the kill: %v", err)
		}
		return n
	}
	warm()
	if n := read(); n != 0 {
		t.Fatalf("%d rows", n)
	}
	warm()
	if n, err := db.ExecHot(ctx, gdb, db.NewHot(`INSERT INTO t (n) VALUES (?)`), 1); err != nil || n != 1 {
		t.Fatalf("insert after the kill = %d, %v", n, err)
	}
	if n := read(); n != 1 {
		t.Fatalf("%d rows, want the insert once", n)
	}

	// A pool this package did not open (pgx's stdlib connections, not
	// its own): the statement runs through database/sql.
	other, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer db.SQL(other).Close()
	var n int64
	if err := db.QueryHot(ctx, other, count, []any{0}, func(r db.Row) error { return r.Scan(&n) }); err != nil || n != 1 {
		t.Fatalf("on another pool: %d rows, %v; want 1", n, err)
	}
}
