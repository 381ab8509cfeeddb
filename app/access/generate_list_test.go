package access_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
)

func tokenOf(t *testing.T, l *access.Link) string {
	t.Helper()
	prefix := testutil.BaseURL + "/connect/"
	if !strings.HasPrefix(l.URL, prefix) {
		t.Fatalf("URL = %q, want prefix %q", l.URL, prefix)
	}
	return strings.TrimPrefix(l.URL, prefix)
}

func TestGenerateLinkStored(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	actor := e.actor(e.f.Admin)
	l, err := e.svc.GenerateLink(e.ctx, e.member(e.f.Admin, e.f.Reporting), actor, "google_ads")
	if err != nil {
		t.Fatal(err)
	}
	token := tokenOf(t, l)

	t.Run("Token", func(t *testing.T) {
		if len(token) != 43 {
			t.Fatalf("token %q is %d chars, want 43", token, len(token))
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token decodes to %d bytes (%v), want 32 bytes of base64url", len(raw), err)
		}
	})

	t.Run("Returned", func(t *testing.T) {
		if !access.ValidID(l.ID) || l.Status != access.StatusActive || l.CreatorName != "Adam Admin" || l.SourceKey != "google_ads" {
			t.Fatalf("link = %+v", l)
		}
		if !l.CreatedAt.Equal(domainStart) || !l.ExpiresAt.Equal(domainStart.Add(access.LinkLifetime)) {
			t.Fatalf("created %v expires %v, want %v and 7 days later", l.CreatedAt, l.ExpiresAt, domainStart)
		}
		if access.LinkLifetime != 7*24*time.Hour {
			t.Fatalf("LinkLifetime = %v, want 7 days", access.LinkLifetime)
		}
	})

	t.Run("Row", func(t *testing.T) {
		r := e.row(l.ID)
		sum := sha256.Sum256([]byte(token))
		if r.TokenHash != hex.EncodeToString(sum[:]) {
			t.Fatalf("token_hash = %q, want SHA-256 hex of the token", r.TokenHash)
		}
		if r.TokenSealed == "" || strings.Contains(r.TokenSealed, token) {
			t.Fatalf("token_sealed = %q: empty or holds the token", r.TokenSealed)
		}
		if got, err := e.svc.Keys().Open(r.TokenSealed, "access_links/"+l.ID+"/token"); err != nil || got != token {
			t.Fatalf("sealed copy opens to %q, %v; want the token", got, err)
		}
		if r.WorkspaceID != e.f.Reporting.ID || r.CreatedBy == nil || *r.CreatedBy != e.f.Admin.ID || r.SourceKey != "google_ads" {
			t.Fatalf("row = %+v", r)
		}
		if !r.CreatedAt.Equal(domainStart) || !r.ExpiresAt.Equal(domainStart.Add(7*24*time.Hour)) {
			t.Fatalf("row created %v expires %v", r.CreatedAt, r.ExpiresAt)
		}
		if r.UsedAt != nil || r.DeletedAt != nil || r.DeletedBy != nil || r.ConnectedAccountID != nil {
			t.Fatalf("new row has lifecycle timestamps: %+v", r)
		}
		// No text column anywhere holds the token in the clear.
		for _, table := range []string{"access_links", "link_events"} {
			var rows []map[string]any
			if err := e.svc.DB().Table(table).Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				for col, v := range row {
					if s, ok := v.(string); ok && strings.Contains(s, token) {
						t.Fatalf("%s.%s holds the token", table, col)
					}
				}
			}
		}
	})

	t.Run("CreatedEvent", func(t *testing.T) {
		ev := e.events(l.ID)
		if len(ev) != 1 {
			t.Fatalf("%d events, want 1", len(ev))
		}
		got := ev[0]
		if got.Type != access.EventCreated || got.LinkID != l.ID || got.WorkspaceID != e.f.Reporting.ID {
			t.Fatalf("event = %+v", got)
		}
		if got.ActorID == nil || *got.ActorID != e.f.Admin.ID || got.Actor != "Adam Admin" {
			t.Fatalf("event actor = %v %q, want the admin", got.ActorID, got.Actor)
		}
		if got.IP != actor.IP || got.UserAgent != actor.UserAgent {
			t.Fatalf("event client = %q %q", got.IP, got.UserAgent)
		}
		if got.Fields["source"] != "google_ads" || views.EventSummary(&got) != "Source: Google Ads" || views.EventTitle(&got) != "Link created" {
			t.Fatalf("event detail = %v, summary %q, title %q", got.Fields, views.EventSummary(&got), views.EventTitle(&got))
		}
		if !got.CreatedAt.Equal(domainStart) {
			t.Fatalf("event at %v, want %v", got.CreatedAt, domainStart)
		}
	})

	t.Run("Unique", func(t *testing.T) {
		l2 := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		if l2.ID == l.ID || tokenOf(t, l2) == token || e.row(l2.ID).TokenHash == e.row(l.ID).TokenHash {
			t.Fatal("two links share an ID, token or hash")
		}
	})

	t.Run("OwnerWithoutWorkspaceRole", func(t *testing.T) {
		l := e.generate(e.f.Owner, e.f.Internal, "sandbox")
		if r := e.row(l.ID); r.CreatedBy == nil || *r.CreatedBy != e.f.Owner.ID || r.WorkspaceID != e.f.Internal.ID || r.SourceKey != "sandbox" {
			t.Fatalf("row = %+v", r)
		}
	})

	t.Run("UserAgentTruncated", func(t *testing.T) {
		a := e.actor(e.f.Admin)
		a.UserAgent = strings.Repeat("u", 1000)
		l, err := e.svc.GenerateLink(e.ctx, e.member(e.f.Admin, e.f.Reporting), a, "google_ads")
		if err != nil {
			t.Fatal(err)
		}
		if ua := e.events(l.ID)[0].UserAgent; len(ua) != 400 {
			t.Fatalf("stored user agent is %d chars, want 400", len(ua))
		}
	})
}

func TestGenerateLinkInvalid(t *testing.T) {
	t.Parallel()
	e, m := newAdminEnv(t)
	for _, tc := range []struct{ name, source, field string }{
		{"ErrNoSource", "  ", "Choose a source"},
		{"ErrUnknownSource", "nope", "Unknown source"},
		{"ErrNotConfigured", "xero", "SOURCE_XERO_CLIENT_ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.GenerateLink(e.ctx, m, e.actor(e.f.Admin), tc.source)
			de := assertCode(t, err, access.EINVALID)
			if !strings.Contains(de.Fields["source"], tc.field) {
				t.Fatalf("source field = %q, want it to mention %q", de.Fields["source"], tc.field)
			}
		})
	}
	if n := e.count(&models.AccessLink{}, "1 = 1"); n != 0 {
		t.Fatalf("%d links stored by refused requests", n)
	}
	if n := e.count(&models.LinkEvent{}, "1 = 1"); n != 0 {
		t.Fatalf("%d events stored by refused requests", n)
	}
}

// TestSealedTokenBoundToRow: a sealed token copied onto another row does not
// open there, so the list shows no URL rather than someone else's link.
func TestSealedTokenBoundToRow(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	a := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	b := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", b.ID).Update("token_sealed", e.row(a.ID).TokenSealed).Error; err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.GetLink(e.ctx, e.f.Reporting.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != "" {
		t.Fatalf("URL = %q, want none for a sealed value from another row", got.URL)
	}
	for _, l := range e.list(e.f.Reporting, access.ListFilter{}).Links {
		if l.ID == b.ID && l.URL != "" {
			t.Fatalf("list URL of b = %q, want none", l.URL)
		}
		if l.ID == a.ID && l.URL != a.URL {
			t.Fatalf("list URL of a = %q, want %q", l.URL, a.URL)
		}
	}
}

func TestListLinks(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	first := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	e.clock.Advance(time.Minute)
	second := e.generate(e.f.Owner, e.f.Reporting, "sandbox")
	e.clock.Advance(time.Minute)
	gone := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	if err := e.svc.DeleteLink(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), gone.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	third := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	elsewhere := e.generate(e.f.OtherAdmin, e.f.Internal, "google_ads")
	e.clock.Advance(time.Hour)

	t.Run("OK", func(t *testing.T) {
		page := e.list(e.f.Reporting, access.ListFilter{})
		want := []string{third.ID, second.ID, first.ID}
		if strings.Join(ids(page.Links), ",") != strings.Join(want, ",") {
			t.Fatalf("ids = %v, want newest first %v", ids(page.Links), want)
		}
		if page.NextCursor != "" {
			t.Fatalf("NextCursor = %q on the only page", page.NextCursor)
		}
		byID := map[string]access.Link{}
		for _, l := range page.Links {
			byID[l.ID] = l
		}
		for _, tc := range []struct {
			gen           *access.Link
			name, email   string
			createdMinute int
		}{
			{first, "Adam Admin", "admin@test.example", 0},
			{second, "Olivia Owner", "owner@test.example", 1},
			{third, "Adam Admin", "admin@test.example", 3},
		} {
			l := byID[tc.gen.ID]
			if l.CreatorName != tc.name || l.CreatorEmail != tc.email {
				t.Errorf("%s creator = %q <%s>, want %q <%s>", l.ID, l.CreatorName, l.CreatorEmail, tc.name, tc.email)
			}
			created := domainStart.Add(time.Duration(tc.createdMinute) * time.Minute)
			if !l.CreatedAt.Equal(created) || !l.ExpiresAt.Equal(created.Add(access.LinkLifetime)) {
				t.Errorf("%s created %v expires %v, want %v and 7 days later", l.ID, l.CreatedAt, l.ExpiresAt, created)
			}
			if l.CreatedAt.Location() != time.UTC || l.ExpiresAt.Location() != time.UTC {
				t.Errorf("%s times not in UTC", l.ID)
			}
			if l.Status != access.StatusActive {
				t.Errorf("%s status = %s, want active", l.ID, l.Status)
			}
			if l.URL != tc.gen.URL {
				t.Errorf("%s URL = %q, want %q", l.ID, l.URL, tc.gen.URL)
			}
		}
	})

	t.Run("OtherWorkspace", func(t *testing.T) {
		page := e.list(e.f.Internal, access.ListFilter{})
		if strings.Join(ids(page.Links), ",") != elsewhere.ID {
			t.Fatalf("Internal lists %v, want only its own link", ids(page.Links))
		}
	})

	t.Run("Limit", func(t *testing.T) {
		page := e.list(e.f.Reporting, access.ListFilter{Limit: 2})
		if len(page.Links) != 2 || page.NextCursor == "" {
			t.Fatalf("%d links, cursor %q; want 2 and a cursor", len(page.Links), page.NextCursor)
		}
		rest := e.list(e.f.Reporting, access.ListFilter{Limit: 2, Cursor: page.NextCursor})
		if len(rest.Links) != 1 || rest.Links[0].ID != first.ID || rest.NextCursor != "" {
			t.Fatalf("second page = %v, cursor %q", ids(rest.Links), rest.NextCursor)
		}
	})
}

func TestListLinksStatusFilter(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	// Made 8 days ago: expired by now.
	expired := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	// Made 8 days ago and used after a day: used wins over expired.
	usedLongAgo := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	e.setUsed(usedLongAgo.ID, domainStart.Add(24*time.Hour))
	e.clock.Advance(8 * 24 * time.Hour)
	active := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	used := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	e.setUsed(used.ID, e.clock.Now())
	deleted := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	if err := e.svc.DeleteLink(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), deleted.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)

	status := func(f access.Status) (map[string]access.Status, []string) {
		t.Helper()
		got := map[string]access.Status{}
		page := e.list(e.f.Reporting, access.ListFilter{Status: f})
		for _, l := range page.Links {
			got[l.ID] = l.Status
		}
		ids := ids(page.Links)
		sort.Strings(ids)
		return got, ids
	}
	sorted := func(v ...string) string { sort.Strings(v); return strings.Join(v, ",") }

	for _, tc := range []struct {
		name   string
		filter access.Status
		want   []string
	}{
		{"All", "", []string{expired.ID, usedLongAgo.ID, active.ID, used.ID}},
		{"Active", access.StatusActive, []string{active.ID}},
		{"Used", access.StatusUsed, []string{usedLongAgo.ID, used.ID}},
		{"Expired", access.StatusExpired, []string{expired.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, gotIDs := status(tc.filter)
			if strings.Join(gotIDs, ",") != sorted(tc.want...) {
				t.Fatalf("filter %q lists %v, want %v", tc.filter, gotIDs, tc.want)
			}
			for id, st := range got {
				if tc.filter != "" && st != tc.filter {
					t.Fatalf("filter %q returned %s with status %s", tc.filter, id, st)
				}
			}
		})
	}

	t.Run("StatusPerLink", func(t *testing.T) {
		got, _ := status("")
		want := map[string]access.Status{expired.ID: access.StatusExpired, usedLongAgo.ID: access.StatusUsed, active.ID: access.StatusActive, used.ID: access.StatusUsed}
		for id, st := range want {
			if got[id] != st {
				t.Errorf("%s status = %q, want %q", id, got[id], st)
			}
		}
	})
}

func TestParseStatusFilter(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		for in, want := range map[string]access.Status{
			"":        "",
			"all":     "",
			"active":  access.StatusActive,
			"used":    access.StatusUsed,
			"expired": access.StatusExpired,
		} {
			got, err := access.ParseStatusFilter(in)
			if err != nil || got != want {
				t.Errorf("ParseStatusFilter(%q) = %q, %v; want %q", in, got, err, want)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, in := range []string{"deleted", "Active", "active ", "x", "' OR 1=1 --", "used,expired"} {
			got, err := access.ParseStatusFilter(in)
			assertCode(t, err, access.EINVALID)
			if got != "" {
				t.Errorf("ParseStatusFilter(%q) = %q with an error", in, got)
			}
		}
	})
}

// TestListLinksPagination walks 120 links in pages of 50, many of them made
// in the same microsecond, and checks the pages against one ordered query:
// no link twice, none missing, page boundaries inside groups of equal
// created_at.
func TestListLinksPagination(t *testing.T) {
	t.Parallel()
	e, m := newAdminEnv(t)
	var made []string
	for i := 0; i < 120; i++ {
		// Links 0-59 share one instant; links 60-119 come in threes.
		if i >= 60 && (i-60)%3 == 0 {
			e.clock.Advance(time.Microsecond)
		}
		l, err := e.svc.GenerateLink(e.ctx, m, e.actor(e.f.Admin), "google_ads")
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, l.ID)
		if i%30 == 0 { // noise: deleted links and another workspace's
			d := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
			if err := e.svc.DeleteLink(e.ctx, m, e.actor(e.f.Admin), d.ID); err != nil {
				t.Fatal(err)
			}
			e.generate(e.f.OtherAdmin, e.f.Internal, "google_ads")
		}
	}
	var wantOrder []string
	if err := e.svc.DB().Model(&models.AccessLink{}).
		Where("workspace_id = ? AND deleted_at IS NULL", e.f.Reporting.ID).
		Order("created_at DESC, id DESC").Pluck("id", &wantOrder).Error; err != nil {
		t.Fatal(err)
	}
	if len(wantOrder) != 120 {
		t.Fatalf("%d visible links, want 120", len(wantOrder))
	}

	t.Run("OK", func(t *testing.T) {
		var pages [][]access.Link
		cursor := ""
		for {
			page := e.list(e.f.Reporting, access.ListFilter{Cursor: cursor})
			pages = append(pages, page.Links)
			if page.NextCursor == "" {
				break
			}
			if len(pages) > 5 {
				t.Fatal("pagination does not end")
			}
			cursor = page.NextCursor
		}
		var sizes []int
		var all []string
		for _, p := range pages {
			sizes = append(sizes, len(p))
			all = append(all, ids(p)...)
		}
		if len(sizes) != 3 || sizes[0] != 50 || sizes[1] != 50 || sizes[2] != 20 {
			t.Fatalf("page sizes = %v, want [50 50 20]", sizes)
		}
		if strings.Join(all, ",") != strings.Join(wantOrder, ",") {
			t.Fatal("pages differ from ORDER BY created_at DESC, id DESC")
		}
		seen := map[string]bool{}
		for _, id := range all {
			if seen[id] {
				t.Fatalf("%s on two pages", id)
			}
			seen[id] = true
		}
		for _, id := range made {
			if !seen[id] {
				t.Fatalf("%s on no page", id)
			}
		}
		// The construction puts both page boundaries inside groups of
		// links with the same created_at, where only the id orders them.
		for i := 0; i+1 < len(pages); i++ {
			last, next := pages[i][len(pages[i])-1], pages[i+1][0]
			if !last.CreatedAt.Equal(next.CreatedAt) {
				t.Fatalf("boundary %d not inside a same-instant group: %v vs %v", i+1, last.CreatedAt, next.CreatedAt)
			}
		}
	})

	t.Run("WithFilter", func(t *testing.T) {
		wantUsed := map[string]bool{}
		for i, id := range made {
			if i%4 == 0 || (i >= 55 && i < 65) {
				e.setUsed(id, e.clock.Now())
				wantUsed[id] = true
			}
		}
		got := map[string]bool{}
		cursor := ""
		for n := 0; ; n++ {
			page := e.list(e.f.Reporting, access.ListFilter{Status: access.StatusUsed, Limit: 7, Cursor: cursor})
			if len(page.Links) > 7 {
				t.Fatalf("page of %d, limit 7", len(page.Links))
			}
			for _, l := range page.Links {
				if got[l.ID] || !wantUsed[l.ID] {
					t.Fatalf("%s repeated or not used", l.ID)
				}
				got[l.ID] = true
			}
			if page.NextCursor == "" {
				break
			}
			if n > 20 {
				t.Fatal("pagination does not end")
			}
			cursor = page.NextCursor
		}
		if len(got) != len(wantUsed) {
			t.Fatalf("walked %d used links, want %d", len(got), len(wantUsed))
		}
	})

	t.Run("LimitCapped", func(t *testing.T) {
		for _, limit := range []int{0, -1, 51, 1000} {
			if n := len(e.list(e.f.Reporting, access.ListFilter{Limit: limit}).Links); n != access.PageSize {
				t.Fatalf("limit %d gave %d links, want %d", limit, n, access.PageSize)
			}
		}
	})

	t.Run("ErrInvalidCursor", func(t *testing.T) {
		enc := base64.RawURLEncoding.EncodeToString
		for _, c := range []string{
			"!!!",
			"not a cursor",
			enc([]byte("123")),
			enc([]byte("123|not-a-uuid")),
			enc([]byte("yesterday|" + made[0])),
			enc([]byte("|" + made[0])),
			base64.StdEncoding.EncodeToString([]byte("1772359200000000|"+made[0])) + "==",
			// Out of the databases' timestamp range (item 6): 400, not 500.
			enc([]byte("9223372036854775807|" + made[0])),
			enc([]byte("-9223372036854775808|" + made[0])),
			enc([]byte("253402300800000000|" + made[0])),
		} {
			_, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Cursor: c})
			// A malformed cursor is a bad request (400) since item 6.
			assertCode(t, err, access.EBADREQUEST)
		}
	})
}
