// Package schemacompat checks that replicas of the previous release keep
// working on the newest schema (docs/schema-changes.md): the statements
// the previous release sent (testdata/<dialect>.json, captured by
// refresh.sh from the commit before the last migration) run, in order,
// against a database migrated to the newest version.
package schemacompat

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestPreviousReleaseQueries replays the previous release's statements on
// the newest schema, on the database of the run (SQLite, or PostgreSQL with
// DATABASE_URL). A statement may fail only for want of the rows the
// capture's fixture had (a foreign key or a unique key): a missing table or
// column, a new NOT NULL column without a default, a new CHECK, a changed
// type: each fails the test with the statement. The subtests
// ARenamedColumnIsCaught and ANewNotNullColumnIsCaught show that the check
// sees breaking changes.
func TestPreviousReleaseQueries(t *testing.T) {
	c := loadCapture(t)
	t.Run("NewestSchema", func(t *testing.T) {
		conn := testutil.OpenDB(t) // migrated to the newest version
		ran, problems := replay(t, db.SQL(conn), c.Statements)
		for _, p := range problems {
			t.Error(p)
		}
		if ran < len(c.Statements)/2 {
			t.Errorf("only %d of %d statements ran without error", ran, len(c.Statements))
		}
		t.Logf("%d statements of %s (commit %.12s); %d ran, the others lacked the capture's rows", len(c.Statements), c.Dialect, c.Commit, ran)
	})
	breaking := map[string]string{"ARenamedColumnIsCaught": "ALTER TABLE access_links RENAME COLUMN token_hash TO token_digest"}
	if testutil.Dialect() == "postgres" { // SQLite cannot add a NOT NULL column without a default
		breaking["ANewNotNullColumnIsCaught"] = "ALTER TABLE link_events ADD COLUMN region text NOT NULL"
	}
	for name, change := range breaking {
		t.Run(name, func(t *testing.T) {
			conn := testutil.OpenDB(t)
			if err := conn.Exec(change).Error; err != nil {
				t.Fatal(err)
			}
			if _, problems := replay(t, db.SQL(conn), c.Statements); len(problems) == 0 {
				t.Errorf("%s broke no statement of the previous release", change)
			}
		})
	}
}

func loadCapture(t *testing.T) *Capture {
	t.Helper()
	path := filepath.Join("testdata", testutil.Dialect()+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run app/internal/schemacompat/refresh.sh", err)
	}
	var c Capture
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Dialect != testutil.Dialect() || len(c.Statements) == 0 {
		t.Fatalf("%s: dialect %q with %d statements", path, c.Dialect, len(c.Statements))
	}
	return &c
}

// replay runs the statements in order, each on its own (transaction
// control is skipped), and returns how many ran and the errors that are
// about the schema.
func replay(t *testing.T, conn *sql.DB, stmts []Statement) (ran int, problems []string) {
	t.Helper()
	ctx := context.Background()
	for i, s := range stmts {
		if transactionControl(s.SQL) {
			continue
		}
		args := make([]any, len(s.Vars))
		for j, v := range s.Vars {
			a, err := decodeVar(v)
			if err != nil {
				t.Fatalf("statement %d: %v", i, err)
			}
			args[j] = a
		}
		if _, err := conn.ExecContext(ctx, s.SQL, args...); err != nil {
			if missingRows(err) {
				continue
			}
			problems = append(problems, fmt.Sprintf("statement %d of the previous release fails on the newest schema: %v\n  %s", i, err, s.SQL))
			continue
		}
		ran++
	}
	return ran, problems
}

func transactionControl(q string) bool {
	w := strings.ToUpper(strings.Fields(q)[0])
	return w == "SAVEPOINT" || w == "RELEASE" || w == "ROLLBACK" || w == "BEGIN" || w == "COMMIT"
}

// missingRows reports errors that come from the replay's data, not from the
// schema: the capture's fixture rows are not there (foreign keys), or a
// statement's row is there already (unique keys, from a transaction the
// capture rolled back).
func missingRows(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503" || pg.Code == "23505"
	}
	m := err.Error()
	return strings.Contains(m, "FOREIGN KEY constraint failed") || strings.Contains(m, "UNIQUE constraint failed")
}

func decodeVar(v Var) (any, error) {
	switch v.T {
	case "null":
		return nil, nil
	case "string":
		return v.V, nil
	case "bytes":
		return base64.StdEncoding.DecodeString(v.V)
	case "int":
		return strconv.ParseInt(v.V, 10, 64)
	case "float":
		return strconv.ParseFloat(v.V, 64)
	case "bool":
		return strconv.ParseBool(v.V)
	case "time":
		return time.Parse(time.RFC3339Nano, v.V)
	}
	return nil, fmt.Errorf("unknown value type %q", v.T)
}
