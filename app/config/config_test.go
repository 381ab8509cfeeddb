package config_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/config"
)

// env returns a getenv function over vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func b64(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

func mustLoad(t *testing.T, vars map[string]string) *config.Config {
	t.Helper()
	c, err := config.Load(env(vars))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func loadErr(t *testing.T, vars map[string]string) string {
	t.Helper()
	c, err := config.Load(env(vars))
	if err == nil {
		t.Fatalf("Load succeeded with %+v, want an error", c)
	}
	if c != nil {
		t.Fatalf("Load returned a config along with error %v", err)
	}
	return err.Error()
}

func wantAll(t *testing.T, msg string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not mention %q", msg, p)
		}
	}
}

func TestLoad(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		c := mustLoad(t, nil)
		if c.Env != "development" || c.Production() {
			t.Errorf("Env = %q, Production = %v; want development", c.Env, c.Production())
		}
		if c.Port != "8080" {
			t.Errorf("Port = %q, want 8080", c.Port)
		}
		if c.DataDir != "./data" {
			t.Errorf("DataDir = %q, want ./data", c.DataDir)
		}
		if c.SQLitePath() != filepath.Join("data", "accessrequests.db") {
			t.Errorf("SQLitePath = %q", c.SQLitePath())
		}
		if c.LogLevel != "info" {
			t.Errorf("LogLevel = %q, want info", c.LogLevel)
		}
		if c.DatabaseURL != "" || c.SecretKey != nil || len(c.OldKeys) != 0 || len(c.TrustedProxies) != 0 || c.GeneratedKey {
			t.Errorf("unexpected non-default values: %+v", c)
		}
		if c.BaseURL == nil || c.BaseURL.String() != "http://localhost:8080" {
			t.Errorf("BaseURL = %v, want http://localhost:8080", c.BaseURL)
		}
	})

	t.Run("OK", func(t *testing.T) {
		c := mustLoad(t, map[string]string{
			"APP_ENV":             " Production ",
			"PORT":                "9000",
			"DATA_DIR":            "/var/lib/app",
			"DATABASE_URL":        " postgresql://u@db/app ",
			"APP_BASE_URL":        "https://access.example.com/",
			"APP_SECRET_KEY":      b64(testKey(1)),
			"APP_OLD_SECRET_KEYS": base64.RawURLEncoding.EncodeToString(testKey(2)) + ", " + b64(testKey(3)),
			"LOG_LEVEL":           "DEBUG",
		})
		if !c.Production() || c.Port != "9000" || c.DataDir != "/var/lib/app" || c.LogLevel != "debug" {
			t.Errorf("config = %+v", c)
		}
		if c.DatabaseURL != "postgresql://u@db/app" {
			t.Errorf("DatabaseURL = %q", c.DatabaseURL)
		}
		if c.BaseURL.String() != "https://access.example.com" {
			t.Errorf("BaseURL = %q, want the trailing slash trimmed", c.BaseURL)
		}
		if !bytes.Equal(c.SecretKey, testKey(1)) {
			t.Errorf("SecretKey = %x", c.SecretKey)
		}
		if len(c.OldKeys) != 2 || !bytes.Equal(c.OldKeys[0], testKey(2)) || !bytes.Equal(c.OldKeys[1], testKey(3)) {
			t.Errorf("OldKeys = %x", c.OldKeys)
		}
	})

	t.Run("ErrEveryProblemAtOnce", func(t *testing.T) {
		msg := loadErr(t, map[string]string{"PORT": "80a", "APP_ENV": "staging",
			"LOG_LEVEL": "verbose", "DATABASE_URL": "mysql://localhost/app"})
		wantAll(t, msg, "PORT", `"80a"`, "APP_ENV", `"staging"`, "LOG_LEVEL", `"verbose"`, "DATABASE_URL")
	})

	t.Run("ErrPort", func(t *testing.T) {
		for _, p := range []string{"-1", "65536", "http", " 80"} {
			wantAll(t, loadErr(t, map[string]string{"PORT": p}), "PORT")
		}
		for _, p := range []string{"0", "1", "65535"} {
			if c := mustLoad(t, map[string]string{"PORT": p}); c.Port != p {
				t.Errorf("Port = %q, want %q", c.Port, p)
			}
		}
	})

	t.Run("TestEnv", func(t *testing.T) {
		if c := mustLoad(t, map[string]string{"APP_ENV": "test"}); c.Env != "test" || c.Production() {
			t.Errorf("Env = %q", c.Env)
		}
	})

	t.Run("ErrProductionRequiresKeyAndBaseURL", func(t *testing.T) {
		msg := loadErr(t, map[string]string{"APP_ENV": "production"})
		wantAll(t, msg, "APP_SECRET_KEY is required", "APP_BASE_URL is required")
	})

	t.Run("ErrProductionRequiresHTTPS", func(t *testing.T) {
		msg := loadErr(t, map[string]string{
			"APP_ENV":        "production",
			"APP_SECRET_KEY": b64(testKey(1)),
			"APP_BASE_URL":   "http://access.example.com",
		})
		wantAll(t, msg, "APP_BASE_URL", "https")
		// The same URL is fine outside production.
		mustLoad(t, map[string]string{"APP_BASE_URL": "http://access.example.com"})
	})

	t.Run("ProductionOK", func(t *testing.T) {
		c := mustLoad(t, map[string]string{
			"APP_ENV":        "production",
			"APP_SECRET_KEY": b64(testKey(1)),
			"APP_BASE_URL":   "https://access.example.com",
		})
		if !c.Production() || c.BaseURL.Scheme != "https" {
			t.Errorf("config = %+v", c)
		}
	})

	t.Run("ErrBaseURL", func(t *testing.T) {
		for _, u := range []string{"access.example.com", "ftp://access.example.com", "https://", "https://a.example/?x=1", "https://a.example/#top", "/relative"} {
			wantAll(t, loadErr(t, map[string]string{"APP_BASE_URL": u}), "APP_BASE_URL")
		}
	})

	// Issue 7 item 8: a path ("/.." panicked after seeding), credentials
	// (they would be in every link), a query or a fragment are refused with
	// a message naming APP_BASE_URL, together with the other problems.
	t.Run("ErrBaseURLParts", func(t *testing.T) {
		for _, tc := range []struct{ url, why string }{
			{"https://a.example/..", `".."`},
			{"https://a.example/x/../y", `".."`},
			{"https://a.example/prefix", "no path"},
			{"https://a.example/prefix/", "no path"},
			{"http://user:pass@a.example", "no user name or password"},
			{"https://user@a.example", "no user name or password"},
			{"https://a.example?", "no query"},
			{"https://a.example/?next=/x", "no query"},
			{"https://a.example#", "no fragment"},
			{"https://a.example:99999", "port"},
			{"https://:8080", "absolute"},
			{"mailto:a@b.example", "absolute"},
		} {
			msg := loadErr(t, map[string]string{"APP_BASE_URL": tc.url, "LOG_LEVEL": "loud"})
			wantAll(t, msg, "APP_BASE_URL", tc.url, tc.why, "LOG_LEVEL")
		}
		for _, ok := range []string{"https://a.example", "https://a.example/", "http://localhost:8080", "https://[::1]:8443/"} {
			c := mustLoad(t, map[string]string{"APP_BASE_URL": ok})
			if c.BaseURL.Path != "" || c.BaseURL.User != nil || strings.HasSuffix(c.BaseURL.String(), "/") {
				t.Errorf("BaseURL from %q = %q", ok, c.BaseURL)
			}
		}
	})

	t.Run("ErrSecretKey", func(t *testing.T) {
		wantAll(t, loadErr(t, map[string]string{"APP_SECRET_KEY": "not base64 !!"}), "APP_SECRET_KEY", "base64")
		wantAll(t, loadErr(t, map[string]string{"APP_SECRET_KEY": b64(make([]byte, 16))}), "APP_SECRET_KEY", "32 bytes")
		wantAll(t, loadErr(t, map[string]string{"APP_OLD_SECRET_KEYS": b64(testKey(1)) + ",short"}), "APP_OLD_SECRET_KEYS entry 2")
	})

	t.Run("TrustedProxies", func(t *testing.T) {
		c := mustLoad(t, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ::1,fd00::/8"})
		var got []string
		for _, n := range c.TrustedProxies {
			got = append(got, n.String())
		}
		want := []string{"10.0.0.0/8", "192.168.1.7/32", "::1/128", "fd00::/8"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("TrustedProxies = %v, want %v", got, want)
		}
		if !c.TrustedProxies[0].Contains([]byte{10, 1, 2, 3}) || c.TrustedProxies[1].Contains([]byte{192, 168, 1, 8}) {
			t.Fatal("parsed networks contain the wrong addresses")
		}
	})

	t.Run("SessionDurations", func(t *testing.T) {
		c := mustLoad(t, map[string]string{})
		if c.SessionIdleTimeout != 2*time.Hour || c.SessionLifetime != 12*time.Hour {
			t.Fatalf("defaults: idle %v, lifetime %v; want 2h, 12h", c.SessionIdleTimeout, c.SessionLifetime)
		}
		c = mustLoad(t, map[string]string{"SESSION_IDLE_TIMEOUT": "30m", "SESSION_LIFETIME": "8h"})
		if c.SessionIdleTimeout != 30*time.Minute || c.SessionLifetime != 8*time.Hour {
			t.Fatalf("set: idle %v, lifetime %v; want 30m, 8h", c.SessionIdleTimeout, c.SessionLifetime)
		}
	})

	t.Run("ErrSessionDurations", func(t *testing.T) {
		for _, bad := range []string{"2", "soon", "-1h", "10s"} {
			wantAll(t, loadErr(t, map[string]string{"SESSION_IDLE_TIMEOUT": bad, "SESSION_LIFETIME": bad}), "SESSION_IDLE_TIMEOUT", "SESSION_LIFETIME", bad)
		}
	})

	t.Run("SandboxTokenTTL", func(t *testing.T) {
		if c := mustLoad(t, map[string]string{}); c.SandboxTokenTTL != time.Hour {
			t.Fatalf("default SandboxTokenTTL = %v, want 1h", c.SandboxTokenTTL)
		}
		for raw, want := range map[string]time.Duration{"5s": 5 * time.Second, " 1s ": time.Second, "24h": 24 * time.Hour} {
			if c := mustLoad(t, map[string]string{"SANDBOX_TOKEN_TTL": raw}); c.SandboxTokenTTL != want {
				t.Errorf("SANDBOX_TOKEN_TTL=%q: %v, want %v", raw, c.SandboxTokenTTL, want)
			}
		}
	})

	t.Run("ErrSandboxTokenTTL", func(t *testing.T) {
		for bad, why := range map[string]string{
			"5": "a duration such as 1h0m0s", "soon": "a duration", "0s": "at least 1s", "-5s": "at least 1s",
			"500ms": "at least 1s", "25h": "at most 24h0m0s",
		} {
			wantAll(t, loadErr(t, map[string]string{"SANDBOX_TOKEN_TTL": bad}), "SANDBOX_TOKEN_TTL", why, bad)
		}
	})

	t.Run("ErrTrustedProxies", func(t *testing.T) {
		for _, bad := range []string{"proxy.internal", "10.0.0.0/33", "300.1.1.1"} {
			wantAll(t, loadErr(t, map[string]string{"TRUSTED_PROXIES": "10.0.0.1," + bad}), "TRUSTED_PROXIES", bad)
		}
	})

	t.Run("ErrSourcesFile", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "missing.yaml")
		wantAll(t, loadErr(t, map[string]string{"SOURCES_FILE": missing}), "SOURCES_FILE", missing)

		present := filepath.Join(t.TempDir(), "sources.yaml")
		if err := os.WriteFile(present, []byte("sources: []\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if c := mustLoad(t, map[string]string{"SOURCES_FILE": present}); c.SourcesFile != present {
			t.Fatalf("SourcesFile = %q", c.SourcesFile)
		}
	})
}

func TestEnsureDevKey(t *testing.T) {
	t.Run("CreatesOnceThenReuses", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nested", "data")
		c := mustLoad(t, map[string]string{"DATA_DIR": dir})
		if err := c.EnsureDevKey(); err != nil {
			t.Fatal(err)
		}
		if len(c.SecretKey) != 32 || !c.GeneratedKey {
			t.Fatalf("SecretKey %d bytes, GeneratedKey %v; want 32 bytes, true", len(c.SecretKey), c.GeneratedKey)
		}
		path := filepath.Join(dir, "secret.key")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Fatalf("key file mode = %o, want 600", mode)
		}
		if di, err := os.Stat(dir); err != nil || di.Mode().Perm()&0o077 != 0 {
			t.Fatalf("data dir mode = %v, %v; want no group or other access", di.Mode(), err)
		}
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}

		again := mustLoad(t, map[string]string{"DATA_DIR": dir})
		if err := again.EnsureDevKey(); err != nil {
			t.Fatal(err)
		}
		if again.GeneratedKey {
			t.Fatal("second start generated a new key")
		}
		if !bytes.Equal(again.SecretKey, c.SecretKey) {
			t.Fatal("second start loaded a different key")
		}
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Fatal("key file was rewritten")
		}
	})

	t.Run("GivenKeyWins", func(t *testing.T) {
		dir := t.TempDir()
		c := mustLoad(t, map[string]string{"DATA_DIR": dir, "APP_SECRET_KEY": b64(testKey(7))})
		if err := c.EnsureDevKey(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.SecretKey, testKey(7)) || c.GeneratedKey {
			t.Fatal("EnsureDevKey replaced the configured key")
		}
		if _, err := os.Stat(filepath.Join(dir, "secret.key")); !os.IsNotExist(err) {
			t.Fatalf("key file written although a key was configured: %v", err)
		}
	})

	t.Run("ErrCorruptFile", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte("too short\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := mustLoad(t, map[string]string{"DATA_DIR": dir})
		err := c.EnsureDevKey()
		if err == nil || !strings.Contains(err.Error(), "secret.key") {
			t.Fatalf("err = %v, want an error naming secret.key", err)
		}
		if c.SecretKey != nil {
			t.Fatal("a corrupt key file produced a key")
		}
	})
}

// TestLoadLimits: the operator endpoints and time limits of issue 7
// (items 2, 13, 15) have defaults and are validated.
func TestLoadLimits(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		c := mustLoad(t, nil)
		if c.RequestTimeout != 15*time.Second || c.StatementTimeout != 5*time.Second || c.ShutdownDrain != 5*time.Second {
			t.Errorf("timeouts = %s, %s, %s; want 15s, 5s, 5s", c.RequestTimeout, c.StatementTimeout, c.ShutdownDrain)
		}
		if c.MetricsAddr != "" || c.MetricsToken != "" {
			t.Errorf("metrics served by default: %q %q", c.MetricsAddr, c.MetricsToken)
		}
	})
	t.Run("OK", func(t *testing.T) {
		c := mustLoad(t, map[string]string{
			"REQUEST_TIMEOUT": "30s", "DB_STATEMENT_TIMEOUT": "1500ms", "SHUTDOWN_DRAIN": "0s",
			"METRICS_ADDR": "127.0.0.1:9090", "METRICS_TOKEN": strings.Repeat("t", 32),
		})
		if c.RequestTimeout != 30*time.Second || c.StatementTimeout != 1500*time.Millisecond || c.ShutdownDrain != 0 {
			t.Errorf("timeouts = %s, %s, %s", c.RequestTimeout, c.StatementTimeout, c.ShutdownDrain)
		}
		if c.MetricsAddr != "127.0.0.1:9090" || c.MetricsToken != strings.Repeat("t", 32) {
			t.Errorf("metrics = %q %q", c.MetricsAddr, c.MetricsToken)
		}
	})
	t.Run("ErrEveryProblemAtOnce", func(t *testing.T) {
		msg := loadErr(t, map[string]string{
			"REQUEST_TIMEOUT": "15", "DB_STATEMENT_TIMEOUT": "0s", "SHUTDOWN_DRAIN": "-1s",
			"METRICS_ADDR": "9090", "METRICS_TOKEN": "short",
		})
		wantAll(t, msg, "REQUEST_TIMEOUT", `"15"`, "DB_STATEMENT_TIMEOUT", "more than zero", "SHUTDOWN_DRAIN", "zero or more", "METRICS_ADDR", "METRICS_TOKEN")
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		wantAll(t, loadErr(t, map[string]string{"REQUEST_TIMEOUT": "1h"}), "REQUEST_TIMEOUT", "at most")
	})
}

// Mistakes an operator makes that the first message should name plainly:
// a hex key where base64 is asked, a demo password the users could not
// have, a tracing endpoint that is not a URL (named by its variable).
func TestLoadOperatorMistakes(t *testing.T) {
	hex := strings.Repeat("ab", 32) // openssl rand -hex 32
	wantAll(t, loadErr(t, map[string]string{"APP_SECRET_KEY": hex}), "APP_SECRET_KEY", "looks like hex", "openssl rand -base64 32")
	wantAll(t, loadErr(t, map[string]string{"APP_OLD_SECRET_KEYS": hex}), "APP_OLD_SECRET_KEYS entry 1", "looks like hex")

	wantAll(t, loadErr(t, map[string]string{"DEMO_PASSWORD": "abc"}), "DEMO_PASSWORD", "at least 10 characters")
	mustLoad(t, map[string]string{"DEMO_PASSWORD": "abcdefghij"})

	for _, c := range []struct{ name, value string }{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://x"},
	} {
		// Reported with every other problem at once.
		msg := loadErr(t, map[string]string{c.name: c.value, "REQUEST_TIMEOUT": "abc"})
		wantAll(t, msg, c.name+" must be an http(s) URL", c.value, "REQUEST_TIMEOUT")
	}
	mustLoad(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
	mustLoad(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318", "OTEL_SDK_DISABLED": "true"})
}
