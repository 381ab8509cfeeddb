package web_test

import (
	"encoding/json"
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

// insertEvents adds n "started" events to l's history, one second apart
// from start, straight into the table: long histories without n requests.
func insertEvents(tb testing.TB, svc *access.Service, l *models.AccessLink, n int, start time.Time) {
	tb.Helper()
	const batch = 500
	rows := make([]models.LinkEvent, 0, batch)
	flush := func() {
		if len(rows) == 0 {
			return
		}
		if err := testutil.DBOf(svc).Create(&rows).Error; err != nil {
			tb.Fatalf("insert %d events: %v", len(rows), err)
		}
		rows = rows[:0]
	}
	for i := range n {
		rows = append(rows, models.LinkEvent{
			ID: access.NewID(), LinkID: l.ID, WorkspaceID: l.WorkspaceID, Type: access.EventStarted, Actor: "invitee",
			IP: fmt.Sprintf("198.51.%d.%d", i/250%250, i%250+1), UserAgent: "Mozilla/5.0 (iPhone) Safari/604.1",
			Detail: `{"source":"google_ads"}`, CreatedAt: start.Add(time.Duration(i) * time.Second), Count: 1,
		})
		if len(rows) == batch {
			flush()
		}
	}
	flush()
}

// TestHistoryPages (item 3): the admin's link page and the support link
// page show one page of 50 events, newest first, with "Older events"; the
// pages together show the whole history once; a bad cursor is a 400.
func TestHistoryPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	insertEvents(t, e.svc, &l.AccessLink, 120, e.clock.Now().Add(time.Minute))
	e.clock.Advance(time.Hour)

	for _, tc := range []struct {
		name, who, url string
		extra          int // events the visits themselves add (support views)
	}{
		{"Admin", "admin", e.srv.URL + e.expand("{links}/") + l.ID, 0},
		{"Support", "support", e.srv.URL + supportLinks + "/" + l.ID, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			total, pages := 0, 0
			next := tc.url
			var newest string
			for next != "" {
				res, body := testutil.Do(t, e.client(t, tc.who), "GET", next, nil)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: status %d", next, res.StatusCode)
				}
				types, nodes := timelineEntries(t, body)
				if len(types) > access.EventPageSize {
					t.Fatalf("page %d shows %d events, want at most %d", pages, len(types), access.EventPageSize)
				}
				if pages == 0 {
					newest = types[len(types)-1] // timelineEntries reads oldest first
					// Newest first on the page: times never go up.
					var prev string
					for i := len(nodes) - 1; i >= 0; i-- {
						at := testutil.Attr(testutil.ByTestID(nodes[i], "event-relative")[0], "datetime")
						if prev != "" && at > prev {
							t.Fatalf("the timeline is not newest first: %s after %s", at, prev)
						}
						prev = at
					}
				}
				total += len(types)
				pages++
				older := testutil.ByTestID(testutil.ParseHTML(t, body), "older-events")
				next = ""
				if len(older) > 0 {
					next = e.srv.URL + testutil.Attr(older[0], "href")
				}
				if pages > 5 {
					t.Fatal("more pages than events")
				}
			}
			// 121 events (created and 120 started), and the first support
			// visit (the later ones are newer than the pages they open).
			if want := 121 + tc.extra; total != want || pages != 3 {
				t.Errorf("%d events over %d pages, want %d over 3", total, pages, want)
			}
			if tc.extra > 0 && newest != access.EventSupportViewed {
				t.Errorf("the support page starts with %s, want the visit itself", newest)
			}
			for _, bad := range []string{"nope", "OTIyMzM3MjAzNjg1NDc3NTgwN3w" + "x"} {
				res, _ := testutil.Do(t, e.client(t, tc.who), "GET", tc.url+"?cursor="+url.QueryEscape(bad), nil)
				if res.StatusCode != http.StatusBadRequest {
					t.Errorf("cursor %q: status %d, want 400", bad, res.StatusCode)
				}
			}
		})
	}
}

// TestRepeatedViewsOnePageEntry (item 3): opening the consent page again
// and again from one browser adds to one event, which the timeline shows
// with its count.
func TestRepeatedViewsOnePageEntry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	token := strings.TrimPrefix(l.URL, testutil.BaseURL)
	browser := e.srv.Client()
	for range 5 {
		e.clock.Advance(time.Minute)
		res, _ := testutil.Do(t, browser, "GET", e.srv.URL+token, nil, "User-Agent", "Mozilla/5.0 (iPhone) Safari/604.1")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("consent: status %d", res.StatusCode)
		}
	}
	_, body := testutil.Do(t, e.client(t, "admin"), "GET", e.srv.URL+e.expand("{links}/")+l.ID, nil)
	types, nodes := timelineEntries(t, body)
	if len(types) != 2 || types[1] != access.EventOpened {
		t.Fatalf("timeline %v, want created and one opened", types)
	}
	if got := within(nodes[1], "event-count"); !strings.HasPrefix(got, "· 5 times, last") {
		t.Errorf("count %q, want 5 times", got)
	}
}

// TestHistoryExportStreams (item 3): the export of a link with many events
// is complete, valid JSON, oldest first.
func TestHistoryExportStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	const n = 3000
	insertEvents(t, e.svc, &l.AccessLink, n, e.clock.Now().Add(time.Minute))
	e.clock.Advance(2 * time.Hour)
	res, body := testutil.Do(t, e.client(t, "support"), "GET", e.srv.URL+supportLinks+"/"+l.ID+"/history.json", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	var x access.HistoryExport
	if err := json.Unmarshal([]byte(body), &x); err != nil {
		t.Fatalf("the export is not valid JSON: %v", err)
	}
	// created, n started, and the export's own support view.
	if len(x.Events) != n+2 || x.Events[0].Type != access.EventCreated || x.Events[n+1].Type != access.EventSupportViewed || x.Link.ID != l.ID {
		t.Fatalf("%d events exported, want %d (first %s)", len(x.Events), n+2, x.Events[0].Type)
	}
	for i := 1; i < len(x.Events); i++ {
		if x.Events[i].Time < x.Events[i-1].Time {
			t.Fatalf("event %d out of order", i)
		}
	}
}

// TestSupportExportFetchMetadata (item 10b): the export is recorded only
// for a navigation from the app itself or typed in; another site making a
// support user's browser fetch it gets 403 and records nothing.
func TestSupportExportFetchMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	views := func() int64 {
		var n int64
		if err := testutil.DBOf(e.svc).Model(&models.LinkEvent{}).Where("link_id = ? AND type = ?", l.ID, access.EventSupportViewed).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	export := e.srv.URL + supportLinks + "/" + l.ID + "/history.json"
	want := int64(0)
	for _, tc := range []struct {
		site   string
		status int
	}{
		{"cross-site", http.StatusForbidden},
		{"same-site", http.StatusForbidden},
		{"same-origin", http.StatusOK},
		{"none", http.StatusOK},
		{"", http.StatusOK}, // a client without Fetch Metadata (curl)
	} {
		t.Run("SecFetchSite="+tc.site, func(t *testing.T) {
			var header []string
			if tc.site != "" {
				header = []string{"Sec-Fetch-Site", tc.site, "Sec-Fetch-Mode", "navigate"}
			}
			res, body := testutil.Do(t, e.client(t, "support"), "GET", export, nil, header...)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status == http.StatusOK {
				want++
				if !json.Valid([]byte(body)) {
					t.Error("the export is not valid JSON")
				}
			}
			if got := views(); got != want {
				t.Errorf("%d support views recorded, want %d", got, want)
			}
		})
	}
}

// TestForeignUserOpensLink (item 10a): a user signed in to another
// organization who opens, starts and declines a link is recorded as the
// invitee; a member of the link's organization is still named.
func TestForeignUserOpensLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A link of its own for each user: a link that stays declined is
	// declined once.
	var evs []access.Event
	var links []*access.Link
	for _, who := range []string{"free", "support", "owner"} {
		l := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
		links = append(links, l)
		token := strings.TrimPrefix(l.URL, testutil.BaseURL)
		c := e.client(t, who)
		testutil.Do(t, c, "GET", e.srv.URL+token, nil)
		testutil.Do(t, c, "POST", e.srv.URL+token+"/start", url.Values{})
		testutil.Do(t, c, "POST", e.srv.URL+token+"/decline", url.Values{"reason": {"not me"}})
		linkEvs, err := e.svc.Events(t.Context(), l.ID)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, linkEvs...)
	}
	named := 0
	for _, ev := range evs {
		switch {
		case ev.Type == access.EventCreated:
		case ev.ActorID == nil && ev.Actor == "invitee":
		case ev.ActorID != nil && *ev.ActorID == e.f.Owner.ID && ev.Actor == e.f.Owner.Name:
			named++
		default:
			t.Errorf("%s event recorded as %q (%v)", ev.Type, ev.Actor, ev.ActorID)
		}
	}
	if named != 3 || len(evs) < 7 {
		t.Errorf("%d events by the organization's owner of %d, want 3", named, len(evs))
	}
	for _, l := range links {
		_, body := testutil.Do(t, e.client(t, "admin"), "GET", e.srv.URL+e.expand("{links}/")+l.ID, nil)
		for _, name := range []string{e.f.Free.Name, e.f.Support.Name, e.f.Free.Email} {
			if strings.Contains(body, name) {
				t.Errorf("the history names %q", name)
			}
		}
	}
}

// TestListShowsDeclinedAndFailed (item 20): after the invitee declines with
// a reason the admin list says "Declined · reason"; after the provider
// refuses, "Failed · why"; the link stays active and usable throughout, and
// a successful connection then shows Used. The timeline reads naturally.
func TestListShowsDeclinedAndFailed(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link := e.GenerateLink(t, testutil.SandboxKey)
	admin := e.Login(t, e.F.Admin.Email)
	list := "/w/" + e.F.Reporting.ID + "/sources/access-requests"
	row := func() (status, outcome string) {
		t.Helper()
		p := e.Get(t, admin, list)
		if got := p.Attrs("link-row", "data-status"); len(got) != 1 {
			t.Fatalf("%d rows, want 1", len(got))
		}
		return p.Attrs("link-row", "data-status")[0], p.Text("link-outcome")
	}
	inv := e.NewInvitee("client")

	wantPage(t, inv.Consent(t, link.Token), http.StatusOK, "consent")
	wantPage(t, inv.Decline(t, link.Token, "Wrong account, ask Jo"), http.StatusOK, "connect-title")
	if st, outcome := row(); st != string(access.StatusActive) || !strings.HasPrefix(outcome, "Declined · Wrong account, ask Jo") {
		t.Errorf("after the decline: status %s, outcome %q; want active, \"Declined · Wrong account, ask Jo\"", st, outcome)
	}

	_, cb := inv.Authorized(t, link.Token, "deny", "")
	wantErrorPage(t, inv.Callback(t, cb), http.StatusOK, "access_denied")
	if st, outcome := row(); st != string(access.StatusActive) || !strings.HasPrefix(outcome, "Failed · Access denied") {
		t.Errorf("after the denial: status %s, outcome %q; want active, \"Failed · Access denied\"", st, outcome)
	}

	p := e.Get(t, admin, list+"/"+link.ID)
	sentences := p.Texts("event")
	joined := strings.Join(sentences, "\n")
	for _, want := range []string{"Declined by the invitee", "Reason: Wrong account, ask Jo", "Consent page opened by the invitee", "Link created by " + e.F.Admin.Name} {
		if !strings.Contains(joined, want) {
			t.Errorf("the timeline does not read %q:\n%s", want, joined)
		}
	}
	for _, bad := range []string{"Invitee declined", "by Invitee", "provider by"} {
		if strings.Contains(joined, bad) {
			t.Errorf("the timeline reads %q:\n%s", bad, joined)
		}
	}

	wantPage(t, inv.Connect(t, link.Token, "sandbox-user-1"), http.StatusOK, "connect-success")
	if st, outcome := row(); st != string(access.StatusUsed) || outcome != "" {
		t.Errorf("after connecting: status %s, outcome %q; want used and no outcome", st, outcome)
	}
	if got := e.Get(t, admin, list).Text("link-status"); got != "Used" {
		t.Errorf("badge %q, want Used", got)
	}
}
