package main

// The serving process as operators run it: draining before shutdown
// (item 15 of issue 7), the operators' metrics listener (item 2), and time
// limits on a stalled database (item 13).

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // the "sqlite" driver, to hold a lock from outside
	"github.com/jackc/pgx/v5"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

const serveDemoPassword = "demo-password-123"

// getStatus answers the status of GET url, or 0 if nothing answers.
func getStatus(url string) int {
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(url)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// TestDrainBeforeShutdown (item 15): after the signal, /readyz fails at
// once while pages are still served for SHUTDOWN_DRAIN; then the listener
// closes.
func TestDrainBeforeShutdown(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": serveDemoPassword, "SHUTDOWN_DRAIN": "4s"}
	base, logs, stop := serveFor(t, env)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	if err := logs.waitFor("shutting down: draining", stopped); err != nil {
		t.Fatalf("no drain after the signal: %v\n%s", err, logs.String())
	}
	if got := getStatus(base + "/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while draining: %d, want 503:\n%s", got, logs.String())
	}
	if got := getStatus(base + "/"); got != http.StatusSeeOther {
		t.Fatalf("GET / while draining: %d, want 303 (still served)", got)
	}
	if got := getStatus(base + "/login"); got != http.StatusOK {
		t.Fatalf("GET /login while draining: %d, want 200", got)
	}
	select {
	case err := <-stopped:
		t.Fatalf("stopped before the drain period was over (err %v)", err)
	default:
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if got := getStatus(base + "/healthz"); got != 0 {
		t.Fatalf("the listener still answers after shutdown: %d", got)
	}
	if !strings.Contains(logs.String(), "draining") {
		t.Errorf("no drain in the log:\n%s", logs.String())
	}
}

// TestMetricsListener (item 2): metrics are served on METRICS_ADDR and not
// on the public port.
func TestMetricsListener(t *testing.T) {
	metricsLn, metricsPort := listen(t)
	metricsAddr := "127.0.0.1:" + metricsPort
	env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": serveDemoPassword, "METRICS_ADDR": metricsAddr}
	base, _, stop := serveFor(t, env, withMetricsListener(metricsLn))
	defer stop()
	if got := getStatus(base + "/metrics"); got != http.StatusNotFound {
		t.Fatalf("/metrics on the public port: %d, want 404", got)
	}
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `http_requests_total{method="GET",route="/readyz",status="200"}`) {
		t.Fatalf("operators' /metrics: %d\n%.500s", res.StatusCode, body)
	}
	// The Go runtime and the process, for operators.
	for _, series := range []string{"go_goroutines ", "go_gc_duration_seconds", "go_memstats_heap_alloc_bytes ", "go_sched_gomaxprocs_threads ", "process_resident_memory_bytes "} {
		if !strings.Contains(string(body), "\n"+series) {
			t.Errorf("operators' /metrics has no %s", series)
		}
	}
	// Profiles on the operators' listener only, never on the public port.
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
		if got := getStatus(base + path); got != http.StatusNotFound {
			t.Errorf("%s on the public port: %d, want 404", path, got)
		}
		if got := getStatus("http://" + metricsAddr + path); got != http.StatusOK {
			t.Errorf("%s on the operators' listener: %d, want 200", path, got)
		}
	}
}

// postLogin signs in the demo admin and returns the status, the
// Retry-After header, the body and how long the answer took.
func postLogin(t *testing.T, c *http.Client, base string) (int, string, string, time.Duration) {
	t.Helper()
	start := time.Now()
	res, err := c.PostForm(base+"/login", url.Values{"email": {"admin@demo.test"}, "password": {serveDemoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After"), string(b), time.Since(start)
}

func noRedirects() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// want503 checks a friendly 503 with Retry-After that came well before the
// limit that must not have been the one to fire.
func want503(t *testing.T, code int, retry, body string, took, notBefore time.Duration) {
	t.Helper()
	if code != http.StatusServiceUnavailable || retry == "" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After\n%.500s", code, retry, body)
	}
	if !strings.Contains(body, "try again") || !strings.Contains(body, "<html") {
		t.Fatalf("not the friendly page:\n%.500s", body)
	}
	if took >= notBefore {
		t.Fatalf("answered after %s, not before the other limit (%s)", took, notBefore)
	}
}

// stallCase is one timeout setting of TestStalledDatabase: the 503 must
// come before notBefore.
type stallCase struct {
	name, statement, request string
	notBefore                time.Duration
}

// TestStalledDatabase (item 13): with the database stalled by a lock held
// elsewhere, a page answers 503 with Retry-After once the statement
// timeout or the request deadline, whichever is shorter, runs out.
func TestStalledDatabase(t *testing.T) {
	t.Run("Postgres", func(t *testing.T) {
		dsn, _ := testutil.PostgresSchema(t, testutil.RequirePostgres(t))
		for _, tc := range []stallCase{
			{"StatementTimeout", "300ms", "2m", time.Minute},
			{"RequestTimeout", "2m", "500ms", time.Minute},
		} {
			t.Run(tc.name, func(t *testing.T) {
				env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": serveDemoPassword, "DATABASE_URL": dsn,
					"DB_STATEMENT_TIMEOUT": tc.statement, "REQUEST_TIMEOUT": tc.request}
				base, logs, stop := serveFor(t, env)
				defer stop()

				ctx := context.Background()
				conn, err := pgx.Connect(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				tx, err := conn.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec(ctx, "LOCK TABLE users IN ACCESS EXCLUSIVE MODE"); err != nil {
					t.Fatal(err)
				}
				code, retry, body, took := postLogin(t, noRedirects(), base)
				_ = tx.Rollback(ctx)
				want503(t, code, retry, body, took, tc.notBefore)
				if strings.Contains(logs.String(), `"internal error"`) {
					t.Errorf("logged as an internal error:\n%s", logs.String())
				}
				if code, _, _, _ := postLogin(t, noRedirects(), base); code != http.StatusSeeOther {
					t.Fatalf("sign-in once the lock is gone: %d, want 303", code)
				}
			})
		}
	})
	t.Run("SQLite", func(t *testing.T) {
		for _, tc := range []stallCase{
			{"BusyTimeout", "300ms", "2m", time.Minute},
			{"RequestTimeout", "2m", "500ms", time.Minute},
		} {
			t.Run(tc.name, func(t *testing.T) {
				dir := t.TempDir()
				env := map[string]string{"DATA_DIR": dir, "DEMO_PASSWORD": serveDemoPassword, "DATABASE_URL": "",
					"DB_STATEMENT_TIMEOUT": tc.statement, "REQUEST_TIMEOUT": tc.request}
				base, logs, stop := serveFor(t, env)
				defer stop()
				c := noRedirects()
				res, err := c.PostForm(base+"/login", url.Values{"email": {"admin@demo.test"}, "password": {serveDemoPassword}})
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				workspace := res.Header.Get("Location") // /w/{id}/sources
				if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(workspace, "/w/") {
					t.Fatalf("sign-in: %d %q", res.StatusCode, workspace)
				}

				// Another process holds SQLite's write lock.
				other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "accessrequests.db"))
				if err != nil {
					t.Fatal(err)
				}
				defer other.Close()
				ctx := context.Background()
				conn, err := other.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				res, err = c.PostForm(base+workspace+"/access-requests", url.Values{"source": {"sandbox"}})
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				_, _ = conn.ExecContext(ctx, "ROLLBACK")
				want503(t, res.StatusCode, res.Header.Get("Retry-After"), string(b), time.Since(start), tc.notBefore)
				if strings.Contains(logs.String(), `"internal error"`) {
					t.Errorf("logged as an internal error:\n%s", logs.String())
				}
			})
		}
	})
}
