package testutil

import (
	"net/url"
	"os"
	"testing"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/internal/testdb"
)

// Reopen returns a second connection pool on the database of gdb (made by
// OpenDB), as another process would have, closed when the test ends. On
// SQLite, whose one writer a second pool would only queue behind, it
// returns gdb itself.
func Reopen(tb testing.TB, gdb *gorm.DB) *gorm.DB {
	tb.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		return gdb
	}
	var schema string
	if err := gdb.Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return testdb.OpenAt(tb, u.String(), "")
}
