// Package migrations embeds the versioned SQL schema, one directory per
// database dialect. Both directories describe the same tables, columns and
// indexes; only column types differ (TIMESTAMPTZ on PostgreSQL, TIMESTAMP on
// SQLite, which the pure-Go driver reads back as time values).
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
