// Package telemetry carries a request's identity through the program: the
// request ID that every log line of a request holds (requestid.go), and the
// OpenTelemetry traces exported when OTEL_EXPORTER_OTLP_ENDPOINT is set
// (trace.go). It imports nothing of this module, so the domain, the web
// layer and the sandbox may all use it.
package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// RequestIDHeader is the response header that echoes a request's ID.
const RequestIDHeader = "X-Request-Id"

// LogKey is the attribute that names a request's ID in log lines.
const LogKey = "request_id"

type requestIDKey struct{}

// requestIDContext carries a request ID, and the response header's value
// with it: one allocation per request (a context.WithValue holding a
// string, and the header's []string, would cost three), and reading the ID
// back costs none.
type requestIDContext struct {
	context.Context
	id [1]string
}

func (c *requestIDContext) Value(key any) any {
	if _, ok := key.(requestIDKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// WithRequestID returns ctx carrying the request ID id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return &requestIDContext{Context: ctx, id: [1]string{id}}
}

// StartRequest gives a request its ID: the trace ID of the request's span
// when tracing is on, else NewRequestID of its traceparent header (the same
// ID when the caller sent one). It returns the request's context carrying
// it, and the ID as the value of the response header RequestIDHeader.
func StartRequest(ctx context.Context, traceparent string) (context.Context, []string) {
	var id string
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		id = sc.TraceID().String()
	} else {
		id = NewRequestID(traceparent)
	}
	c := &requestIDContext{Context: ctx, id: [1]string{id}}
	return c, c.id[:]
}

// RequestID is the request ID ctx carries, or "".
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	if c, ok := ctx.Value(requestIDKey{}).(*requestIDContext); ok {
		return c.id[0]
	}
	return ""
}

// NewRequestID returns the ID of a request: the trace ID of a valid W3C
// traceparent header, so that the app's lines join the caller's trace,
// or else 128 fresh random bits in the same form (32 lowercase hex
// digits, a valid trace ID of its own).
func NewRequestID(traceparent string) string {
	if id, ok := TraceIDFromTraceparent(traceparent); ok {
		return id
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	var out [32]byte
	hex.Encode(out[:], b[:])
	return string(out[:])
}

// TraceIDFromTraceparent returns the trace ID of a W3C traceparent header
// (version-traceid-parentid-flags: "00-" 32 hex "-" 16 hex "-" 2 hex),
// when it is valid: lowercase hex, neither ID all zeros, version not ff.
// A later version may append fields after the flags.
func TraceIDFromTraceparent(h string) (string, bool) {
	if len(h) < 55 || (len(h) > 55 && (h[0:2] == "00" || h[55] != '-')) {
		return "", false
	}
	if h[2] != '-' || h[35] != '-' || h[52] != '-' || h[0:2] == "ff" {
		return "", false
	}
	if !lowerHex(h[0:2]) || !lowerHex(h[3:35]) || !lowerHex(h[36:52]) || !lowerHex(h[53:55]) {
		return "", false
	}
	if allZeros(h[3:35]) || allZeros(h[36:52]) {
		return "", false
	}
	return h[3:35], true
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func allZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// LogHandler wraps next so that every record logged with a context that
// carries a request ID holds it as request_id (unless the record already
// names one). Wrapping twice is the same as wrapping once.
func LogHandler(next slog.Handler) slog.Handler {
	if h, ok := next.(*logHandler); ok {
		return h
	}
	return &logHandler{next: next}
}

type logHandler struct{ next slog.Handler }

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" && !hasAttr(r, LogKey) {
		r.AddAttrs(slog.String(LogKey, id))
	}
	return h.next.Handle(ctx, r)
}

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{next: h.next.WithAttrs(attrs)}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{next: h.next.WithGroup(name)}
}
