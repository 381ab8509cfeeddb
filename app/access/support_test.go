package access_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
)

func TestClassifyQuery(t *testing.T) {
	t.Parallel()
	token := secret.RandomToken(32)
	id := access.NewID()
	for _, tc := range []struct {
		name, q string
		kind    access.QueryKind
		key     string
	}{
		{"Empty", "   ", access.QueryNone, ""},
		{"LinkURL", "https://access.example.test/connect/" + token, access.QueryToken, token},
		{"LinkURLWithQuery", "https://access.example.test/connect/" + token + "?utm_source=mail#top", access.QueryToken, token},
		{"LinkURLTrailingSlash", " access.example.test/app/connect/" + token + "/ ", access.QueryToken, token},
		{"LinkURLTruncated", "https://access.example.test/connect/" + token[:20], access.QueryToken, token[:20]},
		{"BareToken", token, access.QueryToken, token},
		{"LinkID", id, access.QueryLinkID, id},
		{"LinkIDUpperCase", strings.ToUpper(id), access.QueryLinkID, id},
		{"Email", " Adam.Admin@Test.Example ", access.QueryEmail, "adam.admin@test.example"},
		{"Name", " Acme Agency ", access.QueryName, "Acme Agency"},
		{"NameOf43Chars", strings.Repeat("a b", 14) + "c", access.QueryName, strings.Repeat("a b", 14) + "c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, key := access.ClassifyQuery(tc.q)
			if kind != tc.kind || key != tc.key {
				t.Fatalf("ClassifyQuery(%q) = %q, %q; want %q, %q", tc.q, kind, key, tc.kind, tc.key)
			}
		})
	}
}

// searchEnv holds links of every status in three workspaces of two
// organizations, created one hour apart, oldest first:
//
//	old  Adam Admin, Client reporting, Google Ads   expired
//	r1   Adam Admin, Client reporting, Google Ads   used
//	r2   Adam Admin, Client reporting, Sandbox      deleted
//	r3   Olivia Owner, Client reporting, Sandbox    active
//	i1   Ines Internal, Internal, Google Ads        active
//	b1   Bea Beta, Northwind Partners / Acme rollout, Sandbox  active
type searchEnv struct {
	*domainEnv
	beta                    models.User
	rollout                 models.Workspace
	old, r1, r2, r3, i1, b1 *access.Link
	names                   map[string]string // link ID -> name above
	t0                      time.Time
}

func newSearchEnv(t *testing.T) *searchEnv {
	t.Helper()
	e := &searchEnv{domainEnv: newDomainEnv(t), t0: domainStart}
	beta, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "Beta@Test.Example", Name: "Bea Beta", Password: testutil.Password,
		Organization: "Northwind Partners", Plan: models.PlanAgency, OrgRole: models.OrgRoleOwner,
		Workspace: "Acme rollout", WorkspaceRole: models.WorkspaceRoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	e.beta = *beta
	if err := e.svc.DB().Where("name = ?", "Acme rollout").Take(&e.rollout).Error; err != nil {
		t.Fatal(err)
	}
	e.old = e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	e.clock.Advance(8 * 24 * time.Hour)
	next := func(u models.User, ws models.Workspace, src string) *access.Link {
		e.clock.Advance(time.Hour)
		return e.generate(u, ws, src)
	}
	e.r1 = next(e.f.Admin, e.f.Reporting, "google_ads")
	e.r2 = next(e.f.Admin, e.f.Reporting, "sandbox")
	e.r3 = next(e.f.Owner, e.f.Reporting, "sandbox")
	e.i1 = next(e.f.OtherAdmin, e.f.Internal, "google_ads")
	e.b1 = next(e.beta, e.rollout, "sandbox")
	e.clock.Advance(time.Hour)
	if _, err := e.svc.ClaimLink(e.ctx, e.r1.ID, access.Actor{}, access.Identity{SourceKey: "google_ads", ExternalID: "acct-1", DisplayName: "Client Ads"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	if err := e.svc.DeleteLink(e.ctx, e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin), e.r2.ID); err != nil {
		t.Fatal(err)
	}
	e.names = map[string]string{e.old.ID: "old", e.r1.ID: "r1", e.r2.ID: "r2", e.r3.ID: "r3", e.i1.ID: "i1", e.b1.ID: "b1"}
	return e
}

// search runs q and returns the names of the links found, in order.
func (e *searchEnv) search(t *testing.T, q access.SupportQuery) ([]string, *access.SupportPage) {
	t.Helper()
	page, err := e.svc.SearchLinks(e.ctx, q)
	if err != nil {
		t.Fatalf("SearchLinks(%+v): %v", q, err)
	}
	var out []string
	for _, l := range page.Links {
		n := e.names[l.ID]
		if n == "" {
			n = l.ID
		}
		out = append(out, n)
	}
	return out, page
}

func TestSearchLinks(t *testing.T) {
	t.Parallel()
	e := newSearchEnv(t)
	url := func(l *access.Link) string { return l.URL }
	hour := func(n int) time.Time { return e.t0.Add(8*24*time.Hour + time.Duration(n)*time.Hour) }
	for _, tc := range []struct {
		name string
		q    access.SupportQuery
		want []string
		kind access.QueryKind
	}{
		{"All", access.SupportQuery{}, []string{"b1", "i1", "r3", "r2", "r1", "old"}, access.QueryNone},
		{"Token/LinkURL", access.SupportQuery{Q: url(e.r3)}, []string{"r3"}, access.QueryToken},
		{"Token/DeletedLinkURL", access.SupportQuery{Q: url(e.r2)}, []string{"r2"}, access.QueryToken},
		{"Token/UsedLinkURL", access.SupportQuery{Q: url(e.r1)}, []string{"r1"}, access.QueryToken},
		{"Token/ExpiredLinkURL", access.SupportQuery{Q: url(e.old)}, []string{"old"}, access.QueryToken},
		{"Token/URLFromAnotherHostWithQuery", access.SupportQuery{Q: " https://mail.example/redirect/connect/" + tokenOf(t, e.i1) + "?utm=1 "}, []string{"i1"}, access.QueryToken},
		{"Token/Bare", access.SupportQuery{Q: tokenOf(t, e.b1)}, []string{"b1"}, access.QueryToken},
		{"Token/Unknown", access.SupportQuery{Q: testutil.BaseURL + "/connect/" + secret.RandomToken(32)}, nil, access.QueryToken},
		{"Token/Truncated", access.SupportQuery{Q: url(e.r3)[:len(url(e.r3))-5]}, nil, access.QueryToken},
		{"LinkID", access.SupportQuery{Q: e.i1.ID}, []string{"i1"}, access.QueryLinkID},
		{"LinkID/UpperCase", access.SupportQuery{Q: strings.ToUpper(e.r2.ID)}, []string{"r2"}, access.QueryLinkID},
		{"LinkID/Unknown", access.SupportQuery{Q: access.NewID()}, nil, access.QueryLinkID},
		{"Email/AnyCase", access.SupportQuery{Q: " ADMIN@test.example"}, []string{"r2", "r1", "old"}, access.QueryEmail},
		{"Email/StoredLowerCase", access.SupportQuery{Q: "beta@test.EXAMPLE"}, []string{"b1"}, access.QueryEmail},
		{"Email/Unknown", access.SupportQuery{Q: "nobody@test.example"}, nil, access.QueryEmail},
		{"Email/NotAPrefix", access.SupportQuery{Q: "admin@test"}, nil, access.QueryEmail},
		{"Name/OrganizationOrWorkspacePrefix", access.SupportQuery{Q: "acme"}, []string{"b1", "i1", "r3", "r2", "r1", "old"}, access.QueryName},
		{"Name/OrganizationPrefix", access.SupportQuery{Q: "ACME AG"}, []string{"i1", "r3", "r2", "r1", "old"}, access.QueryName},
		{"Name/OtherOrganization", access.SupportQuery{Q: "northwind"}, []string{"b1"}, access.QueryName},
		{"Name/WorkspacePrefix", access.SupportQuery{Q: "Client"}, []string{"r3", "r2", "r1", "old"}, access.QueryName},
		{"Name/WorkspaceOfOtherOrganization", access.SupportQuery{Q: "acme r"}, []string{"b1"}, access.QueryName},
		{"Name/NotInTheMiddle", access.SupportQuery{Q: "reporting"}, nil, access.QueryName},
		{"Name/PercentIsLiteral", access.SupportQuery{Q: "%"}, nil, access.QueryName},
		{"Name/UnderscoreIsLiteral", access.SupportQuery{Q: "Client_reporting"}, nil, access.QueryName},
		{"Name/BackslashIsLiteral", access.SupportQuery{Q: `Client\`}, nil, access.QueryName},
		{"Source", access.SupportQuery{Source: "sandbox"}, []string{"b1", "r3", "r2"}, access.QueryNone},
		{"Source/Unknown", access.SupportQuery{Source: "nope"}, nil, access.QueryNone},
		{"Status/Active", access.SupportQuery{Status: access.StatusActive}, []string{"b1", "i1", "r3"}, access.QueryNone},
		{"Status/Used", access.SupportQuery{Status: access.StatusUsed}, []string{"r1"}, access.QueryNone},
		{"Status/Expired", access.SupportQuery{Status: access.StatusExpired}, []string{"old"}, access.QueryNone},
		{"Status/Deleted", access.SupportQuery{Status: access.StatusDeleted}, []string{"r2"}, access.QueryNone},
		{"DateRange", access.SupportQuery{From: hour(2), To: hour(4)}, []string{"r3", "r2"}, access.QueryNone},
		{"DateRange/From", access.SupportQuery{From: hour(4)}, []string{"b1", "i1"}, access.QueryNone},
		{"DateRange/To", access.SupportQuery{To: hour(1)}, []string{"old"}, access.QueryNone},
		{"Combined/WorkspaceAndStatus", access.SupportQuery{Q: "client", Status: access.StatusActive}, []string{"r3"}, access.QueryName},
		{"Combined/EmailAndSource", access.SupportQuery{Q: "admin@test.example", Source: "sandbox"}, []string{"r2"}, access.QueryEmail},
		{"Combined/TokenAndOtherStatus", access.SupportQuery{Q: url(e.r3), Status: access.StatusUsed}, nil, access.QueryToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, page := e.search(t, tc.q)
			if !slices.Equal(got, tc.want) {
				t.Errorf("found %v, want %v", got, tc.want)
			}
			if page.Kind != tc.kind {
				t.Errorf("kind = %q, want %q", page.Kind, tc.kind)
			}
			if page.NextCursor != "" {
				t.Errorf("NextCursor = %q on a short list", page.NextCursor)
			}
		})
	}

	t.Run("Rows", func(t *testing.T) {
		_, page := e.search(t, access.SupportQuery{Q: "acme"})
		byName := map[string]access.SupportLink{}
		for _, l := range page.Links {
			byName[e.names[l.ID]] = l
		}
		for _, tc := range []struct {
			name                                string
			status                              access.Status
			org, plan, workspace, creator, mail string
		}{
			{"old", access.StatusExpired, "Acme Agency", models.PlanPro, "Client reporting", "Adam Admin", "admin@test.example"},
			{"r1", access.StatusUsed, "Acme Agency", models.PlanPro, "Client reporting", "Adam Admin", "admin@test.example"},
			{"r2", access.StatusDeleted, "Acme Agency", models.PlanPro, "Client reporting", "Adam Admin", "admin@test.example"},
			{"r3", access.StatusActive, "Acme Agency", models.PlanPro, "Client reporting", "Olivia Owner", "owner@test.example"},
			{"i1", access.StatusActive, "Acme Agency", models.PlanPro, "Internal", "Ines Internal", "other@test.example"},
			{"b1", access.StatusActive, "Northwind Partners", models.PlanAgency, "Acme rollout", "Bea Beta", "beta@test.example"},
		} {
			l, ok := byName[tc.name]
			if !ok {
				t.Fatalf("%s not found", tc.name)
			}
			if l.Status != tc.status || l.OrganizationName != tc.org || l.OrganizationPlan != tc.plan || l.WorkspaceName != tc.workspace ||
				l.CreatorName != tc.creator || l.CreatorEmail != tc.mail || l.OrganizationID == "" {
				t.Errorf("%s = status %s, org %q (%s, %s), workspace %q, creator %q <%s>; want %s, %q (%s), %q, %q <%s>", tc.name,
					l.Status, l.OrganizationName, l.OrganizationID, l.OrganizationPlan, l.WorkspaceName, l.CreatorName, l.CreatorEmail,
					tc.status, tc.org, tc.plan, tc.workspace, tc.creator, tc.mail)
			}
			if l.TokenHash != "" || l.TokenSealed != "" || l.URL != "" {
				t.Errorf("%s carries its token: hash %q, sealed %q, URL %q", tc.name, l.TokenHash, l.TokenSealed, l.URL)
			}
		}
		if r2 := byName["r2"]; r2.DeletedAt == nil || r2.DeletedByName != "Adam Admin" {
			t.Errorf("r2 deleted at %v by %q, want by Adam Admin", r2.DeletedAt, r2.DeletedByName)
		}
		if r1 := byName["r1"]; r1.UsedAt == nil || r1.ConnectedAccountID == nil {
			t.Errorf("r1 used at %v, account %v", r1.UsedAt, r1.ConnectedAccountID)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		for name, q := range map[string]access.SupportQuery{
			"Status":       {Status: "gone"},
			"DateTooEarly": {From: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
			"DateTooLate":  {To: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
			"EmptyRange":   {From: hour(3), To: hour(3)},
			"ReversedDate": {From: hour(4), To: hour(2)},
			"LongText":     {Q: strings.Repeat("a", 501)},
			"LongSource":   {Source: strings.Repeat("a", 65)},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := e.svc.SearchLinks(e.ctx, q)
				assertCode(t, err, access.EINVALID)
			})
		}
		// Bytes PostgreSQL cannot compare, and malformed cursors, are bad
		// requests (item 6), on both databases.
		for name, q := range map[string]access.SupportQuery{
			"Cursor":           {Cursor: "not-a-cursor"},
			"CursorOutOfRange": {Cursor: base64.RawURLEncoding.EncodeToString([]byte("9223372036854775807|" + access.NewID()))},
			"NUL":              {Q: "Acme\x00"},
			"InvalidUTF8":      {Q: "Acme\xff"},
			"SourceNotText":    {Source: "\xff"},
			"SourceNUL":        {Source: "google_ads\x00"},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := e.svc.SearchLinks(e.ctx, q)
				assertCode(t, err, access.EBADREQUEST)
			})
		}
	})
}

// TestSearchLinksPagination pages through 130 links (deleted ones and
// links sharing a timestamp included) and finds each exactly once, newest
// first.
func TestSearchLinksPagination(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	var rows []models.AccessLink
	for i := range 130 {
		created := domainStart.Add(-time.Duration(i/3) * time.Minute) // three links per timestamp
		l := models.AccessLink{ID: access.NewID(), WorkspaceID: e.f.Reporting.ID, SourceKey: "sandbox",
			TokenHash: secret.HashToken(secret.RandomToken(32)), TokenSealed: "x", CreatedBy: &e.f.Admin.ID,
			CreatedAt: created, ExpiresAt: created.Add(access.LinkLifetime)}
		if i%4 == 0 {
			l.DeletedAt = &created
		}
		rows = append(rows, l)
	}
	if err := e.svc.DB().CreateInBatches(&rows, 50).Error; err != nil {
		t.Fatal(err)
	}
	want := newestFirst(rows, func(l models.AccessLink) (time.Time, string) { return l.CreatedAt, l.ID })
	for _, q := range []access.SupportQuery{{}, {Q: "client"}, {Q: "admin@test.example"}, {Source: "sandbox"}} {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			var got []string
			var sizes []int
			for {
				page, err := e.svc.SearchLinks(e.ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(page.Links))
				for _, l := range page.Links {
					got = append(got, l.ID)
				}
				if page.NextCursor == "" {
					break
				}
				q.Cursor = page.NextCursor
			}
			if !slices.Equal(sizes, []int{50, 50, 30}) {
				t.Errorf("page sizes %v, want 50, 50, 30", sizes)
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages hold %d links, not the %d links newest first", len(got), len(want))
			}
		})
	}
}

func TestSupportLink(t *testing.T) {
	t.Parallel()
	e := newSearchEnv(t)

	t.Run("NotFound", func(t *testing.T) {
		for _, id := range []string{access.NewID(), "not-an-id", "", e.r1.ID + "x"} {
			_, err := e.svc.SupportLink(e.ctx, id)
			assertCode(t, err, access.ENOTFOUND)
		}
	})

	t.Run("UsedLinkWithAccount", func(t *testing.T) {
		v, err := e.svc.SupportLink(e.ctx, e.r1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.ID != e.r1.ID || v.Status != access.StatusUsed || v.OrganizationName != "Acme Agency" || v.OrganizationPlan != models.PlanPro ||
			v.WorkspaceName != "Client reporting" || v.CreatorEmail != "admin@test.example" {
			t.Fatalf("link = %+v", v.SupportLink)
		}
		if v.Account == nil || v.Account.ExternalID != "acct-1" || v.Account.Label() != "Client Ads" {
			t.Fatalf("account = %+v", v.Account)
		}
		if v.TokenHash != "" || v.TokenSealed != "" || v.URL != "" {
			t.Fatal("the support view carries the link's token")
		}
	})

	t.Run("DeletedLinkOfAnyWorkspace", func(t *testing.T) {
		v, err := e.svc.SupportLink(e.ctx, e.r2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != access.StatusDeleted || v.DeletedByName != "Adam Admin" || v.Account != nil {
			t.Fatalf("link = %+v, account %+v", v.SupportLink, v.Account)
		}
		if v, err := e.svc.SupportLink(e.ctx, e.b1.ID); err != nil || v.OrganizationName != "Northwind Partners" {
			t.Fatalf("link of another organization = %+v, %v", v, err)
		}
	})
}

func TestRecordSupportView(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	v, err := e.svc.SupportLink(e.ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	support := access.Actor{UserID: e.f.Support.ID, Name: e.f.Support.Name, IP: "192.0.2.5", UserAgent: "Desk/1"}

	t.Run("OK", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		if err := e.svc.RecordSupportView(e.ctx, &v.SupportLink, support, access.SupportViewPage); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		if err := e.svc.RecordSupportView(e.ctx, &v.SupportLink, support, access.SupportViewExport); err != nil {
			t.Fatal(err)
		}
		ev := e.events(l.ID)
		if len(ev) != 3 {
			t.Fatalf("%d events, want created and two views", len(ev))
		}
		for i, want := range []struct{ view, title string }{{access.SupportViewPage, "Viewed by support"}, {access.SupportViewExport, "History exported by support"}} {
			got := ev[i+1]
			if got.Type != access.EventSupportViewed || got.ActorID == nil || *got.ActorID != e.f.Support.ID || views.EventActor(&got) != "Sam Support" ||
				got.IP != support.IP || got.UserAgent != support.UserAgent || got.Fields["view"] != want.view || views.EventTitle(&got) != want.title ||
				got.WorkspaceID != e.f.Reporting.ID || !got.CreatedAt.Equal(domainStart.Add(time.Duration(i+1)*time.Minute)) {
				t.Errorf("view event %d = %+v (title %q)", i, got, views.EventTitle(&got))
			}
		}
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		err := e.svc.RecordSupportView(e.ctx, &v.SupportLink, access.Actor{Name: "Someone"}, access.SupportViewPage)
		assertCode(t, err, access.EUNAUTHORIZED)
	})

	t.Run("ErrInvalidView", func(t *testing.T) {
		err := e.svc.RecordSupportView(e.ctx, &v.SupportLink, support, "peek")
		assertCode(t, err, access.EINVALID)
	})
}

// TestSupportHistory walks a link through every kind of event and checks
// the history (order, actor, detail, client) and the JSON export, and that
// neither the events nor the export hold a token or a sealed value.
func TestSupportHistory(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	w := testutil.WalkLinkHistory(t, e.svc, e.clock, e.f)
	events := e.events(w.Link.ID)

	t.Run("Timeline", func(t *testing.T) {
		if len(events) != len(w.Events) {
			t.Fatalf("%d events %v, want %d", len(events), testutil.EventTypes(events), len(w.Events))
		}
		for i, want := range w.Events {
			got := events[i]
			if got.Type != want.Type || views.EventActor(&got) != want.Actor || !strings.Contains(views.EventSummary(&got), want.Detail) {
				t.Errorf("event %d = %s by %q: %q; want %s by %q with %q", i, got.Type, views.EventActor(&got), views.EventSummary(&got), want.Type, want.Actor, want.Detail)
			}
			if i > 0 && !got.CreatedAt.After(events[i-1].CreatedAt) {
				t.Errorf("event %d (%s) at %v is not after the one before", i, got.Type, got.CreatedAt)
			}
			if want.Actor == "Invitee" && (got.IP != testutil.WalkInviteeIP || got.UserAgent != testutil.WalkInviteeUA || got.ActorID != nil) {
				t.Errorf("invitee event %s from %q %q", got.Type, got.IP, got.UserAgent)
			}
			if views.EventTitle(&got) == "" || views.EventIcon(&got) == "dot" {
				t.Errorf("event %s has title %q, icon %q", got.Type, views.EventTitle(&got), views.EventIcon(&got))
			}
		}
	})

	t.Run("Export", func(t *testing.T) {
		x, err := e.exportHistory(w.Link.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range w.Secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("the export holds a secret (%.12s…)", s)
			}
		}
		for _, key := range []string{"token", "token_hash", "token_sealed", "access_token", "refresh_token", "sealed"} {
			if strings.Contains(string(b), `"`+key+`"`) || strings.Contains(string(b), key+"_sealed") {
				t.Errorf("the export has a %q field", key)
			}
		}
		l := x.Link
		if l.ID != w.Link.ID || l.Status != access.StatusDeleted || l.Source != "google_ads" || l.SourceName != "Google Ads" ||
			l.OrganizationName != "Acme Agency" || l.Plan != models.PlanPro || l.WorkspaceName != "Client reporting" ||
			l.CreatedBy.Email != "admin@test.example" || l.DeletedBy == nil || l.DeletedBy.Name != "Olivia Owner" || l.UsedAt == "" || l.ExpiredAt != "" {
			t.Errorf("exported link = %+v", l)
		}
		if a := l.ConnectedAccount; a == nil || a.ExternalID != "123-456-7890" || a.DisplayName != testutil.WalkAccount ||
			!slices.Contains(a.Scopes, "https://www.googleapis.com/auth/adwords") {
			t.Errorf("exported account = %+v", a)
		}
		if len(x.Events) != len(w.Events) {
			t.Fatalf("%d exported events, want %d", len(x.Events), len(w.Events))
		}
		for i, want := range w.Events {
			got := x.Events[i]
			at, err := time.Parse(time.RFC3339, got.Time)
			if err != nil || !at.Equal(events[i].CreatedAt.Truncate(time.Second)) {
				t.Errorf("event %d time %q (%v), want RFC 3339 of %v", i, got.Time, err, events[i].CreatedAt)
			}
			if got.Type != want.Type || got.Actor != want.Actor || !strings.Contains(got.Summary, want.Detail) ||
				got.IP != events[i].IP || got.UserAgent != events[i].UserAgent || got.Detail == nil {
				t.Errorf("exported event %d = %+v, want %+v", i, got, want)
			}
		}
		if d := x.Events[3].Detail; d["error"] != "access_denied" || d["kind"] != "provider" {
			t.Errorf("provider_error detail = %v", d)
		}
		if _, err := e.exportHistory(access.NewID()); access.ErrorCode(err) != access.ENOTFOUND {
			t.Errorf("export of an unknown link = %v, want not found", err)
		}
	})

	t.Run("NoSecretsInEvents", func(t *testing.T) {
		var rows []models.LinkEvent
		if err := e.svc.DB().Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rows)
		for _, s := range w.Secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("link_events hold a secret (%.12s…)", s)
			}
		}
	})
}

func TestExpiredOn(t *testing.T) {
	t.Parallel()
	t0 := domainStart
	exp := t0.Add(access.LinkLifetime)
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	for _, tc := range []struct {
		name string
		l    models.AccessLink
		now  time.Time
		want bool
	}{
		{"Active", models.AccessLink{ExpiresAt: exp}, exp.Add(-time.Second), false},
		{"ExpiredAtTheInstant", models.AccessLink{ExpiresAt: exp}, exp, true},
		{"Used", models.AccessLink{ExpiresAt: exp, UsedAt: at(time.Hour)}, exp.Add(time.Hour), false},
		{"DeletedBeforeExpiry", models.AccessLink{ExpiresAt: exp, DeletedAt: at(time.Hour)}, exp.Add(time.Hour), false},
		{"DeletedAfterExpiry", models.AccessLink{ExpiresAt: exp, DeletedAt: at(access.LinkLifetime + time.Hour)}, exp.Add(2 * time.Hour), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := access.ExpiredOn(&tc.l, tc.now)
			if ok != tc.want || (ok && !got.Equal(exp)) {
				t.Fatalf("ExpiredOn = %v, %v; want %v at %v", got, ok, tc.want, exp)
			}
		})
	}
}

// TestSearchLinksTooManyNames: a name that starts more than 1,000
// workspace names is refused with a hint instead of listing them all.
func TestSearchLinksTooManyNames(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	var ws []models.Workspace
	for i := range 1001 {
		ws = append(ws, models.Workspace{ID: access.NewID(), OrganizationID: e.f.Agency.ID, Name: fmt.Sprintf("Zeta %04d", i), CreatedAt: domainStart})
	}
	if err := e.svc.DB().CreateInBatches(&ws, 200).Error; err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.SearchLinks(e.ctx, access.SupportQuery{Q: "zeta"})
	if de := assertCode(t, err, access.EINVALID); de.Fields["q"] == "" || !strings.Contains(de.Message, "Type more of the name") {
		t.Fatalf("error = %+v", de)
	}
	page, err := e.svc.SearchLinks(e.ctx, access.SupportQuery{Q: "zeta 000"})
	if err != nil || len(page.Links) != 0 || page.Kind != access.QueryName {
		t.Fatalf("ten workspaces without links: %+v, %v", page, err)
	}
}

// TestSearchLinksSQLHasLiteralLimit: every search statement reads one page
// (LIMIT 51 written into the SQL, so that PostgreSQL's cached generic plans
// know it too), whatever the query kind.
func TestSearchLinksSQLHasLiteralLimit(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "sandbox")
	var mu sync.Mutex
	var stmts []string
	keep := func(tx *gorm.DB) {
		mu.Lock()
		stmts = append(stmts, tx.Statement.SQL.String())
		mu.Unlock()
	}
	if err := e.svc.DB().Callback().Row().After("gorm:row").Register("test:keep_row", keep); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DB().Callback().Query().After("gorm:query").Register("test:keep_query", keep); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("LIMIT %d", access.PageSize+1)
	for _, q := range []access.SupportQuery{
		{}, {Q: l.URL}, {Q: l.ID}, {Q: "admin@test.example"}, {Q: "client"}, {Q: "client", Status: access.StatusDeleted},
		{Source: "sandbox"}, {Status: access.StatusActive}, {From: domainStart.Add(-time.Hour)},
	} {
		mu.Lock()
		stmts = nil
		mu.Unlock()
		page, err := e.svc.SearchLinks(e.ctx, q)
		if wantN := map[bool]int{true: 0, false: 1}[q.Status == access.StatusDeleted]; err != nil || len(page.Links) != wantN {
			t.Fatalf("%+v: %d links (%v), want %d", q, len(page.Links), err, wantN)
		}
		mu.Lock()
		last := stmts[len(stmts)-1]
		mu.Unlock()
		if !strings.HasSuffix(strings.TrimSpace(last), want) {
			t.Errorf("%+v: the statement does not end with %s:\n%s", q, want, last)
		}
	}
}
