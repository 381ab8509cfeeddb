package testutil

// A scan of the whole database for leaked secrets.

import (
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/db"
)

// TextColumnsContaining reads every column of every row of every table as
// text and returns "table.column" for each value that contains one of the
// needles (keyed by a name for the report), in clear or base64-encoded.
func (e *FlowEnv) TextColumnsContaining(tb testing.TB, needles map[string]string) []string {
	tb.Helper()
	sqlDB := db.SQL(e.DB)
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if Dialect() == db.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := sqlDB.Query(q)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 8 {
		tb.Fatalf("only %d tables found: %v", len(tables), tables)
	}

	variants := map[string][]string{}
	for name, n := range needles {
		if n == "" {
			tb.Fatalf("needle %s is empty", name)
		}
		variants[name] = []string{n, base64.StdEncoding.EncodeToString([]byte(n)), base64.RawURLEncoding.EncodeToString([]byte(n))}
	}
	var found []string
	for _, table := range tables {
		found = append(found, scanTable(tb, sqlDB, table, variants)...)
	}
	return found
}

func scanTable(tb testing.TB, sqlDB *sql.DB, table string, variants map[string][]string) []string {
	tb.Helper()
	rows, err := sqlDB.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		tb.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var found []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatalf("scan %s: %v", table, err)
		}
		for i, v := range vals {
			var s string
			switch v := v.(type) {
			case nil:
				continue
			case []byte:
				s = string(v)
			case string:
				s = v
			default:
				s = fmt.Sprint(v)
			}
			for name, vs := range variants {
				for _, n := range vs {
					if strings.Contains(s, n) {
						found = append(found, table+"."+cols[i]+" holds "+name)
					}
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return found
}
