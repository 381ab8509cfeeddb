// Package db opens the database (embedded SQLite or PostgreSQL) and applies
// the versioned migrations.
package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/accessrequests/accessrequests/migrations"
)

// postgresConns is the size of the PostgreSQL pool.
const postgresConns = 20

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Option tunes Open.
type Option func(*options)

type options struct{ statementTimeout time.Duration }

// StatementTimeout bounds how long one statement may run or wait for a
// lock (PostgreSQL statement_timeout on every connection; SQLite's busy
// timeout, the only wait a statement can have there besides the request's
// own deadline). Without it, or with zero, PostgreSQL statements are not
// limited and SQLite waits up to 10 s for a lock (migrations, tools and
// tests); the server passes DB_STATEMENT_TIMEOUT.
func StatementTimeout(d time.Duration) Option {
	return func(o *options) { o.statementTimeout = d }
}

// Open connects to PostgreSQL when databaseURL is set, otherwise to the
// SQLite file at sqlitePath (created with its directory if missing).
func Open(databaseURL, sqlitePath string, opts ...Option) (*gorm.DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg := config()
	var (
		gdb *gorm.DB
		err error
	)
	if databaseURL != "" {
		dsn := databaseURL
		if o.statementTimeout > 0 {
			if dsn, err = withStatementTimeout(databaseURL, o.statementTimeout); err != nil {
				return nil, err
			}
		}
		// The pool retries statements that met a connection the server had
		// already closed (reconnect.go).
		pool, err := openPostgres(dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		gdb, err = gorm.Open(postgres.New(postgres.Config{Conn: pool}), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		// Every connection may stay idle, so a burst that has just ended
		// does not close half the pool for the next one to open again; an
		// idle one is closed after five minutes.
		if gdb, err = sized(gdb, postgresConns, postgresConns, 5*time.Minute); err != nil {
			return nil, err
		}
		return gdb, gdb.Use(newQueue(postgresConns))
	}
	if err := prepareSQLiteFile(sqlitePath); err != nil {
		return nil, err
	}
	busy := 10 * time.Second
	if o.statementTimeout > 0 {
		busy = o.statementTimeout
	}
	// busy_timeout first: the pragmas run in order, and switching to WAL
	// needs a lock that another process starting at the same time may hold.
	// Transactions begin IMMEDIATE: with another process on the same file
	// (serve and worker), a deferred transaction that read before the
	// other's commit fails at its first write (SQLITE_BUSY_SNAPSHOT, which
	// no waiting cures); an immediate one takes the write lock first, and
	// the other process waits its busy timeout.
	dsn := "file:" + sqlitePath + "?_pragma=busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	// Switching to WAL can answer SQLITE_BUSY at once, without the busy
	// handler, while another process is opening or migrating the same
	// file: try again for as long as the busy timeout.
	if err := registerFold(); err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	for deadline := time.Now().Add(busy); ; {
		gdb, err = gorm.Open(sqlite.Open(dsn), cfg)
		if err == nil || !TimedOut(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// SQLite allows one writer. One connection serializes every statement
	// in the process, so a transaction never fails to upgrade its lock.
	return sized(gdb, 1, 1, 0)
}

// OpenMemory opens a new, private in-memory SQLite database (for the
// sandbox provider when it is given no database). It has one connection,
// never closed while idle, so it lives as long as the process.
func OpenMemory() (*gorm.DB, error) {
	if err := registerFold(); err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	dsn := "file:memory-" + rand.Text() + "?mode=memory&cache=shared&_pragma=foreign_keys(1)"
	gdb, err := gorm.Open(sqlite.Open(dsn), config())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return sized(gdb, 1, 1, 0)
}

// sized bounds gdb's pool: at most maxOpen connections, maxIdle of them
// kept idle for up to maxIdleTime (zero: as long as they live).
func sized(gdb *gorm.DB, maxOpen, maxIdle int, maxIdleTime time.Duration) (*gorm.DB, error) {
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxIdle)
	sqlDB.SetConnMaxIdleTime(maxIdleTime)
	return gdb, nil
}

// config is the GORM configuration of every database this package opens.
func config() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		// Unique violations become gorm.ErrDuplicatedKey on both drivers.
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	}
}

// withStatementTimeout sets PostgreSQL's statement_timeout as a startup
// parameter of every connection (pgx sends unknown URL parameters as run-time
// parameters), so no pooled connection escapes it.
func withStatementTimeout(databaseURL string, d time.Duration) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", errors.New("DATABASE_URL is not a valid URL")
	}
	q := u.Query()
	q.Set("statement_timeout", strconv.FormatInt(d.Milliseconds(), 10))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Dialect names the database behind gdb.
func Dialect(gdb *gorm.DB) string {
	if gdb.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

func provider(gdb *gorm.DB, opts ...goose.ProviderOption) (*goose.Provider, error) {
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	dialect := Dialect(gdb)
	dir, err := fs.Sub(migrations.FS, dialect)
	if err != nil {
		return nil, err
	}
	gd := goose.DialectPostgres
	if dialect == SQLite {
		gd = goose.DialectSQLite3
	}
	return goose.NewProvider(gd, sqlDB, dir, opts...)
}

// Migrate applies every pending migration, each in its own transaction, and
// logs what it applied. It holds a database lock meanwhile, so processes
// starting together migrate one after the other.
func Migrate(ctx context.Context, gdb *gorm.DB, log *slog.Logger) error {
	locked, err := migrationLock(ctx, gdb)
	if err != nil {
		return err
	}
	p, err := provider(gdb, locked)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
	}
	return migrateRiver(ctx, gdb, log)
}

// Unavailable reports whether err means the database could not be reached
// at all (a lost or refused connection, a closed pool) rather than an
// error in a statement: the answer is "try again shortly", and the error
// page says so without asking the database.
func Unavailable(err error) bool {
	return LostConnection(err) || errors.Is(err, errPoolClosed)
}

// errPoolClosed is database/sql's error for a closed pool, which it does
// not export: taken from a pool closed on purpose, and compared by
// identity.
var errPoolClosed = func() error {
	pool := sql.OpenDB(noConnector{})
	_ = pool.Close()
	return pool.PingContext(context.Background())
}()

type noConnector struct{}

func (noConnector) Connect(context.Context) (driver.Conn, error) { return nil, driver.ErrBadConn }
func (noConnector) Driver() driver.Driver                        { return nil }

// Ping checks that the database answers, for /readyz.
func Ping(ctx context.Context, gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// SQL returns the *sql.DB behind gdb.
func SQL(gdb *gorm.DB) *sql.DB {
	sqlDB, _ := gdb.DB()
	return sqlDB
}
