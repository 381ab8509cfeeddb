package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/api/client"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// TestAccountsSearchAndRename: GET /accounts narrows by q (names, external
// ID, email, any case) and source, in keyset pages that keep the filter;
// PATCH /accounts/{id} sets display_name, cleaned, refusing a name too long
// (422) and another workspace's account (404).
func TestAccountsSearchAndRename(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, testutil.FlowOptions{})
	now := e.Clock.Now()
	var rows []models.ConnectedAccount
	for i := range 7 {
		rows = append(rows, models.ConnectedAccount{ID: access.NewID(), WorkspaceID: e.F.Reporting.ID, SourceKey: []string{"google_ads", "xero"}[i%2],
			ExternalID: fmt.Sprintf("ext-%d", i), DisplayName: fmt.Sprintf("Client %d", i), Extra: "{}", Status: "connected",
			CreatedAt: now.Add(-time.Duration(i) * time.Minute), UpdatedAt: now})
	}
	rows[1].Email, rows[2].DisplayName, rows[5].ExternalID = "books@ACME.example", "Acme Ads", "acme-5"
	foreign := models.ConnectedAccount{ID: access.NewID(), WorkspaceID: e.F.Internal.ID, SourceKey: "xero", ExternalID: "acme-f",
		Extra: "{}", Status: "connected", CreatedAt: now, UpdatedAt: now}
	if err := e.DB.Create(append(rows, foreign)).Error; err != nil {
		t.Fatal(err)
	}
	c := e.client(t, e.valid)
	list := func(t *testing.T, p client.ListAccountsParams) []string {
		t.Helper()
		var ids []string
		p.Limit = ptr(int64(2))
		for range 10 {
			r := must(c.ListAccountsWithResponse(e.ctx, &p))
			if r.JSON200 == nil {
				t.Fatalf("list %d %s", r.StatusCode(), r.Body)
			}
			for _, a := range r.JSON200.Data {
				ids = append(ids, a.Id)
			}
			if r.JSON200.NextCursor == "" {
				return ids
			}
			p.Cursor = &r.JSON200.NextCursor
		}
		t.Fatal("more than 10 pages")
		return nil
	}
	t.Run("SearchEveryColumnAnyCase", func(t *testing.T) {
		if got, want := list(t, client.ListAccountsParams{Q: ptr("acme")}), []string{rows[1].ID, rows[2].ID, rows[5].ID}; !slices.Equal(got, want) {
			t.Errorf("q=acme: %v, want %v", got, want)
		}
	})
	t.Run("SearchAndSource", func(t *testing.T) {
		if got, want := list(t, client.ListAccountsParams{Q: ptr("ACME"), Source: ptr("xero")}), []string{rows[1].ID, rows[5].ID}; !slices.Equal(got, want) {
			t.Errorf("q=ACME&source=xero: %v, want %v", got, want)
		}
	})
	t.Run("SourceOverPages", func(t *testing.T) {
		if got, want := list(t, client.ListAccountsParams{Source: ptr("google_ads")}), []string{rows[0].ID, rows[2].ID, rows[4].ID, rows[6].ID}; !slices.Equal(got, want) {
			t.Errorf("source=google_ads: %v, want %v", got, want)
		}
	})
	t.Run("ErrQueryTooLong", func(t *testing.T) {
		r := must(c.ListAccountsWithResponse(e.ctx, &client.ListAccountsParams{Q: ptr(strings.Repeat("a", 101))}))
		if r.StatusCode() != http.StatusUnprocessableEntity {
			t.Fatalf("status %d %s", r.StatusCode(), r.Body)
		}
		problem(t, r.HTTPResponse, r.Body)
	})
	t.Run("ErrSourceNotAKey", func(t *testing.T) {
		// PostgreSQL refused a NUL or invalid UTF-8 in the statement (a 500).
		for _, bad := range []string{"a\x00b", "\xff"} {
			r := must(c.ListAccountsWithResponse(e.ctx, &client.ListAccountsParams{Source: ptr(bad)}))
			if r.StatusCode() != http.StatusUnprocessableEntity {
				t.Fatalf("accounts, source %q: status %d %s", bad, r.StatusCode(), r.Body)
			}
			problem(t, r.HTTPResponse, r.Body)
			l := must(c.ListLinksWithResponse(e.ctx, &client.ListLinksParams{Source: ptr(bad)}))
			if l.StatusCode() != http.StatusUnprocessableEntity {
				t.Fatalf("links, source %q: status %d %s", bad, l.StatusCode(), l.Body)
			}
			problem(t, l.HTTPResponse, l.Body)
		}
	})
	t.Run("OKRename", func(t *testing.T) {
		r := must(c.RenameAccountWithResponse(e.ctx, rows[0].ID, client.RenameAccountJSONRequestBody{DisplayName: "Bakery\x00 Books"}))
		if r.JSON200 == nil || r.JSON200.DisplayName != "Bakery Books" || r.JSON200.Name != "Client 0" {
			t.Fatalf("rename: %d %s", r.StatusCode(), r.Body)
		}
		if got := list(t, client.ListAccountsParams{Q: ptr("bakery")}); !slices.Equal(got, []string{rows[0].ID}) {
			t.Errorf("q=bakery after renaming: %v", got)
		}
	})
	t.Run("ErrRenameTooLong", func(t *testing.T) {
		r := must(c.RenameAccountWithResponse(e.ctx, rows[0].ID, client.RenameAccountJSONRequestBody{DisplayName: strings.Repeat("é", 81)}))
		if r.StatusCode() != http.StatusUnprocessableEntity {
			t.Fatalf("status %d %s", r.StatusCode(), r.Body)
		}
		problem(t, r.HTTPResponse, r.Body)
	})
	t.Run("ErrRenameForeign", func(t *testing.T) {
		r := must(c.RenameAccountWithResponse(e.ctx, foreign.ID, client.RenameAccountJSONRequestBody{DisplayName: "Mine"}))
		if r.StatusCode() != http.StatusNotFound {
			t.Fatalf("status %d %s", r.StatusCode(), r.Body)
		}
		var got models.ConnectedAccount
		if err := e.DB.Where("id = ?", foreign.ID).Take(&got).Error; err != nil || got.LocalName != "" {
			t.Errorf("foreign account: %q, %v", got.LocalName, err)
		}
	})
}
