package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/web"
)

// flowCookiesIn are the flow cookies the browser holds for the app.
func flowCookiesIn(t *testing.T, e *testutil.FlowEnv, inv *testutil.Invitee) []*http.Cookie {
	t.Helper()
	var out []*http.Cookie
	for _, c := range inv.HTTP.Jar.Cookies(mustURL(t, e.AppURL)) {
		if isFlowCookie(c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// TestFlowTwoLinksOneBrowser (review C): an agency sends one client several
// links. Link A started, then link B in another tab, then A approved at the
// provider: A connects; then B approved: B connects. Each flow has a sealed
// cookie of its own (HttpOnly, Lax, at most 10 minutes), each callback finds
// its own flow, and a reload of either shows its own outcome.
func TestFlowTwoLinksOneBrowser(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	a, b := e.GenerateLink(t, testutil.SandboxKey), e.GenerateLink(t, testutil.SandboxKey)
	inv := e.NewInvitee("agency-client")
	wantPage(t, inv.Consent(t, a.Token), http.StatusOK, "consent")
	startA := inv.Start(t, a.Token)
	wantPage(t, inv.Consent(t, b.Token), http.StatusOK, "consent")
	startB := inv.Start(t, b.Token)
	for _, p := range []*testutil.Page{startA, startB} {
		c := flowCookieOf(p)
		if p.Status != http.StatusSeeOther || c == nil {
			t.Fatalf("start: status %d, cookie %v", p.Status, c)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 || c.MaxAge > 600 {
			t.Errorf("flow cookie %s: HttpOnly=%v SameSite=%v Path=%q Max-Age=%d", c.Name, c.HttpOnly, c.SameSite, c.Path, c.MaxAge)
		}
		if strings.Contains(c.Value, a.Token) || strings.Contains(c.Value, b.Token) {
			t.Error("a flow cookie holds a link token in clear")
		}
	}
	if flowCookieOf(startA).Name == flowCookieOf(startB).Name {
		t.Errorf("both flows in one cookie %s", flowCookieOf(startA).Name)
	}
	if n := len(flowCookiesIn(t, e, inv)); n != 2 {
		t.Errorf("%d flow cookies in the browser, want 2", n)
	}

	var cbA, cbB string
	t.Run("AApprovedConnectsA", func(t *testing.T) {
		cbA = inv.Answer(t, inv.Authorize(t, startA.Location), "allow", "sandbox-user-1")
		p := inv.Callback(t, cbA)
		wantPage(t, p, http.StatusOK, "connect-success")
		if st := e.LinkStatus(t, a.ID); st != access.StatusUsed {
			t.Errorf("link A %s", st)
		}
		wantActive(t, e, b.ID)
	})
	t.Run("ThenBApprovedConnectsB", func(t *testing.T) {
		cbB = inv.Answer(t, inv.Authorize(t, startB.Location), "allow", "sandbox-user-2")
		p := inv.Callback(t, cbB)
		wantPage(t, p, http.StatusOK, "connect-success")
		if st := e.LinkStatus(t, b.ID); st != access.StatusUsed {
			t.Errorf("link B %s", st)
		}
		accs := wantAccounts(t, e, 2)
		got := map[string]string{}
		for _, acc := range accs {
			if acc.LinkID != nil {
				got[*acc.LinkID] = acc.ExternalID
			}
		}
		if got[a.ID] != "sandbox-user-1" || got[b.ID] != "sandbox-user-2" {
			t.Errorf("accounts by link %v", got)
		}
	})
	t.Run("EachReloadShowsItsOwnOutcome", func(t *testing.T) {
		if cbA == "" || cbB == "" {
			t.Skip("a flow did not finish")
		}
		before := e.Sandbox.Tap.Requests()
		pa, pb := inv.Callback(t, cbA), inv.Callback(t, cbB)
		wantPage(t, pa, http.StatusOK, "connect-success")
		wantPage(t, pb, http.StatusOK, "connect-success")
		if pa.Text("connect-account") == pb.Text("connect-account") {
			t.Errorf("both reloads show %q", pa.Text("connect-account"))
		}
		if n := e.Sandbox.Tap.Requests() - before; n != 0 {
			t.Errorf("token endpoint hit %d times by reloads", n)
		}
	})
}

// TestFlowCookiesBounded (review C): flows in one browser are capped; the
// flow started last always completes, a settled flow gives way before a
// pending one, the browser never holds more than the cap, and starting a
// link again replaces that link's earlier flow.
func TestFlowCookiesBounded(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	inv := e.NewInvitee("many-tabs")

	// One flow settled (denied) first, then the cap's worth of pending ones.
	denied := e.GenerateLink(t, testutil.SandboxKey)
	wantPage(t, inv.Consent(t, denied.Token), http.StatusOK, "consent")
	_, cbDenied := inv.Authorized(t, denied.Token, "deny", "")
	wantErrorPage(t, inv.Callback(t, cbDenied), http.StatusOK, "access_denied")

	var links []*testutil.GeneratedLink
	var starts []*testutil.Page
	for i := 0; i < web.MaxFlowsPerBrowser; i++ {
		l := e.GenerateLink(t, testutil.SandboxKey)
		wantPage(t, inv.Consent(t, l.Token), http.StatusOK, "consent")
		links, starts = append(links, l), append(starts, inv.Start(t, l.Token))
		if n := len(flowCookiesIn(t, e, inv)); n > web.MaxFlowsPerBrowser {
			t.Fatalf("%d flow cookies after %d starts, want at most %d", n, i+1, web.MaxFlowsPerBrowser)
		}
	}
	t.Run("SettledFlowGaveWayFirst", func(t *testing.T) {
		p := inv.Callback(t, cbDenied)
		if p.Text("error-code") == "access_denied" {
			t.Error("the settled flow was kept over a pending one")
		}
		wantActive(t, e, denied.ID)
	})
	t.Run("EveryPendingFlowCompletes", func(t *testing.T) {
		for i, l := range links {
			cb := inv.Answer(t, inv.Authorize(t, starts[i].Location), "allow", "sandbox-user-1")
			wantPage(t, inv.Callback(t, cb), http.StatusOK, "connect-success")
			if st := e.LinkStatus(t, l.ID); st != access.StatusUsed {
				t.Errorf("link %d: %s", i, st)
			}
		}
	})
	t.Run("OldestPendingFlowGivesWay", func(t *testing.T) {
		var more []*testutil.GeneratedLink
		var moreStarts []*testutil.Page
		for i := 0; i <= web.MaxFlowsPerBrowser; i++ {
			l := e.GenerateLink(t, testutil.SandboxKey)
			more, moreStarts = append(more, l), append(moreStarts, inv.Start(t, l.Token))
		}
		if n := len(flowCookiesIn(t, e, inv)); n != web.MaxFlowsPerBrowser {
			t.Errorf("%d flow cookies, want %d", n, web.MaxFlowsPerBrowser)
		}
		oldest := inv.Answer(t, inv.Authorize(t, moreStarts[0].Location), "allow", "sandbox-user-1")
		wantErrorPage(t, inv.Callback(t, oldest), http.StatusBadRequest, "state_mismatch")
		wantActive(t, e, more[0].ID)
		last := len(more) - 1
		cb := inv.Answer(t, inv.Authorize(t, moreStarts[last].Location), "allow", "sandbox-user-1")
		wantPage(t, inv.Callback(t, cb), http.StatusOK, "connect-success")
	})
	t.Run("StartingALinkAgainReplacesItsFlow", func(t *testing.T) {
		fresh := e.NewInvitee("again")
		l := e.GenerateLink(t, testutil.SandboxKey)
		first := fresh.Start(t, l.Token)
		second := fresh.Start(t, l.Token)
		if n := len(flowCookiesIn(t, e, fresh)); n != 1 {
			t.Errorf("%d flow cookies after starting one link twice, want 1", n)
		}
		late := fresh.Answer(t, fresh.Authorize(t, first.Location), "allow", "sandbox-user-1")
		wantErrorPage(t, fresh.Callback(t, late), http.StatusBadRequest, "state_mismatch")
		cb := fresh.Answer(t, fresh.Authorize(t, second.Location), "allow", "sandbox-user-1")
		wantPage(t, fresh.Callback(t, cb), http.StatusOK, "connect-success")
	})
}
