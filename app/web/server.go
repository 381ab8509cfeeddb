// Package web is the HTTP layer: routes, middleware, handlers and the
// mapping of domain errors to pages. Handlers parse, authorize, call one
// domain function and render.
package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/oauth"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/app/telemetry"
)

// Options configure a Server.
type Options struct {
	Service *access.Service
	// Keys seal the session and flow cookies.
	Keys           *secret.Keyring
	Log            *slog.Logger
	BaseURL        *url.URL
	Production     bool
	TrustedProxies []*net.IPNet
	// Ready reports whether the database answers, for /readyz.
	Ready func(ctx context.Context) error
	// Registry receives the HTTP metrics; nil makes a private one.
	Registry *prometheus.Registry
	// OAuth is the OAuth client; nil builds one whose redirect URI is
	// BaseURL + "/oauth/callback".
	OAuth *oauth.Client
	// Sandbox, when set, is the sandbox provider served under /sandbox/.
	Sandbox http.Handler
	// MetricsToken, when set, serves /metrics on this handler to requests
	// bearing it; otherwise /metrics is only on MetricsHandler.
	MetricsToken string
	// RequestTimeout is every handler's deadline; zero means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// APIRateLimit is each API key's requests per minute; zero means
	// DefaultAPIRateLimit.
	APIRateLimit int
}

// Server serves the application.
type Server struct {
	svc        *access.Service
	keys       *secret.Keyring
	log        *slog.Logger
	baseURL    *url.URL
	production bool
	ready      func(ctx context.Context) error
	sessions   *sessions.CookieStore
	cookieName string
	loginIP    *dbLimiter
	loginEmail *dbLimiter
	publicIP   *limiter
	oauth      *oauth.Client
	sandbox    http.Handler
	metrics    *metrics
	registry   *prometheus.Registry
	echo       *echo.Echo

	metricsToken   string
	requestTimeout time.Duration
	apiRateLimit   int
	routeTable     map[string]bool // route patterns, for metrics labels
	draining       atomic.Bool
	// loginFailures remembers which addresses failed for which email
	// (throttle.go); passwordTries throttles password changes per user.
	loginFailures *failures
	passwordTries *dbLimiter
	// eventFailures counts history events that could not be stored.
	eventFailures *prometheus.CounterVec
}

// New builds the server and its routes.
func New(o Options) *Server {
	s := &Server{
		svc:        o.Service,
		keys:       o.Keys,
		log:        slog.New(telemetry.LogHandler(o.Log.Handler())), // lines of a request carry its ID
		baseURL:    o.BaseURL,
		production: o.Production,
		ready:      o.Ready,
		loginIP:    newDBLimiter(o.Service, "login-ip", 20, time.Minute),
		loginEmail: newDBLimiter(o.Service, "login-email", 10, 15*time.Minute),
		registry:   o.Registry,
		publicIP:   newLimiter(publicBurst, time.Minute),
		oauth:      o.OAuth,
		sandbox:    o.Sandbox,

		metricsToken:   o.MetricsToken,
		requestTimeout: o.RequestTimeout,
		apiRateLimit:   o.APIRateLimit,
	}
	if benchHarness {
		s.log.Error("BENCHMARK BUILD (-tags benchharness): the public per-address rate limit is lifted; never deploy this binary")
	}
	if s.requestTimeout <= 0 {
		s.requestTimeout = DefaultRequestTimeout
	}
	// As long as the per-email window: an address that failed stays refused
	// while the email is over its limit.
	s.loginFailures = newFailures(o.Service, 15*time.Minute)
	s.passwordTries = newDBLimiter(o.Service, "password", 10, 15*time.Minute)
	if s.oauth == nil {
		s.oauth = oauth.NewClient(o.BaseURL.String() + "/oauth/callback")
		s.oauth.Log = s.log
	}
	if telemetry.Enabled() { // calls to providers are spans too
		traced := *s.oauth
		traced.HTTP = telemetry.Client(s.oauth.HTTP)
		s.oauth = &traced
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(s.registry)
	s.eventFailures = newEventFailures(s.registry)
	s.initSessions()

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(o.TrustedProxies)
	s.echo = e
	s.routes()
	s.routeTable = map[string]bool{}
	for _, r := range e.Routes() {
		s.routeTable[r.Path] = true
	}
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
