package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/accessrequests/accessrequests/app/api"
)

// TestSpecIsCurrent: the OpenAPI documents the generated client was made
// from (app/api/client) are the ones the code declares now. After changing
// the API: go generate ./app/api/client, and commit.
func TestSpecIsCurrent(t *testing.T) {
	v31, v30 := api.Specs()
	for name, want := range map[string][]byte{"client/openapi.json": v31, "client/openapi-3.0.json": v30} {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not the document the code declares: run go generate ./app/api/client and commit", name)
		}
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(v31, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi.json declares OpenAPI %q (%v), want 3.1.0", doc.OpenAPI, err)
	}
	if err := json.Unmarshal(v30, &doc); err != nil || doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi-3.0.json declares OpenAPI %q (%v), want 3.0.3", doc.OpenAPI, err)
	}
}
