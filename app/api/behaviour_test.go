package api_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/api/client"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/web"
	"github.com/accessrequests/accessrequests/models"
	"golang.org/x/net/html"
)

func ptr[T any](v T) *T { return &v }

// TestIdempotencyKey: a POST with an Idempotency-Key is done once; the same
// key and body answer the first answer again, another body 422, and
// concurrent duplicates make one link, the others answering the first
// answer or 409.
func TestIdempotencyKey(t *testing.T) {
	e, c := parallelAPIClient(t)
	body := client.CreateLinkJSONRequestBody{Source: "sandbox"}
	count := func(t *testing.T) int {
		t.Helper()
		r := must(c.ListLinksWithResponse(e.ctx, nil))
		return len(r.JSON200.Data)
	}

	first := must(c.CreateLinkWithResponse(e.ctx, &client.CreateLinkParams{IdempotencyKey: ptr("order-1")}, body))
	again := must(c.CreateLinkWithResponse(e.ctx, &client.CreateLinkParams{IdempotencyKey: ptr("order-1")}, body))
	t.Run("Replayed", func(t *testing.T) {
		if first.StatusCode() != 201 || again.StatusCode() != 201 || !bytes.Equal(first.Body, again.Body) ||
			again.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" || again.HTTPResponse.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("first %d %s\nagain %d %s (replayed %q)", first.StatusCode(), first.Body, again.StatusCode(), again.Body, again.HTTPResponse.Header.Get("Idempotent-Replayed"))
		}
		if n := count(t); n != 1 {
			t.Errorf("%d links, want 1", n)
		}
	})
	t.Run("ErrOtherBody", func(t *testing.T) {
		r := must(c.CreateLinkWithResponse(e.ctx, &client.CreateLinkParams{IdempotencyKey: ptr("order-1")}, client.CreateLinkJSONRequestBody{Source: "google_ads"}))
		if r.StatusCode() != 422 || problem(t, r.HTTPResponse, r.Body).Code != "idempotency_key_reused" {
			t.Errorf("%d %s, want 422 idempotency_key_reused", r.StatusCode(), r.Body)
		}
	})
	t.Run("ConcurrentDuplicates", func(t *testing.T) {
		before := count(t)
		var created, replayed, conflicts atomic.Int32
		testutil.Concurrently(10, func(int) {
			r, err := c.CreateLinkWithResponse(e.ctx, &client.CreateLinkParams{IdempotencyKey: ptr("order-2")}, body)
			switch {
			case err != nil:
				t.Error(err)
			case r.StatusCode() == 201 && r.HTTPResponse.Header.Get("Idempotent-Replayed") == "true":
				replayed.Add(1)
			case r.StatusCode() == 201:
				created.Add(1)
			case r.StatusCode() == 409 && problem(t, r.HTTPResponse, r.Body).Code == "idempotency_in_progress":
				conflicts.Add(1)
			default:
				t.Errorf("%d %s", r.StatusCode(), r.Body)
			}
		})
		if created.Load() != 1 || count(t) != before+1 {
			t.Errorf("%d created (%d replayed, %d in progress), %d new links; want 1", created.Load(), replayed.Load(), conflicts.Load(), count(t)-before)
		}
	})
	t.Run("FailedRequestNotStored", func(t *testing.T) {
		bad := client.CreateLinkJSONRequestBody{Source: "no_such_source"}
		for range 2 {
			r := must(c.CreateLinkWithResponse(e.ctx, &client.CreateLinkParams{IdempotencyKey: ptr("order-3")}, bad))
			if r.StatusCode() != 422 || problem(t, r.HTTPResponse, r.Body).Code != "invalid" {
				t.Fatalf("%d %s, want the invalid problem each time", r.StatusCode(), r.Body)
			}
		}
	})
}

// TestRateLimit: past its limit a key gets 429 with Retry-After; another
// key is not affected.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, testutil.FlowOptions{})
	srv := testutil.NewServer(t, e.Svc, func(o *web.Options) { o.APIRateLimit = 3 })
	get := func(key string) (*http.Response, []byte) {
		return rawAt(t, srv.URL, key, http.MethodGet, "/sources", "")
	}
	for i := range 3 {
		if res, _ := get(e.valid); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	res, body := get(e.valid)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || problem(t, res, body).Code != "rate_limited" {
		t.Errorf("4th request: %d, Retry-After %q\n%s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	if res, _ := get(e.other); res.StatusCode != 200 {
		t.Errorf("another key: %d, want 200", res.StatusCode)
	}
}

// TestListsAndInput: keyset pages, filters, and bad input answered with
// the right problem, never a 500.
func TestListsAndInput(t *testing.T) {
	e, c := parallelAPIClient(t)
	var made []string
	for range 5 {
		r := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox"}))
		made = append(made, r.JSON201.Id)
		e.Clock.Advance(time.Second)
	}
	if r := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "google_ads"})); r.StatusCode() != 201 {
		t.Fatalf("google_ads link: %d %s", r.StatusCode(), r.Body)
	}

	t.Run("KeysetPagesNewestFirst", func(t *testing.T) {
		got := allLinkPages(t, e, c, &client.ListLinksParams{Source: ptr("sandbox"), Limit: ptr(int64(2))})
		want := []string{made[4], made[3], made[2], made[1], made[0]}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("pages %v, want %v", got, want)
		}
	})
	t.Run("SearchAndSortByExpiry", func(t *testing.T) {
		got := allLinkPages(t, e, c, &client.ListLinksParams{Q: ptr("SANDBOX"), Sort: ptr(client.Expires), Limit: ptr(int64(2))})
		// Every link lives 7 days: soonest expiry is oldest first.
		want := []string{made[0], made[1], made[2], made[3], made[4]}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("pages %v, want %v", got, want)
		}
	})
	t.Run("StatusFilter", func(t *testing.T) {
		r := must(c.ListLinksWithResponse(e.ctx, &client.ListLinksParams{Status: ptr(client.ListLinksParamsStatusUsed)}))
		if r.JSON200 == nil || len(r.JSON200.Data) != 0 {
			t.Errorf("used links: %s", r.Body)
		}
	})
	for _, tc := range []struct {
		name, path, code string
		status           int
	}{
		{"ErrCursor", "/links?cursor=bm90LWEtY3Vyc29y", "bad_request", 400},
		{"ErrLimitZero", "/links?limit=0", "invalid", 422},
		{"ErrLimitTooLarge", "/accounts?limit=51", "invalid", 422},
		{"ErrLimitNotNumber", "/links?limit=ten", "invalid", 422},
		{"ErrStatus", "/links?status=deleted", "invalid", 422},
		{"ErrSort", "/links?sort=name", "invalid", 422},
		{"ErrSearchTooLong", "/links?q=" + strings.Repeat("a", 101), "invalid", 422},
		{"ErrSearchNotText", "/links?q=a%00b", "bad_request", 400},
		{"ErrCursorOfOtherSort", "/links?sort=expires&cursor=MTc3MjM1OTIwMDAwMDAwMHwwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDA", "bad_request", 400},
		{"ErrUnknownRoute", "/nothing/here", "not_found", 404},
		{"ErrMalformedID", "/links/not-an-id", "not_found", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.raw(t, http.MethodGet, tc.path, "")
			if res.StatusCode != tc.status || problem(t, res, body).Code != tc.code {
				t.Errorf("%d %s, want %d %s", res.StatusCode, body, tc.status, tc.code)
			}
		})
	}
	for _, tc := range []struct{ name, body, code string }{
		{"ErrUnknownField", `{"source":"sandbox","admin":true}`, "invalid"},
		{"ErrNoSource", `{}`, "invalid"},
		{"ErrMalformedJSON", `{"source":`, "bad_request"},
		{"ErrTooLarge", `{"source":"` + strings.Repeat("a", 9000) + `"}`, "too_large"},
		{"ErrExpiresInZeroHours", `{"source":"sandbox","expires_in_hours":0.5}`, "invalid"},
		{"ErrExpiresInTooLong", `{"source":"sandbox","expires_in_hours":721}`, "invalid"},
		{"ErrExpiresInNegative", `{"source":"sandbox","expires_in_hours":-1}`, "invalid"},
		{"ErrLabelTooLong", `{"source":"sandbox","label":"` + strings.Repeat("é", 81) + `"}`, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.raw(t, http.MethodPost, "/links", tc.body)
			if res.StatusCode >= 500 || problem(t, res, body).Code != tc.code {
				t.Errorf("%d %s, want a %s problem", res.StatusCode, body, tc.code)
			}
		})
	}
}

// TestReference: the OpenAPI documents are served as committed, and the
// reference page works under the CSP: no inline script, every operation
// and problem on it.
func TestReference(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, testutil.FlowOptions{})
	fetch := func(path string) (*http.Response, []byte) {
		res, err := http.Get(e.AppURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	for path, file := range map[string]string{"/api/v1/openapi.json": "client/openapi.json", "/api/v1/openapi-3.0.json": "client/openapi-3.0.json"} {
		res, body := fetch(path)
		want, _ := os.ReadFile(file)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || !bytes.Equal(body, want) {
			t.Errorf("%s: %d %q, same as %s: %v", path, res.StatusCode, res.Header.Get("Content-Type"), file, bytes.Equal(body, want))
		}
	}
	res, body := fetch("/api/v1/docs")
	page := string(body)
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != 200 || !strings.Contains(csp, "script-src 'self' 'nonce-") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("docs: %d, CSP %q", res.StatusCode, csp)
	}
	doc := testutil.ParseHTML(t, page)
	for _, s := range testutil.FindAll(doc, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "script" }) {
		if testutil.Attr(s, "src") == "" || testutil.TextOf(s) != "" {
			t.Errorf("inline script on the reference page")
		}
	}
	if strings.Contains(page, "cdn") || strings.Contains(page, "https://") {
		t.Error("the reference page loads something from another site")
	}
	ops := testutil.ByTestID(doc, "api-operation")
	for _, id := range []string{"listSources", "createLink", "listLinks", "getLink", "relabelLink", "deleteLink", "renewLink", "listLinkEvents", "listAccounts", "getAccount", "renameAccount", "getAccountToken",
		"disconnectAccount", "createReconnectLink", "createWebhook", "listWebhooks", "getWebhook", "deleteWebhook"} {
		if !strings.Contains(page, `id="op-`+id+`"`) {
			t.Errorf("operation %s missing from the reference", id)
		}
	}
	if len(ops) != 18 {
		t.Errorf("%d operations on the page, want 18", len(ops))
	}
	for _, code := range []string{"unauthorized", "not_found", "needs_reconnect", "idempotency_key_reused", "rate_limited"} {
		if !strings.Contains(page, `id="problem-`+code+`"`) {
			t.Errorf("problem %s missing from the reference", code)
		}
	}
}

// TestPlanGate: a key of an organization whose plan no longer includes
// links is refused with the forbidden problem, on every request.
func TestPlanGate(t *testing.T) {
	e, c := parallelAPIClient(t)
	if r := must(c.ListLinksWithResponse(e.ctx, nil)); r.StatusCode() != 200 {
		t.Fatalf("before: %d", r.StatusCode())
	}
	if err := e.DB.Model(&models.Organization{}).Where("id = ?", e.F.Agency.ID).Update("plan", models.PlanFree).Error; err != nil {
		t.Fatal(err)
	}
	r := must(c.ListLinksWithResponse(e.ctx, nil))
	if r.StatusCode() != 403 || problem(t, r.HTTPResponse, r.Body).Code != "forbidden" {
		t.Errorf("on the Free plan: %d %s, want 403 forbidden", r.StatusCode(), r.Body)
	}
}

// allLinkPages follows listLinks' cursors from params to the last page (at
// most four pages) and returns the links' IDs in the order served.
func allLinkPages(t *testing.T, e *apiEnv, c *client.ClientWithResponses, params *client.ListLinksParams) []string {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		r := must(c.ListLinksWithResponse(e.ctx, params))
		if r.JSON200 == nil || pages > 3 {
			t.Fatalf("page %d: %d %s", pages, r.StatusCode(), r.Body)
		}
		got = append(got, testutil.Map(r.JSON200.Data, linkID)...)
		if r.JSON200.NextCursor == "" {
			return got
		}
		params.Cursor = ptr(r.JSON200.NextCursor)
	}
}
