package sandbox

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
)

// openTestDB returns a migrated, empty database for one test: a schema of
// its own on PostgreSQL when DATABASE_URL is set (as testutil.OpenDB, which
// this package's own tests cannot import), else a private SQLite database.
func openTestDB(t *testing.T) *gorm.DB {
	t.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		gdb, err := privateDB()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.SQL(gdb).Close() })
		return gdb
	}
	ctx := context.Background()
	schema := "t_sandbox_" + strings.ToLower(rand.Text()[:12])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to PostgreSQL at DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			_, _ = c.Exec(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`)
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	gdb, err := db.Open(u.String(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.SQL(gdb).Close() })
	if err := db.Migrate(ctx, gdb, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return gdb
}
