package web_test

// The weight of the invitee's pages (issue 12, item 5): every page an
// invitee can be shown, in every state, and every file it references,
// fetched as a browser would with Brotli and with gzip, stays within its
// budget, so a later change that adds a script, a stylesheet or a picture
// fails here. The budgets are one table, inviteeBudgets; the figures are in
// docs/benchmarks.md.

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/views/locale"
)

// inviteeBudgets is the most each of the invitee's pages and all its files
// may weigh on the wire, compressed (Brotli, and gzip for a browser without
// it), in bytes. The consent page's is the issue's: one eighth of Nango's
// Connect UI (166 KB gzip); it weighs about half of that today. The others
// are one short message on the same style sheet, about 7.5 KB with Brotli
// and 8.7 KB with gzip today (docs/benchmarks.md): their budget leaves
// room for a sentence, not for a script or a second style sheet.
var inviteeBudgets = []struct {
	page   string
	budget int
}{
	{"consent", 20 << 10},
	{"consent, reconnect", 20 << 10},
	{"consent, branded with a logo", 20 << 10},
	{"decline confirmation", 10 << 10},
	{"connected", 10 << 10},
	{"used", 10 << 10},
	{"denied at the provider", 10 << 10},
	{"provider failed", 10 << 10},
	{"wrong account", 10 << 10},
	{"callback without a flow", 10 << 10},
	{"unknown link", 10 << 10},
	{"expired", 10 << 10},
	{"rate limited", 10 << 10},
	{"mistyped address", 10 << 10},
}

// pageRefs are the files a page makes a browser fetch: stylesheets, icons,
// scripts, images.
var pageRefs = regexp.MustCompile(`<(?:link|script|img)\b[^>]*?\s(?:href|src)="(/[^"]*)"`)

// wireResponse is a response as it came over the wire: the body not
// decoded.
type wireResponse struct {
	*http.Response
	wire []byte
}

// sendRaw sends req with Accept-Encoding: enc through c, which neither
// adds nor decodes an encoding once the header is set.
func sendRaw(t *testing.T, c *http.Client, req *http.Request, enc string) wireResponse {
	t.Helper()
	req.Header.Set("Accept-Encoding", enc)
	if req.Header.Get("Accept-Language") == "" {
		req.Header.Set("Accept-Language", "en")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return wireResponse{res, b}
}

// decoded is the body of r, decoded.
func (r wireResponse) decoded(t *testing.T) string {
	t.Helper()
	var rd io.Reader
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "":
		return string(r.wire)
	case "br":
		rd = brotli.NewReader(bytes.NewReader(r.wire))
	case "gzip":
		z, err := gzip.NewReader(bytes.NewReader(r.wire))
		if err != nil {
			t.Fatal(err)
		}
		rd = z
	default:
		t.Fatalf("Content-Encoding %q", enc)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("decode %s: %v", r.Header.Get("Content-Encoding"), err)
	}
	return string(b)
}

// pageWeight is the bytes on the wire of a page fetched with enc and of
// every file it references; it fails the test on a response that is not
// compressed, and on a page that loads htmx or the app's own files.
func pageWeight(t *testing.T, base string, page wireResponse, enc string) (total int, detail []string) {
	t.Helper()
	name := page.Request.URL.Path
	if got := page.Header.Get("Content-Encoding"); got != enc {
		t.Errorf("%s with %q: Content-Encoding %q", name, enc, got)
	}
	if !strings.Contains(page.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("%s: Vary %q, want Accept-Encoding", name, page.Header.Get("Vary"))
	}
	total += len(page.wire)
	detail = append(detail, fmt.Sprintf("page %d", len(page.wire)))
	// Files come from the app's own address, without cookies, as a
	// browser's cache would fetch them.
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(c.CloseIdleConnections)
	seen := map[string]bool{}
	for _, m := range pageRefs.FindAllStringSubmatch(page.decoded(t), -1) {
		ref := m[1]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		if strings.Contains(ref, "htmx") {
			t.Errorf("%s loads htmx (%s): the invitee's pages need none", name, ref)
		}
		if strings.Contains(ref, "/js/app.") || strings.Contains(ref, "/app.") && strings.HasSuffix(ref, ".css") {
			t.Errorf("%s loads the app's own %s: the invitee's pages have their own", name, ref)
		}
		req, err := http.NewRequest(http.MethodGet, base+ref, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := sendRaw(t, c, req, enc)
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", ref, r.StatusCode)
		}
		if got := r.Header.Get("Content-Encoding"); got != enc && !strings.HasSuffix(ref, ".png") {
			t.Errorf("%s with %q: Content-Encoding %q", ref, enc, got)
		}
		total += len(r.wire)
		detail = append(detail, fmt.Sprintf("%s %d", ref, len(r.wire)))
	}
	return total, detail
}

// inviteeRequest is the last request of a walk to one of the invitee's
// pages, and the browser (cookie jar, address) that sends it.
type inviteeRequest struct {
	inv *testutil.Invitee
	req *http.Request
}

func (e inviteeRequest) send(t *testing.T, enc string) wireResponse {
	t.Helper()
	e.req.Header.Set("User-Agent", "weight-test/"+e.inv.Name)
	e.req.Header.Set("X-Forwarded-For", e.inv.IP)
	return sendRaw(t, e.inv.HTTP, e.req, enc)
}

// newRequest is testutil.NewRequest; a form is posted from the page's own
// origin, as a browser posts it.
func newRequest(t *testing.T, method, target string, form url.Values) *http.Request {
	t.Helper()
	req := testutil.NewRequest(t, method, target, form)
	if form != nil {
		req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	return req
}

func TestInviteePageWeight(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	ctx := context.Background()
	admin := testutil.Member(t, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
	adminActor := access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name}
	n := 0
	browser := func() *testutil.Invitee { n++; return e.NewInvitee(fmt.Sprintf("weight-%d", n)) }
	get := func(t *testing.T, target string) inviteeRequest {
		return inviteeRequest{browser(), newRequest(t, http.MethodGet, target, nil)}
	}
	// An account to reconnect: sandbox-user-1's.
	if p := browser().Connect(t, e.GenerateLink(t, testutil.SandboxKey).Token, "sandbox-user-1"); p.Status != http.StatusOK || !p.Has("connect-success") {
		t.Fatalf("connect: %d\n%s", p.Status, p.Excerpt())
	}
	accounts := e.Accounts(t)
	if len(accounts) != 1 {
		t.Fatalf("%d accounts", len(accounts))
	}
	reconnectLink := func(t *testing.T) *testutil.GeneratedLink {
		l, err := e.Svc.GenerateReconnectLink(ctx, admin, adminActor, accounts[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		return &testutil.GeneratedLink{ID: l.ID, Token: strings.TrimPrefix(l.URL, e.AppURL+"/connect/"), URL: l.URL}
	}
	// callback walks Start and the provider for account with action, and
	// returns the callback, not yet opened.
	callback := func(t *testing.T, l *testutil.GeneratedLink, action, account string) inviteeRequest {
		inv := browser()
		inv.Consent(t, l.Token)
		_, cb := inv.Authorized(t, l.Token, action, account)
		return inviteeRequest{inv, newRequest(t, http.MethodGet, cb, nil)}
	}

	// Each page: how to reach it afresh (once per encoding), its status and
	// what shows it is the page meant (a data-testid, or more).
	type page struct {
		status int
		want   string
		open   func(t *testing.T) inviteeRequest
	}
	pages := map[string]page{
		"consent": {http.StatusOK, "consent", func(t *testing.T) inviteeRequest {
			return get(t, e.GenerateLink(t, testutil.SandboxKey).URL)
		}},
		"consent, reconnect": {http.StatusOK, "consent-reconnect", func(t *testing.T) inviteeRequest {
			return get(t, reconnectLink(t).URL)
		}},
		"decline confirmation": {http.StatusOK, "connect-declined", func(t *testing.T) inviteeRequest {
			l := e.GenerateLink(t, testutil.SandboxKey)
			inv := browser()
			inv.Consent(t, l.Token)
			// Decline answers 303 to the thank-you page (a GET): that is
			// the page weighed.
			if p := inv.DeclinePost(t, l.Token, ""); p.Status != http.StatusSeeOther {
				t.Fatalf("decline: status %d, want 303", p.Status)
			}
			return inviteeRequest{inv, newRequest(t, http.MethodGet, l.URL+"/declined", nil)}
		}},
		"connected": {http.StatusOK, "connect-success", func(t *testing.T) inviteeRequest {
			return callback(t, e.GenerateLink(t, testutil.SandboxKey), "allow", "sandbox-user-2")
		}},
		"used": {http.StatusGone, "connect-used", func(t *testing.T) inviteeRequest {
			l := e.GenerateLink(t, testutil.SandboxKey)
			browser().Connect(t, l.Token, "sandbox-user-2")
			return get(t, l.URL)
		}},
		"denied at the provider": {http.StatusOK, "connect-error", func(t *testing.T) inviteeRequest {
			return callback(t, e.GenerateLink(t, testutil.SandboxKey), "deny", "")
		}},
		"provider failed": {http.StatusOK, "retry", func(t *testing.T) inviteeRequest {
			l := e.GenerateLink(t, testutil.SandboxKey)
			inv := browser()
			inv.Consent(t, l.Token)
			e.Sandbox.FailNextAuthorize("temporarily_unavailable")
			return inviteeRequest{inv, newRequest(t, http.MethodGet, inv.Visit(t, inv.Start(t, l.Token).Location), nil)}
		}},
		"wrong account": {http.StatusConflict, `data-testid="error-code">wrong_account<`, func(t *testing.T) inviteeRequest {
			return callback(t, reconnectLink(t), "allow", "sandbox-user-3")
		}},
		"callback without a flow": {http.StatusBadRequest, "connect-error", func(t *testing.T) inviteeRequest {
			return get(t, e.AppURL+"/oauth/callback?code=stale&state=stale")
		}},
		"unknown link": {http.StatusNotFound, "connect-unknown", func(t *testing.T) inviteeRequest {
			l := e.GenerateLink(t, testutil.SandboxKey)
			e.DeleteLink(t, l.ID)
			return get(t, l.URL)
		}},
		"rate limited": {http.StatusTooManyRequests, "connect-error", func(t *testing.T) inviteeRequest {
			l := e.GenerateLink(t, testutil.SandboxKey)
			r := get(t, l.URL)
			for range 200 {
				if p := r.inv.Consent(t, l.Token); p.Status == http.StatusTooManyRequests {
					return r
				}
			}
			t.Fatal("200 requests from one address, and none refused")
			return r
		}},
		// A link cut short in a mail or a chat.
		"mistyped address": {http.StatusNotFound, "error", func(t *testing.T) inviteeRequest {
			return get(t, e.AppURL+"/connect/")
		}},
	}
	// Branded and expired come last: branding applies to the whole
	// organization, and expiry moves the clock.
	late := map[string]page{
		"consent, branded with a logo": {http.StatusOK, "org-logo", func(t *testing.T) inviteeRequest {
			return get(t, e.GenerateLink(t, testutil.SandboxKey).URL)
		}},
	}
	var expiring []*testutil.GeneratedLink
	for range 2 {
		expiring = append(expiring, e.GenerateLink(t, testutil.SandboxKey))
	}
	expired := page{http.StatusGone, "connect-expired", func(t *testing.T) inviteeRequest {
		l := expiring[0]
		expiring = expiring[1:]
		return get(t, l.URL)
	}}

	budget := map[string]int{}
	for _, b := range inviteeBudgets {
		budget[b.page] = b.budget
	}
	measured := map[string]bool{}
	measure := func(name string, p page) {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			measured[name] = true
			limit, ok := budget[name]
			if !ok {
				t.Fatalf("no budget for %q in inviteeBudgets", name)
			}
			for _, enc := range []string{"br", "gzip"} {
				res := p.open(t).send(t, enc)
				if res.StatusCode != p.status {
					t.Errorf("%s: status %d, want %d", name, res.StatusCode, p.status)
				}
				want := p.want
				if !strings.Contains(want, `"`) {
					want = `data-testid="` + want + `"`
				}
				if body := res.decoded(t); !strings.Contains(body, want) {
					t.Fatalf("%s: not the page meant, no %s:\n%.2000s", name, want, body)
				}
				total, detail := pageWeight(t, e.AppURL, res, enc)
				t.Logf("%s, %s: %d bytes (%s)", name, enc, total, strings.Join(detail, ", "))
				if total > limit {
					t.Errorf("%s with %s: %d bytes, over its budget of %d", name, enc, total, limit)
				}
			}
		})
	}
	for _, b := range inviteeBudgets {
		if p, ok := pages[b.page]; ok {
			measure(b.page, p)
		}
	}

	// The consent page in every language: the longest words still fit.
	for _, tag := range locale.Supported {
		lang := tag.String()
		t.Run("consent_"+lang, func(t *testing.T) {
			for _, enc := range []string{"br", "gzip"} {
				r := get(t, e.GenerateLink(t, testutil.SandboxKey).URL)
				r.req.Header.Set("Accept-Language", lang)
				res := r.send(t, enc)
				if body := res.decoded(t); !strings.Contains(body, `<html lang="`+lang+`"`) {
					t.Fatalf("not the page in %s", lang)
				}
				total, detail := pageWeight(t, e.AppURL, res, enc)
				t.Logf("consent in %s, %s: %d bytes (%s)", lang, enc, total, strings.Join(detail, ", "))
				if limit := budget["consent"]; total > limit {
					t.Errorf("consent in %s with %s: %d bytes, over its budget of %d", lang, enc, total, limit)
				}
			}
		})
	}

	owner := testutil.Member(t, e.Svc, e.F.Owner.ID, e.F.Reporting.ID)
	ownerActor := access.Actor{UserID: e.F.Owner.ID, Name: e.F.Owner.Name}
	if err := e.Svc.SaveBranding(ctx, owner, ownerActor, access.BrandingInput{AccentColor: "#0f4c81",
		PrivacyURL: "https://acme.example/privacy", SupportURL: "https://acme.example/help"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.SetBrandingLogo(ctx, owner, ownerActor, []byte(testutil.LogoSVG)); err != nil {
		t.Fatal(err)
	}
	for name, p := range late {
		measure(name, p)
	}
	e.Clock.Advance(access.LinkLifetime + 24*time.Hour)
	measure("expired", expired)

	for _, b := range inviteeBudgets {
		if !measured[b.page] {
			t.Errorf("inviteeBudgets has %q, which no case measures", b.page)
		}
	}
}
