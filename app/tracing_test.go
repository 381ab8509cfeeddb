package main

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/accessrequests/accessrequests/app/config"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes each protobuf
// export request and keeps the spans.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	paths []string
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export request", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.paths = append(o.paths, r.URL.Path)
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	o.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

var (
	sandboxAccountRe = regexp.MustCompile(`name="account" value="([^"]+)"`)
	hexID            = func(b []byte) string { return hex.EncodeToString(b) }
)

// TestTracesOverOTLP (issue 13): with OTEL_EXPORTER_OTLP_ENDPOINT set, an
// invitee's whole flow through the sandbox arrives at a real OTLP/HTTP
// receiver as spans: the handlers named by their route templates, the
// database statements as their children, the calls to the provider as
// client spans of the callback (and the sandbox's own handler, on this same
// program, as their child). No span name or attribute holds the link
// token, the state, the code or the access token; the callback's
// X-Request-Id is its trace ID.
func TestTracesOverOTLP(t *testing.T) {
	recv := &otlpReceiver{}
	collector := httptest.NewServer(recv)
	defer collector.Close()
	env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": "demo-password-123", "DATABASE_URL": "",
		"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}
	base, logs, stop := serveFor(t, env)
	stopped := false
	defer func() {
		if !stopped {
			_ = stop()
		}
	}()
	token := generateDemoLink(t, base)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, target string, form url.Values) (*http.Response, string) {
		t.Helper()
		req := testutil.NewRequest(t, method, target, form)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 400 {
			t.Fatalf("%s %s: %d\n%s", method, req.URL.Path, res.StatusCode, body)
		}
		return res, string(body)
	}
	location := func(res *http.Response) string {
		t.Helper()
		u, err := res.Request.URL.Parse(res.Header.Get("Location"))
		if err != nil || res.Header.Get("Location") == "" {
			t.Fatalf("%s: no redirect (%d)", res.Request.URL.Path, res.StatusCode)
		}
		return u.String()
	}
	send("GET", base+"/connect/"+token, nil)
	res, _ := send("POST", base+"/connect/"+token+"/start", url.Values{})
	authorize := location(res)
	state, _ := url.Parse(authorize)
	res, _ = send("GET", authorize, nil)
	loginURL := location(res)
	_, page := send("GET", loginURL, nil)
	id, account := requestIDRe.FindStringSubmatch(page), sandboxAccountRe.FindStringSubmatch(page)
	if id == nil || account == nil {
		t.Fatalf("the sandbox's page has no request or account:\n%s", page)
	}
	lu, _ := url.Parse(loginURL)
	res, _ = send("POST", lu.Scheme+"://"+lu.Host+lu.Path, url.Values{"id": {id[1]}, "account": {account[1]}, "action": {"allow"}})
	res, _ = send("GET", location(res), nil)
	callback := location(res)
	cb, _ := url.Parse(callback)
	if cb.Path != "/oauth/callback" || cb.Query().Get("code") == "" {
		t.Fatalf("the sandbox redirected to %s", cb.Path)
	}
	b, _ := url.Parse(base)
	cb.Host = b.Host // the flow cookie is on the address the test used; APP_BASE_URL says localhost
	res, _ = send("GET", cb.String(), nil)
	callbackRequestID := res.Header.Get("X-Request-Id")

	if err := stop(); err != nil { // flushes the spans
		t.Fatal(err)
	}
	stopped = true

	// The access token the flow stored, to look for it in the spans.
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	o, err := open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	var acct struct{ ID, WorkspaceID string }
	if err := o.db.Raw("SELECT id, workspace_id FROM connected_accounts").Scan(&acct).Error; err != nil || acct.ID == "" {
		t.Fatalf("no connected account (%v)\n%s", err, logs.String())
	}
	accessToken, err := o.svc.AccessToken(context.Background(), acct.WorkspaceID, acct.ID, nil)
	if err != nil || accessToken == "" {
		t.Fatalf("access token: %v", err)
	}

	recv.mu.Lock()
	spans := recv.spans
	paths := recv.paths
	recv.mu.Unlock()
	if len(spans) == 0 || paths[0] != "/v1/traces" {
		t.Fatalf("no spans arrived at /v1/traces (paths %v)", paths)
	}
	byName := map[string][]*tracepb.Span{}
	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		byName[s.Name] = append(byName[s.Name], s)
		byID[hexID(s.SpanId)] = s
	}
	one := func(name string, kind tracepb.Span_SpanKind) *tracepb.Span {
		t.Helper()
		if len(byName[name]) == 0 {
			names := make([]string, 0, len(byName))
			for n := range byName {
				names = append(names, n)
			}
			t.Fatalf("no span %q; spans: %q", name, names)
		}
		s := byName[name][0]
		if s.Kind != kind {
			t.Errorf("span %q is %v, want %v", name, s.Kind, kind)
		}
		return s
	}
	children := func(parent *tracepb.Span) []*tracepb.Span {
		var out []*tracepb.Span
		for _, s := range spans {
			if hexID(s.ParentSpanId) == hexID(parent.SpanId) && hexID(s.TraceId) == hexID(parent.TraceId) {
				out = append(out, s)
			}
		}
		return out
	}

	consent := one("GET /connect/:token", tracepb.Span_SPAN_KIND_SERVER)
	var reads []string
	for _, s := range children(consent) {
		if s.Kind == tracepb.Span_SPAN_KIND_CLIENT && strings.HasPrefix(s.Name, "SELECT") {
			reads = append(reads, s.Name)
		}
	}
	if len(reads) == 0 {
		t.Errorf("the consent page's span has no database child: %v", children(consent))
	}

	cbSpan := one("GET /oauth/callback", tracepb.Span_SPAN_KIND_SERVER)
	if hexID(cbSpan.TraceId) != callbackRequestID {
		t.Errorf("the callback's X-Request-Id %s is not its trace ID %s", callbackRequestID, hexID(cbSpan.TraceId))
	}
	var tokenCall *tracepb.Span
	for _, s := range children(cbSpan) {
		if s.Kind == tracepb.Span_SPAN_KIND_CLIENT && attr(s, "url.path") == "/sandbox/oauth/token" {
			tokenCall = s
		}
	}
	if tokenCall == nil {
		t.Fatalf("the callback's span has no client span for the token endpoint: %v", children(cbSpan))
	}
	if !strings.HasPrefix(tokenCall.Name, "POST ") {
		t.Errorf("the token call's span is named %q", tokenCall.Name)
	}
	sandboxSide := children(tokenCall)
	if len(sandboxSide) != 1 || sandboxSide[0].Name != "POST /sandbox/*" || sandboxSide[0].Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("the token endpoint's handler is not the token call's child: %v", sandboxSide)
	}

	secrets := map[string]string{"link token": token, "access token": accessToken,
		"state": state.Query().Get("state"), "code": cb.Query().Get("code")}
	for _, s := range spans {
		values := []string{s.Name}
		for _, a := range s.Attributes {
			values = append(values, a.Key+"="+a.Value.String())
		}
		for _, e := range s.Events {
			values = append(values, e.Name)
			for _, a := range e.Attributes {
				values = append(values, a.Key+"="+a.Value.String())
			}
		}
		for _, v := range values {
			for what, secret := range secrets {
				if secret != "" && strings.Contains(v, secret) {
					t.Errorf("span %q holds the %s: %s", s.Name, what, v)
				}
			}
		}
	}
}

// attr is the string value of span s's attribute key, or "".
func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value.GetStringValue()
		}
	}
	return ""
}

// TestTracesToAnUnreachableCollector: a collector that does not answer
// costs the app nothing but a warning, a JSON line like every other line
// on stderr.
func TestTracesToAnUnreachableCollector(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": "demo-password-123", "DATABASE_URL": "",
		"OTEL_EXPORTER_OTLP_ENDPOINT": gone.URL, "OTEL_EXPORTER_OTLP_TIMEOUT": "500"}
	base, logs, stop := serveFor(t, env)
	if code := consentStatus(t, base, "unknown-token"); code != http.StatusNotFound {
		t.Errorf("an unknown link: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "{") {
			t.Errorf("plain-text line on stderr: %q", line)
		}
	}
	if !strings.Contains(out, `"msg":"tracing:`) {
		t.Errorf("no warning that the spans were not exported:\n%s", out)
	}
}
