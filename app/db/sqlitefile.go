package db

import (
	"fmt"
	"os"
	"path/filepath"
)

// prepareSQLiteFile checks, before SQLite opens it, that the database file
// can be created and written, so that a missing, read-only or misplaced
// directory is reported with its path (SQLite itself says "out of memory
// (14)"). It creates the directory (0700) and the file (0600) when missing:
// SQLite gives the -wal and -shm files it makes next to it the file's mode.
// Existing files readable by others are narrowed to 0600.
func prepareSQLiteFile(path string) error {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("database directory %s (DATA_DIR) is not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("database directory %s (DATA_DIR) cannot be created: %w", dir, err)
	}
	// SQLite creates its journal files in the directory: it must take new files.
	probe, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return fmt.Errorf("database directory %s (DATA_DIR) is not writable (%w): give the app's user write access, or mount it read-write", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("database file %s is not a regular file: move it away", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("database file %s cannot be opened for writing (%w): give the app's user read and write access to it", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("database file %s is readable by other users and its mode cannot be narrowed to 0600: %w", p, err)
			}
		}
	}
	return nil
}
