package web_test

// The callback's outcomes under pressure: many flows connecting the same
// account at once (issue 7 item 11), forged provider errors (item 9), a
// callback whose request died during the exchange (item 14), and writes
// that fail after the outcome was settled (item 12). The PostgreSQL-only
// tests of lost connections are in callback_faults_test.go.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
)

// callbackRow reads the oauth_callbacks row of a flow's state.
func callbackRow(t *testing.T, e *testutil.FlowEnv, state string) models.OAuthCallback {
	t.Helper()
	var row models.OAuthCallback
	if err := e.DB.Where("state_hash = ?", secret.HashToken(state)).Take(&row).Error; err != nil {
		t.Fatalf("oauth_callbacks row of the flow: %v", err)
	}
	return row
}

// pendingCallbacks counts oauth_callbacks rows still pending.
func pendingCallbacks(t *testing.T, e *testutil.FlowEnv) int64 {
	t.Helper()
	var n int64
	if err := e.DB.Model(&models.OAuthCallback{}).Where("outcome = ?", access.CallbackPending).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// replay sends a callback URL with a fixed flow cookie, as a script that
// kept the cookie from Start would, whatever the app answered before.
func replay(t *testing.T, target string, cookie *http.Cookie) *testutil.Page {
	t.Helper()
	req := testutil.NewRequest(t, http.MethodGet, target, nil)
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	req.Header.Set("X-Forwarded-For", "198.51.100.77")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, body := testutil.Do(t, c, req.Method, req.URL.String(), nil, "Cookie", req.Header.Get("Cookie"), "X-Forwarded-For", "198.51.100.77")
	return &testutil.Page{URL: target, Status: res.StatusCode, Header: res.Header, Body: body}
}

// authorized walks inv through Start and the provider's Allow for account
// and returns the callback URL, not yet opened, its state and the flow
// cookie.
func authorized(t *testing.T, inv *testutil.Invitee, link *testutil.GeneratedLink, account string) (cb, state string, cookie *http.Cookie) {
	t.Helper()
	start, cb := inv.Authorized(t, link.Token, "allow", account)
	return cb, query(t, cb).Get("state"), flowCookieOf(start)
}

// TestFlowSameAccountManyLinksAtOnce (item 11): 20 links of one workspace,
// every invitee picks the same sandbox account, and the 20 callbacks are
// released together. Every flow connects: one account row (the upsert is
// one statement, so no flow fails on the unique identity index), every link
// used and pointing at it, one connected event per link.
func TestFlowSameAccountManyLinksAtOnce(t *testing.T) {
	const n = 20
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	if testutil.Dialect() == db.Postgres {
		// Every connecting transaction waits, after claiming its link, until
		// all have claimed theirs: the 20 account writes then meet for
		// sure. (On SQLite one connection serializes the transactions.)
		testutil.HoldAfterClaims(t, e.DB, n)
	}
	links := make([]*testutil.GeneratedLink, n)
	invitees := make([]*testutil.Invitee, n)
	callbacks := make([]string, n)
	for i := range links {
		links[i] = e.GenerateLink(t, testutil.SandboxKey)
		invitees[i] = e.NewInvitee("same-account-" + strconv.Itoa(i))
		wantPage(t, invitees[i].Consent(t, links[i].Token), http.StatusOK, "consent")
		_, callbacks[i] = invitees[i].Authorized(t, links[i].Token, "allow", "sandbox-user-1")
	}

	pages, errs := callbacksAtOnce(invitees, callbacks)

	t.Run("EveryFlowConnects", func(t *testing.T) {
		for i, p := range pages {
			if errs[i] != nil {
				t.Fatalf("callback %d: %v", i, errs[i])
			}
			if p.Status != http.StatusOK || !p.Has("connect-success") {
				t.Errorf("callback %d: status %d %q (%s):\n%s", i, p.Status, p.Text("connect-title"), p.Text("error-code"), p.Excerpt())
			}
		}
	})
	t.Run("OneAccountEveryLinkUsed", func(t *testing.T) {
		acc := wantAccounts(t, e, 1)[0]
		if acc.ExternalID != "sandbox-user-1" {
			t.Errorf("account %s", acc.ExternalID)
		}
		byID := map[string]bool{}
		for _, l := range links {
			byID[l.ID] = true
			row := e.Link(t, l.ID)
			if row.UsedAt == nil || row.ConnectedAccountID == nil || *row.ConnectedAccountID != acc.ID {
				t.Errorf("link %s: used_at %v, connected_account_id %v; want used, pointing at %s", l.ID, row.UsedAt, row.ConnectedAccountID, acc.ID)
			}
			if c := testutil.EventsOf(e.Events(t, l.ID), access.EventConnected); len(c) != 1 {
				t.Errorf("link %s: %d connected events", l.ID, len(c))
			}
		}
		if acc.LinkID == nil || !byID[*acc.LinkID] {
			t.Errorf("account link_id %v, want one of the links", acc.LinkID)
		}
		// The tokens of one of the flows (the last to commit), sealed for
		// the row's own ID.
		tok, err := testutil.KeysOf(e.Svc).Open(acc.AccessTokenSealed, "connected_accounts/"+acc.ID+"/access_token")
		if err != nil {
			t.Fatalf("the stored access token does not open for the row: %v", err)
		}
		issued := false
		for _, is := range e.Sandbox.Tap.Issued() {
			issued = issued || is.AccessToken == tok
		}
		if !issued {
			t.Error("the stored access token is none the provider issued")
		}
		if n := pendingCallbacks(t, e); n != 0 {
			t.Errorf("%d callbacks left pending", n)
		}
	})
}

// TestFlowProviderErrorEndsTheFlow (item 9): a flow ends at its first
// outcome. The same state sent again and again with error= (the cookie
// kept) shows the first result and records one event; the description is
// what the invitee's browser reported, cleaned of control and bidi
// characters, capped, and shown as reported.
func TestFlowProviderErrorEndsTheFlow(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})

	// started opens the link and presses Start; it returns the state and
	// the flow cookie.
	started := func(t *testing.T, inv *testutil.Invitee, link *testutil.GeneratedLink) (string, *http.Cookie) {
		t.Helper()
		wantPage(t, inv.Consent(t, link.Token), http.StatusOK, "consent")
		start := inv.Start(t, link.Token)
		c := flowCookieOf(start)
		if start.Status != http.StatusSeeOther || c == nil {
			t.Fatalf("start: %d, cookie %v", start.Status, c)
		}
		return query(t, start.Location).Get("state"), c
	}
	forged := func(state, code, description string) string {
		return e.AppURL + "/oauth/callback?" + url.Values{"state": {state}, "error": {code}, "error_description": {description}}.Encode()
	}

	t.Run("TenForgedErrorsRecordOne", func(t *testing.T) {
		link := e.GenerateLink(t, testutil.SandboxKey)
		state, cookie := started(t, e.NewInvitee("forger"), link)
		const reported = "Your link was moved: use https://evil.example"
		target := forged(state, "server_error", "Your link was \u202emoved\u202c: use https://evil.example\x07\x00")
		for i := 0; i < 10; i++ {
			p := replay(t, target, cookie)
			wantErrorPage(t, p, http.StatusOK, "server_error")
			if got := p.Text("connect-reported"); got != "The provider reported: “"+reported+"”" {
				t.Fatalf("attempt %d: reported %q", i+1, got)
			}
			if strings.Contains(p.Body, "\u202e") {
				t.Fatalf("attempt %d: the page carries the right-to-left override", i+1)
			}
		}
		// Nor does an answer that claims another issuer add anything.
		wantErrorPage(t, replay(t, target+"&iss="+url.QueryEscape("https://evil.example"), cookie), http.StatusOK, "server_error")
		evs := testutil.EventsOf(e.Events(t, link.ID), access.EventProviderError)
		if len(evs) != 1 {
			t.Fatalf("%d provider_error events for one flow, want 1", len(evs))
		}
		if d := evs[0].Fields["description"]; d != reported {
			t.Errorf("stored description %q, want %q", d, reported)
		}
		if s := views.EventSummary(&evs[0]); !strings.Contains(s, "As reported through the invitee's browser: “"+reported+"”") {
			t.Errorf("history summary %q does not say the description is only reported", s)
		}
		if row := callbackRow(t, e, state); row.Outcome != access.CallbackFailed || row.ErrorCode != "server_error" || row.ErrorDescription != reported {
			t.Errorf("callback row %+v", row)
		}
		wantActive(t, e, link.ID)
	})
	t.Run("CodeAfterTheErrorShowsTheError", func(t *testing.T) {
		link, inv := e.AtConsent(t, "second-thoughts")
		cb, state, cookie := authorized(t, inv, link, "sandbox-user-2")
		wantErrorPage(t, replay(t, forged(state, "temporarily_unavailable", "Try later"), cookie), http.StatusOK, "temporarily_unavailable")
		before := e.Sandbox.Tap.Requests()
		p := replay(t, cb, cookie)
		wantErrorPage(t, p, http.StatusOK, "temporarily_unavailable")
		if e.Sandbox.Tap.Requests() != before {
			t.Error("the code of a flow that had ended was exchanged")
		}
		wantActive(t, e, link.ID)
		if n := len(testutil.EventsOf(e.Events(t, link.ID), access.EventProviderError)); n != 1 {
			t.Errorf("%d provider_error events, want 1", n)
		}
	})
	t.Run("ErrorAfterTheSuccessShowsTheSuccess", func(t *testing.T) {
		link, inv := e.AtConsent(t, "connected")
		cb, state, cookie := authorized(t, inv, link, "sandbox-user-3")
		wantPage(t, replay(t, cb, cookie), http.StatusOK, "connect-success")
		for i := 0; i < 3; i++ {
			wantPage(t, replay(t, forged(state, "server_error", "Your account was disconnected"), cookie), http.StatusOK, "connect-success")
		}
		types := testutil.EventTypes(e.Events(t, link.ID))
		if n := len(testutil.EventsOf(e.Events(t, link.ID), access.EventProviderError)); n != 0 {
			t.Errorf("history %v: an error recorded after the success", types)
		}
	})
	t.Run("LongDescriptionCapped", func(t *testing.T) {
		link := e.GenerateLink(t, testutil.SandboxKey)
		state, cookie := started(t, e.NewInvitee("verbose"), link)
		p := replay(t, forged(state, "server_error", strings.Repeat("é", 600)), cookie)
		wantErrorPage(t, p, http.StatusOK, "server_error")
		d := lastEvent(t, e, link.ID, access.EventProviderError).Fields["description"]
		if len(d) > 200 || d != strings.Repeat("é", 100) {
			t.Errorf("stored description of %d bytes, want 200 bytes cut on a rune boundary", len(d))
		}
	})
}

// TestFlowPendingCallbackGivenUp (item 14): the request that took a flow to
// the code exchange died (its process stopped) and left the callback
// pending. Within the exchange timeout the invitee is told to wait; after
// it, the callback is given up: nothing was connected, the link still
// works, and the button leads back to the consent page.
func TestFlowPendingCallbackGivenUp(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, "patient")
	_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
	state := query(t, cb).Get("state")
	// The claim of a request that died before settling the flow.
	if claim, err := e.Svc.ReserveCallback(context.Background(), state, link.ID); claim != nil || err != nil {
		t.Fatalf("claim: %+v, %v", claim, err)
	}

	t.Run("WithinTheTimeoutAlmostDone", func(t *testing.T) {
		p := inv.Callback(t, cb)
		wantPage(t, p, http.StatusConflict, "connect-pending")
		if row := callbackRow(t, e, state); row.Outcome != access.CallbackPending {
			t.Errorf("outcome %q, want pending", row.Outcome)
		}
	})
	t.Run("AfterTheTimeoutGivenUp", func(t *testing.T) {
		e.Clock.Advance(access.ExchangeTimeout)
		p := inv.Callback(t, cb)
		wantPage(t, p, http.StatusOK, "connect-abandoned")
		if body := p.Text("connect-body"); !strings.Contains(body, "Nothing was connected") || !strings.Contains(body, "link still works") {
			t.Errorf("body %q", body)
		}
		href := p.Attrs("retry", "href")
		if len(href) != 1 || href[0] != "/connect/"+link.Token || p.Text("retry") != "Back to the request" {
			t.Fatalf("buttons %v %q, want one \"Back to the request\" to the consent page", href, p.Text("retry"))
		}
		if row := callbackRow(t, e, state); row.Outcome != access.CallbackFailed || row.ErrorCode != access.CallbackAbandoned {
			t.Errorf("callback row %+v, want failed, abandoned", row)
		}
		// Reloading shows the same answer, never "Almost done" again.
		wantPage(t, inv.Callback(t, cb), http.StatusOK, "connect-abandoned")
		wantActive(t, e, link.ID)
		wantAccounts(t, e, 0)
		if n := e.Sandbox.Tap.Requests(); n != 0 {
			t.Errorf("%d token requests", n)
		}
	})
	t.Run("TheLinkStillConnects", func(t *testing.T) {
		// Another dead request's claim, left pending past the timeout, is
		// given up by the next flow's claim: nothing stays pending.
		if claim, err := e.Svc.ReserveCallback(context.Background(), secret.RandomToken(32), link.ID); claim != nil || err != nil {
			t.Fatalf("claim: %+v, %v", claim, err)
		}
		e.Clock.Advance(access.ExchangeTimeout)
		wantPage(t, inv.Get(t, e.AppURL+"/connect/"+link.Token), http.StatusOK, "consent")
		_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
		wantPage(t, inv.Callback(t, cb), http.StatusOK, "connect-success")
		wantAccounts(t, e, 1)
		if n := pendingCallbacks(t, e); n != 0 {
			t.Errorf("%d callbacks left pending", n)
		}
	})
}

// TestFlowLostEventKeepsTheOutcome (item 12): once a flow's outcome is
// settled, a write that fails after it (the history event) does not turn
// the page into an error: the invitee sees the outcome, the failure is
// logged and counted.
func TestFlowLostEventKeepsTheOutcome(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	var armed atomic.Bool
	err := e.DB.Callback().Create().Before("gorm:create").Register("test:lose_event", func(tx *gorm.DB) {
		if tx.Statement.Table == "link_events" && armed.CompareAndSwap(true, false) {
			_ = tx.AddError(errDiskFull)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	link, inv := e.AtConsent(t, "unlucky")
	e.Sandbox.FailNextAuthorize("temporarily_unavailable")
	start := inv.Start(t, link.Token)
	cb := inv.Visit(t, start.Location)
	armed.Store(true)
	p := inv.Callback(t, cb)
	wantErrorPage(t, p, http.StatusOK, "temporarily_unavailable")
	if armed.Load() {
		t.Fatal("the event write was not failed")
	}
	if row := callbackRow(t, e, query(t, cb).Get("state")); row.Outcome != access.CallbackFailed {
		t.Errorf("outcome %q, want failed", row.Outcome)
	}
	if l := e.Logs.String(); !strings.Contains(l, `msg="link event not stored" event=callback`) {
		t.Error("the lost event was not logged")
	}
	// The link still works.
	wantPage(t, inv.Get(t, e.AppURL+"/connect/"+link.Token), http.StatusOK, "consent")
}

type diskFull struct{}

func (diskFull) Error() string { return "injected: database or disk is full" }

var errDiskFull error = diskFull{}
