package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestTraceIDFromTraceparent(t *testing.T) {
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, tc := range []struct {
		name, header string
		ok           bool
	}{
		{"OK", "00-" + id + "-00f067aa0ba902b7-01", true},
		{"OKUnsampled", "00-" + id + "-00f067aa0ba902b7-00", true},
		{"OKLaterVersionWithMoreFields", "01-" + id + "-00f067aa0ba902b7-01-extra", true},
		{"Empty", "", false},
		{"Uppercase", "00-" + strings.ToUpper(id) + "-00f067aa0ba902b7-01", false},
		{"ZeroTraceID", "00-" + strings.Repeat("0", 32) + "-00f067aa0ba902b7-01", false},
		{"ZeroParentID", "00-" + id + "-0000000000000000-01", false},
		{"VersionFF", "ff-" + id + "-00f067aa0ba902b7-01", false},
		{"Version00Longer", "00-" + id + "-00f067aa0ba902b7-01-x", false},
		{"Short", "00-" + id[:31] + "-00f067aa0ba902b7-01", false},
		{"NotHex", "00-" + id[:31] + "g-00f067aa0ba902b7-01", false},
		{"WrongSeparator", "00_" + id + "-00f067aa0ba902b7-01", false},
		{"Injection", "00-" + id + "-00f067aa0ba902b7-01\n{\"x\":1}", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := TraceIDFromTraceparent(tc.header)
			if ok != tc.ok || (ok && got != id) {
				t.Errorf("TraceIDFromTraceparent(%q) = %q, %v; want ok=%v", tc.header, got, ok, tc.ok)
			}
			if gen := NewRequestID(tc.header); (gen == id) != tc.ok || len(gen) != 32 {
				t.Errorf("NewRequestID(%q) = %q", tc.header, gen)
			}
		})
	}
	if a, b := NewRequestID(""), NewRequestID(""); a == b {
		t.Errorf("two generated IDs are equal: %s", a)
	}
}

func TestLogHandlerAddsRequestIDOnce(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(LogHandler(slog.NewJSONHandler(&buf, nil)))).With("component", "x")
	ctx, header := StartRequest(context.Background(), "")
	if RequestID(ctx) != header[0] || len(header) != 1 {
		t.Fatalf("RequestID %q, header %q", RequestID(ctx), header)
	}
	derived, cancel := context.WithCancel(ctx)
	defer cancel()
	log.InfoContext(derived, "one", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6)
	log.InfoContext(ctx, "two", LogKey, header[0])
	log.Info("three")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{header[0], header[0], ""} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		got, _ := rec[LogKey].(string)
		if got != want || strings.Count(lines[i], LogKey) > 1 {
			t.Errorf("line %d: request_id %q, want %q: %s", i, got, want, lines[i])
		}
	}
}
