package access_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// insertAccounts stores connected accounts of ws directly (no tokens: the
// lists never read them), created one second apart from domainStart
// backwards, every fourth sharing its predecessor's time so that the
// cursor's ID tie-break matters. It returns their IDs, newest first.
func (e *domainEnv) insertAccounts(ws models.Workspace, rows []models.ConnectedAccount) []string {
	e.t.Helper()
	at := domainStart
	for i := range rows {
		if i%4 != 3 {
			at = domainStart.Add(-time.Duration(i) * time.Second)
		}
		r := &rows[i]
		r.ID, r.WorkspaceID, r.CreatedAt, r.UpdatedAt, r.Status = access.NewID(), ws.ID, at, at, "connected"
		if r.Extra == "" {
			r.Extra = "{}"
		}
	}
	if err := e.svc.DB().CreateInBatches(rows, 100).Error; err != nil {
		e.t.Fatal(err)
	}
	return newestFirst(rows, func(r models.ConnectedAccount) (time.Time, string) { return r.CreatedAt, r.ID })
}

// allPages walks every page of f with limit per page.
func (e *domainEnv) allPages(ws models.Workspace, f access.AccountFilter) (ids []string, pages int) {
	e.t.Helper()
	for {
		page, err := e.svc.AccountsPage(e.ctx, ws.ID, f)
		if err != nil {
			e.t.Fatalf("%+v: %v", f, err)
		}
		pages++
		for _, a := range page.Accounts {
			ids = append(ids, a.ID)
		}
		if page.NextCursor == "" || pages > 100 {
			return ids, pages
		}
		f.Cursor = page.NextCursor
	}
}

// TestAccountsSearch: one search box over the workspace's name, the
// provider's name, the external ID and the email, in any (ASCII) case,
// with wildcards taken literally; a source filter; keyset pages that keep
// the filter, with no account twice or missing; never another
// workspace's accounts.
func TestAccountsSearch(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	var rows []models.ConnectedAccount
	for i := range 23 {
		src := []string{"google_ads", "shopify", "xero"}[i%3]
		rows = append(rows, models.ConnectedAccount{SourceKey: src, ExternalID: fmt.Sprintf("ext-%03d", i),
			DisplayName: fmt.Sprintf("Provider %d", i), Email: fmt.Sprintf("owner%d@client%d.example", i, i%5)})
	}
	rows[4].LocalName = "Acme Bakery: Ads"
	rows[7].DisplayName = "ACME Holdings"
	rows[9].Email = "books@acme.example"
	rows[12].ExternalID = "acme-777"
	rows[15].LocalName = "100% organic"
	rows[16].DisplayName = "under_score"
	all := e.insertAccounts(e.f.Reporting, rows)
	foreign := e.insertAccounts(e.f.Internal, []models.ConnectedAccount{{SourceKey: "google_ads", ExternalID: "acme-foreign", DisplayName: "Acme elsewhere"}})

	idOf := func(i int) string { return rows[i].ID }
	for _, tc := range []struct {
		name string
		f    access.AccountFilter
		want []string // in list order
	}{
		{"ByEveryColumnAnyCase", access.AccountFilter{Query: "acme"}, []string{idOf(4), idOf(7), idOf(9), idOf(12)}},
		{"TrimmedAndUpperCase", access.AccountFilter{Query: "  ACME "}, []string{idOf(4), idOf(7), idOf(9), idOf(12)}},
		{"WithSource", access.AccountFilter{Query: "acme", Source: "shopify"}, []string{idOf(4), idOf(7)}},
		{"PercentIsLiteral", access.AccountFilter{Query: "100%"}, []string{idOf(15)}},
		{"UnderscoreIsLiteral", access.AccountFilter{Query: "r_s"}, []string{idOf(16)}},
		{"NoMatch", access.AccountFilter{Query: "zebra"}, nil},
		{"UnknownSource", access.AccountFilter{Source: "nope"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Limit = 2
			got, _ := e.allPages(e.f.Reporting, tc.f)
			want := slices.DeleteFunc(slices.Clone(all), func(id string) bool { return !slices.Contains(tc.want, id) })
			if !slices.Equal(got, want) {
				t.Errorf("%+v: %v, want %v", tc.f, got, want)
			}
			if slices.Contains(got, foreign[0]) {
				t.Errorf("another workspace's account listed")
			}
		})
	}
	t.Run("SourcePagesKeepTheFilter", func(t *testing.T) {
		got, pages := e.allPages(e.f.Reporting, access.AccountFilter{Source: "xero", Limit: 3})
		var want []string
		for _, id := range all {
			if i := slices.IndexFunc(rows, func(r models.ConnectedAccount) bool { return r.ID == id }); rows[i].SourceKey == "xero" {
				want = append(want, id)
			}
		}
		if !slices.Equal(got, want) || pages != (len(want)+2)/3 {
			t.Errorf("xero: %d pages %v, want %v", pages, got, want)
		}
	})
	t.Run("EveryPageOnceInOrder", func(t *testing.T) {
		for _, limit := range []int{1, 4, 7, 50} {
			got, pages := e.allPages(e.f.Reporting, access.AccountFilter{Limit: limit})
			if !slices.Equal(got, all) || pages != (len(all)+limit-1)/limit {
				t.Errorf("limit %d: %d pages, %d accounts, want %d in list order", limit, pages, len(got), len(all))
			}
		}
	})
	t.Run("CursorStaysRightAfterAnInsert", func(t *testing.T) {
		first, err := e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		// A new account connects between the two pages: the next page
		// goes on where the first stopped.
		e.insertAccounts(e.f.Reporting, []models.ConnectedAccount{{SourceKey: "xero", ExternalID: "late"}})
		next, err := e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Limit: 5, Cursor: first.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(next.Accounts) != 5 || next.Accounts[0].ID != all[5] {
			t.Errorf("second page starts with %v, want %s", next.Accounts, all[5])
		}
	})
	t.Run("ErrInvalidTooLong", func(t *testing.T) {
		_, err := e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Query: strings.Repeat("é", access.MaxAccountQuery+1)})
		if de := assertCode(t, err, access.EINVALID); de.Fields["q"] == "" {
			t.Errorf("no field message: %+v", de)
		}
		_, err = e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Source: strings.Repeat("x", 65)})
		assertCode(t, err, access.EINVALID)
		if _, err := e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Query: strings.Repeat("é", access.MaxAccountQuery)}); err != nil {
			t.Errorf("a query of exactly the maximum: %v", err)
		}
	})
	t.Run("ErrBadRequestForgedCursor", func(t *testing.T) {
		for _, c := range []string{"nope", "MTIzfG5vdC1hbi1pZA", "OTk5OTk5OTk5OTk5OTk5OTk5fDAxOTNhYmNk"} {
			_, err := e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Cursor: c})
			assertCode(t, err, access.EBADREQUEST)
		}
	})
}
