package db

// The hottest statements (the consent page's link lookup and its history
// event, docs/benchmarks.md) are written out in full by their callers and
// sent through here: their SQL is built once (Hot), not byte by byte at
// every call as GORM's Raw and Exec do, and on PostgreSQL they run on the
// pgx connection itself, past database/sql and pgx's stdlib adapter, which
// cost about a hundred allocations a lookup. They still go through GORM's
// callback chain (the "raw" processor): tracing (telemetry.GormPlugin) and
// the tests that count and compare statements see them like any other.
// Inside a transaction, or on a pool this package did not open, they run
// on that connection pool as GORM would run them.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Hot is a written-out statement with ? placeholders, with its PostgreSQL
// form ($1, $2, ...) built once.
type Hot struct{ sqlite, postgres string }

// NewHot prepares q, whose ? are all placeholders (never inside a literal).
func NewHot(q string) Hot {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return Hot{sqlite: q, postgres: b.String()}
}

// SQL is the statement as sent on the database of gdb.
func (h Hot) SQL(gdb *gorm.DB) string {
	if Dialect(gdb) == Postgres {
		return h.postgres
	}
	return h.sqlite
}

// Row is the row being read: *sql.Rows or pgx's rows.
type Row interface{ Scan(dest ...any) error }

// QueryHot runs h on gdb (its connection pool or transaction) with args,
// and calls scan for each row.
func QueryHot(ctx context.Context, gdb *gorm.DB, h Hot, args []any, scan func(Row) error) error {
	_, err := runHot(ctx, gdb, h, args, scan)
	return err
}

// ExecHot runs h on gdb with args and returns the number of rows it
// affected.
func ExecHot(ctx context.Context, gdb *gorm.DB, h Hot, args ...any) (int64, error) {
	return runHot(ctx, gdb, h, args, nil)
}

func runHot(ctx context.Context, gdb *gorm.DB, h Hot, args []any, scan func(Row) error) (int64, error) {
	if gdb.Error != nil {
		return 0, gdb.Error
	}
	pool := &hotPool{ConnPool: gdb.Statement.ConnPool, scan: scan}
	q := h.sqlite
	if Dialect(gdb) == Postgres {
		q = h.postgres
		pool.native, _ = gdb.Statement.ConnPool.(*sql.DB)
		if pool.native != nil {
			pool.queue = queueOf(gdb)
		}
	}
	// A statement of its own, as GORM's Raw would make, with its SQL
	// already written; the raw processor's callbacks run on it and
	// RawExec sends it through pool.
	tx := &gorm.DB{Config: gdb.Config}
	tx.Statement = &gorm.Statement{DB: tx, ConnPool: pool, Context: ctx, Clauses: map[string]clause.Clause{}, Vars: args}
	tx.Statement.SQL.WriteString(q)
	tx = gdb.Callback().Raw().Execute(tx)
	return tx.RowsAffected, tx.Error
}

// hotPool sends one hot statement: natively on a pgx connection of native
// (PostgreSQL outside a transaction), else on the ConnPool it wraps. A
// query's rows go to scan, and its "rows affected" is the number of rows
// read.
type hotPool struct {
	gorm.ConnPool
	native *sql.DB
	queue  *queue // nil: the pool's own wait
	scan   func(Row) error
}

type rowsResult int64

func (r rowsResult) LastInsertId() (int64, error) { return 0, errors.New("not supported") }
func (r rowsResult) RowsAffected() (int64, error) { return int64(r), nil }

func (p *hotPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if p.native != nil {
		n, err := p.execNative(ctx, query, args)
		if err != errNotPgx {
			if err != nil {
				return nil, err
			}
			return rowsResult(n), nil
		}
		// A pool this package did not open: database/sql it is.
	}
	if p.scan == nil {
		return p.ConnPool.ExecContext(ctx, query, args...)
	}
	rows, err := p.ConnPool.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		n++
		if err := p.scan(rows); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rowsResult(n), nil
}

// errNotPgx: the pool's connections are not this package's pgx ones.
var errNotPgx = errors.New("db: not a pgx connection")

// execNative runs the statement on a pgx connection taken from the
// database/sql pool (same connections, same limits, same statement
// cache). Like retryConn, it tries again on another connection when the
// first was found dead: a statement the server provably did not run, or
// a read that had returned no row yet. Each dead connection is closed
// (driver.ErrBadConn), so after at most the pool's idle ones the next is
// new, as database/sql's own retry ends on a new connection.
func (p *hotPool) execNative(ctx context.Context, query string, args []any) (int64, error) {
	attempts := 3
	for attempt := 1; ; attempt++ {
		n, read, err := p.nativeOnce(ctx, query, args)
		if err == nil {
			return n, nil
		}
		retry := NotRun(err) || (p.scan != nil && read == 0 && LostConnection(err))
		if attempt == 1 && retry {
			attempts += p.native.Stats().Idle
		}
		if !retry || attempt >= attempts || ctx.Err() != nil {
			return n, err
		}
	}
}

func (p *hotPool) nativeOnce(ctx context.Context, query string, args []any) (n int64, read int64, err error) {
	if p.queue != nil {
		if err := p.queue.enter(ctx); err != nil {
			return 0, 0, err
		}
		defer p.queue.leave()
	}
	conn, err := p.native.Conn(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	rawErr := conn.Raw(func(dc any) error {
		rc, ok := dc.(*retryConn)
		if !ok {
			return errNotPgx
		}
		pc := rc.Conn.Conn()
		if p.scan == nil {
			tag, e := pc.Exec(ctx, query, args...)
			n, err = tag.RowsAffected(), e
		} else {
			rows, e := pc.Query(ctx, query, args...)
			if e == nil {
				for rows.Next() {
					read++
					if e = p.scan(rows); e != nil {
						break
					}
				}
				rows.Close()
				if e == nil {
					e = rows.Err()
				}
			}
			n, err = read, e
		}
		if err != nil && LostConnection(err) {
			return driver.ErrBadConn // database/sql closes this connection
		}
		return nil
	})
	if err == nil {
		err = rawErr
	}
	return n, read, err
}
