package db_test

import (
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
)

// TestPlanEachCall: a statement marked by PlanEachCall answers what it
// answers unmarked, on both databases; on PostgreSQL it is never kept as a
// prepared statement on the connection (so it is planned with its values at
// each call, never with a generic plan), while the unmarked one is.
func TestPlanEachCall(t *testing.T) {
	gdb := testdb.Open(t)
	db.SQL(gdb).SetMaxOpenConns(1) // one session, so pg_prepared_statements sees every run
	const q = "SELECT n FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) AS t WHERE n >= ? ORDER BY n"
	marked := db.PlanEachCall(q)
	if marked == q {
		t.Fatalf("PlanEachCall left %q unmarked", q)
	}
	if got := db.PlanEachCall("UPDATE t SET n = 1"); got != "UPDATE t SET n = 1" {
		t.Errorf("PlanEachCall marked a statement that is not a SELECT: %q", got)
	}
	for _, s := range []string{q, marked} {
		for run := range 7 { // past the five runs after which PostgreSQL may go generic
			var got []int
			if err := gdb.Raw(s, 2).Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0] != 2 || got[1] != 3 {
				t.Fatalf("run %d of %q: %v, want [2 3]", run, s, got)
			}
		}
	}
	if db.Dialect(gdb) != db.Postgres {
		return
	}
	var kept []string
	if err := gdb.Raw("SELECT statement FROM pg_prepared_statements").Scan(&kept).Error; err != nil {
		t.Fatal(err)
	}
	var plain, each int
	for _, s := range kept {
		switch {
		case strings.HasPrefix(s, "SELECT /* plan each call */ n FROM"):
			each++
		case strings.HasPrefix(s, "SELECT n FROM"):
			plain++
		}
	}
	if plain != 1 || each != 0 {
		t.Errorf("prepared on the connection: %d unmarked (want 1), %d marked (want 0):\n%q", plain, each, kept)
	}
}
