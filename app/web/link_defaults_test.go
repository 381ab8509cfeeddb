package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// TestLinkDefaultsPage: owners set the organization's default link
// lifetime on Settings → Link defaults (a plain form); the generate
// dialog then preselects it and a link made without a choice gets it.
// Admins and members see no menu item and are refused (403) on both
// methods; a choice outside 1, 3, 7, 14, 30 is refused with the reason.
func TestLinkDefaultsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["defaults"] = e.expand("/w/{reporting}/settings/link-defaults")
	days := func(v string) url.Values { return url.Values{"default_link_days": {v}} }
	stored := func(want int) func(t *testing.T, e *env, res *http.Response, body string) {
		return func(t *testing.T, e *env, res *http.Response, body string) {
			t.Helper()
			var org models.Organization
			if err := testutil.DBOf(e.svc).Where("id = ?", e.f.Agency.ID).Take(&org).Error; err != nil || org.DefaultLinkDays != want {
				t.Errorf("default_link_days %d, want %d (%v)", org.DefaultLinkDays, want, err)
			}
		}
	}
	e.run(t, []scenario{
		{name: "Owner/Menu", as: "owner", url: "{links}", status: http.StatusOK, contains: []string{`href="{defaults}"`, "Link defaults"}},
		{name: "Admin/NoMenu", as: "admin", url: "{links}", status: http.StatusOK, absent: []string{"/settings/link-defaults"}},
		{name: "Owner/Page", as: "owner", url: "{defaults}", status: http.StatusOK, testids: []string{"link-defaults-form", "default-link-days"},
			contains: []string{`<option value="7" selected>7 days</option>`, "Now: 7 days."}, noTestid: []string{"link-defaults-history"}},
		{name: "Admin/Page", as: "admin", url: "{defaults}", status: http.StatusForbidden,
			contains: []string{"Only owners of Acme Agency can change how long its links last by default."}},
		{name: "Member/Page", as: "member", url: "{defaults}", status: http.StatusForbidden},
		{name: "Admin/Save", as: "admin", method: "POST", url: "{defaults}", form: days("14"), status: http.StatusForbidden, check: stored(7)},
		{name: "Member/Save", as: "member", method: "POST", url: "{defaults}", form: days("14"), status: http.StatusForbidden, check: stored(7)},
		{name: "Owner/CrossSite", as: "owner", method: "POST", url: "{defaults}", form: days("14"), header: []string{"Sec-Fetch-Site", "cross-site"},
			status: http.StatusForbidden, check: stored(7)},
		{name: "Owner/ErrNotAChoice", as: "owner", method: "POST", url: "{defaults}", form: days("8"), status: http.StatusUnprocessableEntity,
			testids: []string{"link-defaults-error"}, contains: []string{"Choose 1, 3, 7, 14 or 30 days."}, check: stored(7)},
		{name: "Owner/ErrNotANumber", as: "owner", method: "POST", url: "{defaults}", form: days("two weeks"), status: http.StatusUnprocessableEntity,
			testids: []string{"link-defaults-error"}, check: stored(7)},
		{name: "Owner/Save", as: "owner", method: "POST", url: "{defaults}", form: days("14"), status: http.StatusSeeOther, location: "{defaults}", check: stored(14)},
		{name: "Owner/Saved", as: "owner", url: "{defaults}", status: http.StatusOK, testids: []string{"flash", "link-defaults-history"},
			contains: []string{"New links now last 14 days unless their creator picks another time.", `<option value="14" selected>14 days</option>`,
				"Olivia Owner changed the default lifetime from 7 to 14 days"}},
		{name: "Admin/DialogPreselects", as: "admin", url: "{links}/new", status: http.StatusOK,
			contains: []string{`<option value="14" selected>14 days</option>`}, absent: []string{`<option value="7" selected>`}},
		{name: "Admin/GenerateWithoutChoice", as: "admin", method: "POST", url: "{links}", form: url.Values{"source": {"google_ads"}}, status: http.StatusSeeOther,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				var l models.AccessLink
				if err := testutil.DBOf(e.svc).Where("workspace_id = ?", e.f.Reporting.ID).Order("created_at DESC").Take(&l).Error; err != nil {
					t.Fatal(err)
				}
				if got := l.ExpiresAt.Sub(l.CreatedAt); got != 14*24*time.Hour {
					t.Errorf("a link made without a choice lives %v, want the organization's 14 days", got)
				}
			}},
		{name: "BrandingHistoryLeavesItOut", as: "owner", url: "/w/{reporting}/settings/branding", status: http.StatusOK, absent: []string{"default lifetime"}},
	})
}
