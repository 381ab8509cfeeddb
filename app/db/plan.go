package db

import (
	"database/sql/driver"
	"strings"

	"github.com/jackc/pgx/v5"
)

// planEachCall, right after a statement's SELECT, asks for a plan made with
// the statement's values at every call (PlanEachCall).
const planEachCall = "SELECT /* plan each call */ "

// PlanEachCall marks a SELECT so that PostgreSQL plans it with its values
// every time it runs. pgx keeps each statement prepared on its connection,
// and after five runs PostgreSQL may switch a prepared statement to a
// generic plan, made without the values. For a search (ILIKE patterns as
// parameters) that plan guesses the patterns rare and reads and sorts
// every link of the workspace for the first 51, 20 times the work of the
// plan with the values (docs/benchmarks.md, "Links search"). A marked
// statement is sent as an unnamed statement instead (pgx's
// QueryExecModeExec), planned at each call; SQLite reads the mark as a
// comment. Only for statements whose best plan depends on their values:
// planning at every call costs more than a cached plan.
func PlanEachCall(query string) string {
	if q, ok := strings.CutPrefix(query, "SELECT "); ok {
		return planEachCall + q
	}
	return query
}

// withPlanMode makes args ask pgx for a plan per call when query is marked
// by PlanEachCall (retryConn.QueryContext).
func withPlanMode(query string, args []driver.NamedValue) []driver.NamedValue {
	if !strings.HasPrefix(query, planEachCall) {
		return args
	}
	return append([]driver.NamedValue{{Value: pgx.QueryExecModeExec}}, args...)
}
