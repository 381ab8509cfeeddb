package web_test

// Disconnecting a connected account (issue 11, item 8): the manager gate,
// foreign and malformed IDs, the confirmation naming the account, and the
// account gone with its link's history kept.

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

func TestDisconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	mk := func(ws, ext, name string, linkID *string) models.ConnectedAccount {
		a := models.ConnectedAccount{
			ID: access.NewID(), WorkspaceID: ws, SourceKey: "google_ads", ExternalID: ext,
			DisplayName: name, Extra: "{}", LinkID: linkID, Status: "connected", CreatedAt: testNow, UpdatedAt: testNow,
		}
		if err := testutil.DBOf(e.svc).Create(&a).Error; err != nil {
			t.Fatal(err)
		}
		return a
	}
	acc := mk(e.f.Reporting.ID, "111-222-3333", "Client Ads Account", &link.ID)
	foreign := mk(e.f.Internal.ID, "999-888-7777", "Internal Ads Account", nil)
	e.set(t, link.ID, map[string]any{"used_at": testNow, "connected_account_id": acc.ID})
	e.vars["acc"], e.vars["foreign"], e.vars["link"] = acc.ID, foreign.ID, link.ID
	e.vars["disc"] = "/w/{reporting}/sources/accounts/{acc}/disconnect"

	stays := func(id string) func(t *testing.T, e *env, res *http.Response, body string) {
		return func(t *testing.T, e *env, res *http.Response, body string) {
			t.Helper()
			var n int64
			if err := testutil.DBOf(e.svc).Model(&models.ConnectedAccount{}).Where("id = ?", id).Count(&n).Error; err != nil || n != 1 {
				t.Errorf("account %s: %d rows, %v", id, n, err)
			}
		}
	}
	e.run(t, []scenario{
		{name: "Member/NoButton", as: "member", url: "/w/{reporting}/sources", status: http.StatusOK,
			testids: []string{"account-row"}, noTestid: []string{"account-disconnect"}},
		{name: "Member/Confirm", as: "member", url: "{disc}", status: http.StatusForbidden, check: stays(acc.ID)},
		{name: "Member/Disconnect", as: "member", method: "POST", url: "{disc}", form: url.Values{}, status: http.StatusForbidden, check: stays(acc.ID)},
		{name: "Viewer/Disconnect", as: "viewer", method: "POST", url: "{disc}", form: url.Values{}, status: http.StatusForbidden, check: stays(acc.ID)},
		{name: "OtherWorkspaceAdmin", as: "other", method: "POST", url: "{disc}", form: url.Values{}, status: http.StatusNotFound, check: stays(acc.ID)},
		{name: "ForeignAccount/Confirm", as: "admin", url: "/w/{reporting}/sources/accounts/{foreign}/disconnect", status: http.StatusNotFound},
		{name: "ForeignAccount/Disconnect", as: "admin", method: "POST", url: "/w/{reporting}/sources/accounts/{foreign}/disconnect",
			form: url.Values{}, status: http.StatusNotFound, check: stays(foreign.ID)},
		{name: "MalformedID", as: "admin", method: "POST", url: "/w/{reporting}/sources/accounts/not-an-id/disconnect",
			form: url.Values{}, status: http.StatusNotFound, check: stays(acc.ID)},
		{name: "Admin/Button", as: "admin", url: "/w/{reporting}/sources", status: http.StatusOK,
			testids: []string{"account-disconnect"}, contains: []string{`href="/w/{reporting}/sources/accounts/{acc}/disconnect"`}},
		{name: "Admin/Confirm", as: "admin", url: "{disc}", status: http.StatusOK,
			testids: []string{"disconnect-confirm"}, contains: []string{"Disconnect Client Ads Account?", `action="/w/{reporting}/sources/accounts/{acc}/disconnect"`},
			check: stays(acc.ID)},
		{name: "Admin/Disconnect", as: "admin", method: "POST", url: "{disc}", form: url.Values{},
			status: http.StatusSeeOther, location: "/w/{reporting}/sources",
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				var n int64
				db := testutil.DBOf(e.svc)
				if err := db.Model(&models.ConnectedAccount{}).Where("id = ?", acc.ID).Count(&n).Error; err != nil || n != 0 {
					t.Errorf("account still there: %d, %v", n, err)
				}
				if err := db.Model(&models.LinkEvent{}).Where("link_id = ? AND type = ?", link.ID, access.EventDisconnected).Count(&n).Error; err != nil || n != 1 {
					t.Errorf("%d disconnected events, %v", n, err)
				}
				stays(foreign.ID)(t, e, res, body)
			}},
		{name: "Admin/Flash", as: "admin", url: "/w/{reporting}/sources", status: http.StatusOK,
			testids: []string{"flash"}, contains: []string{"Client Ads Account disconnected."}, noTestid: []string{"account-row"}},
		{name: "Admin/HistoryKept", as: "admin", url: "/w/{reporting}/sources/access-requests/{link}", status: http.StatusOK,
			contains: []string{`data-type="disconnected"`, "Account disconnected", "Disconnected Client Ads Account"}},
		{name: "Admin/Again", as: "admin", method: "POST", url: "{disc}", form: url.Values{}, status: http.StatusNotFound},
	})
}
