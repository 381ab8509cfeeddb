package testutil

// Query plans and statement hooks for the benchmarks that record them
// (docs/support-benchmark.md and the links list benchmark).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// Querier is a *sql.DB or a *sql.Conn (for an EXPLAIN that needs the
// session settings of one connection).
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// PlanLines runs an EXPLAIN and returns its text, one line per row (the
// last column of each row).
func PlanLines(tb testing.TB, q Querier, query string, args ...any) string {
	tb.Helper()
	rows, err := q.QueryContext(context.Background(), query, args...)
	if err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return scanPlan(tb, rows)
}

// GenericPlan explains query (PostgreSQL) as a prepared statement planned
// without its values, the plan pgx's statement cache may switch to after
// five executions.
func GenericPlan(tb testing.TB, sqlDB *sql.DB, query string, vars []any) string {
	tb.Helper()
	ctx := context.Background()
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SET LOCAL plan_cache_mode = force_generic_plan"); err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "PREPARE bench_plan AS "+query); err != nil {
		tb.Fatal(err)
	}
	params := make([]string, len(vars))
	for i := range params {
		params[i] = fmt.Sprintf("$%d", i+1)
	}
	args := append([]any{pgx.QueryExecModeSimpleProtocol}, vars...)
	stmt := "EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_plan"
	if len(params) > 0 {
		stmt += "(" + strings.Join(params, ", ") + ")"
	}
	rows, err := tx.QueryContext(ctx, stmt, args...)
	if err != nil {
		tb.Fatal(err)
	}
	plan := scanPlan(tb, rows)
	// A prepared statement outlives the transaction; drop it.
	if _, err := tx.ExecContext(ctx, "DEALLOCATE bench_plan"); err != nil {
		tb.Fatal(err)
	}
	return plan
}

// scanPlan returns the last column of each row, one per line.
func scanPlan(tb testing.TB, rows *sql.Rows) string {
	tb.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	var out strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&out, "%v\n", vals[len(vals)-1])
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out.String()
}

// AfterStatements registers fn after each GORM processor of gdb that reads
// (query, row, raw) and, with writes, after those that write (create,
// update, delete), under names that start with prefix. Register before
// gdb is in use: registering rebuilds the callback chains.
func AfterStatements(tb testing.TB, gdb *gorm.DB, prefix string, writes bool, fn func(*gorm.DB)) {
	tb.Helper()
	cb := gdb.Callback()
	errs := []error{
		cb.Query().After("gorm:query").Register(prefix+"_query", fn),
		cb.Row().After("gorm:row").Register(prefix+"_row", fn),
		cb.Raw().After("gorm:raw").Register(prefix+"_raw", fn),
	}
	if writes {
		errs = append(errs,
			cb.Create().After("gorm:create").Register(prefix+"_create", fn),
			cb.Update().After("gorm:update").Register(prefix+"_update", fn),
			cb.Delete().After("gorm:delete").Register(prefix+"_delete", fn),
		)
	}
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
}
