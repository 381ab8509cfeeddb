package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnusableDataDirStopsTheStart (issue 7 item 16): a DATA_DIR that cannot
// hold the key or the database stops the start with its path and what is
// wrong, with or without a configured key, never SQLite's "out of memory".
func TestUnusableDataDirStopsTheStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyKeyDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(emptyKeyDir, "secret.key"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"ErrFileNoKey", map[string]string{"DATA_DIR": file}, []string{"DATA_DIR", file, "not a directory"}},
		{"ErrFileWithKey", map[string]string{"DATA_DIR": file, "APP_SECRET_KEY": newKey(t)}, []string{"DATA_DIR", file, "not a directory"}},
		{"ErrBelowAFile", map[string]string{"DATA_DIR": filepath.Join(file, "sub"), "APP_SECRET_KEY": newKey(t)}, []string{"DATA_DIR", filepath.Join(file, "sub"), "cannot be created"}},
		{"ErrEmptyKeyFile", map[string]string{"DATA_DIR": emptyKeyDir}, []string{filepath.Join(emptyKeyDir, "secret.key"), "is empty", "delete"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["PORT"] = "0" // refused before it listens
			err := run(context.Background(), []string{"serve"}, func(k string) string { return tc.env[k] }, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil {
				t.Fatal("started")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "out of memory") {
				t.Errorf("error %q", err)
			}
		})
	}
}
