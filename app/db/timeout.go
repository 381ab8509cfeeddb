package db

import (
	"context"
	"errors"

	sqlite "github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
)

// TimedOut reports whether err means the database did not answer in time:
// a context deadline, PostgreSQL cancelling a statement (statement_timeout,
// 57014) or giving up on a lock (55P03), SQLite busy or locked past its busy
// timeout, or interrupted by a deadline. Such requests deserve "try again
// shortly", not an internal error.
func TimedOut(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57014" || pe.Code == "55P03"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6, 9: // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_INTERRUPT
			return true
		}
	}
	return false
}
