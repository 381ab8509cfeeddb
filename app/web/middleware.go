package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/app/telemetry"
	"github.com/accessrequests/accessrequests/models"
)

type ctxKey int

const (
	userKey ctxKey = iota
	memberKey
	nonceKey
	sessionKey
)

func withValue(c echo.Context, key ctxKey, v any) {
	c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), key, v)))
}

// currentUser is the signed-in user, or nil.
func currentUser(c echo.Context) *models.User {
	u, _ := c.Request().Context().Value(userKey).(*models.User)
	return u
}

// currentSession is the signed-in session, or nil.
func currentSession(c echo.Context) *access.Session {
	sess, _ := c.Request().Context().Value(sessionKey).(*access.Session)
	return sess
}

// currentMember is the user's membership in the workspace of the URL, or nil.
func currentMember(c echo.Context) *access.Membership {
	m, _ := c.Request().Context().Value(memberKey).(*access.Membership)
	return m
}

// actor describes the signed-in user for the link history.
func actor(c echo.Context) access.Actor {
	a := access.Actor{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	if u := currentUser(c); u != nil {
		a.UserID, a.Name = u.ID, u.Name
	}
	return a
}

func (s *Server) logPanic(c echo.Context, err error, stack []byte) error {
	s.log.ErrorContext(c.Request().Context(), "panic", "route", s.routeLabel(c), "err", err, "stack", string(stack))
	return err
}

// observe logs each request by its route pattern (never the raw path, which
// can carry a link token), with its ID (securityHeaders put it in the
// context), and records metrics. Every request pays for this, so it stays
// lean: BenchmarkRequestLog, figures in docs/benchmarks.md.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		r := c.Request()
		route := s.routeLabel(c)
		status := c.Response().Status
		d := time.Since(start)
		s.metrics.observe(r.Method, route, status, d)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		if route != "/healthz" && route != "/readyz" && route != "/metrics" && route != "/static/*" {
			// The handler (telemetry.LogHandler) adds request_id.
			s.log.LogAttrs(r.Context(), level, "request",
				slog.String("method", access.CleanText(r.Method, maxLoggedMethod)), slog.String("route", route),
				slog.Int("status", status), slog.Int64("duration_ms", d.Milliseconds()),
				slog.String("ip", access.CleanText(c.RealIP(), maxLoggedIP)))
		}
		return nil
	}
}

// Request-controlled values are cut to these lengths in log lines.
const (
	maxLoggedMethod = 16
	maxLoggedIP     = 64
)

// contentSecurityPolicy is the CSP of every page. Forms post to this site
// only, plus formTargets: the origins a form's POST is redirected to.
func contentSecurityPolicy(nonce string, formTargets ...string) string {
	n := len(cspHead) + len(nonce) + len(cspTail)
	for _, t := range formTargets {
		n += 1 + len(t)
	}
	var b strings.Builder // one allocation, sized first
	b.Grow(n)
	b.WriteString(cspHead)
	b.WriteString(nonce)
	b.WriteString(cspTail)
	for _, t := range formTargets {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	return b.String()
}

// cspHead and cspTail are the CSP of a page before and after its nonce.
const (
	cspHead = "default-src 'self'; script-src 'self' 'nonce-"
	cspTail = "'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

// nonceBytes is the CSP nonce's size: 144 random bits, 24 characters of
// unpadded base64.
const nonceBytes = 18

// freshCSP is the CSP of a response with a fresh nonce, and the nonce: one
// allocation for both, the nonce being a part of the policy's text.
func freshCSP() (csp, nonce string) {
	var raw [nonceBytes]byte
	_, _ = rand.Read(raw[:])
	var enc [(nonceBytes*8 + 5) / 6]byte
	base64.RawStdEncoding.Encode(enc[:], raw[:])
	var b strings.Builder
	b.Grow(len(cspHead) + len(enc) + len(cspTail))
	b.WriteString(cspHead)
	b.Write(enc[:])
	b.WriteString(cspTail)
	csp = b.String()
	return csp, csp[len(cspHead) : len(cspHead)+len(enc)]
}

// allowFormsTo widens the page's form-action to the provider of src: the
// consent page's Start form is answered with a redirect to the provider's
// authorize URL, and browsers apply form-action to that redirect too.
func allowFormsTo(c echo.Context, src *sources.Source) {
	if src == nil {
		return
	}
	origin, ok := providerOrigins.Load(src.AuthURL)
	if !ok {
		origin, _ = providerOrigins.LoadOrStore(src.AuthURL, providerOrigin(src))
	}
	if origin == "" {
		return
	}
	c.Response().Header().Set("Content-Security-Policy", contentSecurityPolicy(templ.GetNonce(c.Request().Context()), origin.(string)))
}

// providerOrigins holds providerOrigin per authorize URL: the catalog's
// few URLs, parsed once instead of at every view of a consent page.
var providerOrigins sync.Map // AuthURL → origin string

// providerOrigin is the scheme and host of src's authorize URL, as a CSP
// source. A per-shop host ({shop}, validated as *.myshopify.com) becomes
// the wildcard https://*.myshopify.com.
func providerOrigin(src *sources.Source) string {
	if src == nil {
		return ""
	}
	u, err := url.Parse(strings.ReplaceAll(src.AuthURL, "{shop}", "shop.myshopify.com"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	host := u.Host
	if strings.Contains(src.AuthURL, "{shop}") {
		host = "*.myshopify.com"
	}
	return u.Scheme + "://" + host
}

// securityHeaders sets the headers every response carries, with a fresh
// CSP nonce per request. It also gives the request its ID (the trace ID of
// a valid traceparent, else a fresh one), echoed in X-Request-Id and carried
// in the context, so that every line logged during the request holds it
// (telemetry.LogHandler): one context for both saves a copy of the request.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		csp, nonce := freshCSP()
		r := c.Request()
		ctx, id := telemetry.StartRequest(r.Context(), r.Header.Get("Traceparent"))
		c.SetRequest(r.WithContext(templ.WithNonce(ctx, nonce)))
		h := c.Response().Header()
		h[telemetry.RequestIDHeader] = id
		// The values from one array (one allocation, not one per header),
		// each capped so that an Add elsewhere copies rather than writes
		// into its neighbour; the keys are in canonical form already.
		v := &[...]string{csp, "nosniff", "DENY", "no-referrer", "no-store", "max-age=63072000; includeSubDomains"}
		h["Content-Security-Policy"] = v[0:1:1]
		h["X-Content-Type-Options"] = v[1:2:2]
		h["X-Frame-Options"] = v[2:3:3]
		h["Referrer-Policy"] = v[3:4:4]
		h["Cache-Control"] = v[4:5:5]
		if s.production {
			h["Strict-Transport-Security"] = v[5:6:6]
		}
		return next(c)
	}
}

// crossOrigin refuses cross-site unsafe requests (Fetch Metadata and
// Origin), so forms need no tokens and htmx carries nothing extra.
func (s *Server) crossOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c echo.Context) error {
		if err := cop.Check(c.Request()); err != nil {
			return access.Errorf(access.EFORBIDDEN, "This request came from another site and was refused. Reload the page and try again.")
		}
		return next(c)
	}
}

// loadSession puts the signed-in session and its user, if any, into the
// request context. The cookie holds only the session's random ID; whether
// the session still lives (not signed out, not idle too long, not past its
// lifetime) is decided on the server for every request.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Path() {
		case "/healthz", "/readyz", "/metrics", "/static/*", "/branding/logo/:file", "/branding/accent/:file":
			return next(c) // probes and assets need no user (nor the database)
		}
		token := s.sessionToken(c)
		if token == "" {
			return next(c)
		}
		sess, err := s.svc.Session(c.Request().Context(), token)
		if access.ErrorCode(err) == access.EUNAUTHORIZED {
			return next(c) // ended: treat as signed out
		}
		if err != nil {
			return err
		}
		withValue(c, sessionKey, sess)
		withValue(c, userKey, sess.User)
		return next(c)
	}
}

// requireUser sends visitors who are not signed in (or whose session has
// ended) to /login, with the page they were on to return to afterwards.
// htmx requests get HX-Redirect, so the whole page goes to sign-in instead
// of a fragment swapping in; the action itself is never replayed.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			to := loginURL(s.returnPath(c))
			if c.Request().Header.Get("HX-Request") == "true" {
				c.Response().Header().Set("HX-Redirect", to)
				return c.NoContent(http.StatusUnauthorized)
			}
			return c.Redirect(http.StatusSeeOther, to)
		}
		return next(c)
	}
}

// requireWorkspace loads the user's membership in the workspace of the URL;
// a workspace the user cannot see is not found.
func (s *Server) requireWorkspace(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		m, err := s.svc.Membership(c.Request().Context(), currentUser(c).ID, c.Param("workspace"))
		if err != nil {
			return err
		}
		withValue(c, memberKey, m)
		return next(c)
	}
}

// requireManager lets through workspace admins and organization owners on a
// plan that includes access links.
func (s *Server) requireManager(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := currentMember(c).CanManageLinks(); err != nil {
			return err
		}
		return next(c)
	}
}

// retryAfter sets Retry-After in whole seconds.
func retryAfter(c echo.Context, d time.Duration) {
	secs := int(d.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
}
