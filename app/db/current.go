package db

import (
	"context"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/gorm"
)

// Current reports whether every migration, the app's and the job
// engine's, is already applied, by reading the two version tables on gdb:
// no lock, no connection of its own, nothing written. A start on a
// current database then skips Migrate, whose lock and connection are most
// of a start's time. It answers false, never an error, when it cannot
// tell (an empty database, a table missing): Migrate then runs as always
// and has the last word.
func Current(ctx context.Context, gdb *gorm.DB) bool {
	p, err := provider(gdb)
	if err != nil {
		return false
	}
	var applied []int64
	err = gdb.WithContext(ctx).Raw("SELECT version_id FROM goose_db_version WHERE is_applied").Scan(&applied).Error
	if err != nil {
		return false
	}
	return allApplied(applied, p.ListSources(), func(s *goose.Source) int64 { return s.Version }) &&
		riverCurrent(ctx, gdb)
}

// riverCurrent reports whether River's migrations are all applied. It
// reads River's version table itself: the migrator's ExistingVersions
// first asks the catalog whether the table and its line column exist,
// which took 18 ms on PostgreSQL (information_schema), most of a start's.
// A table or column that is missing (a new or very old database) fails
// the query, and the answer is false: Migrate then runs, as always.
func riverCurrent(ctx context.Context, gdb *gorm.DB) bool {
	m, err := riverMigrator(gdb)
	if err != nil {
		return false
	}
	var existing []int
	err = gdb.WithContext(ctx).Raw("SELECT version FROM river_migration WHERE line = ?", "main").Scan(&existing).Error
	if err != nil {
		return false
	}
	return allApplied(existing, m.AllVersions(), func(v rivermigrate.Migration) int { return v.Version })
}

// allApplied reports whether applied holds the version of every migration
// in known.
func allApplied[V comparable, M any](applied []V, known []M, version func(M) V) bool {
	have := make(map[V]bool, len(applied))
	for _, v := range applied {
		have[v] = true
	}
	for _, m := range known {
		if !have[version(m)] {
			return false
		}
	}
	return true
}
