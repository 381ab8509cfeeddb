// Package config reads the application's settings from the environment and
// validates them, reporting every problem at once.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/accessrequests/accessrequests/app/secret"
)

// Config is the validated configuration of one process.
type Config struct {
	Env          string // "development" or "production"
	Port         string
	DataDir      string
	DatabaseURL  string // empty: SQLite under DataDir
	BaseURL      *url.URL
	SecretKey    []byte
	OldKeys      [][]byte
	DemoPassword string
	SourcesFile  string
	// TrustedProxies lists networks whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// MetricsAddr is the operators' listener for /metrics (empty: none).
	MetricsAddr string
	// MetricsToken, when set, also serves /metrics on the public port to
	// requests bearing it.
	MetricsToken string
	// RequestTimeout is the deadline of every request's handler.
	RequestTimeout time.Duration
	// StatementTimeout bounds every database statement.
	StatementTimeout time.Duration
	// ShutdownDrain is how long the server keeps serving, with /readyz
	// failing, after SIGTERM before it stops accepting connections.
	ShutdownDrain time.Duration
	// SessionIdleTimeout ends a sign-in session unused for this long
	// (SESSION_IDLE_TIMEOUT, default 2h); SessionLifetime ends it this long
	// after sign-in whatever its use (SESSION_LIFETIME, default 12h).
	SessionIdleTimeout time.Duration
	SessionLifetime    time.Duration
	// SandboxTokenTTL is the lifetime of the sandbox provider's access
	// tokens (SANDBOX_TOKEN_TTL, default 1h).
	SandboxTokenTTL time.Duration

	// SMTP is the mail server (SMTP_URL); nil without one: outside
	// production mail then goes to the development mailbox, in production
	// no mail is sent.
	SMTP *SMTP
	// MailFrom is the sender of every mail (MAIL_FROM).
	MailFrom string

	// GeneratedKey is set when a development key was created on this start.
	GeneratedKey bool
}

// Production reports whether APP_ENV=production.
func (c *Config) Production() bool { return c.Env == "production" }

// SQLitePath is the database file used when DatabaseURL is empty.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "accessrequests.db") }

// Load reads the configuration from env (a getenv function, so tests pass
// their own). Outside production a missing APP_SECRET_KEY is generated once
// into DataDir/secret.key.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{
		Env:          strings.ToLower(strings.TrimSpace(getenv("APP_ENV"))),
		Port:         getenv("PORT"),
		DataDir:      getenv("DATA_DIR"),
		DatabaseURL:  strings.TrimSpace(getenv("DATABASE_URL")),
		DemoPassword: getenv("DEMO_PASSWORD"),
		SourcesFile:  getenv("SOURCES_FILE"),
		LogLevel:     strings.ToLower(getenv("LOG_LEVEL")),
	}
	if c.Env == "" {
		c.Env = "development"
	}
	if c.Port == "" {
		c.Port = "8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}

	var problems []error
	if c.Env != "development" && c.Env != "production" && c.Env != "test" {
		problems = append(problems, fmt.Errorf("APP_ENV must be development, test or production, not %q", c.Env))
	}
	if p, err := strconv.Atoi(c.Port); err != nil || p < 0 || p > 65535 {
		problems = append(problems, fmt.Errorf("PORT must be a number from 0 to 65535, not %q", c.Port))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		problems = append(problems, errors.New("DATABASE_URL must start with postgres:// (leave it empty for the embedded SQLite database)"))
	}

	base := getenv("APP_BASE_URL")
	switch {
	case base == "" && c.Production():
		problems = append(problems, errors.New("APP_BASE_URL is required in production (for example https://access.example.com)"))
	case base == "":
		base = "http://localhost:" + c.Port
	}
	if base != "" {
		if u, err := parseBaseURL(base); err != nil {
			problems = append(problems, err)
		} else {
			c.BaseURL = u
			if c.Production() && u.Scheme != "https" {
				problems = append(problems, errors.New("APP_BASE_URL must use https in production"))
			}
		}
	}

	if raw := getenv("APP_SECRET_KEY"); raw != "" {
		k, err := decodeKey(raw)
		if err != nil {
			problems = append(problems, fmt.Errorf("APP_SECRET_KEY: %w", err))
		}
		c.SecretKey = k
	} else if c.Production() {
		problems = append(problems, errors.New("APP_SECRET_KEY is required in production (32 random bytes, base64: openssl rand -base64 32)"))
	}
	for i, raw := range strings.FieldsFunc(getenv("APP_OLD_SECRET_KEYS"), func(r rune) bool { return r == ',' || r == ' ' }) {
		k, err := decodeKey(raw)
		if err != nil {
			problems = append(problems, fmt.Errorf("APP_OLD_SECRET_KEYS entry %d: %w", i+1, err))
			continue
		}
		c.OldKeys = append(c.OldKeys, k)
	}

	for _, entry := range strings.FieldsFunc(getenv("TRUSTED_PROXIES"), func(r rune) bool { return r == ',' || r == ' ' }) {
		cidr := entry
		if !strings.Contains(cidr, "/") {
			if ip := net.ParseIP(cidr); ip != nil && ip.To4() != nil {
				cidr += "/32"
			} else {
				cidr += "/128"
			}
		}
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			problems = append(problems, fmt.Errorf("TRUSTED_PROXIES: %q is not an address or CIDR range", entry))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}

	problems = append(problems, c.loadLimits(getenv)...)
	problems = append(problems, c.loadMail(getenv)...)

	if !c.Production() && c.DemoPassword != "" && len(c.DemoPassword) < MinDemoPasswordLength {
		problems = append(problems, fmt.Errorf("DEMO_PASSWORD must be at least %d characters (the demo users' password)", MinDemoPasswordLength))
	}
	if err := checkTracing(getenv); err != nil {
		problems = append(problems, err)
	}

	if c.SourcesFile != "" {
		if _, err := os.Stat(c.SourcesFile); err != nil {
			problems = append(problems, fmt.Errorf("SOURCES_FILE %q cannot be read: %v", c.SourcesFile, err))
		}
	}

	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return c, nil
}

// loadLimits reads the operator endpoints and the time limits.
func (c *Config) loadLimits(getenv func(string) string) []error {
	var problems []error
	c.MetricsAddr = strings.TrimSpace(getenv("METRICS_ADDR"))
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			problems = append(problems, fmt.Errorf("METRICS_ADDR must be host:port (for example 127.0.0.1:9090), not %q", c.MetricsAddr))
		}
	}
	c.MetricsToken = strings.TrimSpace(getenv("METRICS_TOKEN"))
	if c.MetricsToken != "" && len(c.MetricsToken) < 32 {
		problems = append(problems, errors.New("METRICS_TOKEN must be at least 32 characters (openssl rand -hex 32)"))
	}
	for _, d := range []durationVar{
		{"REQUEST_TIMEOUT", &c.RequestTimeout, 15 * time.Second, time.Nanosecond, 10 * time.Minute},
		{"DB_STATEMENT_TIMEOUT", &c.StatementTimeout, 5 * time.Second, time.Nanosecond, 10 * time.Minute},
		{"SHUTDOWN_DRAIN", &c.ShutdownDrain, 5 * time.Second, 0, 10 * time.Minute},
		{"SESSION_IDLE_TIMEOUT", &c.SessionIdleTimeout, 2 * time.Hour, time.Minute, 0},
		{"SESSION_LIFETIME", &c.SessionLifetime, 12 * time.Hour, time.Minute, 0},
		{"SANDBOX_TOKEN_TTL", &c.SandboxTokenTTL, time.Hour, time.Second, 24 * time.Hour},
	} {
		if err := d.load(getenv); err != nil {
			problems = append(problems, err)
		}
	}
	return problems
}

// EnsureDevKey loads or creates DataDir/secret.key when no key was given
// (never in production, where Load already refused to start). The file is
// written atomically (a temporary file in the same directory, fsync, then
// linked into place), so a full disk or a crash never leaves a partial key
// behind; of two processes creating it together, both end up with the one
// that landed first.
func (c *Config) EnsureDevKey() error {
	if c.SecretKey != nil {
		return nil
	}
	if fi, err := os.Stat(c.DataDir); err == nil && !fi.IsDir() {
		return fmt.Errorf("DATA_DIR %s is not a directory", c.DataDir)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("DATA_DIR %s cannot be created: %w", c.DataDir, err)
	}
	path := filepath.Join(c.DataDir, "secret.key")
	k, err := readDevKey(path)
	if err == nil {
		c.SecretKey = k
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	k = make([]byte, secret.KeySize)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	created, err := writeNew(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"))
	if err != nil {
		return fmt.Errorf("DATA_DIR %s: cannot write the development key (%w); free some space or fix the directory's permissions, or set APP_SECRET_KEY", c.DataDir, err)
	}
	if !created { // another process wrote it first: use that one
		if k, err = readDevKey(path); err != nil {
			return err
		}
	}
	c.SecretKey = k
	c.GeneratedKey = created
	return nil
}

// durationVar is one duration setting: its variable, default and bounds
// (Max zero: no upper bound).
type durationVar struct {
	name     string
	dst      *time.Duration
	def      time.Duration
	min, max time.Duration
}

func (d durationVar) load(getenv func(string) string) error {
	*d.dst = d.def
	raw := strings.TrimSpace(getenv(d.name))
	if raw == "" {
		return nil
	}
	v, err := time.ParseDuration(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%s must be a duration such as %s, not %q", d.name, d.def, raw)
	case v < d.min:
		least := "zero or more"
		if d.min == time.Nanosecond {
			least = "more than zero"
		} else if d.min > 0 {
			least = "at least " + d.min.String()
		}
		return fmt.Errorf("%s must be %s, not %q", d.name, least, raw)
	case d.max > 0 && v > d.max:
		return fmt.Errorf("%s must be at most %s, not %q", d.name, d.max, raw)
	}
	*d.dst = v
	return nil
}

// readDevKey reads a development key file; an error other than
// os.ErrNotExist names the file and says how to repair it.
func readDevKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("development key %s cannot be read: %w", path, err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, fmt.Errorf("development key %s is empty (an earlier start could not write it, for example on a full disk): "+
			"delete the file to have a new key generated (nothing can have been sealed with an empty key), or set APP_SECRET_KEY", path)
	}
	k, err := decodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("development key %s is damaged (%v): restore it from a backup, or set APP_SECRET_KEY to the key the data was sealed with; "+
			"delete the file only if the database may lose its sealed links and tokens", path, err)
	}
	return k, nil
}

// writeNew creates path with data unless it exists, atomically: the data
// goes to a temporary file in the same directory, is synced, and is linked
// to path (which fails if path exists). created is false when path already
// existed.
func writeNew(path string, data []byte) (created bool, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		// A file system without hard links: rename, which replaces.
		if _, statErr := os.Stat(path); statErr == nil {
			return false, nil
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return false, err
		}
	}
	if d, err := os.Open(dir); err == nil { // make the new name durable
		_ = d.Sync()
		d.Close()
	}
	return true, nil
}

// parseBaseURL accepts only scheme and host (with an optional port): the
// app serves at the root, and everything in a link or the redirect URI is
// built on this value, so a path, a query, a fragment or credentials would
// end up in every link (or break them).
func parseBaseURL(raw string) (*url.URL, error) {
	bad := func(why string) error {
		return fmt.Errorf("APP_BASE_URL must be the site's origin, like https://access.example.com (%s), not %q", why, raw)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "" || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
		return nil, bad("an absolute http(s) URL")
	case u.User != nil:
		return nil, bad("no user name or password")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, bad("no query")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, bad("no fragment")
	case strings.Contains(u.Path, "..") || strings.Contains(u.RawPath, ".."):
		return nil, bad("no \"..\"")
	case u.Path != "" && u.Path != "/":
		return nil, bad("no path: the app serves at the root of its host")
	case strings.ContainsAny(u.Host, " \t\r\n"):
		return nil, bad("an absolute http(s) URL")
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil {
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return nil, bad("a port from 0 to 65535")
		}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != secret.KeySize {
				if isHex(s, 2*secret.KeySize) {
					return nil, fmt.Errorf("must be %d bytes in base64, and this looks like hex: use openssl rand -base64 32", secret.KeySize)
				}
				return nil, fmt.Errorf("must decode to %d bytes, got %d", secret.KeySize, len(k))
			}
			return k, nil
		}
	}
	return nil, errors.New("must be base64")
}

// isHex reports whether s is n hexadecimal digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// MinDemoPasswordLength is the shortest DEMO_PASSWORD: the domain's least
// password length (access.MinPasswordLength; a test in package main keeps
// the two equal), checked here so a short one is named at start.
const MinDemoPasswordLength = 10

// checkTracing refuses an OTLP endpoint the exporter could not use, naming
// the variable that holds it (telemetry.SetupTracing reads the same ones).
func checkTracing(getenv func(string) string) error {
	if getenv("OTEL_SDK_DISABLED") == "true" {
		return nil
	}
	name, endpoint := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		name, endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT", getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	if endpoint == "" {
		return nil
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an http(s) URL (for example http://127.0.0.1:4318), not %q", name, endpoint)
	}
	return nil
}
