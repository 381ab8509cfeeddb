package testutil

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
)

// KillConnections ends every PostgreSQL session of gdb's pool, as a
// database restart or failover does (pg_terminate_backend), and waits until
// each has ended. The pool does not know: its connections look idle and
// usable until a statement meets the closed session. It returns how many
// sessions it ended. Only gdb's sessions are touched (they carry the test
// schema as their application_name), never another test's.
func KillConnections(tb testing.TB, gdb *gorm.DB) int {
	tb.Helper()
	n, err := TerminateSessions(gdb)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TerminateSessions is KillConnections for hooks that run outside the
// test's goroutine: it reports failure instead of failing the test.
func TerminateSessions(gdb *gorm.DB) (int, error) {
	if db.Dialect(gdb) != db.Postgres {
		return 0, errors.New("killing sessions needs PostgreSQL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var app string
	if err := gdb.WithContext(ctx).Raw("SELECT current_setting('application_name')").Scan(&app).Error; err != nil {
		return 0, err
	}
	if app == "" {
		return 0, errors.New("the pool's sessions have no application_name to find them by")
	}
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = LocalPostgres
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return 0, err
	}
	defer admin.Close(context.Background())
	// The sessions are chosen first and ended one by one: a volatile
	// function in a WHERE clause may run on rows that other conditions
	// would have excluded, including other tests' sessions.
	return TerminateBackends(ctx, admin, `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, app)
}

// TerminateBackends ends, one by one, the PostgreSQL sessions whose pids
// query lists, waiting up to 5 seconds for each to end, and returns how
// many it ended.
func TerminateBackends(ctx context.Context, conn *pgx.Conn, query string, args ...any) (int, error) {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pid := range pids {
		var ended bool
		if err := conn.QueryRow(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid).Scan(&ended); err != nil {
			return n, err
		}
		if ended {
			n++
		}
	}
	return n, nil
}
