package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humaecho"

	"github.com/accessrequests/accessrequests/app/access"
)

type ctxKey int

const (
	principalKey ctxKey = iota
	actorKey
)

// principal is the key calling, set by authenticate.
func principal(ctx context.Context) *access.APIPrincipal {
	p, _ := ctx.Value(principalKey).(*access.APIPrincipal)
	return p
}

// workspaceID is the key's workspace: every query is scoped to it.
func workspaceID(ctx context.Context) string { return principal(ctx).Membership.Workspace.ID }

// actor is who histories name: "API key <name>", with the client's address.
func actor(ctx context.Context) access.Actor {
	a, _ := ctx.Value(actorKey).(access.Actor)
	return a
}

// authenticate reads the bearer key and puts its principal in the
// context: 401 for a missing, unknown or revoked key, 403 when the plan no
// longer includes links, 429 past the key's rate limit. The client's
// address is the web layer's (Echo's IP extractor, with TRUSTED_PROXIES).
func (a *API) authenticate(ctx huma.Context, next func(huma.Context)) {
	ec := humaecho.Unwrap(ctx)
	ip, ua := ec.RealIP(), ec.Request().UserAgent()
	raw, ok := bearer(ctx.Header("Authorization"))
	if !ok {
		a.fail(ctx, newProblem(access.EUNAUTHORIZED, "Send an API key: Authorization: Bearer ar_..."))
		return
	}
	p, err := a.svc.AuthenticateAPIKey(ctx.Context(), raw, ip, ua)
	if err != nil {
		a.fail(ctx, a.problem(ctx.Context(), err))
		return
	}
	if a.allow != nil {
		if ok, wait := a.allow(p.Key.ID); !ok {
			a.fail(ctx, newProblem(CodeRateLimited, "This API key is over its rate limit.").retryAfter(wait))
			return
		}
	}
	ctx = huma.WithValue(ctx, principalKey, p)
	next(huma.WithValue(ctx, actorKey, p.Actor(ip, ua)))
}

// bearer is the token of an Authorization: Bearer header.
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// fail writes err (a problem) as the answer, with its headers.
func (a *API) fail(ctx huma.Context, err error) {
	p, ok := err.(*Problem)
	if !ok {
		p = newProblem(access.EINTERNAL, "Internal error.")
	}
	for k, v := range p.headers {
		for _, s := range v {
			ctx.AppendHeader(k, s)
		}
	}
	if p.Status == http.StatusUnauthorized {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="api"`)
	}
	huma.WriteErr(a.api().huma, ctx, p.Status, p.Detail, problemError{p})
}

// problemError carries a problem through huma.WriteErr, whose NewError
// (problems.go) would otherwise build a new one from the status alone.
type problemError struct{ p *Problem }

func (e problemError) Error() string { return e.p.Error() }

// IdempotencyHeader is the header of an idempotent POST.
const IdempotencyHeader = "Idempotency-Key"

// idempotent honours Idempotency-Key on POST for 24 hours: the first
// request with a key is done, its answer stored (sealed: a link's URL is a
// secret); a repeat with the same method, path and body gets that answer
// again (with Idempotent-Replayed: true), one with another body a 422, one
// while the first still runs a 409. Server errors are not stored, so a
// retry runs again.
func (a *API) idempotent(ctx huma.Context, next func(huma.Context)) {
	key := ctx.Header(IdempotencyHeader)
	if ctx.Method() != http.MethodPost || key == "" {
		next(ctx)
		return
	}
	body, err := io.ReadAll(ctx.BodyReader())
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			a.fail(ctx, newProblem(CodeTooLarge, "The request body is too large."))
		} else {
			a.fail(ctx, newProblem(access.EBADREQUEST, "The request body could not be read."))
		}
		return
	}
	u := ctx.URL()
	h := sha256.New()
	h.Write([]byte(ctx.Method() + " " + u.Path + "?" + u.RawQuery + "\n"))
	h.Write(body)
	keyID := principal(ctx.Context()).Key.ID
	stored, err := a.svc.BeginIdempotent(ctx.Context(), keyID, key, hex.EncodeToString(h.Sum(nil)))
	if err != nil {
		a.fail(ctx, a.problem(ctx.Context(), err))
		return
	}
	if stored != nil {
		for k, v := range stored.Header {
			ctx.SetHeader(k, v)
		}
		ctx.SetHeader("Idempotent-Replayed", "true")
		ctx.SetStatus(stored.Status)
		_, _ = ctx.BodyWriter().Write(stored.Body)
		return
	}
	rec := &recorder{humaContext: ctx, body: body}
	done := false
	defer func() {
		if !done { // a panic: let the retry run again
			_ = a.svc.AbandonIdempotent(ctx.Context(), keyID, key)
		}
	}()
	next(rec)
	done = true
	if rec.status == 0 || rec.status >= 500 {
		err = a.svc.AbandonIdempotent(ctx.Context(), keyID, key)
	} else {
		err = a.svc.FinishIdempotent(ctx.Context(), keyID, key, access.StoredResponse{
			Status: rec.status, Header: rec.replayHeaders(), Body: rec.out.Bytes()})
	}
	if err != nil {
		a.log.Error("api: idempotency record not saved", "err", err)
	}
}

// humaContext is huma.Context under a name that can be embedded next to
// its own Context method.
type humaContext huma.Context

// recorder replays the body read for the hash to huma, and keeps a copy
// of the answer.
type recorder struct {
	humaContext
	body   []byte
	status int
	out    bytes.Buffer
}

func (r *recorder) BodyReader() io.Reader { return bytes.NewReader(r.body) }

func (r *recorder) SetStatus(code int) {
	r.status = code
	r.humaContext.SetStatus(code)
}

func (r *recorder) BodyWriter() io.Writer { return io.MultiWriter(r.humaContext.BodyWriter(), &r.out) }

// Unwrap lets humaecho.Unwrap reach the Echo context.
func (r *recorder) Unwrap() huma.Context { return r.humaContext }

// replayHeaders are the headers of the answer a replay repeats.
func (r *recorder) replayHeaders() map[string]string {
	out := map[string]string{}
	ec := humaecho.Unwrap(r.humaContext)
	for _, h := range []string{"Content-Type", "Location"} {
		if v := ec.Response().Header().Get(h); v != "" {
			out[h] = v
		}
	}
	return out
}
