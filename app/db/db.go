// Package db opens the database (embedded SQLite or PostgreSQL) and applies
// the versioned migrations.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/accessrequests/accessrequests/migrations"
)

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Open connects to PostgreSQL when databaseURL is set, otherwise to the
// SQLite file at sqlitePath (created with its directory if missing).
func Open(databaseURL, sqlitePath string) (*gorm.DB, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		// Unique violations become gorm.ErrDuplicatedKey on both drivers.
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	}
	var (
		gdb *gorm.DB
		err error
	)
	if databaseURL != "" {
		// The pool retries statements that met a connection the server had
		// already closed (reconnect.go).
		pool, err := openPostgres(databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		gdb, err = gorm.Open(postgres.New(postgres.Config{Conn: pool}), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqlDB, err := gdb.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		return gdb, nil
	}
	if dir := filepath.Dir(sqlitePath); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	dsn := "file:" + sqlitePath + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	gdb, err = gorm.Open(sqlite.Open(dsn), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	// SQLite allows one writer. One connection serializes every statement
	// in the process, so a transaction never fails to upgrade its lock.
	sqlDB.SetMaxOpenConns(1)
	return gdb, nil
}

// Dialect names the database behind gdb.
func Dialect(gdb *gorm.DB) string {
	if gdb.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

func provider(gdb *gorm.DB) (*goose.Provider, error) {
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
	return goose.NewProvider(gd, sqlDB, dir)
}

// Migrate applies every pending migration, each in its own transaction, and
// logs what it applied.
func Migrate(ctx context.Context, gdb *gorm.DB, log *slog.Logger) error {
	p, err := provider(gdb)
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
	return nil
}

// ErrSchemaBehind reports a database with migrations not yet applied.
var ErrSchemaBehind = errors.New("database schema is behind: run `app migrate`")

// CheckCurrent returns ErrSchemaBehind when migrations are pending.
func CheckCurrent(ctx context.Context, gdb *gorm.DB) error {
	p, err := provider(gdb)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return err
	}
	if pending {
		return ErrSchemaBehind
	}
	return nil
}

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
