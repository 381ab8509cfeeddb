package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/jobs"
	"github.com/accessrequests/accessrequests/app/secret"
)

// TestWorkerCommand: `app worker` alone delivers the webhook of a change
// another process made (its own pool on the same database), and stops on
// the signal.
func TestWorkerCommand(t *testing.T) {
	getenv := onlyDataDir(t.TempDir())
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.EnsureDevKey(); err != nil { // the worker reads the same key file
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"worker"}, getenv, strings.NewReader(""), io.Discard, logs) }()
	if err := logs.waitFor("job workers started", done); err != nil {
		cancel()
		t.Fatalf("worker not started: %v\n%s", err, logs.String())
	}

	// Another process: the web side, queueing only.
	gdb, err := db.Open("", cfg.SQLitePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.SQL(gdb).Close()
	engine, err := jobs.New(gdb, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.NewKeyring(cfg.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	svc := access.New(gdb, keys, access.WithOutbox(engine))
	f := testutil.Seed(t, svc)
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("webhook-id") != "" {
			got.Add(1)
		}
	}))
	defer recv.Close()
	bg := context.Background()
	ep, _, err := svc.CreateWebhookEndpoint(bg, m, access.Actor{UserID: f.Admin.ID}, access.NewWebhookEndpoint{URL: recv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendTestWebhook(bg, m, access.Actor{UserID: f.Admin.ID}, ep.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for got.Load() == 0 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the worker delivered nothing\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(logs.String(), `"msg":"stopped"`) {
			t.Fatalf("worker stopped with %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop")
	}
}

// TestJobMetrics: the operators' /metrics has the job queue's health.
func TestJobMetrics(t *testing.T) {
	metricsLn, metricsPort := listen(t)
	env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": serveDemoPassword, "METRICS_ADDR": "127.0.0.1:" + metricsPort}
	_, _, stop := serveFor(t, env, withMetricsListener(metricsLn))
	defer stop()
	res, err := http.Get("http://127.0.0.1:" + metricsPort + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`app_jobs{kind="webhook_delivery",state="discarded"}`, `app_jobs{kind="event",state="queued"}`, `app_jobs{kind="link_expiry_sweep",state="running"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}
