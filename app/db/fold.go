package db

import (
	"database/sql/driver"
	"strings"
	"sync"

	gosqlite "github.com/glebarez/go-sqlite"
	"gorm.io/gorm"
)

// registerFold gives SQLite connections fold(x): x with every letter in
// lower case. SQLite's own lower() and LIKE know ASCII letters only, so
// "CAFÉ" would not find "café"; PostgreSQL's ILIKE knows them all. The
// function is registered once, on the driver, before any connection opens.
var registerFold = sync.OnceValue(func() error {
	return gosqlite.RegisterDeterministicScalarFunction("fold", 1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		}
		return args[0], nil // NULL and numbers as they are
	})
})

// ContainsFold is the condition "column contains the pattern's text, in
// any case" for gdb's database, with one placeholder for the pattern that
// ContainsPattern makes: ILIKE on PostgreSQL, fold(column) LIKE on SQLite.
func ContainsFold(gdb *gorm.DB, column string) string {
	if Dialect(gdb) == Postgres {
		return column + ` ILIKE ? ESCAPE '\'`
	}
	return "fold(" + column + `) LIKE ? ESCAPE '\'`
}

// ContainsPattern is the LIKE pattern of ContainsFold for text: its
// wildcards escaped (backslash is the escape character), surrounded by %,
// in lower case.
func ContainsPattern(text string) string {
	return "%" + likeEscaper.Replace(strings.ToLower(text)) + "%"
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
