package web_test

// End-to-end tests of the invitee's flow through HTTP: the application and
// the sandbox provider each on a real listener (two origins), on SQLite and,
// with DATABASE_URL, on PostgreSQL. Every step is a real request; tests
// interfere between steps (clock, deletion, faults at the token endpoint,
// other browsers) and check the page (data-testid) and the database.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/models"
)

// flowCookie names the flow cookies: one per flow in progress,
// "ar_flow_" and a digest of its state (app/web/invitee.go).
const flowCookie = "ar_flow"

// isFlowCookie reports whether name is a flow cookie's.
func isFlowCookie(name string) bool {
	return name == flowCookie || strings.HasPrefix(name, flowCookie+"_")
}

// flowCookieOf is the flow cookie a page set (nil if none).
func flowCookieOf(p *testutil.Page) *http.Cookie {
	for _, c := range p.Cookies {
		if isFlowCookie(c.Name) {
			return c
		}
	}
	return nil
}

// wantPage fails unless the page has the status and an element with
// data-testid=testID.
func wantPage(t *testing.T, p *testutil.Page, status int, testID string) {
	t.Helper()
	if p.Status != status || !p.Has(testID) {
		t.Fatalf("%s: status %d, want %d with data-testid=%q:\n%s", redact(p.URL), p.Status, status, testID, p.Excerpt())
	}
}

// connectedFlow is a flow environment in which one invitee has connected
// sandbox-user-1 on a new link: Allow, then the callback's success page.
type connectedFlow struct {
	e     *testutil.FlowEnv
	link  *testutil.GeneratedLink
	inv   *testutil.Invitee
	start *testutil.Page // Start's redirect to the provider
	cb    string         // the callback URL the provider sent
	page  *testutil.Page // the success page
}

// connectOnce starts a flow environment and connects invitee name in it.
func connectOnce(t *testing.T, name string) connectedFlow {
	t.Helper()
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, name)
	start, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
	page := inv.Callback(t, cb)
	wantPage(t, page, http.StatusOK, "connect-success")
	return connectedFlow{e: e, link: link, inv: inv, start: start, cb: cb, page: page}
}

// callbacksAtOnce opens invitees[i]'s callbacks[i] on its own goroutine,
// all released together, and returns each page and error by index.
func callbacksAtOnce(invitees []*testutil.Invitee, callbacks []string) ([]*testutil.Page, []error) {
	pages := make([]*testutil.Page, len(invitees))
	errs := make([]error, len(invitees))
	testutil.Concurrently(len(invitees), func(i int) {
		pages[i], errs[i] = invitees[i].TryCallback(callbacks[i])
	})
	return pages, errs
}

// redact drops the query (code, state) from a URL for messages.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?..."
	}
	return u
}

// wantActive fails unless the link is active with nothing connected.
func wantActive(t *testing.T, e *testutil.FlowEnv, linkID string) {
	t.Helper()
	l := e.Link(t, linkID)
	if st := access.StatusOf(&l, e.Svc.Clock()); st != access.StatusActive || l.UsedAt != nil || l.ConnectedAccountID != nil {
		t.Errorf("link status %s, used_at %v, connected_account_id %v; want active, unused", st, l.UsedAt, l.ConnectedAccountID)
	}
}

// wantAccounts fails unless the database holds n connected accounts.
func wantAccounts(t *testing.T, e *testutil.FlowEnv, n int) []models.ConnectedAccount {
	t.Helper()
	accs := e.Accounts(t)
	if len(accs) != n {
		t.Fatalf("%d connected accounts, want %d: %+v", len(accs), n, accs)
	}
	return accs
}

// accountsOfLink counts the accounts whose link_id is linkID.
func accountsOfLink(t *testing.T, e *testutil.FlowEnv, linkID string) int {
	t.Helper()
	n := 0
	for _, a := range e.Accounts(t) {
		if a.LinkID != nil && *a.LinkID == linkID {
			n++
		}
	}
	return n
}

// lastEvent returns the link's last event of a type, failing if none.
func lastEvent(t *testing.T, e *testutil.FlowEnv, linkID, typ string) access.Event {
	t.Helper()
	evs := testutil.EventsOf(e.Events(t, linkID), typ)
	if len(evs) == 0 {
		t.Fatalf("no %s event; history: %v", typ, testutil.EventTypes(e.Events(t, linkID)))
	}
	return evs[len(evs)-1]
}

// wantErrorPage checks a failure page of the flow: status, title, and the
// reference code.
func wantErrorPage(t *testing.T, p *testutil.Page, status int, code string) {
	t.Helper()
	wantPage(t, p, status, "connect-error")
	if got := p.Text("error-code"); got != code {
		t.Errorf("error-code = %q, want %q", got, code)
	}
}

// wantRetry checks the "Try again" link of a failure page: back to the
// consent page of the same link.
func wantRetry(t *testing.T, p *testutil.Page, token string) string {
	t.Helper()
	href := p.Attrs("retry", "href")
	if len(href) != 1 || href[0] != "/connect/"+token || p.Text("retry") != "Try again" {
		t.Fatalf("retry links %v (%q), want one \"Try again\" to /connect/{token}:\n%s", href, p.Text("retry"), p.Excerpt())
	}
	return href[0]
}

// withQuery returns u with its query changed by fn.
func withQuery(t *testing.T, u string, fn func(q url.Values)) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	fn(q)
	parsed.RawQuery = q.Encode()
	return parsed.String()
}

func query(t *testing.T, u string) url.Values {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Query()
}

// accountName is how the sandbox names its sample accounts.
var accountName = map[string]string{
	"sandbox-user-1": "Acme Ads (demo)",
	"sandbox-user-2": "Northwind Store (demo)",
	"sandbox-user-3": "Globex Finance (demo)",
}

func TestFlowSuccess(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link := e.GenerateLink(t, testutil.SandboxKey)
	src := e.Svc.Sources().Get(testutil.SandboxKey)
	inv := e.NewInvitee("owner")
	callbackURI := e.AppURL + "/oauth/callback"

	t.Run("ConsentShowsRequesterOrgWorkspaceAndEveryScope", func(t *testing.T) {
		p := inv.Consent(t, link.Token)
		wantPage(t, p, http.StatusOK, "consent")
		for id, want := range map[string]string{
			"consent-requester": e.F.Admin.Name,
			"consent-org":       e.F.Agency.Name,
			"consent-workspace": e.F.Reporting.Name,
		} {
			if got := p.Text(id); got != want {
				t.Errorf("%s = %q, want %q", id, got, want)
			}
		}
		// Every scope, once; the page orders them as the invitee weighs
		// them (views.consentScopes), so compare as sets.
		shown, texts := p.Attrs("consent-scope", "data-scope"), p.Texts("consent-scope")
		if got, want := slices.Sorted(slices.Values(shown)), slices.Sorted(slices.Values(src.ScopeNames())); !slices.Equal(got, want) {
			t.Errorf("scopes shown %v, want %v", shown, src.ScopeNames())
		}
		for _, sc := range src.Scopes {
			i := slices.Index(shown, sc.Name)
			if i < 0 || i >= len(texts) || !strings.Contains(texts[i], sc.Title) || !strings.Contains(texts[i], sc.Description) {
				t.Errorf("scope %s is not shown with its title and description", sc.Name)
			}
		}
		if got := p.Attrs("start-form", "action"); len(got) != 1 || got[0] != "/connect/"+link.Token+"/start" {
			t.Errorf("start form action %v", got)
		}
	})

	var authURL string
	t.Run("StartRedirectsToTheSandboxWithPKCEStateAndNonce", func(t *testing.T) {
		p := inv.Start(t, link.Token)
		if p.Status != http.StatusSeeOther {
			t.Fatalf("start: status %d, want 303:\n%s", p.Status, p.Excerpt())
		}
		authURL = p.Location
		if !strings.HasPrefix(authURL, e.Sandbox.Issuer+"/authorize?") {
			t.Fatalf("start redirected to %s, want the sandbox's authorize endpoint %s/authorize", redact(authURL), e.Sandbox.Issuer)
		}
		q := query(t, authURL)
		for k, want := range map[string]string{
			"response_type": "code", "client_id": sources.SandboxClientID, "redirect_uri": callbackURI,
			"code_challenge_method": "S256", "scope": strings.Join(src.ScopeNames(), " "),
		} {
			if got := q.Get(k); got != want {
				t.Errorf("authorize %s = %q, want %q", k, got, want)
			}
		}
		b64url := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
		if c := q.Get("code_challenge"); len(c) != 43 || !b64url.MatchString(c) {
			t.Errorf("code_challenge %q is not a base64url SHA-256", c)
		}
		if s := q.Get("state"); len(s) < 43 || !b64url.MatchString(s) {
			t.Errorf("state %q is not 256 random bits", s)
		}
		if n := q.Get("nonce"); len(n) < 32 {
			t.Errorf("nonce %q is missing or short", n)
		}
		if q.Has("code_verifier") || q.Has("client_secret") {
			t.Error("the authorize URL carries a secret")
		}
		if flowCookieOf(p) == nil {
			t.Error("start set no flow cookie")
		}
	})
	if authURL == "" {
		t.FailNow()
	}

	var callbackURL string
	t.Run("SandboxShowsItsConsentPageAndSendsACodeBack", func(t *testing.T) {
		form := inv.Authorize(t, authURL)
		if !slices.Equal(form.Accounts, []string{"sandbox-user-1", "sandbox-user-2", "sandbox-user-3"}) ||
			!slices.Equal(form.Buttons, []string{"allow", "deny"}) {
			t.Fatalf("sandbox consent form: accounts %v, buttons %v", form.Accounts, form.Buttons)
		}
		callbackURL = inv.Answer(t, form, "allow", "sandbox-user-2")
		q := query(t, callbackURL)
		if !strings.HasPrefix(callbackURL, callbackURI+"?") || q.Get("code") == "" || q.Get("state") != query(t, authURL).Get("state") {
			t.Fatalf("sandbox sent the browser to %s, want the callback with a code and the state", redact(callbackURL))
		}
	})
	if callbackURL == "" {
		t.FailNow()
	}

	t.Run("CallbackShowsSuccessNamingTheAccount", func(t *testing.T) {
		p := inv.Callback(t, callbackURL)
		wantPage(t, p, http.StatusOK, "connect-success")
		if got := p.Text("connect-account"); !strings.Contains(got, "Northwind Store (demo)") {
			t.Errorf("connect-account = %q, want the sandbox account's name", got)
		}
		if got := p.Text("connect-body"); !strings.Contains(got, src.Name) {
			t.Errorf("connect-body = %q, want the source's name", got)
		}
		if n := e.Sandbox.Tap.Requests(); n != 1 {
			t.Errorf("token endpoint hit %d times, want 1", n)
		}
	})

	t.Run("DatabaseHoldsTheClaimTheAccountAndTheHistory", func(t *testing.T) {
		l := e.Link(t, link.ID)
		if l.UsedAt == nil || l.ConnectedAccountID == nil {
			t.Fatalf("link used_at %v, connected_account_id %v; want both set", l.UsedAt, l.ConnectedAccountID)
		}
		accs := wantAccounts(t, e, 1)
		a := accs[0]
		if a.ID != *l.ConnectedAccountID || a.ExternalID != "sandbox-user-2" || a.SourceKey != testutil.SandboxKey ||
			a.WorkspaceID != e.F.Reporting.ID || a.LinkID == nil || *a.LinkID != link.ID || a.Status != "connected" {
			t.Errorf("account row %+v", a)
		}
		if a.DisplayName != "Northwind Store (demo)" || a.Email != "owner@northwind.example" {
			t.Errorf("account named %q <%s>", a.DisplayName, a.Email)
		}
		// The scopes stored are the scopes granted: the token response's
		// scope, or the request's when the provider omits it.
		issued := e.Sandbox.Tap.Issued()
		granted := src.ScopeNames()
		if len(issued) == 1 && issued[0].Scope != "" {
			granted = strings.Fields(issued[0].Scope)
		}
		stored := strings.Fields(a.Scopes)
		slices.Sort(stored)
		slices.Sort(granted)
		if !slices.Equal(stored, granted) || !slices.Contains(stored, "reports.read") {
			t.Errorf("scopes stored %q, want the granted %q", a.Scopes, granted)
		}
		if a.AccessTokenSealed == "" || a.RefreshTokenSealed == "" {
			t.Error("tokens not stored")
		}
		evs := e.Events(t, link.ID)
		if got, want := testutil.EventTypes(evs), []string{access.EventCreated, access.EventOpened, access.EventStarted, access.EventConnected}; !slices.Equal(got, want) {
			t.Errorf("history %v, want %v", got, want)
		}
		for _, ev := range evs[1:] {
			if ev.IP != inv.IP || ev.ActorID != nil {
				t.Errorf("%s event by %q from %q, want the invitee from %s", ev.Type, ev.Actor, ev.IP, inv.IP)
			}
		}
		c := lastEvent(t, e, link.ID, access.EventConnected)
		if c.Fields["external_id"] != "sandbox-user-2" || !strings.Contains(c.Fields["account"], "Northwind Store (demo)") {
			t.Errorf("connected event detail %v", c.Fields)
		}
	})

	t.Run("AdminSeesTheConnectedAccount", func(t *testing.T) {
		admin := e.Login(t, e.F.Admin.Email)
		ws := "/w/" + e.F.Reporting.ID + "/sources"
		p := e.Get(t, admin, ws+"/access-requests/"+link.ID)
		wantPage(t, p, http.StatusOK, "link-account")
		if got := p.Text("link-account"); !strings.Contains(got, "Northwind Store (demo)") {
			t.Errorf("link-account = %q", got)
		}
		if got := p.Text("link-status"); got != "Used" {
			t.Errorf("link-status = %q, want Used", got)
		}
		if got := p.Attrs("event", "data-type"); !slices.Contains(got, access.EventConnected) {
			t.Errorf("timeline %v has no connected event", got)
		}

		list := e.Get(t, admin, ws+"/access-requests")
		wantPage(t, list, http.StatusOK, "link-row")
		if got := list.Attrs("link-row", "data-status"); !slices.Equal(got, []string{string(access.StatusUsed)}) {
			t.Errorf("links list statuses %v, want [used]", got)
		}

		accounts := e.Get(t, admin, ws)
		wantPage(t, accounts, http.StatusOK, "account-row")
		rows := accounts.Texts("account-row")
		if len(rows) != 1 || !strings.Contains(rows[0], "Northwind Store (demo)") || !strings.Contains(rows[0], src.Name) {
			t.Errorf("connected accounts page rows %q", rows)
		}
	})
}

func TestFlowDeny(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, "denier")
	_, cb := inv.Authorized(t, link.Token, "deny", "")
	if q := query(t, cb); q.Get("error") != "access_denied" || q.Has("code") {
		t.Fatalf("deny sent the browser to %s, want error=access_denied", redact(cb))
	}

	var retry string
	t.Run("AccessNotGrantedPageWithTryAgain", func(t *testing.T) {
		p := inv.Callback(t, cb)
		wantErrorPage(t, p, http.StatusOK, "access_denied")
		if got := p.Text("connect-title"); got != "Access was not granted" {
			t.Errorf("title %q", got)
		}
		retry = wantRetry(t, p, link.Token)
		// The flow is settled and kept, as a connected one is, so that a
		// reload shows this page again (review B).
		if c := flowCookieOf(p); c == nil || c.MaxAge <= 0 {
			t.Errorf("the settled flow cookie was not kept: %v", c)
		}
	})
	t.Run("ReloadShowsTheSameOutcomeWithTryAgain", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			p := inv.Callback(t, cb)
			wantErrorPage(t, p, http.StatusOK, "access_denied")
			if got := p.Text("connect-title"); got != "Access was not granted" {
				t.Errorf("reload %d: title %q", i+1, got)
			}
			wantRetry(t, p, link.Token)
		}
		// The same state with a code instead: still the first outcome,
		// nothing exchanged.
		p := inv.Callback(t, withQuery(t, cb, func(q url.Values) { q.Del("error"); q.Del("error_description"); q.Set("code", "forged") }))
		wantErrorPage(t, p, http.StatusOK, "access_denied")
		if n := e.Sandbox.Tap.Requests(); n != 0 {
			t.Errorf("token endpoint hit %d times after a denial", n)
		}
		if n := len(testutil.EventsOf(e.Events(t, link.ID), access.EventProviderError)); n != 1 {
			t.Errorf("%d provider_error events, want 1", n)
		}
	})
	t.Run("LinkStaysActiveNothingStored", func(t *testing.T) {
		wantActive(t, e, link.ID)
		wantAccounts(t, e, 0)
		if n := e.Sandbox.Tap.Requests(); n != 0 {
			t.Errorf("token endpoint hit %d times after a denial", n)
		}
	})
	t.Run("ProviderErrorEventRecorded", func(t *testing.T) {
		ev := lastEvent(t, e, link.ID, access.EventProviderError)
		if ev.Fields["error"] != "access_denied" || ev.Fields["kind"] != "provider" || ev.IP != inv.IP {
			t.Errorf("provider_error event %v from %s", ev.Fields, ev.IP)
		}
		if got, want := testutil.EventTypes(e.Events(t, link.ID)), []string{"created", "opened", "started", "provider_error"}; !slices.Equal(got, want) {
			t.Errorf("history %v, want %v", got, want)
		}
	})
	t.Run("TryAgainOpensTheConsentPage", func(t *testing.T) {
		if retry == "" {
			t.Fatal("the not-granted page has no Try again link")
		}
		wantPage(t, inv.Get(t, e.AppURL+retry), http.StatusOK, "consent")
	})
}

func TestFlowProviderErrorThenRetry(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})

	// fail runs one failed attempt, checks the page and the database, and
	// returns the "Try again" target.
	fail := func(t *testing.T, inv *testutil.Invitee, link *testutil.GeneratedLink, code string, tamper func(authURL string) string) string {
		t.Helper()
		wantPage(t, inv.Consent(t, link.Token), http.StatusOK, "consent")
		start := inv.Start(t, link.Token)
		if start.Status != http.StatusSeeOther {
			t.Fatalf("start: %d", start.Status)
		}
		cb := inv.Visit(t, tamper(start.Location))
		if q := query(t, cb); q.Get("error") != code || q.Get("state") != query(t, start.Location).Get("state") {
			t.Fatalf("the provider sent the browser to %s, want error=%s with the state", redact(cb), code)
		}
		p := inv.Callback(t, cb)
		wantErrorPage(t, p, http.StatusOK, code)
		if got := p.Text("connect-title"); got != "The provider reported a problem" {
			t.Errorf("title %q", got)
		}
		retry := wantRetry(t, p, link.Token)
		wantActive(t, e, link.ID)
		if n := accountsOfLink(t, e, link.ID); n != 0 {
			t.Errorf("%d accounts stored by a failed attempt", n)
		}
		if ev := lastEvent(t, e, link.ID, access.EventProviderError); ev.Fields["error"] != code || ev.Fields["kind"] != "provider" {
			t.Errorf("provider_error event %v", ev.Fields)
		}
		return retry
	}
	retry := func(t *testing.T, inv *testutil.Invitee, link *testutil.GeneratedLink, target, account string) {
		t.Helper()
		wantPage(t, inv.Get(t, e.AppURL+target), http.StatusOK, "consent")
		_, cb := inv.Authorized(t, link.Token, "allow", account)
		p := inv.Callback(t, cb)
		wantPage(t, p, http.StatusOK, "connect-success")
		if !strings.Contains(p.Text("connect-account"), accountName[account]) {
			t.Errorf("connect-account %q", p.Text("connect-account"))
		}
		if l := e.Link(t, link.ID); l.UsedAt == nil || l.ConnectedAccountID == nil {
			t.Error("link not claimed by the retry")
		}
		types := testutil.EventTypes(e.Events(t, link.ID))
		if i, j := slices.Index(types, access.EventProviderError), slices.Index(types, access.EventConnected); i < 0 || j < i {
			t.Errorf("history %v, want provider_error then connected", types)
		}
	}

	t.Run("ProviderUnavailableThenRetrySucceeds", func(t *testing.T) {
		link := e.GenerateLink(t, testutil.SandboxKey)
		inv := e.NewInvitee("unlucky")
		e.Sandbox.FailNextAuthorize("temporarily_unavailable")
		target := fail(t, inv, link, "temporarily_unavailable", func(u string) string { return u })
		wantAccounts(t, e, 0)
		retry(t, inv, link, target, "sandbox-user-1")
		wantAccounts(t, e, 1)
	})
	t.Run("ProviderRefusesARequestWithoutPKCEThenRetrySucceeds", func(t *testing.T) {
		link := e.GenerateLink(t, testutil.SandboxKey)
		inv := e.NewInvitee("tampered")
		target := fail(t, inv, link, "invalid_request", func(u string) string {
			return withQuery(t, u, func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") })
		})
		retry(t, inv, link, target, "sandbox-user-3")
		wantAccounts(t, e, 2)
	})
}

// TestFlowStartAgainAfterAnUnfinishedAttempt: an invitee whose attempt
// broke off before its callback reached the app (the provider's page never
// answered, or its redirect back was lost with a replica) opens the link
// again and starts again: Start marks nothing, the link stays usable until
// a callback connects an account. One whose callback connected but whose
// answer was lost sees the success again by reloading the callback, and the
// link, opened again, says it was used, naming the account: what
// deploy/scaleout's invitees meet when a replica dies under them.
func TestFlowStartAgainAfterAnUnfinishedAttempt(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	connectedOnce := func(t *testing.T, linkID string) {
		t.Helper()
		if n := len(testutil.EventsOf(e.Events(t, linkID), access.EventConnected)); n != 1 {
			t.Errorf("%d connected events, want 1", n)
		}
		if n := accountsOfLink(t, e, linkID); n != 1 {
			t.Errorf("%d accounts of the link, want 1", n)
		}
	}

	t.Run("ProviderPageNeverAnsweredThenStartAgainConnects", func(t *testing.T) {
		link, inv := e.AtConsent(t, "left")
		start := inv.Start(t, link.Token)
		if start.Status != http.StatusSeeOther {
			t.Fatalf("start: %d", start.Status)
		}
		inv.Authorize(t, start.Location) // the provider's page; its Allow never arrives
		wantActive(t, e, link.ID)
		wantPage(t, inv.Consent(t, link.Token), http.StatusOK, "consent")
		_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
		wantPage(t, inv.Callback(t, cb), http.StatusOK, "connect-success")
		connectedOnce(t, link.ID)
	})
	t.Run("RedirectBackLostThenStartAgainConnects", func(t *testing.T) {
		link, inv := e.AtConsent(t, "dropped")
		_, lost := inv.Authorized(t, link.Token, "allow", "sandbox-user-2") // never reaches the app
		wantActive(t, e, link.ID)
		wantPage(t, inv.Consent(t, link.Token), http.StatusOK, "consent")
		_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-2")
		wantPage(t, inv.Callback(t, cb), http.StatusOK, "connect-success")
		// The lost callback, arriving late, is not this browser's flow any
		// more: refused, nothing more connected.
		wantPage(t, inv.Callback(t, lost), http.StatusBadRequest, "connect-error")
		connectedOnce(t, link.ID)
	})
	t.Run("CallbackAnswerLostReloadShowsConnectedAndTheLinkSaysUsed", func(t *testing.T) {
		link, inv := e.AtConsent(t, "reloader")
		_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-3")
		inv.Callback(t, cb) // connects; the answer is lost on its way
		again := inv.Callback(t, cb)
		wantPage(t, again, http.StatusOK, "connect-success")
		if !strings.Contains(again.Text("connect-account"), accountName["sandbox-user-3"]) {
			t.Errorf("reloaded callback names %q", again.Text("connect-account"))
		}
		used := inv.Consent(t, link.Token)
		wantPage(t, used, http.StatusGone, "connect-used")
		if !strings.Contains(used.Body, accountName["sandbox-user-3"]) {
			t.Errorf("the used link's page does not name the account:\n%s", used.Excerpt())
		}
		if start := inv.Start(t, link.Token); start.Status != http.StatusGone {
			t.Errorf("Start on the used link: %d, want 410", start.Status)
		}
		connectedOnce(t, link.ID)
	})
}

func TestFlowExpired(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})

	t.Run("ConsentAfterSevenDaysShowsExpiredNamingTheCreator", func(t *testing.T) {
		link := e.GenerateLink(t, testutil.SandboxKey)
		e.Clock.Advance(access.LinkLifetime)
		inv := e.NewInvitee("late")
		p := inv.Consent(t, link.Token)
		wantPage(t, p, http.StatusGone, "connect-expired")
		if got := p.Text("connect-body"); !strings.Contains(got, e.F.Admin.Name) {
			t.Errorf("expired page body %q does not name the creator %q", got, e.F.Admin.Name)
		}
		start := inv.Start(t, link.Token)
		wantPage(t, start, http.StatusGone, "connect-expired")
		if flowCookieOf(start) != nil {
			t.Error("an expired link started a flow")
		}
		if st := e.LinkStatus(t, link.ID); st != access.StatusExpired {
			t.Errorf("status %s", st)
		}
		if got := testutil.EventTypes(e.Events(t, link.ID)); !slices.Equal(got, []string{"created"}) {
			t.Errorf("history %v", got)
		}
		wantAccounts(t, e, 0)
	})

	// nearExpiry generates a link and moves the clock to a minute before
	// its expiry.
	nearExpiry := func(t *testing.T) *testutil.GeneratedLink {
		link := e.GenerateLink(t, testutil.SandboxKey)
		e.Clock.Set(e.Link(t, link.ID).ExpiresAt.Add(-time.Minute))
		return link
	}

	t.Run("ExpiryBetweenStartAndCallbackRefusesTheClaim", func(t *testing.T) {
		link := nearExpiry(t)
		inv := e.NewInvitee("slow")
		wantPage(t, inv.Consent(t, link.Token), http.StatusOK, "consent")
		_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
		e.Clock.Advance(2 * time.Minute)
		before := e.Sandbox.Tap.Requests()
		p := inv.Callback(t, cb)
		wantPage(t, p, http.StatusGone, "connect-expired")
		if e.Sandbox.Tap.Requests() != before {
			t.Error("the code of an expired link was exchanged")
		}
		if l := e.Link(t, link.ID); l.UsedAt != nil || l.ConnectedAccountID != nil {
			t.Error("an expired link was claimed")
		}
		wantAccounts(t, e, 0)
		if ev := lastEvent(t, e, link.ID, access.EventClaimRefused); ev.Fields["reason"] == "" {
			t.Errorf("claim_refused without a reason: %v", ev.Fields)
		}
	})

	t.Run("ExpiryDuringTheCodeExchangeRefusesTheClaim", func(t *testing.T) {
		link := nearExpiry(t)
		inv := e.NewInvitee("slower")
		wantPage(t, inv.Consent(t, link.Token), http.StatusOK, "consent")
		_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
		before := e.Sandbox.Tap.Requests()
		e.Sandbox.Tap.BeforeNext(func() { e.Clock.Advance(2 * time.Minute) })
		p := inv.Callback(t, cb)
		wantPage(t, p, http.StatusGone, "connect-expired")
		if e.Sandbox.Tap.Requests() != before+1 {
			t.Error("the code was not exchanged: the claim was not the one refusing")
		}
		if l := e.Link(t, link.ID); l.UsedAt != nil || l.ConnectedAccountID != nil {
			t.Error("an expired link was claimed")
		}
		wantAccounts(t, e, 0)
		if ev := lastEvent(t, e, link.ID, access.EventClaimRefused); ev.Fields["reason"] != string(access.StatusExpired) {
			t.Errorf("claim_refused detail %v, want reason expired", ev.Fields)
		}
		if n := len(testutil.EventsOf(e.Events(t, link.ID), access.EventConnected)); n != 0 {
			t.Errorf("%d connected events", n)
		}
	})
}

func TestFlowLinkDeleted(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})

	check := func(t *testing.T, link *testutil.GeneratedLink, p *testutil.Page) {
		t.Helper()
		wantPage(t, p, http.StatusNotFound, "connect-unknown")
		if p.Has("connect-account") || p.Has("retry") {
			t.Error("the not-available page offers more than it should")
		}
		l := e.Link(t, link.ID)
		if l.UsedAt != nil || l.ConnectedAccountID != nil || l.DeletedAt == nil {
			t.Errorf("deleted link: used_at %v, connected_account_id %v, deleted_at %v", l.UsedAt, l.ConnectedAccountID, l.DeletedAt)
		}
		wantAccounts(t, e, 0)
		lastEvent(t, e, link.ID, access.EventClaimRefused)
		if n := len(testutil.EventsOf(e.Events(t, link.ID), access.EventConnected)); n != 0 {
			t.Errorf("%d connected events", n)
		}
	}

	t.Run("DeletedBeforeTheCallbackShowsNotAvailable", func(t *testing.T) {
		link, inv := e.AtConsent(t, "a")
		_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
		e.DeleteLink(t, link.ID)
		before := e.Sandbox.Tap.Requests()
		check(t, link, inv.Callback(t, cb))
		if e.Sandbox.Tap.Requests() != before {
			t.Error("the code of a deleted link was exchanged")
		}
	})

	t.Run("DeletedDuringTheCodeExchangeShowsNotAvailable", func(t *testing.T) {
		link, inv := e.AtConsent(t, "b")
		_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
		m := testutil.Member(t, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
		e.Sandbox.Tap.BeforeNext(func() {
			if err := e.Svc.DeleteLink(context.Background(), m, access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name}, link.ID); err != nil {
				t.Errorf("delete during the exchange: %v", err)
			}
		})
		before := e.Sandbox.Tap.Requests()
		check(t, link, inv.Callback(t, cb))
		if e.Sandbox.Tap.Requests() != before+1 {
			t.Error("the code was not exchanged: the claim was not the one refusing")
		}
		if ev := lastEvent(t, e, link.ID, access.EventClaimRefused); ev.Fields["reason"] != string(access.StatusDeleted) {
			t.Errorf("claim_refused detail %v, want reason deleted", ev.Fields)
		}
	})
}

func TestFlowState(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link := e.GenerateLink(t, testutil.SandboxKey)
	a, b := e.NewInvitee("a"), e.NewInvitee("b")
	wantPage(t, a.Consent(t, link.Token), http.StatusOK, "consent")
	_, cbA := a.Authorized(t, link.Token, "allow", "sandbox-user-1")
	wantPage(t, b.Consent(t, link.Token), http.StatusOK, "consent")
	_, cbB := b.Authorized(t, link.Token, "allow", "sandbox-user-2")

	refused := func(t *testing.T, p *testutil.Page, code string) {
		t.Helper()
		wantErrorPage(t, p, http.StatusBadRequest, code)
		if got := p.Text("connect-title"); got != "This sign-in could not be completed" {
			t.Errorf("title %q", got)
		}
		wantActive(t, e, link.ID)
		wantAccounts(t, e, 0)
		if n := e.Sandbox.Tap.Requests(); n != 0 {
			t.Errorf("token endpoint hit %d times", n)
		}
		if n := len(testutil.EventsOf(e.Events(t, link.ID), access.EventConnected)); n != 0 {
			t.Errorf("%d connected events", n)
		}
	}

	t.Run("NoFlowCookieInAFreshBrowserRefused", func(t *testing.T) {
		refused(t, e.NewInvitee("fresh").Callback(t, cbA), "missing_state")
	})
	t.Run("WrongStateRefused", func(t *testing.T) {
		refused(t, a.Callback(t, withQuery(t, cbA, func(q url.Values) { q.Set("state", strings.Repeat("A", 43)) })), "state_mismatch")
	})
	t.Run("StateParameterMissingRefused", func(t *testing.T) {
		refused(t, a.Callback(t, withQuery(t, cbA, func(q url.Values) { q.Del("state") })), "state_mismatch")
	})
	t.Run("StateOfAnotherBrowserRefused", func(t *testing.T) {
		refused(t, a.Callback(t, cbB), "state_mismatch")
	})
	t.Run("RightfulBrowserStillCompletes", func(t *testing.T) {
		wantPage(t, a.Callback(t, cbA), http.StatusOK, "connect-success")
		if accs := wantAccounts(t, e, 1); accs[0].ExternalID != "sandbox-user-1" {
			t.Errorf("connected %s", accs[0].ExternalID)
		}
		wantPage(t, b.Callback(t, cbB), http.StatusGone, "connect-used")
		wantAccounts(t, e, 1)
	})
}

func TestFlowReplayedCallback(t *testing.T) {
	f := connectOnce(t, "reloader")
	e, link, inv, cb, first := f.e, f.link, f.inv, f.cb, f.page

	t.Run("SameBrowserSeesTheSameSuccessWithoutASecondExchange", func(t *testing.T) {
		again := inv.Callback(t, cb)
		wantPage(t, again, http.StatusOK, "connect-success")
		if again.Text("connect-account") != first.Text("connect-account") || again.Text("connect-title") != first.Text("connect-title") {
			t.Errorf("replay shows %q, first showed %q", again.Text("connect-account"), first.Text("connect-account"))
		}
		if n := e.Sandbox.Tap.Requests(); n != 1 {
			t.Errorf("token endpoint hit %d times, want exactly 1", n)
		}
		wantAccounts(t, e, 1)
		if n := len(testutil.EventsOf(e.Events(t, link.ID), access.EventConnected)); n != 1 {
			t.Errorf("%d connected events", n)
		}
	})
	t.Run("OtherBrowserRefused", func(t *testing.T) {
		p := e.NewInvitee("thief").Callback(t, cb)
		wantErrorPage(t, p, http.StatusBadRequest, "missing_state")
		if p.Has("connect-account") {
			t.Error("the error page names the account")
		}
		if n := e.Sandbox.Tap.Requests(); n != 1 {
			t.Errorf("token endpoint hit %d times, want exactly 1", n)
		}
		wantAccounts(t, e, 1)
	})
}

func TestFlowMixUp(t *testing.T) {
	const keyB = "second_sandbox"
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{ExtraProviders: []string{keyB}})
	provA, provB := e.Sandbox, e.Providers[keyB]
	if src := e.Svc.Sources().Get(keyB); src == nil || !src.Configured() || src.Issuer != provB.Issuer {
		t.Fatalf("source %s from %s not configured: %+v", keyB, e.SourcesFile, src)
	}
	linkA1, linkA2 := e.GenerateLink(t, testutil.SandboxKey), e.GenerateLink(t, testutil.SandboxKey)
	linkB := e.GenerateLink(t, keyB)

	// The victims start flows for source A; the attacker obtains a code
	// from provider B.
	victim1, victim2, attacker := e.NewInvitee("victim1"), e.NewInvitee("victim2"), e.NewInvitee("attacker")
	wantPage(t, victim1.Consent(t, linkA1.Token), http.StatusOK, "consent")
	_, cbA1 := victim1.Authorized(t, linkA1.Token, "allow", "sandbox-user-1")
	wantPage(t, victim2.Consent(t, linkA2.Token), http.StatusOK, "consent")
	startA2 := victim2.Start(t, linkA2.Token)
	stateA2 := query(t, startA2.Location).Get("state")
	wantPage(t, attacker.Consent(t, linkB.Token), http.StatusOK, "consent")
	startB, cbB := attacker.Authorized(t, linkB.Token, "allow", "sandbox-user-3")
	if !strings.HasPrefix(startB.Location, provB.Issuer+"/authorize?") {
		t.Fatalf("source %s starts at %s", keyB, redact(startB.Location))
	}
	codeB := query(t, cbB).Get("code")

	nothingStored := func(t *testing.T, link *testutil.GeneratedLink) {
		t.Helper()
		wantActive(t, e, link.ID)
		wantAccounts(t, e, 0)
		if n := provB.Tap.Requests(); n != 0 {
			t.Errorf("provider B's token endpoint hit %d times", n)
		}
	}

	t.Run("CallbackWithAnotherIssuerRefused", func(t *testing.T) {
		p := victim1.Callback(t, withQuery(t, cbA1, func(q url.Values) { q.Set("iss", provB.Issuer) }))
		wantErrorPage(t, p, http.StatusBadRequest, "issuer_mismatch")
		nothingStored(t, linkA1)
		if n := provA.Tap.Requests(); n != 0 {
			t.Errorf("provider A's token endpoint hit %d times", n)
		}
	})
	t.Run("CodeOfBWithStateOfAAndIssuerOfBRefused", func(t *testing.T) {
		cb := e.AppURL + "/oauth/callback?" + url.Values{"code": {codeB}, "state": {stateA2}, "iss": {provB.Issuer}}.Encode()
		wantErrorPage(t, victim2.Callback(t, cb), http.StatusBadRequest, "issuer_mismatch")
		nothingStored(t, linkA2)
		if n := provA.Tap.Requests(); n != 0 {
			t.Errorf("provider A's token endpoint hit %d times", n)
		}
	})
	t.Run("CodeOfBWithStateOfARefused", func(t *testing.T) {
		// Without iss the app cannot tell; the code goes only to A's token
		// endpoint (the flow's source), which does not know it.
		cb := e.AppURL + "/oauth/callback?" + url.Values{"code": {codeB}, "state": {stateA2}}.Encode()
		p := victim2.Callback(t, cb)
		wantErrorPage(t, p, http.StatusBadGateway, "invalid_grant")
		wantRetry(t, p, linkA2.Token)
		nothingStored(t, linkA2)
		if issued := provA.Tap.Issued(); len(issued) != 1 || issued[0].Error != "invalid_grant" || issued[0].AccessToken != "" {
			t.Errorf("provider A answered %+v, want one invalid_grant", issued)
		}
		if ev := lastEvent(t, e, linkA2.ID, access.EventProviderError); ev.Fields["kind"] != "token" {
			t.Errorf("provider_error event %v", ev.Fields)
		}
	})
	t.Run("RightfulCallbacksStillComplete", func(t *testing.T) {
		wantPage(t, victim1.Callback(t, cbA1), http.StatusOK, "connect-success")
		wantPage(t, attacker.Callback(t, cbB), http.StatusOK, "connect-success")
		accs := wantAccounts(t, e, 2)
		got := map[string]string{}
		for _, a := range accs {
			got[*a.LinkID] = a.SourceKey + "/" + a.ExternalID
		}
		if got[linkA1.ID] != "sandbox/sandbox-user-1" || got[linkB.ID] != keyB+"/sandbox-user-3" {
			t.Errorf("accounts by link %v", got)
		}
		if n := provB.Tap.Requests(); n != 1 {
			t.Errorf("provider B's token endpoint hit %d times, want 1", n)
		}
	})
}

func TestFlowTokenEndpointFailures(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{ClientTimeout: 300 * time.Millisecond})
	for i, tc := range []struct {
		name  string
		fault testutil.Fault
		code  string
	}{
		{"Status500ShowsRetryThenRetrySucceeds", testutil.Fault500, "http_500"},
		{"TimeoutShowsRetryThenRetrySucceeds", testutil.FaultTimeout, "timeout"},
		{"MalformedJSONShowsRetryThenRetrySucceeds", testutil.FaultMalformedJSON, "exchange_failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			account := "sandbox-user-" + strconv.Itoa(i+1)
			link, inv := e.AtConsent(t, tc.name)
			_, cb := inv.Authorized(t, link.Token, "allow", account)
			before := e.Sandbox.Tap.Requests()
			e.Sandbox.Tap.FailNext(tc.fault)
			began := time.Now()
			p := inv.Callback(t, cb)
			if d := time.Since(began); d > 5*time.Second {
				t.Errorf("the failing callback took %s", d)
			}
			wantErrorPage(t, p, http.StatusBadGateway, tc.code)
			if got := p.Text("connect-title"); got != "We could not finish connecting" {
				t.Errorf("title %q", got)
			}
			target := wantRetry(t, p, link.Token)
			// A reload shows the same failure and Try again (review B),
			// without asking the token endpoint again (below).
			if c := flowCookieOf(p); c == nil || c.MaxAge <= 0 {
				t.Errorf("the settled flow cookie was not kept: %v", c)
			}
			again := inv.Callback(t, cb)
			wantErrorPage(t, again, http.StatusBadGateway, tc.code)
			wantRetry(t, again, link.Token)
			// The code reached the provider once: a failure is never
			// retried behind the invitee's back.
			if e.Sandbox.Tap.Requests() != before+1 {
				t.Errorf("token endpoint hit %d times, want 1", e.Sandbox.Tap.Requests()-before)
			}
			wantActive(t, e, link.ID)
			wantAccounts(t, e, i)
			if ev := lastEvent(t, e, link.ID, access.EventProviderError); ev.Fields["kind"] != "token" || ev.Fields["error"] != tc.code {
				t.Errorf("provider_error event %v", ev.Fields)
			}

			// Try again: a new flow on the same link succeeds. (The client's
			// 300ms timeout holds for the retry too; on a loaded machine a
			// retry may time out as well, and the invitee tries again.)
			var ok *testutil.Page
			for attempt := 0; attempt < 3; attempt++ {
				wantPage(t, inv.Get(t, e.AppURL+target), http.StatusOK, "consent")
				_, cb = inv.Authorized(t, link.Token, "allow", account)
				if ok = inv.Callback(t, cb); ok.Text("error-code") != "timeout" {
					break
				}
				t.Logf("retry %d timed out", attempt+1)
			}
			wantPage(t, ok, http.StatusOK, "connect-success")
			if !strings.Contains(ok.Text("connect-account"), accountName[account]) {
				t.Errorf("connect-account %q", ok.Text("connect-account"))
			}
			wantAccounts(t, e, i+1)
			if n := accountsOfLink(t, e, link.ID); n != 1 {
				t.Errorf("%d accounts of the link", n)
			}
		})
	}
}

func TestFlowClientAuthentication(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	t.Run("BasicAuthByDefault", func(t *testing.T) {
		link := e.GenerateLink(t, testutil.SandboxKey)
		wantPage(t, e.NewInvitee("a").Connect(t, link.Token, "sandbox-user-1"), http.StatusOK, "connect-success")
		if got := e.Sandbox.Tap.ClientAuth(); !slices.Equal(got, []string{"basic"}) {
			t.Errorf("client authentication %v, want [basic]", got)
		}
	})
	t.Run("ClientRefusedInTheHeaderIsSentInTheBodyThenConnects", func(t *testing.T) {
		link := e.GenerateLink(t, testutil.SandboxKey)
		e.Sandbox.Tap.FailNext(testutil.FaultInvalidClient)
		wantPage(t, e.NewInvitee("b").Connect(t, link.Token, "sandbox-user-2"), http.StatusOK, "connect-success")
		if got := e.Sandbox.Tap.ClientAuth(); !slices.Equal(got, []string{"basic", "basic", "post"}) {
			t.Errorf("client authentication %v, want [basic basic post]", got)
		}
		wantAccounts(t, e, 2)
	})
}

func TestFlowReconnectUpdatesTheAccount(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link1, link2 := e.GenerateLink(t, testutil.SandboxKey), e.GenerateLink(t, testutil.SandboxKey)
	wantPage(t, e.NewInvitee("first").Connect(t, link1.Token, "sandbox-user-1"), http.StatusOK, "connect-success")
	first := wantAccounts(t, e, 1)[0]
	e.Clock.Advance(time.Hour)
	wantPage(t, e.NewInvitee("second").Connect(t, link2.Token, "sandbox-user-1"), http.StatusOK, "connect-success")

	t.Run("OneRowUpdatedWithTheSecondLink", func(t *testing.T) {
		a := wantAccounts(t, e, 1)[0]
		if a.ID != first.ID || a.ExternalID != "sandbox-user-1" || !a.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("account %s (created %s), want the same row %s (created %s)", a.ID, a.CreatedAt, first.ID, first.CreatedAt)
		}
		// Updated at the reconnection, by the service's clock.
		reconnected := lastEvent(t, e, link2.ID, access.EventConnected).CreatedAt
		if !a.UpdatedAt.After(first.UpdatedAt) || !a.UpdatedAt.Equal(reconnected) {
			t.Errorf("updated_at %s, was %s; want the time of the reconnection %s", a.UpdatedAt, first.UpdatedAt, reconnected)
		}
		if a.LinkID == nil || *a.LinkID != link2.ID {
			t.Errorf("link_id %v, want the second link %s", a.LinkID, link2.ID)
		}
		if a.AccessTokenSealed == first.AccessTokenSealed {
			t.Error("the access token was not replaced")
		}
	})
	t.Run("BothLinksUsedAndPointAtIt", func(t *testing.T) {
		for _, id := range []string{link1.ID, link2.ID} {
			l := e.Link(t, id)
			if l.UsedAt == nil || l.ConnectedAccountID == nil || *l.ConnectedAccountID != first.ID {
				t.Errorf("link %s: used_at %v, connected_account_id %v", id, l.UsedAt, l.ConnectedAccountID)
			}
		}
		if ev := lastEvent(t, e, link2.ID, access.EventConnected); ev.Fields["reconnected"] != "true" {
			t.Errorf("second connected event %v, want reconnected", ev.Fields)
		}
	})
}

func TestFlowConcurrentCallbacks(t *testing.T) {
	const n = 50
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link := e.GenerateLink(t, testutil.SandboxKey)
	invitees := make([]*testutil.Invitee, n)
	callbacks := make([]string, n)
	for i := range invitees {
		invitees[i] = e.NewInvitee("racer" + strconv.Itoa(i))
		wantPage(t, invitees[i].Consent(t, link.Token), http.StatusOK, "consent")
		_, callbacks[i] = invitees[i].Authorized(t, link.Token, "allow", "sandbox-user-"+strconv.Itoa(i%3+1))
	}

	pages, errs := callbacksAtOnce(invitees, callbacks)

	t.Run("ExactlyOneSuccessAndTheRestAlreadyConnected", func(t *testing.T) {
		success, used := 0, 0
		for i, p := range pages {
			switch {
			case errs[i] != nil:
				t.Errorf("callback %d: %v", i, errs[i])
			case p.Status == http.StatusOK && p.Has("connect-success"):
				success++
			case p.Status == http.StatusGone && p.Has("connect-used"):
				used++
				if got := p.Text("connect-title"); got != "This account has already been connected" {
					t.Errorf("used page title %q", got)
				}
			default:
				t.Errorf("callback %d: status %d:\n%s", i, p.Status, p.Excerpt())
			}
		}
		if success != 1 || used != n-1 {
			t.Errorf("%d success pages and %d already-connected pages, want 1 and %d", success, used, n-1)
		}
	})
	t.Run("OneAccountOneConnectedEventAndRefusedClaims", func(t *testing.T) {
		accs := wantAccounts(t, e, 1)
		l := e.Link(t, link.ID)
		if l.UsedAt == nil || l.ConnectedAccountID == nil || *l.ConnectedAccountID != accs[0].ID {
			t.Errorf("link used_at %v, connected_account_id %v, account %s", l.UsedAt, l.ConnectedAccountID, accs[0].ID)
		}
		evs := e.Events(t, link.ID)
		connected := testutil.EventsOf(evs, access.EventConnected)
		refused := testutil.EventsOf(evs, access.EventClaimRefused)
		if len(connected) != 1 || len(refused) != n-1 {
			t.Errorf("%d connected and %d claim_refused events, want 1 and %d", len(connected), len(refused), n-1)
		}
		for _, ev := range refused {
			if ev.Fields["reason"] != string(access.StatusUsed) {
				t.Errorf("claim_refused reason %q, want %q", ev.Fields["reason"], access.StatusUsed)
			}
		}
		// Callbacks refused before the exchange (the link was already used)
		// never reach the token endpoint; each flow's code is sent at most once.
		if got := e.Sandbox.Tap.Requests(); got < 1 || got > n {
			t.Errorf("%d token requests, want between 1 and %d", got, n)
		}
		t.Logf("%s: %d token requests for %d flows", testutil.Dialect(), e.Sandbox.Tap.Requests(), n)
	})
}

func TestFlowNoSecretsAtRest(t *testing.T) {
	f := connectOnce(t, "careful")
	e, link, start, cb, page := f.e, f.link, f.start, f.cb, f.page
	// A failed attempt on another link leaves its traces too.
	other := e.GenerateLink(t, testutil.SandboxKey)
	inv2 := e.NewInvitee("unlucky")
	_, cb2 := inv2.Authorized(t, other.Token, "allow", "sandbox-user-2")
	e.Sandbox.Tap.FailNext(testutil.FaultMalformedJSON)
	wantPage(t, inv2.Callback(t, cb2), http.StatusBadGateway, "connect-error")

	issued := e.Sandbox.Tap.Issued()
	if len(issued) != 2 || issued[0].AccessToken == "" || issued[0].RefreshToken == "" || issued[1].AccessToken == "" {
		t.Fatalf("the sandbox issued %+v, want two token sets with refresh tokens", issued)
	}
	needles := map[string]string{
		"the access token":                    issued[0].AccessToken,
		"the refresh token":                   issued[0].RefreshToken,
		"the ID token":                        issued[0].IDToken,
		"the link token":                      link.Token,
		"the authorization code":              query(t, cb).Get("code"),
		"the state":                           query(t, start.Location).Get("state"),
		"the nonce":                           query(t, start.Location).Get("nonce"),
		"the client secret":                   e.Sandbox.ClientSecret,
		"the failed attempt's access token":   issued[1].AccessToken,
		"the failed attempt's refresh token":  issued[1].RefreshToken,
		"the failed attempt's link token":     other.Token,
		"the failed attempt's authorize code": query(t, cb2).Get("code"),
	}

	t.Run("NoTokenInAnyColumnOfAnyTable", func(t *testing.T) {
		// The scan itself works: it finds what is stored in clear.
		if found := e.TextColumnsContaining(t, map[string]string{"the external ID": "sandbox-user-1"}); len(found) == 0 {
			t.Fatal("the scan did not find the account's external ID")
		}
		for _, where := range e.TextColumnsContaining(t, needles) {
			t.Error(where)
		}
	})
	t.Run("NoTokenInTheLogOrThePage", func(t *testing.T) {
		logs := e.Logs.String()
		if !strings.Contains(logs, "/oauth/callback") {
			t.Fatalf("the log holds no requests:\n%s", logs)
		}
		for name, n := range needles {
			if strings.Contains(logs, n) {
				t.Errorf("the log holds %s", name)
			}
			if name != "the link token" && strings.Contains(page.Body, n) {
				t.Errorf("the success page holds %s", name)
			}
		}
	})
}

func TestFlowRateLimitAndUnknownLinks(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{Tick: -1})
	link := e.GenerateLink(t, testutil.SandboxKey)

	t.Run("MoreThan60OpensFromOneClientGet429WithRetryAfter", func(t *testing.T) {
		inv := e.NewInvitee("hammer")
		var limited *testutil.Page
		for i := 0; i < 200 && limited == nil; i++ {
			p := inv.Consent(t, link.Token)
			switch {
			case p.Status == http.StatusTooManyRequests:
				if i < 60 {
					t.Fatalf("limited after %d requests", i)
				}
				limited = p
			case p.Status != http.StatusOK:
				t.Fatalf("request %d: status %d", i, p.Status)
			}
		}
		if limited == nil {
			t.Fatal("200 rapid requests were never limited")
		}
		wantPage(t, limited, http.StatusTooManyRequests, "connect-error")
		if s, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Errorf("Retry-After %q", limited.Header.Get("Retry-After"))
		}
		if got := limited.Text("connect-title"); got != "Too many requests" {
			t.Errorf("title %q", got)
		}
		// Other clients are not limited.
		wantPage(t, e.NewInvitee("bystander").Consent(t, link.Token), http.StatusOK, "consent")
		wantActive(t, e, link.ID)
	})

	t.Run("UnknownAndDeletedLinksLookTheSame", func(t *testing.T) {
		deleted := e.GenerateLink(t, testutil.SandboxKey)
		e.DeleteLink(t, deleted.ID)
		unknown := strings.Repeat("x", len(deleted.Token))
		inv := e.NewInvitee("prober")
		nonce := regexp.MustCompile(`nonce(=|-)["']?[A-Za-z0-9+/=]+`)
		same := func(a, b *testutil.Page) {
			t.Helper()
			wantPage(t, a, http.StatusNotFound, "connect-unknown")
			if a.Status != b.Status {
				t.Errorf("status %d and %d", a.Status, b.Status)
			}
			// Only the per-request CSP nonce and request ID may differ.
			if x, y := nonce.ReplaceAllString(a.Body, "nonce"), nonce.ReplaceAllString(b.Body, "nonce"); x != y {
				t.Errorf("bodies differ:\n%s\n---\n%s", x, y)
			}
			for k := range a.Header {
				if k == "Date" || k == "Content-Security-Policy" || k == "X-Request-Id" {
					continue
				}
				if a.Header.Get(k) != b.Header.Get(k) {
					t.Errorf("header %s: %q and %q", k, a.Header.Get(k), b.Header.Get(k))
				}
			}
			if len(a.Header) != len(b.Header) {
				t.Errorf("headers %v and %v", a.Header, b.Header)
			}
		}
		same(inv.Consent(t, unknown), inv.Consent(t, deleted.Token))
		same(inv.Start(t, unknown), inv.Start(t, deleted.Token))
		same(inv.Consent(t, "short"), inv.Consent(t, deleted.Token))
		if n := len(testutil.EventsOf(e.Events(t, deleted.ID), access.EventOpened)); n != 0 {
			t.Errorf("the deleted link recorded %d opened events", n)
		}
	})
}

func TestFlowHeaders(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link := e.GenerateLink(t, testutil.SandboxKey)
	inv := e.NewInvitee("headers")

	private := func(t *testing.T, what string, p *testutil.Page) {
		t.Helper()
		if got := p.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q, want no-referrer", what, got)
		}
		if got := p.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", what, got)
		}
	}
	flowCookieOK := func(t *testing.T, what string, c *http.Cookie) {
		t.Helper()
		if c == nil {
			t.Fatalf("%s set no %s cookie", what, flowCookie)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("%s: flow cookie HttpOnly=%v SameSite=%v Path=%q, want HttpOnly, Lax, /", what, c.HttpOnly, c.SameSite, c.Path)
		}
	}

	consent := inv.Consent(t, link.Token)
	start, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
	callback := inv.Callback(t, cb)

	t.Run("ConsentIsPrivate", func(t *testing.T) {
		wantPage(t, consent, http.StatusOK, "consent")
		private(t, "consent", consent)
	})
	t.Run("StartIsPrivateAndItsCookieHttpOnlyLax", func(t *testing.T) {
		private(t, "start", start)
		c := flowCookieOf(start)
		flowCookieOK(t, "start", c)
		if c != nil && (c.MaxAge <= 0 || c.MaxAge > 600) {
			t.Errorf("flow cookie Max-Age %d, want at most 10 minutes", c.MaxAge)
		}
		if c != nil && strings.Contains(c.Value, link.Token) {
			t.Error("the flow cookie holds the link token in clear")
		}
	})
	t.Run("CallbackIsPrivate", func(t *testing.T) {
		wantPage(t, callback, http.StatusOK, "connect-success")
		private(t, "callback", callback)
		if c := flowCookieOf(callback); c != nil {
			flowCookieOK(t, "callback", c)
		}
	})
	t.Run("FailurePagesArePrivate", func(t *testing.T) {
		p := e.NewInvitee("stranger").Callback(t, cb)
		wantPage(t, p, http.StatusBadRequest, "connect-error")
		private(t, "callback without state", p)

		other := e.GenerateLink(t, testutil.SandboxKey)
		denier := e.NewInvitee("denier")
		_, deny := denier.Authorized(t, other.Token, "deny", "")
		p = denier.Callback(t, deny)
		wantPage(t, p, http.StatusOK, "connect-error")
		private(t, "denied callback", p)
		flowCookieOK(t, "denied callback", flowCookieOf(p))

		p = denier.Decline(t, other.Token, "not now")
		wantPage(t, p, http.StatusOK, "connect-declined")
		private(t, "decline", p)

		p = denier.Consent(t, link.Token)
		wantPage(t, p, http.StatusGone, "connect-used")
		private(t, "used link", p)
	})
	t.Run("RateLimitedPageIsPrivate", func(t *testing.T) {
		hammer := e.NewInvitee("hammer")
		var p *testutil.Page
		for i := 0; i < 200; i++ {
			if p = hammer.Consent(t, link.Token); p.Status == http.StatusTooManyRequests {
				break
			}
		}
		wantPage(t, p, http.StatusTooManyRequests, "connect-error")
		private(t, "rate-limited link page", p)
	})
}

// TestFlowConcurrentCallbackSameBrowser sends the same callback twice at
// once from one browser (a double submit, a reload while the first is still
// running): the flow's state is claimed in the database before the code
// exchange, so the code reaches the provider once, one request shows the
// success and the other either the same success or "almost done" (409).
func TestFlowConcurrentCallbackSameBrowser(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link, inv := e.AtConsent(t, "double-submit")
	_, cb := inv.Authorized(t, link.Token, "allow", "sandbox-user-1")
	pages := make([]*testutil.Page, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pages[i], errs[i] = inv.TryCallback(cb)
		}()
	}
	wg.Wait()
	successes := 0
	for i, p := range pages {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		switch p.Status {
		case http.StatusOK:
			successes++
		case http.StatusConflict:
		default:
			t.Errorf("callback %d: %d %q (%s)", i, p.Status, p.Text("connect-title"), p.Text("error-code"))
		}
	}
	if successes == 0 {
		t.Error("neither callback showed the success page")
	}
	// Reloading afterwards shows the first result without an exchange.
	wantPage(t, inv.Get(t, cb), http.StatusOK, "connect-success")
	if n := e.Sandbox.Tap.Requests(); n != 1 {
		t.Errorf("the code reached the token endpoint %d times, want once", n)
	}
	wantAccounts(t, e, 1)
}
