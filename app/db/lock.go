package db

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"
)

// migrationLock returns the provider option that makes Migrate take a
// database-wide lock, so that two processes starting together on an empty
// database apply the migrations once: the second waits, then finds nothing
// to do.
//
// On PostgreSQL it is goose's session locker (an advisory lock) with an ID
// derived from the schema, so that tests, each on its own schema, never
// wait for each other. On SQLite it is an exclusive flock(2) on a file next
// to the database, released when the migrations end or the process dies.
func migrationLock(ctx context.Context, gdb *gorm.DB) (goose.ProviderOption, error) {
	if Dialect(gdb) == Postgres {
		var schema string
		if err := gdb.WithContext(ctx).Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
			return nil, fmt.Errorf("migrate: read the schema: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte("accessrequests migrations\x00" + schema))
		// Poll every second for up to 10 minutes: a migration never takes
		// that long, and a crashed holder's session lock ends with it.
		l, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 600), lock.WithUnlockTimeout(1, 60))
		if err != nil {
			return nil, err
		}
		return goose.WithSessionLocker(l), nil
	}
	return goose.WithSessionLocker(sqliteLocker{}), nil
}

// heldLocks maps a migration's connection to its open lock file.
var heldLocks sync.Map

// sqliteLocker is a goose session locker for SQLite: SQLite's own locks
// cover one statement or transaction, not a run of migrations.
type sqliteLocker struct{}

func (sqliteLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	path, err := mainFile(ctx, conn)
	if err != nil || path == "" {
		return err // an in-memory database is private to its connection
	}
	f, err := os.OpenFile(path+".migrate-lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("migrate: lock file: %w", err)
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return fmt.Errorf("migrate: lock %s: %w", f.Name(), err)
		}
		if ok {
			heldLocks.Store(conn, f)
			return nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return fmt.Errorf("migrate: waiting for another process's migrations: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (sqliteLocker) SessionUnlock(_ context.Context, conn *sql.Conn) error {
	if f, ok := heldLocks.LoadAndDelete(conn); ok {
		return f.(*os.File).Close() // closing the file releases its flock
	}
	return nil
}

// mainFile is the path of the SQLite database conn is open on, or "" for an
// in-memory one.
func mainFile(ctx context.Context, conn *sql.Conn) (string, error) {
	rows, err := conn.QueryContext(ctx, "PRAGMA database_list")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name, file string
		if err := rows.Scan(&seq, &name, &file); err != nil {
			return "", err
		}
		if name == "main" {
			return file, rows.Err()
		}
	}
	return "", rows.Err()
}
