package jobs_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/jobs"
	"github.com/accessrequests/accessrequests/app/webhooks"
)

// fastSchedule retries within a test's patience.
var fastSchedule = []time.Duration{200 * time.Millisecond, 300 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond}

// newEngine builds a working engine on gdb, delivering to local
// receivers (not production), polling often.
func newEngine(t testing.TB, gdb *gorm.DB, opts ...func(*jobs.Options)) *jobs.Engine {
	t.Helper()
	o := jobs.Options{
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		Work:          true,
		Sender:        webhooks.NewSender(webhooks.Options{UserAgent: "test"}),
		RetrySchedule: fastSchedule,
		PollInterval:  20 * time.Millisecond,
		SweepInterval: 100 * time.Millisecond,
	}
	for _, f := range opts {
		f(&o)
	}
	e, err := jobs.New(gdb, o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// start runs e's workers for svc until the test ends or stop is called.
func start(t testing.TB, e *jobs.Engine, svc *access.Service) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.Start(ctx, svc); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer scancel()
			_ = e.Stop(sctx)
			cancel()
		})
	}
	t.Cleanup(stop)
	return stop
}

// received is one request a receiver got.
type received struct {
	Header http.Header
	Body   []byte
	Type   string
}

// receiver is a real HTTP server that records what it is sent and answers
// with status (204 unless set).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status atomic.Int32
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var p struct{ Type string }
		_ = json.Unmarshal(b, &p)
		r.mu.Lock()
		r.got = append(r.got, received{Header: req.Header.Clone(), Body: b, Type: p.Type})
		r.mu.Unlock()
		st := int(r.status.Load())
		if st == 0 {
			st = http.StatusNoContent
		}
		w.WriteHeader(st)
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(r.Close)
	return r
}

// all is a copy of what the receiver got.
func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitFor waits until cond holds on what r got, or fails the test.
func (r *receiver) waitFor(t testing.TB, what string, cond func([]received) bool) []received {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := r.all()
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; got %d requests", what, len(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verify checks a request's Standard Webhooks headers against secret, as
// the specification describes a receiver doing it (written here from the
// specification, not with the sender's code): the signed content is
// "<webhook-id>.<webhook-timestamp>.<body>", the key is the base64 part of
// the whsec_ secret, the signature HMAC-SHA256 in base64, and
// webhook-signature a space-delimited list of "v1,<signature>"; the
// timestamp must be within the tolerance (5 minutes).
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s outside the tolerance", ts)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, part := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(part, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no valid signature")
}

// env is a database with the fixture, a service whose events go to an
// engine, and a receiver.
type env struct {
	*testutil.JobsEnv
	recv *receiver
}

func newEnv(t *testing.T, opts ...func(*jobs.Options)) *env {
	t.Helper()
	e := &env{JobsEnv: testutil.NewJobsEnv(t, func(gdb *gorm.DB) *jobs.Engine { return newEngine(t, gdb, opts...) })}
	e.Seed()
	e.recv = newReceiver(t)
	return e
}

// endpoint adds an endpoint for url and returns it with its secret.
func (e *env) endpoint(url string, events ...string) (*access.WebhookEndpoint, string) {
	e.T.Helper()
	ep, secret, err := e.Svc.CreateWebhookEndpoint(e.Ctx, e.M, e.Admin, access.NewWebhookEndpoint{URL: url, Description: "test", Events: events})
	if err != nil {
		e.T.Fatal(err)
	}
	return ep, secret
}

func (e *env) link() *access.Link {
	e.T.Helper()
	l, err := e.Svc.GenerateLink(e.Ctx, e.M, e.Admin, "google_ads")
	if err != nil {
		e.T.Fatal(err)
	}
	return l
}

// countJobs counts River jobs of kind.
func (e *env) countJobs(kind string) int64 {
	e.T.Helper()
	var n int64
	if err := e.DB.Raw("SELECT count(*) FROM river_job WHERE kind = ?", kind).Scan(&n).Error; err != nil {
		e.T.Fatal(err)
	}
	return n
}
