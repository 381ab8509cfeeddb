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
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/connect"
)

// Options configure a Server.
type Options struct {
	Service        *access.Service
	Log            *slog.Logger
	BaseURL        *url.URL
	Production     bool
	TrustedProxies []*net.IPNet
	// Ready reports whether the database answers, for /readyz.
	Ready func(ctx context.Context) error
	// Registry receives the HTTP metrics; nil makes a private one.
	Registry *prometheus.Registry
	// Connect is the OAuth client; nil builds one whose redirect URI is
	// BaseURL + "/oauth/callback".
	Connect *connect.Client
	// Sandbox, when set, is the sandbox provider served under /sandbox/.
	Sandbox http.Handler
}

// Server serves the application.
type Server struct {
	svc        *access.Service
	log        *slog.Logger
	baseURL    *url.URL
	production bool
	ready      func(ctx context.Context) error
	sessions   *sessions.CookieStore
	cookieName string
	loginIP    *limiter
	loginEmail *limiter
	publicIP   *limiter
	connect    *connect.Client
	sandbox    http.Handler
	metrics    *metrics
	unrecorded prometheus.Counter // callback writes lost after the outcome (connect.go)
	registry   *prometheus.Registry
	echo       *echo.Echo
}

// New builds the server and its routes.
func New(o Options) *Server {
	s := &Server{
		svc:        o.Service,
		log:        o.Log,
		baseURL:    o.BaseURL,
		production: o.Production,
		ready:      o.Ready,
		loginIP:    newLimiter(20, time.Minute),
		loginEmail: newLimiter(10, 15*time.Minute),
		registry:   o.Registry,
		publicIP:   newLimiter(60, time.Minute),
		connect:    o.Connect,
		sandbox:    o.Sandbox,
	}
	if s.connect == nil {
		s.connect = connect.NewClient(o.BaseURL.String() + "/oauth/callback")
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(s.registry)
	s.unrecorded = newUnrecordedCounter(s.registry)
	s.initSessions()

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(o.TrustedProxies)
	s.echo = e
	s.routes()
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
