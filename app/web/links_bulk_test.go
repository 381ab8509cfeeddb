package web_test

import (
	"encoding/csv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// TestLinksSearchPage: the search box and the order are query parameters
// the page keeps in its tabs, "Load more" and export; a search too long is
// refused on the page itself.
func TestLinksSearchPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ads := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.set(t, ads.ID, map[string]any{"recipient_email": "ceo@bakery.example"})
	e.generate(t, "owner", e.f.Reporting.ID, "sandbox")
	e.vars["ads"] = ads.ID

	e.run(t, []scenario{
		{
			name: "Search", as: "admin", url: "{links}?q=bakery&sort=expires", status: http.StatusOK,
			testids: []string{"links-search", "bulk-actions", "export-csv"},
			contains: []string{`value="bakery"`, `href="/w/{reporting}/sources/access-requests?q=bakery&amp;sort=expires&amp;status=active"`,
				`/sources/access-requests/export.csv?q=bakery&amp;sort=expires`},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if got := rowStatuses(t, body); len(got) != 1 {
					t.Fatalf("%d rows, want 1 (the bakery link)", len(got))
				}
				if !strings.Contains(body, `<option value="expires" selected`) {
					t.Error("the order is not kept in the select")
				}
			},
		},
		{
			name: "NoMatch", as: "admin", url: "{links}?q=nothing-like-this", status: http.StatusOK,
			testids: []string{"links-empty", "show-all"}, contains: []string{"No links match"},
		},
		{
			name: "ErrTooLong", as: "admin", url: "{links}?q=" + strings.Repeat("a", 101), status: http.StatusUnprocessableEntity,
			testids: []string{"search-error", "links-search", "show-all"}, contains: []string{"at most 100 characters"}, noTestid: []string{"link-row"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				// Said once, by the box; the empty list says what to do.
				if n := strings.Count(body, "at most 100 characters"); n != 1 {
					t.Errorf("the reason is on the page %d times, want once", n)
				}
			},
		},
		{
			name: "ErrSort", as: "admin", url: "{links}?sort=name", status: http.StatusUnprocessableEntity,
		},
		{
			name: "ErrCursorOfOtherSort", as: "admin", url: "{links}?sort=expires&cursor=MTc3MjM1OTIwMDAwMDAwMHwwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDA", status: http.StatusBadRequest,
		},
	})
}

// TestBulkDelete: the checked links are listed for confirmation, then
// deleted by one POST, each with its event; a link of another workspace
// refuses the whole request, and editors cannot.
func TestBulkDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	b := e.generate(t, "admin", e.f.Reporting.ID, "sandbox")
	keep := e.generate(t, "admin", e.f.Reporting.ID, "sandbox")
	foreign := e.generate(t, "other", e.f.Internal.ID, "sandbox")
	e.vars["a"], e.vars["b"], e.vars["foreign"] = a.ID, b.ID, foreign.ID
	e.set(t, b.ID, map[string]any{"recipient_email": "finance@client.example"})

	notDeleted := func(ids ...string) func(t *testing.T, e *env, res *http.Response, body string) {
		return func(t *testing.T, e *env, res *http.Response, body string) {
			for _, id := range ids {
				if e.row(t, id).DeletedAt != nil {
					t.Errorf("%s deleted", id)
				}
			}
		}
	}
	e.run(t, []scenario{
		{
			name: "Confirm", as: "admin", url: "{links}/delete-selected?id={a}&id={b}&q=x&status=active", status: http.StatusOK,
			testids: []string{"bulk-delete-confirm", "bulk-delete-list"}, contains: []string{"Delete 2 links?", "finance@client.example",
				`name="id" value="{a}"`, `name="id" value="{b}"`, `name="q" value="x"`},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if n := len(testutil.ByTestID(testutil.ParseHTML(t, body), "bulk-delete-item")); n != 2 {
					t.Errorf("%d links listed, want 2", n)
				}
				notDeleted(a.ID, b.ID)(t, e, res, body)
			},
		},
		{
			name: "NothingChecked", as: "admin", url: "{links}/delete-selected", status: http.StatusSeeOther, location: "{links}",
		},
		{
			name: "ErrForeignConfirm", as: "admin", url: "{links}/delete-selected?id={a}&id={foreign}", status: http.StatusNotFound,
		},
		{
			name: "ErrForeign", as: "admin", method: "POST", url: "{links}/delete-selected",
			form: url.Values{"id": {a.ID, foreign.ID}}, status: http.StatusNotFound,
			check: notDeleted(a.ID, foreign.ID),
		},
		{
			name: "ErrEditor", as: "member", method: "POST", url: "{links}/delete-selected",
			form: url.Values{"id": {a.ID}}, status: http.StatusForbidden, check: notDeleted(a.ID),
		},
		{
			name: "ErrEditorExpired", as: "member", method: "POST", url: "{links}/delete-expired", status: http.StatusForbidden,
		},
		{
			name: "OK", as: "admin", method: "POST", url: "{links}/delete-selected",
			form: url.Values{"id": {a.ID, b.ID}, "q": {"x"}, "status": {"active"}}, status: http.StatusSeeOther,
			location: "{links}?q=x&status=active",
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				for _, id := range []string{a.ID, b.ID} {
					var n int64
					if err := testutil.DBOf(e.svc).Model(&models.LinkEvent{}).Where("link_id = ? AND type = ?", id, access.EventDeleted).Count(&n).Error; err != nil {
						t.Fatal(err)
					}
					if e.row(t, id).DeletedAt == nil || n != 1 {
						t.Errorf("%s: deleted %v with %d events, want deleted with 1", id, e.row(t, id).DeletedAt, n)
					}
				}
				notDeleted(keep.ID, foreign.ID)(t, e, res, body)
			},
		},
		{
			name: "Flash", as: "admin", url: "{links}", status: http.StatusOK, contains: []string{"2 links deleted."},
		},
		{
			name: "ExpiredCount", as: "admin", url: "{links}/delete-expired", status: http.StatusOK,
			setup: func(t *testing.T, e *env) {
				e.set(t, keep.ID, map[string]any{"expires_at": testNow.Add(-time.Hour)})
			},
			testids: []string{"expired-delete-confirm", "expired-count"}, contains: []string{"Delete 1 expired link?", "It no longer works; deleting it tidies the list."},
			absent: []string{"They no longer work"},
		},
		{
			name: "ExpiredDelete", as: "admin", method: "POST", url: "{links}/delete-expired", status: http.StatusSeeOther,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if e.row(t, keep.ID).DeletedAt == nil {
					t.Error("the expired link is not deleted")
				}
				notDeleted(foreign.ID)(t, e, res, body)
			},
		},
	})
}

// TestLinksCSVExport: the export is streamed in batches (chunked, no
// length), holds every link of the filter and no other, and no cell can
// start a formula.
func TestLinksCSVExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// More than two batches of 500.
	insertLinks(t, e.svc, rand.New(rand.NewPCG(5, 6)), linkSet{workspaceID: e.f.Reporting.ID, creators: []string{e.f.Admin.ID, e.f.Owner.ID}, n: 1100, newest: testNow.Add(-time.Hour), span: 20 * 24 * time.Hour})
	evil := e.generate(t, "admin", e.f.Reporting.ID, "sandbox")
	e.set(t, evil.ID, map[string]any{"recipient_email": "=1+2@x.example"})
	if err := testutil.DBOf(e.svc).Model(&models.User{}).Where("id = ?", e.f.Admin.ID).Update("name", "@SUM(A1)").Error; err != nil {
		t.Fatal(err)
	}
	e.generate(t, "other", e.f.Internal.ID, "sandbox")
	var visible int64
	if err := testutil.DBOf(e.svc).Model(&models.AccessLink{}).Where("workspace_id = ? AND deleted_at IS NULL", e.f.Reporting.ID).Count(&visible).Error; err != nil {
		t.Fatal(err)
	}

	get := func(t *testing.T, who, query string) (*http.Response, [][]string) {
		t.Helper()
		res, err := e.client(t, who).Get(e.srv.URL + "/w/" + e.f.Reporting.ID + "/sources/access-requests/export.csv" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(res.Body)
			t.Fatalf("status %d: %.300s", res.StatusCode, b)
		}
		rows, err := csv.NewReader(res.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return res, rows
	}

	t.Run("Streamed", func(t *testing.T) {
		res, rows := get(t, "admin", "")
		if res.ContentLength != -1 || len(res.TransferEncoding) == 0 || res.TransferEncoding[0] != "chunked" {
			t.Errorf("Content-Length %d, Transfer-Encoding %v: want chunked, length unknown", res.ContentLength, res.TransferEncoding)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="access-links-2026-03-01.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if int64(len(rows)-1) != visible {
			t.Fatalf("%d rows, want %d (every link of the workspace not deleted)", len(rows)-1, visible)
		}
		seen := map[string]bool{}
		for _, r := range rows[1:] {
			if seen[r[0]] {
				t.Fatalf("%s twice: batches overlap", r[0])
			}
			seen[r[0]] = true
		}
		for _, r := range rows {
			for _, cell := range r {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Fatalf("cell %q can start a formula", cell)
				}
			}
		}
		if rows[1][0] != evil.ID || rows[1][8] != "'=1+2@x.example" || rows[1][7] != "'@SUM(A1) <admin@test.example>" {
			t.Errorf("newest row = %q", rows[1])
		}
	})

	t.Run("Filtered", func(t *testing.T) {
		res, rows := get(t, "admin", "?status=active&q=sandbox&sort=expires")
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="access-links-2026-03-01-active.csv"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		var want int64
		if err := testutil.DBOf(e.svc).Model(&models.AccessLink{}).Where("workspace_id = ? AND deleted_at IS NULL AND used_at IS NULL AND expires_at > ? AND source_key = ?",
			e.f.Reporting.ID, testNow, "sandbox").Count(&want).Error; err != nil {
			t.Fatal(err)
		}
		if int64(len(rows)-1) != want || want == 0 {
			t.Fatalf("%d rows, want %d", len(rows)-1, want)
		}
		for i := 2; i < len(rows); i++ {
			if rows[i][5] < rows[i-1][5] || rows[i][2] != "sandbox" || rows[i][3] != "active" {
				t.Fatalf("row %d = %q after %q", i, rows[i], rows[i-1])
			}
		}
	})

	t.Run("ErrEditor", func(t *testing.T) {
		res, err := e.client(t, "member").Get(e.srv.URL + "/w/" + e.f.Reporting.ID + "/sources/access-requests/export.csv")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.StatusCode)
		}
	})
}
