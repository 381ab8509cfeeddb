package sources

import (
	"bytes"
	"testing"

	"go.yaml.in/yaml/v3"
)

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
