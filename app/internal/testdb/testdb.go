// Package testdb gives each test a database of its own: a new SQLite file,
// or, when DATABASE_URL is set, a new schema of that PostgreSQL, dropped
// when the test ends. It imports nothing of this module but app/db and
// app/secret, so the tests of those packages and of app/sandbox can use it
// where testutil (which imports them) would make an import cycle.
package testdb

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/secret"
)

// Place returns where a new, empty database for one test is, in the form
// db.Open takes: the DSN of a new schema of the PostgreSQL at DATABASE_URL,
// or else the path of a new SQLite file.
func Place(tb testing.TB) (dsn, sqlitePath string) {
	tb.Helper()
	if base := os.Getenv("DATABASE_URL"); base != "" {
		return Schema(tb, base), ""
	}
	return "", filepath.Join(tb.TempDir(), "test.db")
}

// Open returns an empty database (no tables) for one test.
func Open(tb testing.TB) *gorm.DB {
	tb.Helper()
	dsn, sqlitePath := Place(tb)
	return OpenAt(tb, dsn, sqlitePath)
}

// OpenMigrated returns a migrated, empty database for one test.
func OpenMigrated(tb testing.TB) *gorm.DB {
	tb.Helper()
	gdb := Open(tb)
	Migrate(tb, gdb)
	return gdb
}

// OpenAt opens the database at dsn or sqlitePath (as db.Open) and closes
// it when the test ends.
func OpenAt(tb testing.TB, dsn, sqlitePath string) *gorm.DB {
	tb.Helper()
	gdb, err := db.Open(dsn, sqlitePath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.SQL(gdb).Close() })
	return gdb
}

// Migrate applies the migrations to gdb, logging nowhere.
func Migrate(tb testing.TB, gdb *gorm.DB) {
	tb.Helper()
	if err := db.Migrate(context.Background(), gdb, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		tb.Fatal(err)
	}
}

// Schema creates an empty schema of a random name in the PostgreSQL at
// base (dropped when the test ends) and returns a DSN whose search_path is
// that schema. The sessions of that DSN carry the schema's name as their
// application_name, so a test can end them (testutil.KillConnections)
// without touching anyone else's.
func Schema(tb testing.TB, base string) string {
	tb.Helper()
	schema := RandomName("t_")
	Create(tb, base, `CREATE SCHEMA "`+schema+`"`, `DROP SCHEMA "`+schema+`" CASCADE`)
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// RandomName is prefix followed by random lower-case letters, digits and
// underscores: a name for a schema or a database that needs no quoting
// rules beyond double quotes.
func RandomName(prefix string) string {
	return prefix + strings.ToLower(strings.ReplaceAll(secret.RandomToken(9), "-", "_"))
}

// Create runs the statement create on the PostgreSQL at base, and drop on
// a new connection when the test ends.
func Create(tb testing.TB, base, create, drop string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, create); err != nil {
		tb.Fatalf("%s: %v", create, err)
	}
	tb.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			_, _ = c.Exec(context.Background(), drop)
			c.Close(context.Background())
		}
	})
}
