package testutil

// A simulated browser: invitees with their own cookie jars who walk
// consent, Start, the provider's consent page, Allow or Deny and the
// callback one step at a time, so that tests can interfere between steps.

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// Invitee is one browser: its own cookie jar and its own client address.
// It never follows redirects by itself.
type Invitee struct {
	Name string
	IP   string
	HTTP *http.Client
	env  *FlowEnv
}

// NewInvitee opens a fresh browser.
func (e *FlowEnv) NewInvitee(name string) *Invitee {
	n := e.ips.Add(1)
	jar, _ := cookiejar.New(nil)
	return &Invitee{
		Name: name,
		IP:   fmt.Sprintf("198.18.%d.%d", n/250, n%250+1),
		env:  e,
		HTTP: &http.Client{
			Jar:           jar,
			Transport:     e.transport,
			Timeout:       60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (i *Invitee) request(tb testing.TB, method, target string, form url.Values) *http.Request {
	tb.Helper()
	req := NewRequest(tb, method, target, form)
	req.Header.Set("User-Agent", "flow-test/"+i.Name)
	req.Header.Set("X-Forwarded-For", i.IP)
	return req
}

func (i *Invitee) tick() {
	if i.env.tick > 0 {
		i.env.Clock.Advance(i.env.tick)
	}
}

// Get fetches any URL in this browser, as is.
func (i *Invitee) Get(tb testing.TB, target string) *Page {
	tb.Helper()
	return send(tb, i.HTTP, i.request(tb, http.MethodGet, target, nil))
}

// Consent opens the link: GET /connect/{token}.
func (i *Invitee) Consent(tb testing.TB, token string) *Page {
	tb.Helper()
	i.tick()
	return i.Get(tb, i.env.AppURL+"/connect/"+token)
}

// Start submits the consent page's Start form, as a browser on the app's
// page would: POST /connect/{token}/start.
func (i *Invitee) Start(tb testing.TB, token string) *Page {
	tb.Helper()
	return i.post(tb, "/connect/"+token+"/start", url.Values{})
}

// Decline submits the Decline form and, as a browser does, follows its
// redirect to the thank-you page (a page that is not a redirect, an error
// say, is returned as it is).
func (i *Invitee) Decline(tb testing.TB, token, reason string) *Page {
	tb.Helper()
	p := i.DeclinePost(tb, token, reason)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/") {
		return p
	}
	return i.Get(tb, i.env.AppURL+p.Location)
}

// DeclinePost submits the Decline form and returns its answer as is.
func (i *Invitee) DeclinePost(tb testing.TB, token, reason string) *Page {
	tb.Helper()
	return i.post(tb, "/connect/"+token+"/decline", url.Values{"reason": {reason}})
}

func (i *Invitee) post(tb testing.TB, path string, form url.Values) *Page {
	tb.Helper()
	i.tick()
	req := i.request(tb, http.MethodPost, i.env.AppURL+path, form)
	req.Header.Set("Origin", i.env.AppURL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return send(tb, i.HTTP, req)
}

// Callback opens a callback URL (normally the provider's redirect) at the
// application.
func (i *Invitee) Callback(tb testing.TB, callbackURL string) *Page {
	tb.Helper()
	if !strings.HasPrefix(callbackURL, i.env.AppURL+"/oauth/callback?") {
		tb.Fatalf("not a callback URL of the app: %s", callbackURL)
	}
	i.tick()
	return i.Get(tb, callbackURL)
}

// TryCallback is Callback without failing the test, so that it can run on
// goroutines other than the test's.
func (i *Invitee) TryCallback(callbackURL string) (*Page, error) {
	i.tick()
	req, err := http.NewRequest(http.MethodGet, callbackURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "flow-test/"+i.Name)
	req.Header.Set("X-Forwarded-For", i.IP)
	return do(i.HTTP, req)
}

// LoginForm is the provider's consent page.
type LoginForm struct {
	Page     *Page
	PageURL  *url.URL
	Action   string
	ID       string
	Accounts []string // the radio values, in order
	Buttons  []string // the values of the buttons named action
}

// Authorize opens the provider's authorization URL and follows the
// provider's own redirects to its consent page. If the provider sends the
// browser back to the app instead, it fails the test; use Visit for that.
func (i *Invitee) Authorize(tb testing.TB, authURL string) *LoginForm {
	tb.Helper()
	p, at := i.followProvider(tb, i.Get(tb, authURL), authURL)
	if p.Location != "" || p.Status != http.StatusOK {
		tb.Fatalf("authorize: status %d, location %q, want the provider's consent page:\n%s", p.Status, p.Location, excerptOf(p.Body))
	}
	f := &LoginForm{Page: p, PageURL: at}
	for _, n := range p.find(func(n *html.Node) bool { return n.Type == html.ElementNode }) {
		switch {
		case n.Data == "form" && f.Action == "":
			f.Action = Attr(n, "action")
		case n.Data == "input" && Attr(n, "name") == "id":
			f.ID = Attr(n, "value")
		case n.Data == "input" && Attr(n, "type") == "radio" && Attr(n, "name") == "account":
			f.Accounts = append(f.Accounts, Attr(n, "value"))
		case n.Data == "button" && Attr(n, "name") == "action":
			f.Buttons = append(f.Buttons, Attr(n, "value"))
		}
	}
	if f.Action == "" || f.ID == "" {
		tb.Fatalf("no consent form on the provider's page:\n%s", excerptOf(p.Body))
	}
	return f
}

// Visit opens a provider URL and follows the provider's redirects; it
// returns the URL the provider sends the browser to outside itself (the
// app's callback), or fails.
func (i *Invitee) Visit(tb testing.TB, providerURL string) string {
	tb.Helper()
	p, _ := i.followProvider(tb, i.Get(tb, providerURL), providerURL)
	if p.Location == "" {
		tb.Fatalf("the provider answered %d instead of sending the browser back:\n%s", p.Status, excerptOf(p.Body))
	}
	return p.Location
}

// Answer submits the provider's consent form with action "allow" or
// "deny" for account ("" keeps the preselected one) and follows the
// provider's redirects; it returns the URL the provider sends the browser
// to: the app's callback with code or error, and state.
func (i *Invitee) Answer(tb testing.TB, f *LoginForm, action, account string) string {
	tb.Helper()
	form := url.Values{"id": {f.ID}, "action": {action}}
	if account != "" {
		form.Set("account", account)
	}
	target, err := f.PageURL.Parse(f.Action)
	if err != nil {
		tb.Fatal(err)
	}
	req := i.request(tb, http.MethodPost, target.String(), form)
	req.Header.Set("Origin", target.Scheme+"://"+target.Host)
	p, _ := i.followProvider(tb, send(tb, i.HTTP, req), target.String())
	if p.Location == "" {
		tb.Fatalf("the provider answered %d instead of sending the browser back:\n%s", p.Status, excerptOf(p.Body))
	}
	return p.Location
}

// followProvider follows redirects while they stay at a provider; it
// returns the last page and its URL, with Location made absolute.
func (i *Invitee) followProvider(tb testing.TB, p *Page, at string) (*Page, *url.URL) {
	tb.Helper()
	cur, _ := url.Parse(at)
	for n := 0; n < 10; n++ {
		if p.Location == "" {
			return p, cur
		}
		next, err := cur.Parse(p.Location)
		if err != nil {
			tb.Fatalf("bad redirect %q: %v", p.Location, err)
		}
		p.Location = next.String()
		if !i.env.isProvider(next) {
			return p, cur
		}
		cur = next
		p = i.Get(tb, next.String())
	}
	tb.Fatalf("too many redirects at the provider")
	return nil, nil
}

func (e *FlowEnv) isProvider(u *url.URL) bool {
	for _, p := range e.Providers {
		if strings.HasPrefix(u.String(), p.Issuer+"/") {
			return true
		}
	}
	return false
}

// Authorized walks Start, the provider's consent page and Allow (or Deny)
// for account, and returns Start's page and the callback URL the provider
// sent the browser to, not yet opened.
func (i *Invitee) Authorized(tb testing.TB, token, action, account string) (*Page, string) {
	tb.Helper()
	start := i.Start(tb, token)
	if start.Status != http.StatusSeeOther || start.Location == "" {
		tb.Fatalf("start: status %d, location %q, want 303 to the provider:\n%s", start.Status, start.Location, excerptOf(start.Body))
	}
	form := i.Authorize(tb, start.Location)
	return start, i.Answer(tb, form, action, account)
}

// Connect walks the whole flow with Allow for account: consent, Start, the
// provider, the callback. It returns the callback's page.
func (i *Invitee) Connect(tb testing.TB, token, account string) *Page {
	tb.Helper()
	if c := i.Consent(tb, token); c.Status != http.StatusOK {
		tb.Fatalf("consent: status %d:\n%s", c.Status, excerptOf(c.Body))
	}
	_, cb := i.Authorized(tb, token, "allow", account)
	return i.Callback(tb, cb)
}
