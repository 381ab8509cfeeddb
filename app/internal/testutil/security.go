package testutil

// Helpers for the tests of SECURITY.md that need more than one test
// database can give: PostgreSQL whatever DATABASE_URL says (several
// processes on one database), and checks on where redirects lead.

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/internal/testdb"
)

// LocalPostgres is where CI's PostgreSQL listens; tests that need
// PostgreSQL use it when DATABASE_URL is not set (the SQLite pass).
const LocalPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// RequirePostgres returns the URL of a reachable PostgreSQL: DATABASE_URL,
// or LocalPostgres. When none answers, the test fails under CI (env CI set)
// and is skipped elsewhere.
func RequirePostgres(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = LocalPostgres
	}
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("PostgreSQL is needed for this test: %v", err)
		}
		tb.Skipf("no PostgreSQL at %s: %v", base, err)
	}
	conn.Close(context.Background())
	return base
}

// PostgresSchema creates a fresh, migrated schema in the PostgreSQL at base
// (dropped at the end of the test) and returns a DSN whose search_path is
// that schema, for other processes to open, and a pool of the test's own.
func PostgresSchema(tb testing.TB, base string) (string, *gorm.DB) {
	tb.Helper()
	dsn := testdb.Schema(tb, base)
	gdb := testdb.OpenAt(tb, dsn, "")
	testdb.Migrate(tb, gdb)
	return dsn, gdb
}

// SameSitePath reports whether a Location header keeps the browser on this
// site: a path that starts with one slash, names no host or scheme, and
// cannot be read as protocol-relative ("//host", "/\host").
func SameSitePath(location string) bool {
	if !strings.HasPrefix(location, "/") || strings.HasPrefix(location, "//") || strings.HasPrefix(location, "/\\") {
		return false
	}
	if strings.ContainsAny(location, "\\\t\r\n") {
		return false
	}
	u, err := url.Parse(location)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}
