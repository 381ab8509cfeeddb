package web_test

import (
	"net/http"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestHead: uptime checks, link previews and mail scanners send HEAD; the
// public read-only pages answer it as GET without a body and without
// recording a visit, and pages that act on GET (the OAuth callback) or sit
// behind a session still refuse it.
func TestHead(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link := e.GenerateLink(t, testutil.SandboxKey)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(t *testing.T, method, path string) (*http.Response, string) {
		t.Helper()
		return testutil.Do(t, c, method, e.AppURL+path, nil)
	}

	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"Healthz", "/healthz", http.StatusOK},
		{"Readyz", "/readyz", http.StatusOK},
		{"Stylesheet", "/static/app.css", http.StatusOK},
		{"Login", "/login", http.StatusOK},
		{"Consent", "/connect/" + link.Token, http.StatusOK},
		{"UnknownLink", "/connect/" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get, _ := do(t, "GET", tc.path)
			head, body := do(t, "HEAD", tc.path)
			if head.StatusCode != tc.status || get.StatusCode != tc.status {
				t.Fatalf("HEAD %s = %d, GET = %d, want %d", tc.path, head.StatusCode, get.StatusCode, tc.status)
			}
			if body != "" {
				t.Errorf("HEAD %s sent a body of %d bytes", tc.path, len(body))
			}
			for _, h := range []string{"Content-Type", "Content-Security-Policy", "Cache-Control"} {
				if head.Header.Get(h) == "" != (get.Header.Get(h) == "") {
					t.Errorf("HEAD %s: %s %q, GET has %q", tc.path, h, head.Header.Get(h), get.Header.Get(h))
				}
			}
		})
	}

	t.Run("ConsentProbeRecordsNoVisit", func(t *testing.T) {
		probed := e.GenerateLink(t, testutil.SandboxKey)
		opened := func(t *testing.T) int {
			t.Helper()
			return len(testutil.EventsOf(e.Events(t, probed.ID), access.EventOpened))
		}
		if res, _ := do(t, "HEAD", "/connect/"+probed.Token); res.StatusCode != http.StatusOK {
			t.Fatalf("HEAD: %d", res.StatusCode)
		}
		if n := opened(t); n != 0 {
			t.Errorf("a HEAD recorded %d opened events", n)
		}
		if res, _ := do(t, "GET", "/connect/"+probed.Token); res.StatusCode != http.StatusOK {
			t.Fatalf("GET: %d", res.StatusCode)
		}
		if n := opened(t); n != 1 {
			t.Errorf("a GET after it recorded %d opened events, want 1", n)
		}
	})

	t.Run("ActingOrPrivatePagesRefuseIt", func(t *testing.T) {
		for _, path := range []string{"/oauth/callback?state=s&code=c", "/w/" + e.F.Reporting.ID + "/sources/access-requests"} {
			if res, _ := do(t, "HEAD", path); res.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("HEAD %s = %d, want 405", path, res.StatusCode)
			}
		}
	})
}
