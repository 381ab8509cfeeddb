package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
)

// TestSQLiteFileIsPrivate (issue 7 item 10): the database file and the
// -wal and -shm files SQLite makes next to it are 0600, in a 0700 directory,
// whatever the umask lets through; an older file readable by others is
// narrowed.
func TestSQLiteFileIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	t.Run("New", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "data", "app.db")
		gdb, err := db.Open("", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.SQL(gdb).Close()
		if err := db.Migrate(context.Background(), gdb, quiet()); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("DATA_DIR mode = %v, %v; want 0700", fi.Mode(), err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(p), err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode = %o, want 600", filepath.Base(p), fi.Mode().Perm())
			}
		}
	})
	t.Run("ExistingNarrowed", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "app.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		gdb, err := db.Open("", path)
		if err != nil {
			t.Fatal(err)
		}
		db.SQL(gdb).Close()
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode = %o, want 600", fi.Mode().Perm())
		}
	})
}

// TestSQLiteUnusableDataDir (issue 7 item 16): a DATA_DIR that cannot hold
// the database is reported with its path and what is wrong, before SQLite
// opens anything (SQLite's own words were "out of memory (14)").
func TestSQLiteUnusableDataDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dbDir := filepath.Join(t.TempDir(), "app.db")
	if err := os.Mkdir(dbDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path, want string }{
		{"ErrDataDirIsAFile", filepath.Join(file, "app.db"), file + " (DATA_DIR) is not a directory"},
		{"ErrCannotCreate", filepath.Join(file, "sub", "app.db"), filepath.Join(file, "sub") + " (DATA_DIR) cannot be created"},
		{"ErrDatabaseIsADirectory", dbDir, dbDir + " is not a regular file"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct{ name, path, want string }{"ErrReadOnly", filepath.Join(ro, "app.db"), ro + " (DATA_DIR) is not writable"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gdb, err := db.Open("", tc.path)
			if err == nil {
				db.SQL(gdb).Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "out of memory") {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestReadinessWriteProbe (issue 7 item 16): readiness writes the probe row
// at most once per interval and reports a database that refuses writes as
// ErrNotWritable.
func TestReadinessWriteProbe(t *testing.T) {
	gdb := testdb.OpenMigrated(t)
	var writes int
	var failing bool
	if err := gdb.Callback().Raw().Before("gorm:raw").Register("test:probe", func(tx *gorm.DB) {
		if strings.Contains(tx.Statement.SQL.String(), "write_probe") {
			writes++
			if failing {
				tx.AddError(errors.New("disk full"))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	r := &db.Readiness{DB: gdb, Every: 10 * time.Second, Now: func() time.Time { return now }}
	ctx := context.Background()
	for range 5 {
		if err := r.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if writes != 1 {
		t.Fatalf("%d write probes for 5 checks within the interval, want 1", writes)
	}
	failing = true
	now = now.Add(10 * time.Second)
	if err := r.Check(ctx); !errors.Is(err, db.ErrNotWritable) {
		t.Fatalf("Check with failing writes = %v, want ErrNotWritable", err)
	}
	failing = false
	now = now.Add(time.Second)
	if err := r.Check(ctx); err != nil {
		t.Fatalf("Check after the writes recovered = %v", err)
	}
	if writes != 3 {
		t.Fatalf("%d write probes, want 3", writes)
	}
}
