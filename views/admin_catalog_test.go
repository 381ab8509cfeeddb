package views_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// messageIDs reads a catalog file's keys.
func messageIDs(t *testing.T, name string) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// keyUse is a message id written literally where a view asks for it:
// msg("Key", adminText("Key", tr(ctx, "Key", trn(ctx, "Key", sentence("Key",
// and a handler's views.Text("Key".
var keyUse = regexp.MustCompile(`\b(?:msg\(|sentence\(|adminText\(|adminCount\(|Text\(|tr\(ctx,\s*|trn\(ctx,\s*)"([A-Za-z0-9]+)"`)

// TestAdminKeysUsed: every message id the views ask for is in a catalog
// (the admin side's admin.en.yaml or the invitee's active.en.yaml), and
// every key of admin.en.yaml is asked for by some view, so the admin
// catalog holds neither a missing nor a dead word.
func TestAdminKeysUsed(t *testing.T) {
	admin := messageIDs(t, "locale/messages/admin.en.yaml")
	invitee := messageIDs(t, "locale/messages/active.en.yaml")
	files, _ := filepath.Glob("*.templ")
	gos, _ := filepath.Glob("*.go")
	handlers, _ := filepath.Glob("../app/web/*.go") // views.Text("Key")
	gos = append(gos, handlers...)
	for _, f := range gos {
		if !strings.HasSuffix(f, "_templ.go") && !strings.HasSuffix(f, "_test.go") {
			files = append(files, f)
		}
	}
	used := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue // a comment's example
			}
			for _, m := range keyUse.FindAllStringSubmatch(line, -1) {
				id := m[1]
				used[id] = true
				if !admin[id] && !invitee[id] {
					t.Errorf("%s asks for %s, which no catalog has", f, id)
				}
			}
		}
	}
	var unused []string
	for id := range admin {
		if !used[id] {
			unused = append(unused, id)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("admin.en.yaml keys no view uses: %s", strings.Join(unused, ", "))
	}
	if len(used) < len(admin) {
		t.Errorf("found %d ids in the views for %d admin keys: the scan missed some", len(used), len(admin))
	}
}
