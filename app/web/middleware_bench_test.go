package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/secret"
)

// BenchmarkRequestLog measures the request log (observe) and the headers
// every response carries (securityHeaders, which also gives the request its
// ID), around a handler that does nothing, with the app's JSON logger writing nowhere:
// what every request pays for its log line, its request ID and its
// metrics. docs/benchmarks.md keeps the figures.
func BenchmarkRequestLog(b *testing.B) {
	base, _ := url.Parse("http://app.test")
	keys, err := secret.NewKeyring(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	s := New(Options{Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), BaseURL: base, Keys: keys,
		Service: access.New(nil, keys)}) // the database is never reached
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

// discardWriter is a ResponseWriter that keeps nothing (an
// httptest.ResponseRecorder copies the headers, which a server does not).
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}
