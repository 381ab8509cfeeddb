package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/jobs"
)

// TestWebhooksPages: an admin adds an endpoint (the secret is shown once,
// never stored in the clear), sees its delivery log, resends and sends a
// test event (each queues one delivery job); editors and the Free plan are
// refused; another workspace's endpoint is not found.
func TestWebhooksPages(t *testing.T) {
	ctx := context.Background()
	gdb := testutil.OpenDB(t)
	engine, err := jobs.New(gdb, jobs.Options{}) // queues, runs nothing
	if err != nil {
		t.Fatal(err)
	}
	svc := testutil.NewService(t, gdb, nil, access.WithOutbox(engine))
	f := testutil.Seed(t, svc)
	srv := testutil.NewServer(t, svc)
	admin := srv.Login(t, "admin@test.example")
	base := srv.URL + "/w/" + f.Reporting.ID + "/settings/webhooks"
	deliveries := func() int64 {
		var n int64
		gdb.Raw("SELECT count(*) FROM river_job WHERE kind = ?", jobs.KindDelivery).Scan(&n)
		return n
	}

	res, body := testutil.Do(t, admin, "GET", base, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "No endpoint yet") {
		t.Fatalf("empty page: %d", res.StatusCode)
	}
	res, body = testutil.Do(t, admin, "POST", base, url.Values{"url": {"ftp://nope"}})
	if res.StatusCode != http.StatusUnprocessableEntity || len(testutil.ByTestID(testutil.ParseHTML(t, body), "endpoint-error")) != 1 {
		t.Errorf("invalid URL: %d", res.StatusCode)
	}
	// POST, redirect, GET: the new endpoint's page shows its secret to the
	// admin who made it, read from its sealed copy (no secret rides the
	// redirect or a session), and never caches.
	res, body = testutil.Do(t, admin, "POST", base, url.Values{"url": {"http://127.0.0.1:9/hook"}, "description": {"CRM"}, "events": {access.HookLinkUsed}})
	created := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(created, "/w/"+f.Reporting.ID+"/settings/webhooks/") || !strings.HasSuffix(created, "?created=1") || strings.Contains(created, "whsec_") {
		t.Fatalf("create: %d, Location %q; want 303 to the endpoint's page", res.StatusCode, created)
	}
	res, body = testutil.Do(t, admin, "GET", srv.URL+created, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("created page: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if res, body := testutil.Do(t, srv.Login(t, "owner@test.example"), "GET", srv.URL+created, nil); res.StatusCode != http.StatusOK || strings.Contains(body, "whsec_") {
		t.Errorf("another manager opening ?created=1: %d, secret shown %v; want the endpoint's page without it", res.StatusCode, strings.Contains(body, "whsec_"))
	}
	var secretShown string
	for _, n := range testutil.ByTestID(testutil.ParseHTML(t, body), "link-url") {
		secretShown = testutil.Attr(n, "value")
	}
	if !strings.HasPrefix(secretShown, "whsec_") {
		t.Fatalf("secret shown: %q", secretShown)
	}
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	eps, err := svc.ListWebhookEndpoints(ctx, m)
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints %v %v", eps, err)
	}
	ep := eps[0]
	var leaked int64
	gdb.Raw("SELECT count(*) FROM webhook_endpoints WHERE secret_sealed LIKE ?", "%"+strings.TrimPrefix(secretShown, "whsec_")+"%").Scan(&leaked)
	var inSessions int64
	gdb.Raw("SELECT count(*) FROM sessions WHERE flash LIKE '%whsec_%'").Scan(&inSessions)
	if leaked+inSessions != 0 {
		t.Error("the secret is stored in the clear")
	}
	_, body = testutil.Do(t, admin, "GET", base, nil)
	if rows := testutil.ByTestID(testutil.ParseHTML(t, body), "endpoint-row"); len(rows) != 1 || strings.Contains(body, secretShown) {
		t.Errorf("list: %d rows, secret shown again: %v", len(rows), strings.Contains(body, secretShown))
	}

	// A delivery in the log, then Resend and Send test event.
	l, err := svc.GenerateLink(ctx, m, access.Actor{UserID: f.Admin.ID}, "google_ads")
	if err != nil {
		t.Fatal(err)
	}
	ev := access.OutEvent{ID: access.NewMessageID(), Type: access.HookLinkUsed, WorkspaceID: f.Reporting.ID, LinkID: l.ID, Timestamp: time.Now(), Data: map[string]any{}}
	if _, err := svc.WebhookTargets(testutil.DBOf(svc), ev); err != nil {
		t.Fatal(err)
	}
	attempt := access.WebhookAttempt{EndpointID: ep.ID, MessageID: ev.ID, LinkID: &l.ID, Attempt: 1, StatusCode: 500, Excerpt: "boom", Error: "status 500"}
	if _, err := svc.RecordWebhookAttempt(ctx, attempt); err != nil {
		t.Fatal(err)
	}
	// The links list and the link's page say so.
	linkNote := func(path string) string {
		_, body := testutil.Do(t, admin, "GET", srv.LinksURL(f.Reporting.ID)+path, nil)
		for _, n := range testutil.ByTestID(testutil.ParseHTML(t, body), "link-webhook") {
			return testutil.TextOf(n)
		}
		return ""
	}
	if got := linkNote(""); got != "Webhook failing" {
		t.Errorf("links list says %q, want Webhook failing", got)
	}
	res, body = testutil.Do(t, admin, "GET", base+"/"+ep.ID, nil)
	doc := testutil.ParseHTML(t, body)
	if res.StatusCode != 200 || len(testutil.ByTestID(doc, "delivery-row")) != 1 || !strings.Contains(body, "link.used") {
		t.Fatalf("endpoint page: %d, log rows %d", res.StatusCode, len(testutil.ByTestID(doc, "delivery-row")))
	}
	attempt.Attempt, attempt.OK, attempt.StatusCode = 2, true, 200
	if _, err := svc.RecordWebhookAttempt(ctx, attempt); err != nil {
		t.Fatal(err)
	}
	if got := linkNote("/" + l.ID); got != "Webhook delivered" {
		t.Errorf("link page says %q, want Webhook delivered", got)
	}
	res, _ = testutil.Do(t, admin, "POST", base+"/"+ep.ID+"/deliveries/"+ev.ID+"/resend", nil)
	if res.StatusCode != http.StatusSeeOther || deliveries() != 1 {
		t.Errorf("resend: %d, %d delivery jobs", res.StatusCode, deliveries())
	}
	res, _ = testutil.Do(t, admin, "POST", base+"/"+ep.ID+"/test", nil)
	if res.StatusCode != http.StatusSeeOther || deliveries() != 2 {
		t.Errorf("test event: %d, %d delivery jobs", res.StatusCode, deliveries())
	}
	res, body = testutil.Do(t, admin, "POST", base+"/"+ep.ID+"/rotate", nil)
	if res.StatusCode != 200 || !strings.Contains(body, "whsec_") || strings.Contains(body, secretShown) {
		t.Errorf("rotate: %d", res.StatusCode)
	}

	for _, tc := range []struct {
		name, email, path string
		want              int
	}{
		{"EditorForbidden", "member@test.example", base, http.StatusForbidden},
		{"FreePlanForbidden", "free@test.example", srv.URL + "/w/" + f.Main.ID + "/settings/webhooks", http.StatusForbidden},
		{"OtherWorkspaceNotFound", "other@test.example", srv.URL + "/w/" + f.Internal.ID + "/settings/webhooks/" + ep.ID, http.StatusNotFound},
		{"UnknownActionNotFound", "admin@test.example", base + "/" + ep.ID + "/explode", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := srv.Login(t, tc.email)
			method := "GET"
			if strings.HasSuffix(tc.path, "/explode") {
				method = "POST"
			}
			if res, _ := testutil.Do(t, c, method, tc.path, nil); res.StatusCode != tc.want {
				t.Errorf("%s %s: %d, want %d", method, tc.path, res.StatusCode, tc.want)
			}
		})
	}
	res, _ = testutil.Do(t, admin, "POST", base+"/"+ep.ID+"/delete", nil)
	if eps, _ := svc.ListWebhookEndpoints(ctx, m); res.StatusCode != http.StatusSeeOther || len(eps) != 0 {
		t.Errorf("delete: %d, %d endpoints left", res.StatusCode, len(eps))
	}
}
