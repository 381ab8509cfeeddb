package testutil

// A fault-injecting tap in front of a provider's token endpoint.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// Fault is what the token tap does to one token request.
type Fault int

// Faults the token tap can inject.
const (
	FaultNone Fault = iota
	// Fault500 answers 500 with an HTML body, without asking the provider.
	Fault500
	// FaultTimeout holds the request until the client gives up (at most
	// 10 seconds), without asking the provider.
	FaultTimeout
	// FaultMalformedJSON asks the provider (which issues tokens) and sends
	// the client half of its JSON answer.
	FaultMalformedJSON
	// FaultInvalidClient answers 401 invalid_client, as a provider that
	// wants the client's credentials elsewhere does, without asking the
	// provider.
	FaultInvalidClient
)

// Issued is one token response the provider sent, read by the tap.
type Issued struct {
	Status       int
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
}

// TokenTap wraps a provider: requests to its token endpoint are counted,
// answered with injected faults when asked, and the provider's answers are
// read so tests know the tokens it issued.
type TokenTap struct {
	next http.Handler
	path string

	mu       sync.Mutex
	faults   []Fault
	before   []func()
	requests int
	grants   map[string]int // requests by grant_type
	auth     []string
	issued   []Issued
}

// FailNext queues faults for the next token requests, one each.
func (t *TokenTap) FailNext(faults ...Fault) {
	t.mu.Lock()
	t.faults = append(t.faults, faults...)
	t.mu.Unlock()
}

// BeforeNext runs fn when the next token request arrives, before it is
// answered: a test's way to act while the app is exchanging a code.
func (t *TokenTap) BeforeNext(fn func()) {
	t.mu.Lock()
	t.before = append(t.before, fn)
	t.mu.Unlock()
}

// Requests is the number of token requests received.
func (t *TokenTap) Requests() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests
}

// Grants is the number of token requests received with grant_type
// grantType ("authorization_code", "refresh_token"): how a test counts the
// refreshes that reached the provider.
func (t *TokenTap) Grants(grantType string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.grants[grantType]
}

// ClientAuth lists how each token request authenticated the client:
// "basic" (Authorization header) or "post" (client_secret in the body).
func (t *TokenTap) ClientAuth() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.auth...)
}

// Issued lists the provider's token responses, in order.
func (t *TokenTap) Issued() []Issued {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Issued(nil), t.issued...)
}

// ServeHTTP implements http.Handler.
func (t *TokenTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != t.path {
		t.next.ServeHTTP(w, r)
		return
	}
	// Read the form (and put it back for the provider), so that the
	// server notices when the client hangs up.
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	auth := "none"
	if _, _, ok := r.BasicAuth(); ok {
		auth = "basic"
	} else if form.Get("client_secret") != "" {
		auth = "post"
	}

	t.mu.Lock()
	t.requests++
	if t.grants == nil {
		t.grants = map[string]int{}
	}
	t.grants[form.Get("grant_type")]++
	t.auth = append(t.auth, auth)
	fault := FaultNone
	if len(t.faults) > 0 {
		fault, t.faults = t.faults[0], t.faults[1:]
	}
	var before func()
	if len(t.before) > 0 {
		before, t.before = t.before[0], t.before[1:]
	}
	t.mu.Unlock()
	if before != nil {
		before()
	}

	switch fault {
	case Fault500:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "<html><body><h1>500 Internal Server Error</h1></body></html>")
		return
	case FaultTimeout:
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		// Drop the connection rather than answer: a late 504 could reach a
		// client that has not quite given up yet, and the test wants a timeout.
		panic(http.ErrAbortHandler)
	case FaultInvalidClient:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"Send the client's credentials in the request body."}`)
		return
	}

	rec := httptest.NewRecorder()
	t.next.ServeHTTP(rec, r)
	body = rec.Body.Bytes()
	var got Issued
	_ = json.Unmarshal(body, &got)
	got.Status = rec.Code
	t.mu.Lock()
	t.issued = append(t.issued, got)
	t.mu.Unlock()

	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	if fault == FaultMalformedJSON {
		body = body[:len(body)/2]
		w.Header().Del("Content-Length")
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}
