package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// BenchmarkRequestLog measures the request log (observe) and the headers
// every response carries (securityHeaders, which also gives the request its
// ID), around a handler that does nothing, with the app's JSON logger writing nowhere:
// what every request pays for its log line, its request ID and its
// metrics. docs/benchmarks.md keeps the figures.
func BenchmarkRequestLog(b *testing.B) {
	s := bareServer(b, false)
	h := s.observe(s.securityHeaders(func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }))
	for _, tc := range []struct{ name, traceparent string }{
		{"generated", ""},
		{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/login", nil)
			if tc.traceparent != "" {
				req.Header.Set("Traceparent", tc.traceparent)
			}
			b.ReportAllocs()
			w := &discardWriter{h: http.Header{}}
			for b.Loop() {
				clear(w.h)
				c := s.echo.NewContext(req, w)
				if err := h(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing but the last status
// (an httptest.ResponseRecorder copies the headers, which a server does not).
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkPublicChain measures everything a public page pays outside its
// handler: the whole middleware chain of GET /connect/:token (request log,
// metrics, request ID, compression decision, recovery, security headers and
// nonce, body limit, deadline, cross-origin check, session lookup, language,
// the per-address limiter) and the buffered write of a 12 KB page, through
// Echo's router, with no database and no network. docs/benchmarks.md keeps
// the figures. Run it with -tags benchharness, which lifts the per-address
// limit as for the harness: without it, every view after the 60th is a
// 429, and the benchmark stops there.
func BenchmarkPublicChain(b *testing.B) {
	s := bareServer(b, false)
	page := []byte("<!doctype html>" + strings.Repeat("<p>consent</p>", 12<<10/14))
	const route = "/bench/connect/:token"
	public := gates(s.inviteeLanguage, s.limitPublic) // as routes declares /connect/:token
	s.echo.GET(route, public(func(c echo.Context) error {
		return send(c, http.StatusOK, func(buf *bytes.Buffer) error { _, err := buf.Write(page); return err })
	}))
	s.routeTable[route] = true
	req := httptest.NewRequest(http.MethodGet, "/bench/connect/tok", nil)
	b.ReportAllocs()
	w := &discardWriter{h: http.Header{}}
	for b.Loop() {
		clear(w.h)
		s.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d (without -tags benchharness the per-address limit answers 429)", w.code)
		}
	}
}
