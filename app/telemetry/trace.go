package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Traces are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; the exporter reads the
// standard OTEL_EXPORTER_OTLP_* variables (headers, timeout, ...) and the
// resource OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. Unset, nothing
// is installed: the tracer is OpenTelemetry's no-op and the web layer does
// not even add its tracing middleware (Enabled).
//
// What a span may hold: route templates (never a path, which can carry a
// link token), methods, status codes, hosts and paths of provider URLs
// (never their query), SQL with its placeholders (never the bound values).
// No token, code or secret: TestTracesOverOTLP checks.

// ScopeName names the spans' instrumentation scope.
const ScopeName = "github.com/accessrequests/accessrequests"

var enabled atomic.Bool

// Enabled reports whether SetupTracing installed an exporter.
func Enabled() bool { return enabled.Load() }

// Tracer is the program's tracer: a no-op until SetupTracing installs one.
func Tracer() trace.Tracer { return otel.Tracer(ScopeName) }

// SetupTracing installs the OTLP/HTTP exporter when getenv names an
// endpoint, and returns the function that flushes and stops it (a no-op
// when nothing was installed). Export errors go to log, as JSON lines like
// the rest, not to OpenTelemetry's default plain-text logger.
func SetupTracing(ctx context.Context, getenv func(string) string, log *slog.Logger) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	variable, endpoint := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") // used as it is
	if base := strings.TrimRight(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "/"); endpoint == "" && base != "" {
		variable, endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT", base+"/v1/traces"
	}
	if endpoint == "" || getenv("OTEL_SDK_DISABLED") == "true" {
		return noop, nil
	}
	// config.Load refused such a URL already; a caller without it is told too.
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return noop, fmt.Errorf("%s: %q is not an http(s) URL", variable, endpoint)
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return noop, err
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "accessrequests"
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", name)))
	if err != nil {
		res = resource.Default()
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
	)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing: export failed", "err", err) }))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	enabled.Store(true)
	return func(ctx context.Context) error {
		enabled.Store(false)
		return tp.Shutdown(ctx)
	}, nil
}

// StartServer starts the span of an incoming request handled by route (a
// route template), continuing the caller's trace from its traceparent.
// The span is named "METHOD route".
func StartServer(ctx context.Context, h http.Header, method, route string) (context.Context, trace.Span) {
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(h))
	return Tracer().Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("http.route", route)))
}

// EndServer records the response's status on span and ends it.
func EndServer(span trace.Span, status int) {
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// Transport wraps next (nil: http.DefaultTransport) so that each outgoing
// request is a client span named "METHOD host", with the URL's scheme,
// host and path but never its query (where some providers want an access
// token), and carries the trace in its traceparent header.
func Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if _, ok := next.(*transport); ok {
		return next
	}
	return &transport{next: next}
}

type transport struct{ next http.RoundTripper }

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, span := Tracer().Start(r.Context(), r.Method+" "+r.URL.Host, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("server.address", r.URL.Hostname()),
			attribute.String("url.scheme", r.URL.Scheme),
			attribute.String("url.path", r.URL.Path),
		))
	defer span.End()
	r = r.Clone(ctx)
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(r.Header))
	res, err := t.next.RoundTrip(r)
	if err != nil {
		span.SetStatus(codes.Error, "request failed")
		var ue interface{ Timeout() bool }
		span.SetAttributes(attribute.Bool("error.timeout", errors.As(err, &ue) && ue.Timeout()))
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
	if res.StatusCode >= 500 {
		span.SetStatus(codes.Error, http.StatusText(res.StatusCode))
	}
	return res, nil
}

// Client returns a copy of c (nil: a new client) whose transport traces
// each request (Transport).
func Client(c *http.Client) *http.Client {
	if c == nil {
		c = &http.Client{}
	}
	cc := *c
	cc.Transport = Transport(c.Transport)
	return &cc
}
