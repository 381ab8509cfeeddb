package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestStartLogsUnconfiguredSources (item 22): at start one log line names
// the sources without credentials and the variables that enable them; a
// source with credentials is not in it.
func TestStartLogsUnconfiguredSources(t *testing.T) {
	// The catalog reads credentials from the process environment.
	t.Setenv("SOURCE_XERO_CLIENT_ID", "xero-id")
	t.Setenv("SOURCE_XERO_CLIENT_SECRET", "xero-secret")
	env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": "demo-password-123", "DATABASE_URL": ""}
	base, logs, stop := serveFor(t, env)
	defer stop()
	if res, err := http.Get(base + "/healthz"); err == nil {
		res.Body.Close()
	}

	var lines []map[string]any
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && strings.Contains(rec["msg"].(string), "sources without credentials") {
			lines = append(lines, rec)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d log lines about sources without credentials, want 1:\n%s", len(lines), logs.String())
	}
	rec := lines[0]
	keys, _ := rec["sources"].(string)
	vars, _ := rec["set"].(string)
	for _, want := range []string{"google_ads", "hubspot"} {
		if !strings.Contains(keys, want) {
			t.Errorf("sources %q does not name %s", keys, want)
		}
	}
	for _, want := range []string{"SOURCE_GOOGLE_ADS_CLIENT_ID", "SOURCE_GOOGLE_ADS_CLIENT_SECRET", "SOURCE_HUBSPOT_CLIENT_SECRET"} {
		if !strings.Contains(vars, want) {
			t.Errorf("variables %q do not name %s", vars, want)
		}
	}
	if strings.Contains(keys, "xero") || strings.Contains(vars, "XERO") || strings.Contains(keys, "sandbox") {
		t.Errorf("a source with credentials is listed: %q / %q", keys, vars)
	}
	if strings.Contains(logs.String(), "xero-secret") {
		t.Error("a client secret is in the log")
	}
}
