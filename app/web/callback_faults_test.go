package web_test

// Lost database connections at chosen points of the invitee's flow (issue
// 7 item 12), on PostgreSQL: every session of the app's pool is ended with
// pg_terminate_backend, as a restart or failover does, and the pool does
// not know until a statement meets a closed session. No request may answer
// 500, no invitee may see an error for an account that was connected, and
// no callback may stay pending.

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// killOnce registers a GORM callback that ends every session of the pool
// once, the first time match is true after the statement ran; it returns
// how many times it fired.
func killOnce(t *testing.T, e *testutil.FlowEnv, name string, register func(name string, fn func(*gorm.DB)) error, match func(*gorm.DB) bool) *atomic.Int32 {
	t.Helper()
	var armed atomic.Bool
	var fired atomic.Int32
	armed.Store(true)
	err := register("test:kill_"+name, func(tx *gorm.DB) {
		if tx.Error == nil && match(tx) && armed.CompareAndSwap(true, false) {
			if n, err := testutil.TerminateSessions(e.DB); err != nil || n == 0 {
				t.Errorf("kill at %s: %d sessions, %v", name, n, err)
			}
			fired.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fired
}

// killedOnce fails the test unless the kill counted by fired ran exactly
// once, when it was meant to.
func killedOnce(t *testing.T, fired *atomic.Int32, when string) {
	t.Helper()
	if fired.Load() != 1 {
		t.Fatalf("the kill did not run %s", when)
	}
}

func TestFlowSurvivesKilledConnections(t *testing.T) {
	if testutil.Dialect() != db.Postgres {
		t.Skip("needs PostgreSQL (DATABASE_URL)")
	}
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	admin := e.Login(t, e.F.Admin.Email)

	// connected checks a success page and its flow in the database.
	connected := func(t *testing.T, p *testutil.Page, link *testutil.GeneratedLink, state string) {
		t.Helper()
		wantPage(t, p, http.StatusOK, "connect-success")
		if l := e.Link(t, link.ID); l.UsedAt == nil || l.ConnectedAccountID == nil {
			t.Errorf("link not used: %+v", l)
		}
		if n := len(testutil.EventsOf(e.Events(t, link.ID), access.EventConnected)); n != 1 {
			t.Errorf("%d connected events", n)
		}
		if row := callbackRow(t, e, state); row.Outcome != access.CallbackConnected {
			t.Errorf("callback outcome %q, want connected", row.Outcome)
		}
	}

	t.Run("KilledBeforeEachStep", func(t *testing.T) {
		link := e.GenerateLink(t, testutil.SandboxKey)
		inv := e.NewInvitee("each-step")
		testutil.KillConnections(t, e.DB)
		wantPage(t, inv.Consent(t, link.Token), http.StatusOK, "consent")
		testutil.KillConnections(t, e.DB)
		start := inv.Start(t, link.Token)
		if start.Status != http.StatusSeeOther {
			t.Fatalf("start: %d:\n%s", start.Status, start.Excerpt())
		}
		cb := inv.Answer(t, inv.Authorize(t, start.Location), "allow", "sandbox-user-1")
		testutil.KillConnections(t, e.DB)
		connected(t, inv.Callback(t, cb), link, query(t, cb).Get("state"))
		testutil.KillConnections(t, e.DB)
		if p := e.Get(t, admin, "/w/"+e.F.Reporting.ID+"/sources/access-requests"); p.Status != http.StatusOK {
			t.Errorf("links page after the kill: %d", p.Status)
		}
	})
	t.Run("KilledDuringTheExchange", func(t *testing.T) {
		link, inv := e.AtConsent(t, "exchange")
		cb, state, _ := authorized(t, inv, link, "sandbox-user-2")
		var killed atomic.Int32
		e.Sandbox.Tap.BeforeNext(func() {
			if n, err := testutil.TerminateSessions(e.DB); err != nil || n == 0 {
				t.Errorf("kill: %d sessions, %v", n, err)
			}
			killed.Add(1)
		})
		connected(t, inv.Callback(t, cb), link, state)
		killedOnce(t, &killed, "during the exchange")
	})
	t.Run("KilledInsideTheConnectingTransaction", func(t *testing.T) {
		fired := killOnce(t, e, "account", e.DB.Callback().Create().After("gorm:create").Register,
			func(tx *gorm.DB) bool { return tx.Statement.Table == "connected_accounts" })
		link, inv := e.AtConsent(t, "transaction")
		cb, state, _ := authorized(t, inv, link, "sandbox-user-3")
		connected(t, inv.Callback(t, cb), link, state)
		killedOnce(t, fired, "inside the transaction")
	})
	t.Run("KilledBetweenTheFailureAndItsEvent", func(t *testing.T) {
		fired := killOnce(t, e, "failure", e.DB.Callback().Update().After("gorm:update").Register,
			func(tx *gorm.DB) bool { return tx.Statement.Table == "oauth_callbacks" })
		link, inv := e.AtConsent(t, "failure")
		e.Sandbox.FailNextAuthorize("temporarily_unavailable")
		cb := inv.Visit(t, inv.Start(t, link.Token).Location)
		wantErrorPage(t, inv.Callback(t, cb), http.StatusOK, "temporarily_unavailable")
		killedOnce(t, fired, "after the failure was settled")
		if n := len(testutil.EventsOf(e.Events(t, link.ID), access.EventProviderError)); n != 1 {
			t.Errorf("%d provider_error events, want 1", n)
		}
		wantActive(t, e, link.ID)
	})
	t.Run("KilledBeforeAnotherTabAsks", func(t *testing.T) {
		link, inv := e.AtConsent(t, "two-tabs")
		cb, state, cookie := authorized(t, inv, link, "sandbox-user-1")
		connected(t, inv.Callback(t, cb), link, state)
		// A second tab, with the cookie from before the success, asks
		// after the database lost every session: it is told the success.
		testutil.KillConnections(t, e.DB)
		wantPage(t, replay(t, cb, cookie), http.StatusOK, "connect-success")
	})

	t.Run("No500AndNothingPending", func(t *testing.T) {
		if logs := e.Logs.String(); strings.Contains(logs, "status=500") || strings.Contains(logs, "status=503") {
			t.Errorf("a request failed:\n%s", logs)
		}
		if n := pendingCallbacks(t, e); n != 0 {
			t.Errorf("%d callbacks left pending", n)
		}
	})
}
