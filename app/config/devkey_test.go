package config_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestDevKeyDiskTrouble (issue 7 item 16): the development key is written
// atomically, and a key file left empty or damaged by an earlier start is
// reported with its path and the way out instead of blocking every start.
func TestDevKeyDiskTrouble(t *testing.T) {
	t.Run("ErrEmptyFile", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "secret.key")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		c := mustLoad(t, map[string]string{"DATA_DIR": dir})
		err := c.EnsureDevKey()
		if err == nil {
			t.Fatal("an empty key file was accepted")
		}
		wantAll(t, err.Error(), path, "is empty", "delete the file", "APP_SECRET_KEY")
	})
	t.Run("ErrDamagedFile", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "secret.key")
		if err := os.WriteFile(path, []byte("c2hvcnQ=\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := mustLoad(t, map[string]string{"DATA_DIR": dir}).EnsureDevKey()
		if err == nil {
			t.Fatal("a damaged key file was accepted")
		}
		wantAll(t, err.Error(), path, "damaged", "32 bytes", "APP_SECRET_KEY")
	})
	t.Run("ErrDataDirIsAFile", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "data")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{file, filepath.Join(file, "sub")} {
			err := mustLoad(t, map[string]string{"DATA_DIR": dir}).EnsureDevKey()
			if err == nil {
				t.Fatalf("DATA_DIR %s accepted", dir)
			}
			wantAll(t, err.Error(), "DATA_DIR", dir)
		}
	})
	t.Run("NoTemporaryFilesLeft", func(t *testing.T) {
		dir := t.TempDir()
		if err := mustLoad(t, map[string]string{"DATA_DIR": dir}).EnsureDevKey(); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 || entries[0].Name() != "secret.key" {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("DATA_DIR holds %v, want only secret.key", names)
		}
	})
	t.Run("TwoStartsTogetherShareOneKey", func(t *testing.T) {
		for range 10 {
			dir := t.TempDir()
			keys := make([][]byte, 4)
			var wg sync.WaitGroup
			for i := range keys {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := mustLoad(t, map[string]string{"DATA_DIR": dir})
					if err := c.EnsureDevKey(); err != nil {
						t.Error(err)
						return
					}
					keys[i] = c.SecretKey
				}()
			}
			wg.Wait()
			onDisk, err := os.ReadFile(filepath.Join(dir, "secret.key"))
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range keys {
				if len(k) != 32 || !bytes.Equal(k, keys[0]) {
					t.Fatalf("start %d uses another key than start 1", i+1)
				}
			}
			if !strings.Contains(string(onDisk), "=") || len(strings.TrimSpace(string(onDisk))) != 44 {
				t.Fatalf("key file holds %q", onDisk)
			}
		}
	})
}
