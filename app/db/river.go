package db

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/gorm"
)

// River's job tables (river_job, river_leader, ...) are River's own schema,
// versioned by River's migrator in its river_migration table. They are
// applied right after the app's migrations, by the same Migrate, so that
// `app migrate` and start-up leave a database the job engine can use.

// migrateRiver applies River's pending migrations, each in its own
// transaction (on PostgreSQL a later one uses an enum value an earlier one
// adds). On PostgreSQL a session advisory lock of the schema is held
// meanwhile, so processes starting together apply them once; on SQLite a
// process that lost the race finds the work done when it tries again.
func migrateRiver(ctx context.Context, gdb *gorm.DB, log *slog.Logger) error {
	var lastErr error
	for try := 0; try < 3; try++ {
		if try > 0 {
			time.Sleep(time.Duration(try) * 200 * time.Millisecond)
		}
		var versions []int
		var err error
		if Dialect(gdb) == Postgres {
			versions, err = riverUpLocked(ctx, gdb)
		} else {
			versions, err = riverUp(ctx, gdb)
		}
		if err == nil {
			for _, v := range versions {
				log.Info("migration applied", "river_version", v)
			}
			return nil
		}
		lastErr = err
	}
	return fmt.Errorf("migrate the job tables: %w", lastErr)
}

// riverUpLocked runs River's PostgreSQL migrations under an advisory lock
// of the schema, held on a connection of its own.
func riverUpLocked(ctx context.Context, gdb *gorm.DB) ([]int, error) {
	sqlDB := SQL(gdb)
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte("accessrequests river migrations\x00" + schema))
	id := int64(h.Sum64() >> 1)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", id); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", id)
	return riverUp(ctx, gdb)
}

// riverMigrator is River's migrator for gdb's database.
func riverMigrator(gdb *gorm.DB) (*rivermigrate.Migrator[*sql.Tx], error) {
	cfg := &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)}
	if Dialect(gdb) == Postgres {
		return rivermigrate.New(riverdatabasesql.New(SQL(gdb)), cfg)
	}
	return rivermigrate.New(riversqlite.New(SQL(gdb)), cfg)
}

func riverUp(ctx context.Context, gdb *gorm.DB) ([]int, error) {
	m, err := riverMigrator(gdb)
	if err != nil {
		return nil, err
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, v := range res.Versions {
		out = append(out, v.Version)
	}
	return out, nil
}
