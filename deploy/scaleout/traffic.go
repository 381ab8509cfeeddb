package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A kind of traffic is a loop that one simulated user runs until the
// traffic stops: each worker of the kind calls run again and again. Adding
// a kind (API token calls, webhooks to a local receiver) is one function
// like adminLoop and one entry in kinds; its requests go through
// worker.do, so they are counted, timed and attributed to a replica like
// the others, and a check of its own goes in checks.go.
type kind struct {
	name    string
	workers int
	run     func(ctx context.Context, w *worker) error
}

var kinds = []kind{
	{"admin", 3, adminLoop},
	{"invitee", 6, inviteeLoop},
	{"api", 1, apiLoop},
}

// run is what the workers share: the base URL, the links admins hand to
// invitees, and what happened.
type run struct {
	base     string
	password string
	start    time.Time
	links    chan *link
	rec      *recorder
	nextAddr atomic.Uint32
	// apiKey is the run's API key; tokens and rateLimited count its
	// access tokens handed out and its 429s.
	apiKey      string
	tokens      atomic.Int64
	rateLimited atomic.Int64
}

type worker struct {
	run  *run
	kind string
	c    *http.Client
	// servedBy is every replica that answered this worker's current
	// session or flow.
	servedBy map[string]bool
	// header is sent with each request (the API key's Authorization).
	header http.Header
}

// newClient is a browser of its own: a cookie jar, no redirects followed,
// and connections from a loopback address of its own (127.1.x.y), which
// HAProxy passes on in X-Forwarded-For, so that each invitee is a client
// of its own for the app's per-address limits.
func (r *run) newClient() *http.Client {
	n := r.nextAddr.Add(1)
	local := &net.TCPAddr{IP: net.IPv4(127, 1, byte(n>>8), byte(n))}
	tr := &http.Transport{
		DialContext:     (&net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:    4,
		IdleConnTimeout: 5 * time.Second,
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// errFailed is a 5xx or a request that got no answer: the action may be
// tried again.
var errFailed = errors.New("failed")

type page struct {
	status   int
	location string
	body     string
	server   string // the replica that answered (X-Served-By); "" when HAProxy did
}

// do sends one request, records it, and returns its page; a 5xx or a
// transport error is errFailed.
func (w *worker) do(ctx context.Context, method, target string, form url.Values) (*page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	for k, v := range w.header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	res, err := w.c.Do(req)
	at := time.Since(w.run.start) // when the answer (or its absence) was seen
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		w.run.rec.request(w.kind, at, 0, "", err.Error())
		return nil, fmt.Errorf("%w: %s %s: %v", errFailed, method, req.URL.Path, err)
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	server := res.Header.Get("X-Served-By")
	if server != "" {
		w.servedBy[server] = true
	}
	w.run.rec.request(w.kind, at, res.StatusCode, server, "")
	p := &page{status: res.StatusCode, body: string(b), server: server}
	if loc := res.Header.Get("Location"); loc != "" {
		if u, err := req.URL.Parse(loc); err == nil {
			p.location = u.String()
		}
	}
	if res.StatusCode >= 500 {
		return p, fmt.Errorf("%w: %s %s: %d", errFailed, method, req.URL.Path, res.StatusCode)
	}
	return p, nil
}

// expect fails unless p has status want (and, for redirects, a Location).
func expect(p *page, want int, what string) error {
	if p.status != want || (want/100 == 3 && p.location == "") {
		return fmt.Errorf("%s: %d, want %d", what, p.status, want)
	}
	return nil
}

// retried runs an action up to three times while it fails with errFailed
// (the request was in flight on a replica that died), and records that.
func (w *worker) retried(ctx context.Context, what string, action func() error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = action(); !errors.Is(err, errFailed) {
			if attempt > 0 {
				w.run.rec.retry(what, err == nil)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	w.run.rec.retry(what, false)
	return err
}

// link is one generated link and its ID.
type link struct{ id, token string }

var (
	linkTokenRe = regexp.MustCompile(`/connect/([A-Za-z0-9_-]{43})`)
	linkIDRe    = regexp.MustCompile(`/access-requests/([^/?#]+)(?:\?[^#]*)?$`)
	sandboxIDRe = regexp.MustCompile(`name="id" value="([^"]+)"`)
	accountRe   = regexp.MustCompile(`name="account" value="([^"]+)"`)
)

// adminLoop: an admin signs in once, then lists the links page, generates
// a link and either hands it to an invitee or deletes it, as long as the
// traffic runs, on whatever replica HAProxy picks for each request. The
// session must hold across all of them.
func adminLoop(ctx context.Context, w *worker) error {
	p, err := w.do(ctx, "POST", w.run.base+"/login", url.Values{"email": {"admin@demo.test"}, "password": {w.run.password}})
	if err != nil {
		return err
	}
	if err := expect(p, http.StatusSeeOther, "sign in"); err != nil {
		return err
	}
	links := strings.TrimSuffix(p.location, "/sources") + "/sources/access-requests"
	sess := w.run.rec.session()
	defer func() { sess.done(len(w.servedBy)) }()
	for ctx.Err() == nil {
		err := w.retried(ctx, "admin list", func() error {
			p, err := w.do(ctx, "GET", links, nil)
			if err == nil && p.status != http.StatusOK {
				sess.lost(p.status, p.location)
				return fmt.Errorf("links page: %d to %q", p.status, p.location)
			}
			return err
		})
		if err != nil {
			return err
		}
		var l *link
		err = w.retried(ctx, "admin generate", func() error {
			p, err := w.do(ctx, "POST", links, url.Values{"source": {"sandbox"}})
			if err != nil {
				return err
			}
			if err := expect(p, http.StatusSeeOther, "generate"); err != nil {
				sess.lost(p.status, p.location)
				return err
			}
			m := linkIDRe.FindStringSubmatch(p.location)
			if m == nil {
				return fmt.Errorf("generate redirected to %q", p.location)
			}
			return w.retried(ctx, "admin open link", func() error {
				q, err := w.do(ctx, "GET", p.location, nil)
				if err != nil {
					return err
				}
				t := linkTokenRe.FindStringSubmatch(q.body)
				if q.status != http.StatusOK || t == nil {
					return fmt.Errorf("link page: %d without the link", q.status)
				}
				l = &link{id: m[1], token: t[1]}
				w.run.rec.secret(l.token)
				return nil
			})
		})
		if err != nil {
			return err
		}
		select {
		case w.run.links <- l:
		default: // the invitees are busy: delete it instead
			err = w.retried(ctx, "admin delete", func() error {
				p, err := w.do(ctx, "POST", links+"/"+l.id+"/delete", url.Values{})
				if err == nil {
					err = expect(p, http.StatusSeeOther, "delete")
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		pause(ctx, 50*time.Millisecond)
	}
	return nil
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// inviteeLoop takes the links admins hand out and completes their flows
// at the sandbox: most allow; some deny first and then allow; some links
// go to two invitees at once, who race to the callback (exactly one may
// connect). Each step is its own request, so HAProxy spreads a flow's steps
// over the replicas.
func inviteeLoop(ctx context.Context, w *worker) error {
	for {
		var l *link
		select {
		case <-ctx.Done():
			return nil
		case l = <-w.run.links:
		}
		switch r := rand.IntN(10); {
		case r < 7:
			w.flow(ctx, l, false)
		case r < 8:
			if f := w.flow(ctx, l, true); f != nil && f.err == nil {
				w.flow(ctx, l, false) // denied: the link stays usable
			}
		default:
			w.race(ctx, l)
		}
	}
}

// flowResult is one invitee's flow for one link.
type flowResult struct {
	link     *link
	allowed  bool // the sandbox accepted Allow
	success  bool // the callback's page says the account is connected
	race     bool
	replicas int
	err      error
}

// flow runs consent, Start, the sandbox's pages and Allow (or Deny) and
// the callback, with a browser of its own; a step that fails for a dying
// replica starts the flow again. A callback that got no answer is opened
// again first, as a person reloads the page: the replica may have
// connected the account before it died, and the link is used then (by
// this invitee: opened again, it answers 410, "already used"), while the
// repeated callback shows the flow's first outcome.
func (w *worker) flow(ctx context.Context, l *link, deny bool) *flowResult {
	inv := &worker{run: w.run, kind: "invitee", c: w.run.newClient(), servedBy: map[string]bool{}}
	defer inv.c.CloseIdleConnections()
	f := &flowResult{link: l}
	// outcome reads a callback's page; errFailed when the flow is pending.
	outcome := func(p *page) error {
		f.success = strings.Contains(p.body, `data-testid="connect-success"`)
		if p.status == http.StatusConflict && !f.success {
			// Pending: an earlier copy of this callback is still settling
			// on a replica that died. The invitee starts again from the link.
			return fmt.Errorf("%w: callback pending", errFailed)
		}
		if !deny && !f.success {
			return fmt.Errorf("callback: %d without success", p.status)
		}
		return nil
	}
	lost := "" // the callback of the last attempt, when it got no answer
	f.err = inv.retried(ctx, "invitee flow", func() error {
		if cb := lost; cb != "" {
			lost = ""
			p, err := inv.do(ctx, "GET", cb, nil)
			if err == nil && outcome(p) == nil {
				return nil
			}
			// Pending, failed, or no answer again: this flow connected
			// nothing (one that did says so), the link stays usable; start
			// again from it. Failed includes a flow that is over: a replica
			// that answered with its own error page (the provider it
			// exchanged the code with died) settled the flow, the reload
			// shows that failure again, and the person presses "Try again".
		}
		cb, err := inv.authorize(ctx, l, deny, f)
		if err != nil {
			return err
		}
		p, err := inv.do(ctx, "GET", cb, nil)
		if err != nil {
			lost = cb
			return err
		}
		return outcome(p)
	})
	if ctx.Err() != nil && f.err != nil {
		return nil // cut short by the end of the run: not a result
	}
	f.replicas = len(inv.servedBy)
	if !deny {
		w.run.rec.flow(f)
	}
	return f
}

// authorize walks a flow up to the provider's redirect back to the app,
// and returns the callback URL without opening it.
func (w *worker) authorize(ctx context.Context, l *link, deny bool, f *flowResult) (string, error) {
	p, err := w.do(ctx, "GET", w.run.base+"/connect/"+l.token, nil)
	if err != nil {
		return "", err
	}
	if err := expect(p, http.StatusOK, "consent page"); err != nil {
		return "", err
	}
	steps := []struct {
		method string
		status int
		what   string
	}{{"POST", http.StatusSeeOther, "start"}, {"GET", http.StatusFound, "authorize"}}
	target, form := w.run.base+"/connect/"+l.token+"/start", url.Values{}
	for _, s := range steps {
		if p, err = w.do(ctx, s.method, target, form); err != nil {
			return "", err
		}
		if err := expect(p, s.status, s.what); err != nil {
			return "", err
		}
		target, form = p.location, nil
	}
	if p, err = w.do(ctx, "GET", target, nil); err != nil {
		return "", err
	}
	id, accounts := sandboxIDRe.FindStringSubmatch(p.body), accountRe.FindAllStringSubmatch(p.body, -1)
	if p.status != http.StatusOK || id == nil || len(accounts) == 0 {
		return "", fmt.Errorf("sandbox page: %d without its form", p.status)
	}
	action := "allow"
	if deny {
		action = "deny"
	}
	login, _ := url.Parse(target)
	login.RawQuery = ""
	p, err = w.do(ctx, "POST", login.String(), url.Values{"id": {id[1]}, "account": {accounts[rand.IntN(len(accounts))][1]}, "action": {action}})
	if err != nil {
		return "", err
	}
	if deny {
		if p.status/100 != 3 || !strings.Contains(p.location, "/oauth/callback") {
			return "", fmt.Errorf("deny: %d to %q", p.status, p.location)
		}
		return p.location, nil
	}
	if err := expect(p, http.StatusSeeOther, "allow"); err != nil {
		return "", err
	}
	f.allowed = true
	if p, err = w.do(ctx, "GET", p.location, nil); err != nil {
		return "", err
	}
	if err := expect(p, http.StatusFound, "the sandbox's redirect"); err != nil {
		return "", err
	}
	if u, err := url.Parse(p.location); err == nil && u.Query().Get("code") != "" {
		w.run.rec.secret(u.Query().Get("code"))
	}
	return p.location, nil
}

// race gives one link to two invitees who both allow, then open their
// callbacks at the same time: exactly one may connect.
func (w *worker) race(ctx context.Context, l *link) {
	type side struct {
		inv *worker
		f   *flowResult
		cb  string
		// settledFailed: a replica answered this side's callback with its
		// own error page (the provider it exchanged the code with died
		// with the killed replica). The flow is over, a reload shows the
		// same page, and this side connected nothing.
		settledFailed bool
	}
	sides := make([]*side, 2)
	for i := range sides {
		s := &side{inv: &worker{run: w.run, kind: "invitee", c: w.run.newClient(), servedBy: map[string]bool{}},
			f: &flowResult{link: l, race: true}}
		defer s.inv.c.CloseIdleConnections()
		s.f.err = s.inv.retried(ctx, "invitee race", func() (err error) {
			s.cb, err = s.inv.authorize(ctx, l, false, s.f)
			return err
		})
		if s.f.err != nil {
			return // e.g. the other side never got going: nothing to race
		}
		sides[i] = s
	}
	var wg sync.WaitGroup
	for _, s := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.f.err = s.inv.retried(ctx, "invitee race callback", func() error {
				p, err := s.inv.do(ctx, "GET", s.cb, nil) // a repeated callback shows the first outcome
				if p != nil && p.status >= 500 && p.server != "" {
					s.settledFailed = true
					return nil // reloading shows this page again: the race goes on below
				}
				if err == nil {
					s.f.success = strings.Contains(p.body, `data-testid="connect-success"`)
				}
				return err
			})
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	for _, s := range sides {
		s.f.replicas = len(s.inv.servedBy)
		w.run.rec.flow(s.f)
	}
	connected := sides[0].f.success || sides[1].f.success
	if !connected {
		// Neither connected: a callback died with its replica (the other
		// may have found the link busy). The link is still usable, and
		// the invitee opens it again.
		f := w.flow(ctx, l, false)
		if f == nil {
			return // cut short by the end of the run: not a result
		}
		connected = f.success
		w.run.rec.retry("invitee race, both lost", connected)
	}
	for _, s := range sides {
		if s.settledFailed {
			// That side's 5xx is made good when the race still connects
			// the link once: by the other side, or by opening it again.
			w.run.rec.retry("invitee race, a side's provider died", connected)
		}
	}
}
