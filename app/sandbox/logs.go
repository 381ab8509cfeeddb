package sandbox

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// The op package ignores op.WithLogger: it writes its warnings to
// slog.Default() with the request's context, and they carry the OAuth
// state (in the error and in the redirect URL). LogHandler, installed as
// the default handler, sends each record made while a sandbox serves a
// request to that sandbox's Options.Logger, and every other record to next;
// either way without the values that would let a reader finish or replay a
// flow.

type logKey struct{}

// withLogger puts the sandbox's log handler in each request's context.
func withLogger(h slog.Handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), logKey{}, h)))
	})
}

// LogHandler returns the handler to install with slog.SetDefault (the app's
// main does): records made while a sandbox serves a request go to that
// sandbox's Options.Logger, others to next; state, codes, tokens, nonces
// and secrets are replaced by "[redacted]", in attributes and in URLs.
func LogHandler(next slog.Handler) slog.Handler { return &logRouter{next: next} }

type logRouter struct {
	next slog.Handler
	// with replays WithAttrs and WithGroup on a sandbox's handler.
	with []func(slog.Handler) slog.Handler
}

func (h *logRouter) target(ctx context.Context) slog.Handler {
	if ctx != nil {
		if sh, ok := ctx.Value(logKey{}).(slog.Handler); ok {
			for _, w := range h.with {
				sh = w(sh)
			}
			return sh
		}
	}
	return h.next
}

func (h *logRouter) Enabled(ctx context.Context, l slog.Level) bool {
	return h.target(ctx).Enabled(ctx, l)
}

func (h *logRouter) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, redactURL(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redact(a))
		return true
	})
	return h.target(ctx).Handle(ctx, out)
}

func (h *logRouter) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redact(a)
	}
	return &logRouter{next: h.next.WithAttrs(clean),
		with: append(h.with[:len(h.with):len(h.with)], func(sh slog.Handler) slog.Handler { return sh.WithAttrs(clean) })}
}

func (h *logRouter) WithGroup(name string) slog.Handler {
	return &logRouter{next: h.next.WithGroup(name),
		with: append(h.with[:len(h.with):len(h.with)], func(sh slog.Handler) slog.Handler { return sh.WithGroup(name) })}
}

// secretKeys name values that must never reach a log.
var secretKeys = map[string]bool{
	"state": true, "session_state": true, "code": true, "code_verifier": true, "code_challenge": true,
	"nonce": true, "access_token": true, "refresh_token": true, "id_token": true, "token": true,
	"client_secret": true, "password": true, "assertion": true, "client_assertion": true, "id": true,
}

const redacted = "[redacted]"

func redact(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	if secretKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, redacted)
	}
	switch a.Value.Kind() {
	case slog.KindGroup:
		group := a.Value.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = redact(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindString:
		return slog.String(a.Key, redactURL(a.Value.String()))
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(a.Key, redactURL(err.Error()))
		}
	}
	return a
}

// redactURL hides the values of secret query parameters in s when s is a
// URL, or holds one.
func redactURL(s string) string {
	if !strings.Contains(s, "?") || !strings.Contains(s, "=") {
		return s
	}
	fields := strings.Fields(s)
	changed := false
	for i, f := range fields {
		u, err := url.Parse(f)
		if err != nil || u.RawQuery == "" {
			continue
		}
		q := u.Query()
		hit := false
		for k := range q {
			if secretKeys[strings.ToLower(k)] {
				q.Set(k, redacted)
				hit = true
			}
		}
		if hit {
			u.RawQuery = q.Encode()
			fields[i] = u.String()
			changed = true
		}
	}
	if !changed {
		return s
	}
	return strings.Join(fields, " ")
}
