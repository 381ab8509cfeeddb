package db

import (
	"context"

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
	have := make(map[int64]bool, len(applied))
	for _, v := range applied {
		have[v] = true
	}
	for _, s := range p.ListSources() {
		if !have[s.Version] {
			return false
		}
	}
	return riverCurrent(ctx, gdb)
}

// riverCurrent reports whether River's migrations are all applied.
func riverCurrent(ctx context.Context, gdb *gorm.DB) bool {
	m, err := riverMigrator(gdb)
	if err != nil {
		return false
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return false
	}
	have := make(map[int]bool, len(existing))
	for _, v := range existing {
		have[v.Version] = true
	}
	for _, v := range m.AllVersions() {
		if !have[v.Version] {
			return false
		}
	}
	return true
}
