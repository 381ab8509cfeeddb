package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// TestRelabelLinkPage: "Edit label" on a link's page, a plain form: admins
// change the label (cleaned, at most 80 characters, else 422 with the
// reason and the form kept), the history says from what to what; members,
// other workspaces, deleted links and cross-site posts change nothing.
func TestRelabelLinkPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	foreign := e.generate(t, "other", e.f.Internal.ID, "google_ads")
	gone := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.set(t, gone.ID, map[string]any{"deleted_at": testNow})
	e.vars["link"], e.vars["foreign"], e.vars["gone"] = l.ID, foreign.ID, gone.ID
	e.vars["page"] = e.expand("{links}/{link}")
	e.vars["label"] = e.expand("{links}/{link}/label")
	labelOf := func(id, want string) func(t *testing.T, e *env, res *http.Response, body string) {
		return func(t *testing.T, e *env, res *http.Response, body string) {
			t.Helper()
			var got models.AccessLink
			if err := testutil.DBOf(e.svc).Where("id = ?", id).Take(&got).Error; err != nil || got.Label != want {
				t.Errorf("label %q, want %q (%v)", got.Label, want, err)
			}
		}
	}
	labelled := func(v string) url.Values { return url.Values{"label": {v}} }
	e.run(t, []scenario{
		{name: "Admin/Form", as: "admin", url: "{page}", status: http.StatusOK, testids: []string{"label-form", "label-input"},
			contains: []string{`action="/w/{reporting}/sources/access-requests/{link}/label"`, "Edit label", "Save label"}},
		{name: "DeletedHasNoForm", as: "admin", url: "{links}/{gone}", status: http.StatusOK, noTestid: []string{"label-form"}},
		{name: "Member", as: "member", method: "POST", url: "{label}", form: labelled("Mine"), status: http.StatusForbidden, check: labelOf(l.ID, "")},
		{name: "Viewer", as: "viewer", method: "POST", url: "{label}", form: labelled("Mine"), status: http.StatusForbidden, check: labelOf(l.ID, "")},
		{name: "OtherWorkspaceAdmin", as: "other", method: "POST", url: "{label}", form: labelled("Mine"), status: http.StatusNotFound, check: labelOf(l.ID, "")},
		{name: "ForeignLink", as: "admin", method: "POST", url: "{links}/{foreign}/label", form: labelled("Mine"), status: http.StatusNotFound,
			check: labelOf(foreign.ID, "")},
		{name: "DeletedLink", as: "admin", method: "POST", url: "{links}/{gone}/label", form: labelled("Mine"), status: http.StatusNotFound,
			check: labelOf(gone.ID, "")},
		{name: "MalformedID", as: "admin", method: "POST", url: "{links}/not-an-id/label", form: labelled("Mine"), status: http.StatusNotFound},
		{name: "CrossSite", as: "admin", method: "POST", url: "{label}", form: labelled("Mine"), header: []string{"Sec-Fetch-Site", "cross-site"},
			status: http.StatusForbidden, check: labelOf(l.ID, "")},
		{name: "ErrTooLong", as: "admin", method: "POST", url: "{label}", form: labelled(strings.Repeat("n", 81)), status: http.StatusUnprocessableEntity,
			testids: []string{"label-error", "label-form", "link-status"}, contains: []string{"At most 80 characters.", `aria-invalid="true"`, `value="` + strings.Repeat("n", 81) + `"`},
			check: labelOf(l.ID, "")},
		{name: "Admin/Save", as: "admin", method: "POST", url: "{label}", form: labelled("  Acme\u202e Bakery  "), status: http.StatusSeeOther,
			location: "{page}", check: labelOf(l.ID, "Acme Bakery")},
		{name: "Admin/Flash", as: "admin", url: "{page}", status: http.StatusOK, testids: []string{"flash", "link-label"},
			contains: []string{"Label saved: Acme Bakery.", `value="Acme Bakery"`, `data-type="relabeled"`, "Label changed", "Labelled “Acme Bakery”.", "Adam Admin"}},
		{name: "ListShowsIt", as: "admin", url: "{links}?q=bakery", status: http.StatusOK, contains: []string{"Acme Bakery"}},
		{name: "Admin/Change", as: "admin", method: "POST", url: "{label}", form: labelled("Acme Bread"), status: http.StatusSeeOther, check: labelOf(l.ID, "Acme Bread")},
		{name: "HistorySaysFromWhat", as: "admin", url: "{page}", status: http.StatusOK, contains: []string{"Relabelled “Acme Bakery” to “Acme Bread”."}},
		{name: "Admin/Remove", as: "admin", method: "POST", url: "{label}", form: labelled(""), status: http.StatusSeeOther, check: labelOf(l.ID, "")},
		{name: "Admin/Removed", as: "admin", url: "{page}", status: http.StatusOK, noTestid: []string{"link-label"},
			contains: []string{"The link has no label now.", "Removed the label “Acme Bread”."}},
	})
}
