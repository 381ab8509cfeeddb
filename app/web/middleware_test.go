package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/secret"
)

// bareServer is a Server whose database is never reached, with the app's
// JSON logger writing nowhere.
func bareServer(t testing.TB, production bool) *Server {
	t.Helper()
	base, _ := url.Parse("http://app.test")
	keys, err := secret.NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), BaseURL: base, Keys: keys,
		Service: access.New(nil, keys), Production: production})
}

// TestSecurityHeaderValues: the headers securityHeaders sets share one
// array; a handler that adds to one of them must leave the others as they
// were, and the CSP is the policy of the nonce the page's scripts carry.
func TestSecurityHeaderValues(t *testing.T) {
	for _, production := range []bool{false, true} {
		s := bareServer(t, production)
		var nonce string
		h := s.securityHeaders(func(c echo.Context) error {
			nonce = templ.GetNonce(c.Request().Context())
			h := c.Response().Header()
			for _, k := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cache-Control"} {
				h.Add(k, "added")
			}
			return c.NoContent(http.StatusNoContent)
		})
		seen := map[string]bool{}
		for range 3 {
			rec := httptest.NewRecorder()
			if err := h(s.echo.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)); err != nil {
				t.Fatal(err)
			}
			if len(nonce) != 24 || seen[nonce] {
				t.Fatalf("nonce %q: want 24 characters, fresh per response (seen %v)", nonce, seen)
			}
			seen[nonce] = true
			want := map[string][]string{
				"Content-Security-Policy": {contentSecurityPolicy(nonce), "added"},
				"X-Content-Type-Options":  {"nosniff", "added"},
				"X-Frame-Options":         {"DENY", "added"},
				"Referrer-Policy":         {"no-referrer", "added"},
				"Cache-Control":           {"no-store", "added"},
			}
			if production {
				want["Strict-Transport-Security"] = []string{"max-age=63072000; includeSubDomains"}
			}
			for k, v := range want {
				if got := rec.Header().Values(k); strings.Join(got, "|") != strings.Join(v, "|") {
					t.Errorf("production %v: %s = %q, want %q", production, k, got, v)
				}
			}
			if _, ok := rec.Header()["Strict-Transport-Security"]; ok != production {
				t.Errorf("production %v: Strict-Transport-Security present: %v", production, ok)
			}
			if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "'nonce-"+nonce+"'") {
				t.Errorf("CSP %q lacks the nonce %q", rec.Header().Get("Content-Security-Policy"), nonce)
			}
		}
	}
}

// TestContentSecurityPolicy pins the policy's text, with and without form
// targets.
func TestContentSecurityPolicy(t *testing.T) {
	const base = "default-src 'self'; script-src 'self' 'nonce-N'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
	for _, tc := range []struct {
		targets []string
		want    string
	}{
		{nil, base},
		{[]string{"https://accounts.example"}, base + " https://accounts.example"},
		{[]string{"https://a.example", "https://*.myshopify.com"}, base + " https://a.example https://*.myshopify.com"},
	} {
		if got := contentSecurityPolicy("N", tc.targets...); got != tc.want {
			t.Errorf("contentSecurityPolicy(N, %q) =\n%s\nwant\n%s", tc.targets, got, tc.want)
		}
	}
}

// TestHasCookie: loadSession asks the cookie store only when the request
// carries the session cookie; hasCookie must find every cookie
// http.Request.Cookie finds.
func TestHasCookie(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"None", nil},
		{"Only", []string{"sid=abc"}},
		{"Among", []string{"lang=de; sid=abc; theme=dark"}},
		{"Spaces", []string{"  lang=de ;  sid = abc ; "}},
		{"SecondLine", []string{"lang=de", "sid=abc"}},
		{"Prefix", []string{"sidx=abc; xsid=abc"}},
		{"EmptyValue", []string{"sid="}},
		{"NoValue", []string{"sid"}},
		{"Quoted", []string{`sid="abc"`}},
		{"Tab", []string{"lang=de;\tsid=abc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, h := range tc.headers {
				r.Header.Add("Cookie", h)
			}
			_, err := r.Cookie("sid")
			if found := err == nil; found && !hasCookie(r, "sid") {
				t.Fatalf("Request.Cookie finds sid in %q, hasCookie does not", tc.headers)
			}
			if tc.name == "None" || tc.name == "Prefix" {
				if hasCookie(r, "sid") {
					t.Fatalf("hasCookie finds sid in %q", tc.headers)
				}
			}
		})
	}
}

// TestMetricsSeries: the series observe keeps are the vectors' own, one per
// method, route and status.
func TestMetricsSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	for range 3 {
		m.observe(http.MethodGet, "/connect/:token", 200, 0)
	}
	m.observe(http.MethodGet, "/connect/:token", 429, 0)
	m.observe(http.MethodPost, "/connect/:token", 200, 0)
	m.observe("BREW", "unmatched", 404, 0)
	counts, durations := map[string]float64{}, map[string]uint64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels := func(m *dto.Metric) string {
		var out []string
		for _, l := range m.GetLabel() {
			out = append(out, l.GetName()+"="+l.GetValue())
		}
		return strings.Join(out, ",")
	}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			switch f.GetName() {
			case "http_requests_total":
				counts[labels(s)] = s.GetCounter().GetValue()
			case "http_request_duration_seconds":
				durations[labels(s)] = s.GetHistogram().GetSampleCount()
			}
		}
	}
	wantCounts := map[string]float64{
		"method=GET,route=/connect/:token,status=200":  3,
		"method=GET,route=/connect/:token,status=429":  1,
		"method=POST,route=/connect/:token,status=200": 1,
		"method=other,route=unmatched,status=404":      1,
	}
	wantDurations := map[string]uint64{
		"method=GET,route=/connect/:token":  4,
		"method=POST,route=/connect/:token": 1,
		"method=other,route=unmatched":      1,
	}
	if len(counts) != len(wantCounts) || len(durations) != len(wantDurations) {
		t.Fatalf("series: counts %v, durations %v", counts, durations)
	}
	for k, v := range wantCounts {
		if counts[k] != v {
			t.Errorf("http_requests_total{%s} = %v, want %v", k, counts[k], v)
		}
	}
	for k, v := range wantDurations {
		if durations[k] != v {
			t.Errorf("http_request_duration_seconds{%s} count = %v, want %v", k, durations[k], v)
		}
	}
}

// TestUseOnce: the middleware installed by useOnce and gates run in the
// order given, once per request, around a route's handler and around
// Echo's own 404 and 405.
func TestUseOnce(t *testing.T) {
	var trace []string
	mark := func(name string) echo.MiddlewareFunc {
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				trace = append(trace, name)
				return next(c)
			}
		}
	}
	e := echo.New()
	useOnce(e, mark("a"), mark("b"))
	route := gates(mark("c"), mark("d"))
	e.GET("/x", route(func(c echo.Context) error {
		trace = append(trace, "handler")
		return c.NoContent(http.StatusNoContent)
	}))
	for _, tc := range []struct {
		method, path string
		status       int
		want         string
	}{
		{http.MethodGet, "/x", http.StatusNoContent, "a b c d handler"},
		{http.MethodGet, "/x", http.StatusNoContent, "a b c d handler"},
		{http.MethodGet, "/nope", http.StatusNotFound, "a b"},
		{http.MethodPost, "/x", http.StatusMethodNotAllowed, "a b"},
	} {
		trace = nil
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.status || strings.Join(trace, " ") != tc.want {
			t.Errorf("%s %s: status %d, ran %q; want %d, %q", tc.method, tc.path, rec.Code, trace, tc.status, tc.want)
		}
	}
}
