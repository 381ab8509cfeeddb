package db

// A pooled PostgreSQL connection can die while it waits in the pool: a
// restart, a failover, pg_terminate_backend. database/sql retries a
// statement on another connection when the driver says driver.ErrBadConn,
// but pgx's stdlib says so only when it failed to send the statement; when
// the server had already closed the session, the next statement is answered
// with FATAL 57P01 (admin_shutdown) or finds the connection closed, and the
// request would fail although nothing ran. The connector below turns those
// errors into driver.ErrBadConn where it is safe: outside a transaction,
// when the statement provably did not run (the server terminated the
// session before answering it, which rolls an autocommit statement back),
// or when the statement only reads. A transaction that loses its connection
// fails as a whole; access retries such transactions once (LostConnection).

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// openPostgres opens a pool on databaseURL whose connections report a
// connection lost before a statement ran as driver.ErrBadConn.
func openPostgres(databaseURL string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(&retryConnector{Connector: stdlib.GetConnector(*cfg)}), nil
}

type retryConnector struct{ driver.Connector }

func (c *retryConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		return conn, nil
	}
	return &retryConn{Conn: sc}, nil
}

// retryConn is a pgx stdlib connection that knows whether it is inside a
// transaction, where a statement must never be replayed on its own.
type retryConn struct {
	*stdlib.Conn
	inTx bool
}

func (c *retryConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil {
		if NotRun(err) {
			return nil, driver.ErrBadConn // nothing began: database/sql begins on another connection
		}
		return nil, err
	}
	c.inTx = true
	return &retryTx{Tx: tx, c: c}, nil
}

func (c *retryConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.Conn.ExecContext(ctx, query, args)
	if err != nil && c.replayable(query, err) {
		return nil, driver.ErrBadConn
	}
	return res, err
}

func (c *retryConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.Conn.QueryContext(ctx, query, withPlanMode(query, args))
	if err != nil && c.replayable(query, err) {
		return nil, driver.ErrBadConn
	}
	return rows, err
}

// replayable reports whether a failed statement may run again on another
// connection: never inside a transaction; always when the server had ended
// the session before it ran; for a read, whenever the connection was lost.
func (c *retryConn) replayable(query string, err error) bool {
	if c.inTx || errors.Is(err, driver.ErrBadConn) {
		return false
	}
	return NotRun(err) || (readOnly(query) && LostConnection(err))
}

type retryTx struct {
	driver.Tx
	c *retryConn
}

func (t *retryTx) Commit() error {
	t.c.inTx = false
	return t.Tx.Commit()
}

func (t *retryTx) Rollback() error {
	t.c.inTx = false
	return t.Tx.Rollback()
}

// NotRun reports an error that proves the statement did not run: the
// server ended the session (administrator command, crash, shutdown) and
// said so instead of answering it, or the statement was never sent. For a
// COMMIT it proves the transaction did not commit: a session ended after
// committing has already answered the COMMIT.
func NotRun(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Severity == "FATAL" {
		switch pe.Code {
		case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		}
	}
	return pgconn.SafeToRetry(err)
}

func readOnly(query string) bool {
	q := strings.TrimSpace(query)
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// LostConnection reports whether err means the database connection was
// lost (the session ended, the socket closed or reset), as opposed to an
// error in the statement itself. A transaction that failed this way before
// its commit did not commit and may run again.
func LostConnection(err error) bool {
	if err == nil {
		return false
	}
	if NotRun(err) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Severity == "FATAL" || strings.HasPrefix(pe.Code, "08") // connection_exception
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne *net.OpError
	return errors.As(err, &ne) || errors.Is(err, pgconn.ErrConnClosed)
}

// Transaction runs fn in a transaction of gdb. When the attempt lost its
// database connection before committing (a restart, a failover, a killed
// session), nothing was committed and fn runs again on a fresh connection,
// at most twice more; fn must start from scratch each time. A COMMIT whose
// answer was lost is not retried (it may have committed) unless the
// server's answer proves it did not (NotRun).
func Transaction(ctx context.Context, gdb *gorm.DB, fn func(tx *gorm.DB) error) error {
	for attempt := 0; ; attempt++ {
		committing := false
		err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := fn(tx); err != nil {
				return err
			}
			committing = true
			return nil
		})
		retry := (!committing && LostConnection(err)) || (committing && NotRun(err))
		if err == nil || !retry || attempt == 2 || ctx.Err() != nil {
			return err
		}
	}
}
