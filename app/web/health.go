package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accessrequests/accessrequests/app/db"
)

// healthz is GET /healthz: the process is alive.
func (s *Server) healthz(c echo.Context) error {
	return shortText(c, http.StatusOK, "ok\n")
}

// shortText answers text that its length, under compressMinLength, keeps
// from being compressed: a probe's "ok" is never worth a compressor (the
// first one made in a process cost a few milliseconds of its start, and
// gzip made the 3 bytes 27).
func shortText(c echo.Context, code int, text string) error {
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(text)))
	return c.String(code, text)
}

// readyz is GET /readyz: the database answers and takes writes, and the
// server is not draining before a shutdown.
func (s *Server) readyz(c echo.Context) error {
	if s.draining.Load() {
		return shortText(c, http.StatusServiceUnavailable, "shutting down\n")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			s.log.WarnContext(c.Request().Context(), "not ready", "err", err)
			if errors.Is(err, db.ErrNotWritable) {
				return shortText(c, http.StatusServiceUnavailable, "database not writable\n")
			}
			return shortText(c, http.StatusServiceUnavailable, "database unavailable\n")
		}
	}
	return shortText(c, http.StatusOK, "ready\n")
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// series holds the counter and histogram of each method, route and
	// status seen, found once: WithLabelValues hashes and checks every
	// label and takes the vector's lock at every request. Read without a
	// lock; a new key copies the map (a few dozen keys, each added once).
	series   atomic.Pointer[map[seriesKey]series]
	seriesMu sync.Mutex
}

type seriesKey struct {
	method, route string
	status        int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	// The Go runtime (GC cycles and pauses, heap, goroutines, scheduler
	// latency) and the process (RSS, CPU, open files), for operators. A
	// registry shared with another server has them already.
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.MetricsGC, collectors.MetricsMemory, collectors.MetricsScheduler)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			panic(err)
		}
	}
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	k := seriesKey{methodLabel(method), route, status}
	s, ok := m.seriesOf(k)
	if !ok {
		s = m.addSeries(k)
	}
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}

func (m *metrics) seriesOf(k seriesKey) (series, bool) {
	if p := m.series.Load(); p != nil {
		s, ok := (*p)[k]
		return s, ok
	}
	return series{}, false
}

func (m *metrics) addSeries(k seriesKey) series {
	m.seriesMu.Lock()
	defer m.seriesMu.Unlock()
	if s, ok := m.seriesOf(k); ok {
		return s
	}
	s := series{
		requests: m.requests.WithLabelValues(k.method, k.route, strconv.Itoa(k.status)),
		duration: m.duration.WithLabelValues(k.method, k.route),
	}
	next := map[seriesKey]series{k: s}
	if p := m.series.Load(); p != nil {
		maps.Copy(next, *p)
	}
	m.series.Store(&next)
	return s
}

// knownMethods are the only method labels; anything else is "other", so a
// client cannot grow the series with invented methods.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

func methodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// routeLabel is the request's route pattern if it is one of the route
// table's, else "unmatched": labels and logs never carry a raw path.
func (s *Server) routeLabel(c echo.Context) string {
	if p := c.Path(); s.routeTable[p] {
		return p
	}
	return "unmatched"
}

// MetricsHandler serves the metrics, for the operators' listener
// (METRICS_ADDR); the public port serves them only with METRICS_TOKEN.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
}

// metricsWithToken is GET /metrics on the public port, registered only
// when a metrics token is configured: the bearer token is compared in
// constant time.
func (s *Server) metricsWithToken(c echo.Context) error {
	got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) != 1 {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
		return shortText(c, http.StatusUnauthorized, "metrics need the operators' bearer token\n")
	}
	s.MetricsHandler().ServeHTTP(c.Response(), c.Request())
	return nil
}

// Drain makes /readyz fail so that load balancers stop sending new
// requests; the server keeps serving until it is shut down.
func (s *Server) Drain() { s.draining.Store(true) }
