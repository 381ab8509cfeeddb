package web_test

// Limits on what a request can make the server do: body size, multipart
// temp files (item 1 of issue 7), metrics labels and log lines (item 2),
// and where forms may post (item 10, CSP form-action).

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/web"
)

// tempFiles lists the multipart temp files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "multipart-*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// postMultipart streams a multipart form with fields and a file part of
// fileSize bytes (chunked, no Content-Length) and returns the status and
// body. The server may answer before the upload ends.
func postMultipart(t *testing.T, c *http.Client, target string, fields map[string]string, fileSize int64) (int, string) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		fw, err := mw.CreateFormFile("f", "big.bin")
		if err == nil {
			_, err = io.CopyN(fw, zeros{}, fileSize)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, target, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestMultipartLeavesNoTempFiles (item 1): a multipart upload with a file
// part larger than the in-memory limit of form parsing (32 MiB) is refused
// on every form route, and no multipart-* temp file is left behind.
func TestMultipartLeavesNoTempFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // mime/multipart writes its temp files here
	e := newEnv(t)
	link := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	token := link.URL[strings.LastIndex(link.URL, "/")+1:]
	const bigFile = 33 << 20
	for _, tc := range []struct {
		name, as, path string
		fields         map[string]string
	}{
		{"Login", "", "/login", map[string]string{"email": e.f.Admin.Email, "password": "wrong password"}},
		{"Decline", "", "/connect/" + token + "/decline", map[string]string{"reason": "not now"}},
		{"Start", "", "/connect/" + token + "/start", nil},
		{"Generate", "admin", e.expand("{links}"), map[string]string{"source": "google_ads"}},
		{"Logout", "admin", "/logout", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postMultipart(t, e.client(t, tc.as), e.srv.URL+tc.path, tc.fields, bigFile)
			if status != http.StatusUnsupportedMediaType {
				t.Errorf("status %d, want 415", status)
			}
			if !strings.Contains(body, "Files cannot be uploaded here") {
				t.Errorf("the page does not say why:\n%.400s", body)
			}
			if files := tempFiles(t, tmp); len(files) != 0 {
				t.Errorf("temp files left after the request: %v", files)
			}
		})
	}
	t.Run("SmallMultipart", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("email", e.f.Admin.Email)
		_ = mw.WriteField("password", testutil.Password)
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("status %d, want 415 (no route takes multipart)", res.StatusCode)
		}
	})
}

// TestBodyLimit (item 1): a body over the limit answers 413 before any
// handler reads it, whether its length is declared or streamed.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	token := link.URL[strings.LastIndex(link.URL, "/")+1:]
	big := url.Values{"email": {e.f.Admin.Email}, "password": {testutil.Password}, "pad": {strings.Repeat("x", 20<<10)}}.Encode()
	for _, tc := range []struct{ name, as, path string }{
		{"Login", "", "/login"},
		{"Decline", "", "/connect/" + token + "/decline"},
		{"Generate", "admin", e.expand("{links}")},
	} {
		for _, streamed := range []bool{false, true} {
			name := tc.name + "/Declared"
			var body io.Reader = strings.NewReader(big)
			if streamed {
				name = tc.name + "/Streamed"
				body = io.MultiReader(strings.NewReader(big)) // hides the length: chunked
			}
			t.Run(name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+tc.path, body)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := e.client(t, tc.as).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusRequestEntityTooLarge {
					t.Errorf("status %d, want 413\n%.300s", res.StatusCode, b)
				}
			})
		}
	}
	t.Run("SmallFormStillWorks", func(t *testing.T) {
		c := e.srv.Client()
		res, _ := testutil.Do(t, c, "POST", e.srv.URL+"/login", url.Values{"email": {e.f.Admin.Email}, "password": {testutil.Password}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in with a normal form: %d, want 303", res.StatusCode)
		}
	})
}

// metricsServer is a server whose JSON log is captured, for the metrics
// and log tests.
func metricsServer(t *testing.T, token string) (*web.Server, *httptest.Server, *testutil.LogBuffer) {
	t.Helper()
	svc := testutil.NewService(t, testutil.OpenDB(t), nil)
	logs := &testutil.LogBuffer{}
	srv := testutil.NewServer(t, svc, func(o *web.Options) {
		o.Log, o.MetricsToken, o.Ready = slog.New(slog.NewJSONHandler(logs, nil)), token, nil
	})
	return srv.Web, srv.Server, logs
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics handler: %d", rec.Code)
	}
	return rec.Body.String()
}

// TestMetricsLabelsBounded (item 2): invented methods and unknown paths
// add no series (method "other", route "unmatched"), and log lines carry
// them cut short.
func TestMetricsLabelsBounded(t *testing.T) {
	t.Parallel()
	h, ts, logs := metricsServer(t, "")
	before := len(scrape(t, h.MetricsHandler()))
	var methods []string
	for i := 0; i < 30; i++ {
		b := make([]byte, 1000)
		_, _ = rand.Read(b)
		method := "M" + strings.ToUpper(hex.EncodeToString(b)) // 2001 token characters
		methods = append(methods, method)
		for _, path := range []string{"/", "/login", "/no-such-route-" + method[:20], "/connect/" + method[:40]} {
			req, err := http.NewRequest(method, ts.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode < 400 || res.StatusCode >= 500 {
				t.Fatalf("%s %s: status %d, want 4xx", method[:8], path, res.StatusCode)
			}
		}
	}
	body := scrape(t, h.MetricsHandler())
	for _, m := range methods {
		if strings.Contains(body, m[:20]) {
			t.Fatalf("metrics contain the invented method %s…", m[:20])
		}
	}
	for _, want := range []string{`method="other"`, `route="unmatched"`, `route="/login"`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// 120 requests with distinct methods and paths add a handful of series.
	if grown := len(body) - before; grown > 20<<10 {
		t.Errorf("metrics grew by %d bytes for 120 invented requests", grown)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if len(line) > 1000 {
			t.Errorf("log line of %d bytes: %.200s", len(line), line)
		}
		if strings.Contains(line, `"request"`) && strings.Contains(line, "no-such-route") {
			t.Errorf("log line carries the raw path: %.200s", line)
		}
	}
	if !strings.Contains(logs.String(), `"route":"unmatched"`) {
		t.Errorf("no request logged as unmatched:\n%.500s", logs.String())
	}
}

// TestMetricsNotPublic (item 2): /metrics is not on the public port unless
// a token is configured, and then only with that bearer token.
func TestMetricsNotPublic(t *testing.T) {
	t.Parallel()
	t.Run("ByDefault404", func(t *testing.T) {
		_, ts, _ := metricsServer(t, "")
		res, body := testutil.Do(t, http.DefaultClient, "GET", ts.URL+"/metrics", nil)
		if res.StatusCode != http.StatusNotFound || strings.Contains(body, "http_requests_total") {
			t.Fatalf("/metrics on the public port: %d %.200q, want 404", res.StatusCode, body)
		}
	})
	t.Run("Token", func(t *testing.T) {
		const token = "0123456789abcdef0123456789abcdef"
		_, ts, _ := metricsServer(t, token)
		for _, tc := range []struct {
			name, auth string
			status     int
		}{
			{"Missing", "", http.StatusUnauthorized},
			{"Wrong", "Bearer " + strings.Repeat("x", len(token)), http.StatusUnauthorized},
			{"NotBearer", "Basic " + token, http.StatusUnauthorized},
			{"OK", "Bearer " + token, http.StatusOK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var hdr []string
				if tc.auth != "" {
					hdr = []string{"Authorization", tc.auth}
				}
				res, body := testutil.Do(t, http.DefaultClient, "GET", ts.URL+"/metrics", nil, hdr...)
				if res.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
				}
				if got := strings.Contains(body, "http_requests_total"); got != (tc.status == http.StatusOK) {
					t.Fatalf("metrics in the body: %v, want %v", got, tc.status == http.StatusOK)
				}
			})
		}
	})
}

// TestFormAction (item 10): every page's CSP limits forms to this site;
// the consent page adds its provider's origin, where the Start form's POST
// is redirected (Shopify: any *.myshopify.com store).
func TestFormAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shopify := e.svc.Sources().Get("shopify")
	shopify.ClientID, shopify.ClientSecret = "test-shopify-client", "test-shopify-secret"
	csp := func(t *testing.T, c *http.Client, path string) string {
		t.Helper()
		res, body := testutil.Do(t, c, "GET", e.srv.URL+path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%.300s", path, res.StatusCode, body)
		}
		return res.Header.Get("Content-Security-Policy")
	}
	tokenOf := func(l string) string { return l[strings.LastIndex(l, "/")+1:] }
	for _, tc := range []struct {
		name, as, path, want string
	}{
		{"Login", "", "/login", "form-action 'self'"},
		{"Links", "admin", e.expand("{links}"), "form-action 'self'"},
		{"ConsentGoogle", "", "/connect/" + tokenOf(e.generate(t, "admin", e.f.Reporting.ID, "google_ads").URL), "form-action 'self' https://accounts.google.com"},
		{"ConsentShopify", "", "/connect/" + tokenOf(e.generate(t, "admin", e.f.Reporting.ID, "shopify").URL), "form-action 'self' https://*.myshopify.com"},
		{"ConsentSandbox", "", "/connect/" + tokenOf(e.generate(t, "admin", e.f.Reporting.ID, "sandbox").URL), "form-action 'self' " + testutil.BaseURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := csp(t, e.client(t, tc.as), tc.path)
			directives := map[string]string{}
			for _, d := range strings.Split(got, ";") {
				d = strings.TrimSpace(d)
				name, _, _ := strings.Cut(d, " ")
				directives[name] = d
			}
			if directives["form-action"] != tc.want {
				t.Fatalf("form-action = %q, want %q (CSP %q)", directives["form-action"], tc.want, got)
			}
			if !strings.Contains(directives["script-src"], "'nonce-") || directives["frame-ancestors"] != "frame-ancestors 'none'" {
				t.Fatalf("the rest of the CSP changed: %q", got)
			}
		})
	}
	t.Run("ShopifyStartWithBadShop", func(t *testing.T) {
		token := tokenOf(e.generate(t, "admin", e.f.Reporting.ID, "shopify").URL)
		res, _ := testutil.Do(t, e.srv.Client(), "POST", e.srv.URL+"/connect/"+token+"/start", url.Values{"shop": {"not a shop"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.StatusCode)
		}
		if got := res.Header.Get("Content-Security-Policy"); !strings.Contains(got, "form-action 'self' https://*.myshopify.com") {
			t.Fatalf("the consent page shown again lacks the provider in form-action: %q", got)
		}
	})
}

// TestErrorPageKeepsLayout: an error page for a signed-in user is rendered
// in the request's live context, with the app's layout (the request
// deadline must not cancel it first).
func TestErrorPageKeepsLayout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, body := testutil.Do(t, e.client(t, "admin"), "GET", e.srv.URL+"/w/00000000-0000-4000-8000-000000000000/sources", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", res.StatusCode)
	}
	for _, want := range []string{`data-testid="error-message"`, `data-testid="logout"`, `data-testid="user-name"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the 404 page lacks %s", want)
		}
	}
}
