package access_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

func (e *domainEnv) setRecipient(id, email string) {
	e.t.Helper()
	if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", id).Update("recipient_email", email).Error; err != nil {
		e.t.Fatal(err)
	}
}

// generateTo makes a link as u in ws for source, addressed to recipient
// (stored as the generate dialog stores it).
func (e *domainEnv) generateTo(u models.User, ws models.Workspace, source, recipient string) *access.Link {
	e.t.Helper()
	l := e.generate(u, ws, source)
	e.setRecipient(l.ID, recipient)
	return l
}

func sortedIDs(links []access.Link) string {
	v := ids(links)
	sort.Strings(v)
	return strings.Join(v, ",")
}

func sortedOf(links ...*access.Link) string {
	v := make([]string, len(links))
	for i, l := range links {
		v[i] = l.ID
	}
	sort.Strings(v)
	return strings.Join(v, ",")
}

// TestListLinksSearch checks the search box of the links list: each word is
// looked for in the source, the creator and the recipient, in any case (of
// any letter), with LIKE's wildcards taken as plain characters, inside the
// workspace.
func TestListLinksSearch(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	adsByAdmin := e.generateTo(e.f.Admin, e.f.Reporting, "google_ads", "ceo@bakery.example")
	sandboxByOwner := e.generateTo(e.f.Owner, e.f.Reporting, "sandbox", "100%off@shop.example")
	adsByOwner := e.generateTo(e.f.Owner, e.f.Reporting, "google_ads", "1000off@shop.example")
	plain := e.generateTo(e.f.Admin, e.f.Reporting, "sandbox", "a_b@x.example")
	axb := e.generateTo(e.f.Admin, e.f.Reporting, "sandbox", "axb@x.example")
	elsewhere := e.generateTo(e.f.OtherAdmin, e.f.Internal, "sandbox", "ceo@bakery.example")
	if err := e.svc.DB().Model(&models.AccessLink{}).Where("id IN ?", []string{axb.ID, elsewhere.ID}).Update("label", "Acme Bakery – Q3").Error; err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", plain.ID).Update("label", "Ünïcødé Café").Error; err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, q string
		want    []*access.Link
	}{
		{"Empty", "", []*access.Link{adsByAdmin, sandboxByOwner, adsByOwner, plain, axb}},
		{"SourceName", "google ADS", []*access.Link{adsByAdmin, adsByOwner}},
		{"SourceKey", "sandbox", []*access.Link{sandboxByOwner, plain, axb}},
		{"CreatorName", "olivia", []*access.Link{sandboxByOwner, adsByOwner}},
		{"CreatorEmail", "ADMIN@test", []*access.Link{adsByAdmin, plain, axb}},
		{"Recipient", "ceo@", []*access.Link{adsByAdmin}},
		{"Label", "acme", []*access.Link{axb}},
		{"LabelOrRecipient", "bakery", []*access.Link{adsByAdmin, axb}},
		{"LabelPhrase", "acme q3", []*access.Link{axb}},
		{"EveryWord", "olivia sandbox", []*access.Link{sandboxByOwner}},
		{"PercentIsPlain", "100%", []*access.Link{sandboxByOwner}},
		{"UnderscoreIsPlain", "a_b", []*access.Link{plain}},
		{"BackslashIsPlain", `a\`, nil},
		{"NoMatch", "nothing-like-this", nil},
		// Any letter's case, not only ASCII's (SQLite's LIKE knows ASCII only).
		{"NonASCIIUpperCase", "CAFÉ", []*access.Link{plain}},
		{"NonASCIILowerCase", "ünïcødé", []*access.Link{plain}},
		{"NonASCIIAllUpper", "ÜNÏCØDÉ", []*access.Link{plain}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := e.list(e.f.Reporting, access.ListFilter{Q: tc.q})
			if got, want := sortedIDs(page.Links), sortedOf(tc.want...); got != want {
				t.Fatalf("q=%q lists %v, want %v", tc.q, ids(page.Links), want)
			}
		})
	}

	t.Run("WithStatus", func(t *testing.T) {
		e.setUsed(adsByOwner.ID, e.clock.Now())
		page := e.list(e.f.Reporting, access.ListFilter{Q: "olivia", Status: access.StatusUsed})
		if got := sortedIDs(page.Links); got != adsByOwner.ID {
			t.Fatalf("used links of olivia = %v, want %s", ids(page.Links), adsByOwner.ID)
		}
	})

	t.Run("ErrTooLong", func(t *testing.T) {
		_, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Q: strings.Repeat("é", access.MaxSearchLength+1)})
		de := assertCode(t, err, access.EINVALID)
		if !strings.Contains(de.Message, "at most 100 characters") || de.Fields["q"] == "" {
			t.Fatalf("message %q, fields %v", de.Message, de.Fields)
		}
		if _, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Q: strings.Repeat("é", access.MaxSearchLength)}); err != nil {
			t.Fatalf("100 characters: %v", err)
		}
	})

	t.Run("ErrNotText", func(t *testing.T) {
		for _, q := range []string{"a\x00b", "\xff\xfe", "a\u0007"} {
			_, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Q: q})
			assertCode(t, err, access.EBADREQUEST)
		}
	})
}

// TestListLinksSortCursors walks the list in both orders, in pages of 2
// with ties on the sort column, with and without a search, and compares
// them with one ordered query.
func TestListLinksSortCursors(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	var made []*access.Link
	for i := 0; i < 9; i++ {
		src := "google_ads"
		if i%3 == 0 {
			src = "sandbox"
		}
		made = append(made, e.generate(e.f.Admin, e.f.Reporting, src))
		if i%2 == 1 {
			e.clock.Advance(time.Minute)
		}
	}
	// Expiry in another order than creation, with ties.
	for i, l := range made {
		at := domainStart.Add(access.LinkLifetime - time.Duration(i%4)*time.Hour)
		if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", l.ID).Update("expires_at", at).Error; err != nil {
			t.Fatal(err)
		}
	}
	e.generate(e.f.OtherAdmin, e.f.Internal, "sandbox")

	walk := func(t *testing.T, f access.ListFilter) []string {
		t.Helper()
		var all []string
		f.Limit = 2
		for n := 0; ; n++ {
			if n > 10 {
				t.Fatal("pagination does not end")
			}
			page := e.list(e.f.Reporting, f)
			all = append(all, ids(page.Links)...)
			if page.NextCursor == "" {
				return all
			}
			f.Cursor = page.NextCursor
		}
	}
	want := func(t *testing.T, order, source string) []string {
		t.Helper()
		var v []string
		q := e.svc.DB().Model(&models.AccessLink{}).Where("workspace_id = ? AND deleted_at IS NULL", e.f.Reporting.ID)
		if source != "" {
			q = q.Where("source_key = ?", source)
		}
		if err := q.Order(order).Pluck("id", &v).Error; err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name   string
		f      access.ListFilter
		order  string
		source string
	}{
		{"Created", access.ListFilter{}, "created_at DESC, id DESC", ""},
		{"Expires", access.ListFilter{Sort: access.SortExpires}, "expires_at ASC, id ASC", ""},
		{"ExpiresSearch", access.ListFilter{Sort: access.SortExpires, Q: "sandbox"}, "expires_at ASC, id ASC", "sandbox"},
		{"CreatedSearch", access.ListFilter{Sort: access.SortCreated, Q: "google"}, "created_at DESC, id DESC", "google_ads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, w := walk(t, tc.f), want(t, tc.order, tc.source)
			if strings.Join(got, ",") != strings.Join(w, ",") {
				t.Fatalf("pages = %v\nwant    %v", got, w)
			}
		})
	}

	t.Run("ErrCursorOfOtherSort", func(t *testing.T) {
		created := e.list(e.f.Reporting, access.ListFilter{Limit: 2})
		_, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Limit: 2, Sort: access.SortExpires, Cursor: created.NextCursor})
		assertCode(t, err, access.EBADREQUEST)
		expires := e.list(e.f.Reporting, access.ListFilter{Limit: 2, Sort: access.SortExpires})
		_, err = e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Limit: 2, Cursor: expires.NextCursor})
		assertCode(t, err, access.EBADREQUEST)
		for _, c := range []string{"ZQ", "ZTEyMzQ", "not base64!"} {
			_, err = e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Sort: access.SortExpires, Cursor: c})
			assertCode(t, err, access.EBADREQUEST)
		}
	})

	t.Run("ErrUnknownSort", func(t *testing.T) {
		_, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Sort: "name"})
		assertCode(t, err, access.EINVALID)
		for in, want := range map[string]access.Sort{"": access.SortCreated, "created": access.SortCreated, "expires": access.SortExpires} {
			if got, err := access.ParseSort(in); err != nil || got != want {
				t.Errorf("ParseSort(%q) = %q, %v", in, got, err)
			}
		}
	})
}
