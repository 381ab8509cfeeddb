package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestWebhooksSettingsRules: a member is told that only admins manage
// webhooks (not "access links"), and a URL that already receives the
// workspace's events is refused with a field error, so no event is
// delivered twice.
func TestWebhooksSettingsRules(t *testing.T) {
	t.Parallel()
	svc, f := testutil.NewSeeded(t, nil)
	srv := testutil.NewServer(t, svc)
	base := srv.URL + "/w/" + f.Reporting.ID + "/settings/webhooks"

	t.Run("MemberForbiddenSaysWebhooks", func(t *testing.T) {
		res, body := testutil.Do(t, srv.Login(t, "member@test.example"), "GET", base, nil)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "can manage webhooks") || strings.Contains(body, "access links") {
			t.Errorf("member: %d, want 403 that says only admins manage webhooks:\n%s", res.StatusCode, excerpt(body))
		}
	})
	t.Run("ErrDuplicateURL", func(t *testing.T) {
		admin := srv.Login(t, "admin@test.example")
		form := url.Values{"url": {"http://127.0.0.1:9/hook"}}
		if res, body := testutil.Do(t, admin, "POST", base, form); res.StatusCode >= 400 {
			t.Fatalf("first create: %d\n%s", res.StatusCode, excerpt(body))
		}
		res, body := testutil.Do(t, admin, "POST", base, form)
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, "This URL already receives this workspace&#39;s events.") {
			t.Errorf("second create of the same URL: %d, want 409 with the url field's error:\n%s", res.StatusCode, excerpt(body))
		}
	})
}
