// Package faults holds the fault script of issue 7 (item 12): a bounded
// run of the application on PostgreSQL with the sandbox provider, under
// concurrent invitee flows and admin page loads, during which every session
// of the database is ended several times (pg_terminate_backend). It checks
// that no request answers 500, that no invitee is shown an error for an
// account that was connected, and that no callback is left pending.
//
// It is a test behind an environment flag, so that it reuses the test
// harness (the application and the sandbox on loopback listeners):
//
//	FAULTS=1 DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	    go test -count=1 -v -run TestFaults ./app/internal/faults/
//
// It runs only against a PostgreSQL on a loopback address, in a database
// of its own that it creates and drops (the sessions it ends are that
// database's only), and stops by itself: FAULTS_SECONDS of load (default
// 40) and a few seconds of checks. docs/faults.md has its figures.
package faults
