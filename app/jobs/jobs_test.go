package jobs_test

import (
	"encoding/json"
	"errors"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/jobs"
)

// TestEachEventOneWebhook: every event type the domain emits reaches an
// endpoint as exactly one webhook, signed per Standard Webhooks, in the
// specification's shape, without tokens.
func TestEachEventOneWebhook(t *testing.T) {
	e := newEnv(t)
	_, secret := e.endpoint(e.recv.URL + "/hook")
	start(t, e.Engine, e.Svc)
	ctx := e.Ctx
	invitee := access.Actor{IP: "198.51.100.7", UserAgent: "phone"}

	// Link 1: created, opened twice (one link.opened), declined, failed,
	// then used.
	l1 := e.link()
	token := path.Base(l1.URL)
	for range 2 {
		pl, err := e.Svc.OpenLink(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Svc.RecordEvent(ctx, &pl.AccessLink, invitee, access.EventOpened, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Svc.RecordEvent(ctx, &l1.AccessLink, invitee, access.EventDeclined, map[string]any{"reason": "wrong account"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.RecordEvent(ctx, &l1.AccessLink, invitee, access.EventProviderError, map[string]any{"kind": "provider", "error": "server_error"}); err != nil {
		t.Fatal(err)
	}
	acc := e.ClaimAsClientAds(l1.ID, invitee, "secret-access-token")
	// Link 2: created, deleted.
	l2 := e.link()
	if err := e.Svc.DeleteLink(ctx, e.M, e.Admin, l2.ID); err != nil {
		t.Fatal(err)
	}
	// The account's token expires without a refresh token: it needs
	// reconnecting.
	e.Clock.Advance(2 * time.Hour)
	if _, err := e.Svc.AccessToken(ctx, e.F.Reporting.ID, acc.ID, nil); !errors.Is(err, access.ErrReauthorizationRequired) {
		t.Fatalf("AccessToken = %v, want ErrReauthorizationRequired", err)
	}
	// Link 4: a reconnect link for it, used by its owner: the same account
	// gets new tokens (link.used and account.reconnected).
	l4, err := e.Svc.GenerateReconnectLink(ctx, e.M, e.Admin, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.ClaimAsClientAds(l4.ID, invitee, "secret-access-token-2")
	// Then an admin disconnects it.
	if err := e.Svc.DisconnectAccount(ctx, e.M, e.Admin, acc.ID, nil); err != nil {
		t.Fatal(err)
	}
	// Link 3: created, expires unused (found by the periodic sweep).
	l3 := e.link()
	e.Clock.Advance(access.LinkLifetime + time.Minute)

	want := map[string]int{
		access.HookLinkCreated: 4, access.HookLinkOpened: 1, access.HookLinkDeclined: 1, access.HookLinkFailed: 1,
		access.HookLinkUsed: 2, access.HookLinkDeleted: 1, access.HookLinkExpired: 1, access.HookAccountNeedsReconnect: 1,
		access.HookAccountReconnected: 1, access.HookAccountDisconnected: 1,
	}
	total := 0
	for _, n := range want {
		total += n
	}
	e.recv.waitFor(t, "every event", func(r []received) bool { return len(r) >= total })
	time.Sleep(500 * time.Millisecond) // anything extra would arrive meanwhile
	got := e.recv.all()
	counts := map[string]int{}
	ids := map[string]bool{}
	for _, r := range got {
		counts[r.Type]++
		if err := verify(secret, r.Header, r.Body, time.Now()); err != nil {
			t.Errorf("%s: signature: %v", r.Type, err)
		}
		id := r.Header.Get("webhook-id")
		if ids[id] {
			t.Errorf("webhook-id %s sent twice", id)
		}
		ids[id] = true
		var p struct {
			Type      string
			Timestamp time.Time
			Data      map[string]any
		}
		if err := json.Unmarshal(r.Body, &p); err != nil || p.Type == "" || p.Timestamp.IsZero() || p.Data == nil {
			t.Errorf("payload %s: not {type, timestamp, data}: %v", r.Body, err)
		}
		if strings.Contains(string(r.Body), "secret-access-token") || strings.Contains(string(r.Body), token) || strings.Contains(string(r.Body), path.Base(l4.URL)) {
			t.Errorf("%s payload carries a token: %s", r.Type, r.Body)
		}
		if l, ok := p.Data["link"].(map[string]any); ok && l["language"] != "en" {
			t.Errorf("%s: link language %v, want en (no mail language chosen)", p.Type, l["language"])
		}
		switch p.Type {
		case access.HookLinkDeclined:
			if p.Data["reason"] != "wrong account" {
				t.Errorf("declined data = %v", p.Data)
			}
		case access.HookLinkFailed:
			if p.Data["error_code"] != "server_error" {
				t.Errorf("failed data = %v", p.Data)
			}
		case access.HookLinkUsed:
			a, _ := p.Data["account"].(map[string]any)
			if a["external_id"] != "acct-1" || a["email"] != "ads@client.example" {
				t.Errorf("used data = %v", p.Data)
			}
		case access.HookAccountReconnected:
			a, _ := p.Data["account"].(map[string]any)
			if a["id"] != acc.ID || a["status"] != "connected" {
				t.Errorf("reconnected data = %v, want account %s, connected", p.Data, acc.ID)
			}
		case access.HookLinkExpired:
			l, _ := p.Data["link"].(map[string]any)
			if l["id"] != l3.ID {
				t.Errorf("expired link = %v, want %s", l["id"], l3.ID)
			}
		}
	}
	for typ, n := range want {
		if counts[typ] != n {
			t.Errorf("%s: %d webhooks, want %d", typ, counts[typ], n)
		}
	}
	if len(got) != total {
		t.Errorf("%d webhooks, want %d: %v", len(got), total, counts)
	}
}

// TestRollbackSendsNothing: an event emitted in a transaction that rolls
// back leaves no job and sends nothing; the same change committed does.
func TestRollbackSendsNothing(t *testing.T) {
	e := newEnv(t)
	e.endpoint(e.recv.URL)
	errRollback := errors.New("roll back")
	err := e.DB.Transaction(func(tx *gorm.DB) error {
		if _, err := e.Svc.WithDB(tx).GenerateLink(e.Ctx, e.M, e.Admin, "google_ads"); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if n := e.countJobs(jobs.KindEvent); n != 0 {
		t.Fatalf("%d event jobs after a rollback, want 0", n)
	}
	start(t, e.Engine, e.Svc)
	l := e.link() // committed: the control
	got := e.recv.waitFor(t, "the committed event", func(r []received) bool { return len(r) >= 1 })
	time.Sleep(300 * time.Millisecond)
	if got = e.recv.all(); len(got) != 1 || !strings.Contains(string(got[0].Body), l.ID) {
		t.Fatalf("got %d webhooks, want only the committed link's", len(got))
	}
}

// TestReceiverDownThenUpAcrossRestart: a receiver that fails gets the
// event later, from another engine after the first stopped, with the
// original webhook-id; the delivery log has both attempts.
func TestReceiverDownThenUpAcrossRestart(t *testing.T) {
	e := newEnv(t, func(o *jobs.Options) { o.RetrySchedule = []time.Duration{time.Second, time.Second} })
	ep, secret := e.endpoint(e.recv.URL)
	e.recv.status.Store(503)
	stop := start(t, e.Engine, e.Svc)
	e.link()
	first := e.recv.waitFor(t, "the first attempt", func(r []received) bool { return len(r) >= 1 })
	stop() // the process goes away between attempts
	id := first[0].Header.Get("webhook-id")

	e.recv.status.Store(200)
	engine2 := newEngine(t, e.DB, func(o *jobs.Options) { o.RetrySchedule = []time.Duration{time.Second, time.Second} })
	start(t, engine2, e.Svc)
	got := e.recv.waitFor(t, "the retry", func(r []received) bool { return len(r) >= 2 })
	if got[1].Header.Get("webhook-id") != id {
		t.Errorf("retry webhook-id %q, want the original %q", got[1].Header.Get("webhook-id"), id)
	}
	if err := verify(secret, got[1].Header, got[1].Body, time.Now()); err != nil {
		t.Error(err)
	}
	if string(got[0].Body) != string(got[1].Body) {
		t.Errorf("retry body differs:\n%s\n%s", got[0].Body, got[1].Body)
	}
	log := waitLog(t, e, ep.ID, 2)
	if log[0].OK || log[0].StatusCode != 503 || log[0].Attempt != 1 || !log[1].OK || log[1].Attempt != 2 {
		t.Errorf("delivery log = %+v", log)
	}
}

// waitLog waits for n lines of an endpoint's delivery log, oldest first.
func waitLog(t *testing.T, e *env, endpointID string, n int) []access.WebhookDeliveryLine {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines, err := e.Svc.WebhookDeliveries(e.Ctx, e.M, endpointID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) >= n || time.Now().After(deadline) {
			sort.Slice(lines, func(i, j int) bool { return lines[i].Attempt < lines[j].Attempt })
			if len(lines) < n {
				t.Fatalf("delivery log has %d lines, want %d", len(lines), n)
			}
			return lines
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoProcessesEachEventOnce: two engines with their own pools on one
// database share the work; every event is delivered once, none with two
// IDs.
func TestTwoProcessesEachEventOnce(t *testing.T) {
	e := newEnv(t)
	e.endpoint(e.recv.URL)
	other := newEngine(t, testutil.Reopen(t, e.DB))
	start(t, e.Engine, e.Svc)
	start(t, other, e.Svc)
	const n = 40
	links := map[string]bool{}
	for range n {
		links[e.link().ID] = true
	}
	e.recv.waitFor(t, "every event", func(r []received) bool { return len(r) >= n })
	time.Sleep(500 * time.Millisecond)
	got := e.recv.all()
	seen := map[string]string{} // link -> webhook-id
	for _, r := range got {
		var p struct {
			Data struct{ Link struct{ ID string } }
		}
		_ = json.Unmarshal(r.Body, &p)
		if prev, ok := seen[p.Data.Link.ID]; ok {
			t.Errorf("link %s delivered twice (ids %s, %s)", p.Data.Link.ID, prev, r.Header.Get("webhook-id"))
		}
		seen[p.Data.Link.ID] = r.Header.Get("webhook-id")
	}
	if len(got) != n || len(seen) != n {
		t.Errorf("%d deliveries for %d links, want %d", len(got), len(seen), n)
	}
}

// TestQueueMetrics: the collector counts jobs by kind and state: a
// delivery that keeps failing is retried, then discarded.
func TestQueueMetrics(t *testing.T) {
	e := newEnv(t, func(o *jobs.Options) { o.RetrySchedule = []time.Duration{50 * time.Millisecond} })
	e.endpoint(e.recv.URL)
	e.recv.status.Store(500)
	e.link()
	c := jobs.NewCollector(e.DB)
	if got := gauge(t, c, jobs.KindEvent, "queued"); got != 1 {
		t.Errorf("queued events = %v, want 1", got)
	}
	start(t, e.Engine, e.Svc)
	e.recv.waitFor(t, "two attempts", func(r []received) bool { return len(r) >= 2 })
	deadline := time.Now().Add(10 * time.Second)
	for gauge(t, c, jobs.KindDelivery, "discarded") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("discarded deliveries = %v, want 1", gauge(t, c, jobs.KindDelivery, "discarded"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := gauge(t, c, jobs.KindEvent, "queued"); got != 0 {
		t.Errorf("queued events after the fan-out = %v, want 0", got)
	}
}

// gauge reads app_jobs{kind, state} from c.
func gauge(t *testing.T, c prometheus.Collector, kind, state string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "app_jobs" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == kind && labels["state"] == state {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no app_jobs{kind=%q,state=%q}", kind, state)
	return 0
}

// TestLinkWebhookLanguage: a link's events carry the language its email
// is written in, as the API gives it.
func TestLinkWebhookLanguage(t *testing.T) {
	e := newEnv(t)
	e.endpoint(e.recv.URL+"/hook", access.HookLinkCreated)
	start(t, e.Engine, e.Svc)
	if _, err := e.Svc.GenerateLinkWith(e.Ctx, e.M, e.Admin, access.NewLink{Source: "google_ads", Language: "pt-BR"}); err != nil {
		t.Fatal(err)
	}
	got := e.recv.waitFor(t, "link.created", func(r []received) bool { return len(r) >= 1 })
	var p struct {
		Data struct {
			Link struct{ Language string }
		}
	}
	if err := json.Unmarshal(got[0].Body, &p); err != nil || p.Data.Link.Language != "pt-BR" {
		t.Fatalf("link.created = %s (%v), want the link's language pt-BR", got[0].Body, err)
	}
}
