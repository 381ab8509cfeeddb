package web_test

// The connected accounts page's search, source filter and keyset pages, an
// account's details page and renaming it (issue 11, items 9 and 10).

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

func TestAccountsSearchAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var rows []models.ConnectedAccount
	for i := range access.PageSize + 5 {
		at := testNow.Add(-time.Duration(i) * time.Minute)
		rows = append(rows, models.ConnectedAccount{ID: access.NewID(), WorkspaceID: e.f.Reporting.ID,
			SourceKey: []string{"google_ads", "xero"}[i%2], ExternalID: fmt.Sprintf("ext-%03d", i),
			DisplayName: fmt.Sprintf("Client %03d", i), Extra: "{}", Status: "connected", CreatedAt: at, UpdatedAt: at})
	}
	rows[3].LocalName = "Acme Bakery"
	rows[10].Email = "books@acme.example"
	rows[11].ExternalID = "ACME-42"
	foreign := models.ConnectedAccount{ID: access.NewID(), WorkspaceID: e.f.Internal.ID, SourceKey: "google_ads", ExternalID: "acme-x",
		DisplayName: "Acme elsewhere", Extra: "{}", Status: "connected", CreatedAt: testNow, UpdatedAt: testNow}
	if err := testutil.DBOf(e.svc).Create(append(rows, foreign)).Error; err != nil {
		t.Fatal(err)
	}
	first, err := e.svc.AccountsPage(t.Context(), e.f.Reporting.ID, access.AccountFilter{})
	if err != nil {
		t.Fatal(err)
	}
	e.vars["next"] = url.QueryEscape(first.NextCursor)
	rowCount := func(want int) func(t *testing.T, e *env, res *http.Response, body string) {
		return func(t *testing.T, e *env, res *http.Response, body string) {
			t.Helper()
			if n := strings.Count(body, `data-testid="account-row"`); n != want {
				t.Errorf("%d account rows, want %d", n, want)
			}
		}
	}
	e.run(t, []scenario{
		{name: "FirstPageWithLoadMore", as: "member", url: "/w/{reporting}/sources", status: http.StatusOK,
			testids: []string{"accounts-search", "load-more"}, contains: []string{"Client 000", "?cursor={next}"},
			absent: []string{"Client 050"}, check: rowCount(access.PageSize)},
		{name: "NextPage", as: "member", url: "/w/{reporting}/sources?cursor={next}", status: http.StatusOK,
			contains: []string{"Client 050", "Client 054"}, noTestid: []string{"load-more"}, check: rowCount(5)},
		{name: "NextPageRowsFragment", as: "member", url: "/w/{reporting}/sources?cursor={next}&fragment=rows", header: []string{"HX-Request", "true"},
			status: http.StatusOK, contains: []string{"Client 050"}, absent: []string{"<html", "accounts-search"}, check: rowCount(5)},
		{name: "SearchEveryColumn", as: "member", url: "/w/{reporting}/sources?q=ACME", status: http.StatusOK,
			contains: []string{"Acme Bakery", "Client 010", "Client 011", `value="ACME"`}, absent: []string{"Acme elsewhere", "Client 000"},
			testids: []string{"accounts-clear"}, noTestid: []string{"load-more"}, check: rowCount(3)},
		{name: "SearchAndSource", as: "member", url: "/w/{reporting}/sources?q=acme&source=xero", status: http.StatusOK,
			contains: []string{"Acme Bakery", "Client 011", `<option value="xero" selected`}, check: rowCount(2)},
		{name: "SourcePagesKeepTheFilter", as: "member", url: "/w/{reporting}/sources?source=google_ads", status: http.StatusOK,
			noTestid: []string{"load-more"}, absent: []string{"Client 001"}, check: rowCount(28)},
		{name: "NoMatch", as: "member", url: "/w/{reporting}/sources?q=zebra", status: http.StatusOK,
			testids: []string{"accounts-no-match", "accounts-search"}, noTestid: []string{"accounts-empty"}, check: rowCount(0)},
		{name: "ErrSearchTooLong", as: "member", url: "/w/{reporting}/sources?q=" + strings.Repeat("a", 101), status: http.StatusUnprocessableEntity,
			testids: []string{"accounts-q-error"}, contains: []string{"at most 100 characters"}, check: rowCount(0)},
		{name: "ErrSourceNotAKey", as: "member", url: "/w/{reporting}/sources?source=%ff", status: http.StatusUnprocessableEntity,
			contains: []string{"Unknown source."}, check: rowCount(0)},
		{name: "ErrForgedCursor", as: "member", url: "/w/{reporting}/sources?cursor=nope", status: http.StatusBadRequest},
		{name: "OtherWorkspaceEmpty", as: "other", url: "/w/{internal}/sources?q=acme", status: http.StatusOK,
			contains: []string{"Acme elsewhere"}, absent: []string{"Acme Bakery"}, check: rowCount(1)},
	})
}

func TestAccountDetailAndRename(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	refreshed := testNow.Add(-time.Hour)
	acc := models.ConnectedAccount{ID: access.NewID(), WorkspaceID: e.f.Reporting.ID, SourceKey: "google_ads", ExternalID: "111-222-3333",
		DisplayName: "Client Ads Account", Email: "ads@client.example", Scopes: "openid https://www.googleapis.com/auth/adwords",
		Extra: `{"customer_id":"123-456"}`, LinkID: &link.ID, Status: "connected", CreatedAt: testNow, UpdatedAt: testNow, RefreshedAt: &refreshed}
	foreign := models.ConnectedAccount{ID: access.NewID(), WorkspaceID: e.f.Internal.ID, SourceKey: "google_ads", ExternalID: "999",
		DisplayName: "Internal", Extra: "{}", Status: "connected", CreatedAt: testNow, UpdatedAt: testNow}
	if err := testutil.DBOf(e.svc).Create([]models.ConnectedAccount{acc, foreign}).Error; err != nil {
		t.Fatal(err)
	}
	e.set(t, link.ID, map[string]any{"used_at": testNow, "connected_account_id": acc.ID})
	e.vars["acc"], e.vars["foreign"], e.vars["link"] = acc.ID, foreign.ID, link.ID
	e.vars["page"] = "/w/{reporting}/sources/accounts/{acc}"
	e.vars["rename"] = "/w/{reporting}/sources/accounts/{acc}/rename"
	localName := func(want string) func(t *testing.T, e *env, res *http.Response, body string) {
		return func(t *testing.T, e *env, res *http.Response, body string) {
			t.Helper()
			var got models.ConnectedAccount
			if err := testutil.DBOf(e.svc).Where("id = ?", acc.ID).Take(&got).Error; err != nil || got.LocalName != want {
				t.Errorf("local_name %q, want %q (%v)", got.LocalName, want, err)
			}
		}
	}
	named := func(v string) url.Values { return url.Values{"display_name": {v}} }
	e.run(t, []scenario{
		{name: "RowLinksToDetails", as: "member", url: "/w/{reporting}/sources", status: http.StatusOK,
			contains: []string{`href="/w/{reporting}/sources/accounts/{acc}"`}},
		{name: "Member/Details", as: "member", url: "{page}", status: http.StatusOK,
			testids: []string{"account-scopes", "account-provider", "account-refreshed"}, noTestid: []string{"rename-form", "account-disconnect", "account-link-history"},
			contains: []string{"See and change your Google Ads accounts", "Know who you are", "Read &amp; write", "111-222-3333",
				"Google Ads", "customer_id", "123-456", "ads@client.example", "an access link by Adam Admin", refreshed.Format(time.RFC3339)}},
		{name: "Admin/Details", as: "admin", url: "{page}", status: http.StatusOK,
			testids:  []string{"rename-form", "account-disconnect", "account-link-history"},
			contains: []string{`href="/w/{reporting}/sources/access-requests/{link}"`, `action="/w/{reporting}/sources/accounts/{acc}/rename"`}},
		{name: "ForeignDetails", as: "admin", url: "/w/{reporting}/sources/accounts/{foreign}", status: http.StatusNotFound},
		{name: "MalformedDetails", as: "admin", url: "/w/{reporting}/sources/accounts/not-an-id", status: http.StatusNotFound},
		{name: "Member/Rename", as: "member", method: "POST", url: "{rename}", form: named("Mine"), status: http.StatusForbidden, check: localName("")},
		{name: "Viewer/Rename", as: "viewer", method: "POST", url: "{rename}", form: named("Mine"), status: http.StatusForbidden, check: localName("")},
		{name: "OtherWorkspaceAdmin", as: "other", method: "POST", url: "{rename}", form: named("Mine"), status: http.StatusNotFound, check: localName("")},
		{name: "ForeignRename", as: "admin", method: "POST", url: "/w/{reporting}/sources/accounts/{foreign}/rename", form: named("Mine"), status: http.StatusNotFound},
		{name: "ErrTooLong", as: "admin", method: "POST", url: "{rename}", form: named(strings.Repeat("n", 81)), status: http.StatusUnprocessableEntity,
			testids: []string{"rename-error", "account-scopes"}, contains: []string{"Use at most 80 characters.", `aria-invalid="true"`}, check: localName("")},
		{name: "Admin/Rename", as: "admin", method: "POST", url: "{rename}", form: named("  Acme\u202e Bakery  "), status: http.StatusSeeOther,
			location: "{page}", check: localName("Acme Bakery")},
		{name: "Admin/Flash", as: "admin", url: "{page}", status: http.StatusOK, testids: []string{"flash"},
			contains: []string{"Renamed to Acme Bakery.", `value="Acme Bakery"`, "at the provider: Client Ads Account"}},
		{name: "ListShowsTheName", as: "member", url: "/w/{reporting}/sources?q=bakery", status: http.StatusOK, contains: []string{"Acme Bakery"}},
		{name: "HistoryRecordsIt", as: "admin", url: "/w/{reporting}/sources/access-requests/{link}", status: http.StatusOK,
			contains: []string{`data-type="account_renamed"`, "Account renamed", "“Acme Bakery”", "Adam Admin"}},
		{name: "Admin/BackToTheProvidersName", as: "admin", method: "POST", url: "{rename}", form: named(""), status: http.StatusSeeOther, check: localName("")},
	})
}
