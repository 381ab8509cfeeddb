package sources

import (
	"bytes"
	_ "embed"
	"reflect"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// builtin is the catalog's source; Load uses it compiled (catalog_gen.go).
//
//go:embed catalog.yaml
var builtin []byte

// TestBuiltinCatalogGenerated fails when catalog_gen.go is not
// catalog.yaml: run go generate ./app/sources after changing the YAML.
func TestBuiltinCatalogGenerated(t *testing.T) {
	var f file
	if err := yaml.Unmarshal(builtin, &f); err != nil {
		t.Fatalf("catalog.yaml: %v", err)
	}
	if got := builtinSources(); !reflect.DeepEqual(got, f.Sources) {
		t.Fatal("catalog_gen.go differs from catalog.yaml: run go generate ./app/sources")
	}
}

// TestBuiltinSourcesFresh: every call returns its own copy, so that what
// one Load changes (scope translations) neither leaks into the next nor
// races with a concurrent one.
func TestBuiltinSourcesFresh(t *testing.T) {
	a := builtinSources()
	a[0].Scopes[0].Name = "changed"
	a[0].AuthParams = map[string]string{"changed": "1"}
	if b := builtinSources(); b[0].Scopes[0].Name == "changed" || b[0].AuthParams["changed"] != "" {
		t.Fatal("builtinSources shares its values between calls")
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := Load(Options{Production: true}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// TestBuiltinCatalogStrict decodes the embedded catalog with unknown fields
// refused, as SOURCES_FILE is: a misspelt field in catalog.yaml would
// otherwise be dropped without a word.
func TestBuiltinCatalogStrict(t *testing.T) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(builtin))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("catalog.yaml: %v", err)
	}
	seen := map[string]bool{}
	for _, s := range f.Sources {
		if seen[s.Key] {
			t.Errorf("catalog.yaml lists %q twice", s.Key)
		}
		seen[s.Key] = true
	}
	if len(f.Sources) == 0 {
		t.Fatal("catalog.yaml has no sources")
	}
}
