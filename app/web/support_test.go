package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
)

// The support console: what support staff see, that nobody else sees it,
// and that support staff cannot change anything.

const supportLinks = "/support/links"

// notFoundMessage is what every unknown page says.
const notFoundMessage = "We could not find that page."

// supportEvents returns the data-type of each timeline entry of a page,
// in order, and the entries.
func timelineEntries(t *testing.T, body string) ([]string, []*html.Node) {
	t.Helper()
	nodes := testutil.ByTestID(testutil.ParseHTML(t, body), "event")
	// The timeline shows the newest first (item 3: paged, newest first);
	// these tests read it oldest first.
	slices.Reverse(nodes)
	types := make([]string, len(nodes))
	for i, n := range nodes {
		types[i] = testutil.Attr(n, "data-type")
	}
	return types, nodes
}

// within is the text of the first element with data-testid id inside n, or
// "" when there is none.
func within(n *html.Node, id string) string {
	if m := testutil.ByTestID(n, id); len(m) > 0 {
		return testutil.TextOf(m[0])
	}
	return ""
}

func wantTypes(w *testutil.HistoryWalk, extra ...string) []string {
	out := make([]string, 0, len(w.Events)+len(extra))
	for _, ev := range w.Events {
		out = append(out, ev.Type)
	}
	return append(out, extra...)
}

// noSecrets fails if s holds any of the walk's secrets.
func noSecrets(t *testing.T, what, s string, w *testutil.HistoryWalk) {
	t.Helper()
	for _, sec := range w.Secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s holds a secret (%.12s…)", what, sec)
		}
	}
}

// TestLinkHistory walks a link through every kind of event, then reads its
// history on the admin link page, on the support page and in the JSON
// export: same order, actors and details everywhere, and no token, code or
// sealed value anywhere.
func TestLinkHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := testutil.WalkLinkHistory(t, e.svc, e.clock, e.f)
	e.vars["link"] = w.Link.ID
	recorded, err := e.svc.Events(context.Background(), w.Link.ID)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("AdminPage", func(t *testing.T) {
		res, body := testutil.Do(t, e.client(t, "admin"), "GET", e.srv.URL+e.expand("{links}/{link}"), nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		types, nodes := timelineEntries(t, body)
		if !slices.Equal(types, wantTypes(w)) {
			t.Fatalf("timeline %v, want %v", types, wantTypes(w))
		}
		for i, want := range w.Events {
			text := testutil.TextOf(nodes[i])
			what, who := views.EventSentence(&recorded[i]) // who is "" for the provider's and the app's events
			if !strings.Contains(text, what) || !strings.Contains(strings.ToLower(text), strings.ToLower(who)) ||
				!strings.Contains(text, want.Detail) {
				t.Errorf("entry %d (%s) reads %q; want %q by %s with %q", i, want.Type, text, what, want.Actor, want.Detail)
			}
		}
		noSecrets(t, "the admin link page", body, w)
	})

	var supportBody string
	t.Run("SupportPage", func(t *testing.T) {
		res, body := testutil.Do(t, e.client(t, "support"), "GET", e.srv.URL+supportLinks+"/"+w.Link.ID, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d\n%s", res.StatusCode, excerpt(body))
		}
		checkPageHeaders(t, res, body)
		supportBody = body
		// The visit itself is the last entry.
		want := append(slices.Clone(w.Events), testutil.WantEvent{Type: access.EventSupportViewed, Actor: e.f.Support.Name, Detail: "Opened the link in the support console"})
		types, nodes := timelineEntries(t, body)
		if !slices.Equal(types, wantTypes(w, access.EventSupportViewed)) {
			t.Fatalf("timeline %v, want %v", types, wantTypes(w, access.EventSupportViewed))
		}
		for i, want := range want {
			n := nodes[i]
			// The timeline reads "… by the invitee", and names nobody for
			// what the provider or the app did (item 20).
			wantWho := want.Actor
			switch {
			case want.Type == access.EventProviderError || want.Type == access.EventClaimRefused:
				wantWho = ""
			case wantWho == "Invitee":
				wantWho = "the invitee"
			}
			if got := within(n, "event-actor"); got != wantWho {
				t.Errorf("entry %d (%s) actor %q, want %q", i, want.Type, got, wantWho)
			}
			if got := within(n, "event-detail"); !strings.Contains(got, want.Detail) {
				t.Errorf("entry %d (%s) detail %q, want %q", i, want.Type, got, want.Detail)
			}
			if within(n, "event-title") == "" || within(n, "event-time") == "" || within(n, "event-relative") == "" {
				t.Errorf("entry %d (%s) lacks its title or times", i, want.Type)
			}
			if len(testutil.FindAll(n, func(x *html.Node) bool { return x.Data == "svg" })) == 0 {
				t.Errorf("entry %d (%s) has no icon", i, want.Type)
			}
			if want.Actor == "Invitee" {
				if got := within(n, "event-ip"); !strings.Contains(got, testutil.WalkInviteeIP) {
					t.Errorf("entry %d (%s) client address %q, want %s", i, want.Type, got, testutil.WalkInviteeIP)
				}
				agent := testutil.ByTestID(n, "event-agent")
				if len(agent) == 0 || testutil.TextOf(agent[0]) != "Safari 17 on iPhone" || testutil.Attr(agent[0], "title") != testutil.WalkInviteeUA {
					t.Errorf("entry %d (%s): user agent not shown shortened with the full string as its title", i, want.Type)
				}
			}
		}
		for id, want := range map[string]string{
			"support-org": "Acme Agency", "support-plan": "Pro", "support-workspace": "Client reporting",
			"support-creator": "Adam Admin", "support-creator-email": "admin@test.example", "link-status": "Deleted",
			"support-account-label": testutil.WalkAccount + " (jane@client.example)", "support-account-id": "123-456-7890",
			"support-link-id": w.Link.ID, "support-deleted": "by Olivia Owner",
		} {
			if got := testutil.TestIDText(t, body, id); !strings.Contains(got, want) {
				t.Errorf("%s = %q, want %q", id, got, want)
			}
		}
		var scopes []string
		for _, n := range testutil.ByTestID(testutil.ParseHTML(t, body), "support-scope") {
			scopes = append(scopes, testutil.TextOf(n))
		}
		if !slices.Equal(scopes, []string{"openid", "email", "https://www.googleapis.com/auth/adwords"}) {
			t.Errorf("scopes %v", scopes)
		}
		assertReadOnly(t, body)
		noSecrets(t, "the support page", body, w)
	})

	t.Run("Export", func(t *testing.T) {
		e.clock.Advance(time.Minute) // after the page view, on a clock that does not move by itself
		res, body := testutil.Do(t, e.client(t, "support"), "GET", e.srv.URL+supportLinks+"/"+w.Link.ID+"/history.json", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d\n%s", res.StatusCode, excerpt(body))
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="link-`+w.Link.ID+`-history.json"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("Cache-Control %q", cc)
		}
		noSecrets(t, "the export", body, w)
		var events []map[string]any
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &top); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(top["events"], &events); err != nil {
			t.Fatal(err)
		}
		want := append(slices.Clone(w.Events),
			testutil.WantEvent{Type: access.EventSupportViewed, Actor: e.f.Support.Name, Detail: "Opened the link"},
			testutil.WantEvent{Type: access.EventSupportViewed, Actor: e.f.Support.Name, Detail: "Downloaded the history as JSON"})
		if len(events) != len(want) {
			t.Fatalf("%d events exported, want %d", len(events), len(want))
		}
		var last time.Time
		for i, want := range want {
			ev := events[i]
			at, err := time.Parse(time.RFC3339, str(ev["time"]))
			if err != nil || at.Before(last) {
				t.Errorf("event %d time %q (%v), want RFC 3339, in order", i, ev["time"], err)
			}
			last = at
			if str(ev["type"]) != want.Type || str(ev["actor"]) != want.Actor || !strings.Contains(str(ev["summary"]), want.Detail) {
				t.Errorf("event %d = %v, want %+v", i, ev, want)
			}
			if _, ok := ev["detail"].(map[string]any); !ok {
				t.Errorf("event %d detail %v, want an object", i, ev["detail"])
			}
			if want.Actor == "Invitee" && (str(ev["ip"]) != testutil.WalkInviteeIP || str(ev["user_agent"]) != testutil.WalkInviteeUA) {
				t.Errorf("event %d client %v %v", i, ev["ip"], ev["user_agent"])
			}
		}
		if d := events[3]["detail"].(map[string]any); d["error"] != "access_denied" || d["description"] != "The user denied the request" {
			t.Errorf("provider_error detail %v", d)
		}
		var link map[string]any
		if err := json.Unmarshal(top["link"], &link); err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{"id": w.Link.ID, "status": "deleted", "source": "google_ads", "organization_name": "Acme Agency",
			"plan": models.PlanPro, "workspace_name": "Client reporting"} {
			if str(link[k]) != v {
				t.Errorf("link.%s = %v, want %q", k, link[k], v)
			}
		}
		for _, k := range []string{"token", "token_hash", "token_sealed", "url"} {
			if _, ok := link[k]; ok {
				t.Errorf("the exported link has %q", k)
			}
		}
	})

	t.Run("SupportReadsAreRecorded", func(t *testing.T) {
		evs, err := e.svc.Events(context.Background(), w.Link.ID)
		if err != nil {
			t.Fatal(err)
		}
		views := testutil.EventsOf(evs, access.EventSupportViewed)
		// One from the walk, then the page and the export above.
		if len(views) != 3 {
			t.Fatalf("%d support views recorded, want 3", len(views))
		}
		for i, view := range []string{access.SupportViewPage, access.SupportViewExport} {
			v := views[i+1]
			if v.ActorID == nil || *v.ActorID != e.f.Support.ID || v.Fields["view"] != view || v.IP == "" {
				t.Errorf("support view %d = %+v", i, v)
			}
		}
	})

	t.Run("NoSecretsAnywhere", func(t *testing.T) {
		noSecrets(t, "the support page", supportBody, w)
		_, body := testutil.Do(t, e.client(t, "support"), "GET", e.srv.URL+supportLinks+"?q="+w.Link.ID, nil)
		if !strings.Contains(body, w.Link.ID) {
			t.Fatal("the search by link ID does not show the link")
		}
		noSecrets(t, "the search results", body, w)
		var rows []models.LinkEvent
		if err := testutil.DBOf(e.svc).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rows)
		noSecrets(t, "link_events", string(b), w)
	})
}

func str(v any) string { s, _ := v.(string); return s }

// assertReadOnly fails if a page offers any way to change data: a form
// that posts (other than signing out, here or everywhere), or an htmx
// attribute with an unsafe method.
func assertReadOnly(t *testing.T, body string) {
	t.Helper()
	doc := testutil.ParseHTML(t, body)
	for _, f := range testutil.FindAll(doc, func(n *html.Node) bool { return n.Data == "form" }) {
		if strings.EqualFold(testutil.Attr(f, "method"), "post") && testutil.Attr(f, "action") != "/logout" && testutil.Attr(f, "action") != "/logout/everywhere" {
			t.Errorf("the page has a form posting to %q", testutil.Attr(f, "action"))
		}
	}
	for _, a := range []string{"hx-post", "hx-put", "hx-patch", "hx-delete"} {
		if n := testutil.FindAll(doc, func(n *html.Node) bool { return testutil.Attr(n, a) != "" }); len(n) > 0 {
			t.Errorf("the page has %d elements with %s", len(n), a)
		}
	}
}

// TestSupportTimelineExpiry: expiry is not an event; the timeline shows it
// from the timestamp, in its place among the events.
func TestSupportTimelineExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := e.generate(t, "admin", e.f.Reporting.ID, "sandbox")
	e.clock.Advance(access.LinkLifetime + time.Hour)
	if err := e.svc.RecordEvent(context.Background(), &l.AccessLink, access.Actor{IP: "198.51.100.1"}, access.EventClaimRefused, map[string]any{"reason": "expired"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	_, body := testutil.Do(t, e.client(t, "support"), "GET", e.srv.URL+supportLinks+"/"+l.ID, nil)
	types, nodes := timelineEntries(t, body)
	want := []string{access.EventCreated, "expired", access.EventClaimRefused, access.EventSupportViewed}
	if !slices.Equal(types, want) {
		t.Fatalf("timeline %v, want %v", types, want)
	}
	if got := testutil.TextOf(nodes[1]); !strings.Contains(got, "Expired on Mar 8, 2026, 10:00 UTC") {
		t.Errorf("expiry entry %q", got)
	}
	if got := within(nodes[2], "event-detail"); got != "The link had expired." {
		t.Errorf("claim refused detail %q", got)
	}
	if got := testutil.TestIDText(t, body, "link-status"); got != "Expired" {
		t.Errorf("status %q", got)
	}
}

// TestSupportSearch: every query kind through the page, the pasted link
// (never shown back), pagination with and without htmx, empty, no-results
// and invalid states.
func TestSupportSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	old := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.clock.Advance(10 * 24 * time.Hour) // old has expired
	used := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.clock.Advance(time.Hour)
	gone := e.generate(t, "owner", e.f.Reporting.ID, "sandbox")
	e.clock.Advance(time.Hour)
	internal := e.generate(t, "other", e.f.Internal.ID, "sandbox")
	e.clock.Advance(time.Hour)
	ctx := context.Background()
	if _, err := e.svc.ClaimLink(ctx, used.ID, access.Actor{}, access.Identity{SourceKey: "google_ads", ExternalID: "x1"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteLink(ctx, testutil.Member(t, e.svc, e.f.Owner.ID, e.f.Reporting.ID), access.Actor{UserID: e.f.Owner.ID, Name: e.f.Owner.Name}, gone.ID); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(gone.URL, testutil.BaseURL+"/connect/")
	day := func(d time.Duration) string { return testNow.Add(d).Format("2006-01-02") }
	support := e.client(t, "support")

	rows := func(t *testing.T, body string) []string {
		t.Helper()
		var out []string
		for _, n := range testutil.ByTestID(testutil.ParseHTML(t, body), "support-row") {
			out = append(out, testutil.Attr(n, "data-link"))
		}
		return out
	}
	search := func(t *testing.T, q url.Values, want ...string) string {
		t.Helper()
		res, body := testutil.Do(t, support, "GET", e.srv.URL+supportLinks+"?"+q.Encode(), nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("?%s: status %d\n%s", q.Encode(), res.StatusCode, excerpt(body))
		}
		if got := rows(t, body); !slices.Equal(got, want) {
			t.Errorf("?%s: rows %v, want %v", q.Encode(), got, want)
		}
		if len(want) == 0 && len(testutil.ByTestID(testutil.ParseHTML(t, body), "support-no-results")) == 0 {
			t.Errorf("?%s: no results but no no-results state", q.Encode())
		}
		return body
	}

	t.Run("Empty", func(t *testing.T) {
		res, body := testutil.Do(t, support, "GET", e.srv.URL+supportLinks, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		doc := testutil.ParseHTML(t, body)
		if len(testutil.ByTestID(doc, "support-empty")) == 0 || len(testutil.ByTestID(doc, "support-table")) != 0 {
			t.Error("the console without a search shows no empty state, or shows results")
		}
		form := testutil.ByTestID(doc, "support-search")
		if len(form) != 1 || testutil.Attr(form[0], "method") != "get" || testutil.Attr(form[0], "action") != supportLinks {
			t.Fatal("no GET search form")
		}
		for _, name := range []string{"q", "source", "status", "from", "to"} {
			if len(testutil.FindAll(form[0], func(n *html.Node) bool { return testutil.Attr(n, "name") == name })) != 1 {
				t.Errorf("the form has no %q field", name)
			}
		}
		assertReadOnly(t, body)
	})

	t.Run("PastedLinkURL", func(t *testing.T) {
		for name, q := range map[string]string{
			"FullURL":      gone.URL,
			"URLWithQuery": "  " + gone.URL + "?utm_source=mail ",
			"BareToken":    token,
		} {
			t.Run(name, func(t *testing.T) {
				res, body := testutil.Do(t, support, "GET", e.srv.URL+supportLinks+"?"+url.Values{"q": {q}}.Encode(), nil)
				loc := res.Header.Get("Location")
				if res.StatusCode != http.StatusSeeOther || loc != supportLinks+"?found=token&q="+gone.ID {
					t.Fatalf("status %d, Location %q; want 303 to the search by link ID", res.StatusCode, loc)
				}
				if strings.Contains(body, token) {
					t.Error("the redirect body holds the token")
				}
				page := search(t, mustURL(t, e.srv.URL+loc).Query(), gone.ID)
				if strings.Contains(page, token) {
					t.Error("the results page holds the token")
				}
				if got := testutil.TestIDText(t, page, "support-notice"); !strings.Contains(got, "link you pasted") {
					t.Errorf("notice %q", got)
				}
			})
		}
		t.Run("WithFilters", func(t *testing.T) {
			res, _ := testutil.Do(t, support, "GET", e.srv.URL+supportLinks+"?"+url.Values{"q": {gone.URL}, "status": {"deleted"}}.Encode(), nil)
			if loc := res.Header.Get("Location"); loc != supportLinks+"?found=token&q="+gone.ID+"&status=deleted" {
				t.Fatalf("Location %q", loc)
			}
		})
		t.Run("Unknown", func(t *testing.T) {
			other := testutil.BaseURL + "/connect/" + secret.RandomToken(32)
			res, _ := testutil.Do(t, support, "GET", e.srv.URL+supportLinks+"?"+url.Values{"q": {other}}.Encode(), nil)
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || loc != supportLinks+"?notfound=token" {
				t.Fatalf("status %d, Location %q", res.StatusCode, loc)
			}
			page := search(t, mustURL(t, e.srv.URL+loc).Query())
			if got := testutil.TestIDText(t, page, "support-notice"); !strings.Contains(got, "No link matches the link or token you pasted") {
				t.Errorf("notice %q", got)
			}
		})
	})

	t.Run("QueryKinds", func(t *testing.T) {
		for name, tc := range map[string]struct {
			q    url.Values
			want []string
		}{
			"LinkID":            {url.Values{"q": {strings.ToUpper(used.ID)}}, []string{used.ID}},
			"CreatorEmail":      {url.Values{"q": {"Owner@Test.Example"}}, []string{gone.ID}},
			"OrganizationName":  {url.Values{"q": {"acme ag"}}, []string{internal.ID, gone.ID, used.ID, old.ID}},
			"WorkspaceName":     {url.Values{"q": {"Intern"}}, []string{internal.ID}},
			"Source":            {url.Values{"source": {"google_ads"}}, []string{used.ID, old.ID}},
			"Status/Active":     {url.Values{"status": {"active"}}, []string{internal.ID}},
			"Status/Used":       {url.Values{"status": {"used"}}, []string{used.ID}},
			"Status/Expired":    {url.Values{"status": {"expired"}}, []string{old.ID}},
			"Status/Deleted":    {url.Values{"status": {"deleted"}}, []string{gone.ID}},
			"DateRange":         {url.Values{"from": {day(0)}, "to": {day(0)}}, []string{old.ID}},
			"DateFrom":          {url.Values{"from": {day(10 * 24 * time.Hour)}}, []string{internal.ID, gone.ID, used.ID}},
			"Combined":          {url.Values{"q": {"client"}, "source": {"sandbox"}, "status": {"deleted"}}, []string{gone.ID}},
			"NoResults":         {url.Values{"q": {"zzz"}}, nil},
			"NoResults/Status":  {url.Values{"q": {"internal"}, "status": {"used"}}, nil},
			"StatusAllIsNoFilt": {url.Values{"status": {"all"}, "q": {"intern"}}, []string{internal.ID}},
		} {
			t.Run(name, func(t *testing.T) {
				body := search(t, tc.q, tc.want...)
				assertReadOnly(t, body)
				// The filters stay in the form.
				if v := tc.q.Get("source"); v != "" && !strings.Contains(body, `value="`+v+`" selected`) {
					t.Errorf("source %q not kept in the form", v)
				}
			})
		}
		body := search(t, url.Values{"q": {"acme"}}, internal.ID, gone.ID, used.ID, old.ID)
		for _, want := range []string{"Acme Agency", "Pro", "Client reporting", "Internal", "Adam Admin", "admin@test.example", "Ines Internal"} {
			if !strings.Contains(testutil.TextOf(testutil.ParseHTML(t, body)), want) {
				t.Errorf("the results do not show %q", want)
			}
		}
		var statuses []string
		for _, n := range testutil.ByTestID(testutil.ParseHTML(t, body), "support-row") {
			statuses = append(statuses, testutil.Attr(n, "data-status"))
		}
		if !slices.Equal(statuses, []string{"active", "deleted", "used", "expired"}) {
			t.Errorf("statuses %v", statuses)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		for name, q := range map[string]url.Values{
			"Date":        {"from": {"01/03/2026"}},
			"Status":      {"status": {"gone"}},
			"Range":       {"from": {day(2 * 24 * time.Hour)}, "to": {day(0)}},
			"TooLongText": {"q": {strings.Repeat("x", 501)}},
		} {
			t.Run(name, func(t *testing.T) {
				res, body := testutil.Do(t, support, "GET", e.srv.URL+supportLinks+"?"+q.Encode(), nil)
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", res.StatusCode)
				}
				if len(testutil.ByTestID(testutil.ParseHTML(t, body), "support-error")) == 0 || len(testutil.ByTestID(testutil.ParseHTML(t, body), "support-search")) == 0 {
					t.Error("no error message on the search form")
				}
			})
		}
	})

	t.Run("SearchingRecordsNothing", func(t *testing.T) {
		var n int64
		if err := testutil.DBOf(e.svc).Model(&models.LinkEvent{}).Where("type = ?", access.EventSupportViewed).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("%d support views recorded by searches (%v), want 0", n, err)
		}
	})
}

// TestSupportSearchPages: 60 matching links fill a page of 50 with "Load
// more"; htmx swaps in the next 10 rows, and the same link without
// JavaScript opens the next page.
func TestSupportSearchPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for range 60 {
		e.generate(t, "admin", e.f.Reporting.ID, "sandbox")
		e.clock.Advance(time.Minute)
	}
	support := e.client(t, "support")
	_, body := testutil.Do(t, support, "GET", e.srv.URL+supportLinks+"?q=client", nil)
	more := fullFirstPage(t, body, "support-row", "support-load-more")
	href, hxGet := testutil.Attr(more, "href"), testutil.Attr(more, "hx-get")
	if !strings.Contains(href, "q=client") || !strings.Contains(href, "cursor=") || hxGet != href+"&fragment=rows" {
		t.Fatalf("Load more href %q, hx-get %q", href, hxGet)
	}
	t.Run("HTMX", func(t *testing.T) {
		res, frag := testutil.Do(t, support, "GET", e.srv.URL+hxGet, nil, "HX-Request", "true")
		if res.StatusCode != http.StatusOK || strings.Contains(frag, "<html") {
			t.Fatalf("status %d, full page %v", res.StatusCode, strings.Contains(frag, "<html"))
		}
		d := testutil.ParseHTML(t, frag)
		if n := len(testutil.ByTestID(d, "support-row")); n != 10 || len(testutil.ByTestID(d, "support-load-more")) != 0 {
			t.Fatalf("fragment has %d rows and %d Load more, want 10 and none", n, len(testutil.ByTestID(d, "support-load-more")))
		}
	})
	t.Run("WithoutJS", func(t *testing.T) {
		res, page := testutil.Do(t, support, "GET", e.srv.URL+href, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, "<html") {
			t.Fatalf("status %d", res.StatusCode)
		}
		if n := len(testutil.ByTestID(testutil.ParseHTML(t, page), "support-row")); n != 10 {
			t.Fatalf("%d rows on the next page, want 10", n)
		}
	})
}

// TestSupportConsoleHidden: everyone who is not support staff, signed in or
// not, gets the same 404 as an unknown page on every support route and
// method; nothing is recorded.
func TestSupportConsoleHidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := e.namedLink(t)
	e.vars["token"] = url.QueryEscape(l.URL)
	paths := []string{
		supportLinks, supportLinks + "?q=acme", supportLinks + "?q={token}", supportLinks + "?status=deleted",
		supportLinks + "/{link}", supportLinks + "/{link}/history.json",
		supportLinks + "/00000000-0000-4000-8000-000000000000", supportLinks + "/not-an-id",
	}
	var scenarios []scenario
	for _, who := range []string{"", "admin", "owner", "member", "viewer", "other", "free"} {
		name := who
		if name == "" {
			name = "anonymous"
		}
		for _, p := range paths {
			scenarios = append(scenarios, scenario{
				name: name + "/GET" + p, as: who, url: p, status: http.StatusNotFound,
				testids: []string{"error"}, contains: []string{notFoundMessage}, absent: []string{l.ID, "Support console"},
			})
		}
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"} {
			for _, p := range []string{supportLinks, supportLinks + "/{link}", supportLinks + "/{link}/history.json"} {
				scenarios = append(scenarios, scenario{name: name + "/" + m + p, as: who, method: m, url: p, form: url.Values{}, status: http.StatusNotFound})
			}
		}
		scenarios = append(scenarios, scenario{
			name: name + "/HTMX", as: who, url: supportLinks + "?q=acme&fragment=rows", header: []string{"HX-Request", "true"},
			status: http.StatusNotFound, noHeader: []string{"HX-Redirect"},
		})
	}
	e.run(t, scenarios)

	t.Run("SameAsAnUnknownPage", func(t *testing.T) {
		_, unknown := testutil.Do(t, e.client(t, "admin"), "GET", e.srv.URL+"/support/nothing-here", nil)
		_, hidden := testutil.Do(t, e.client(t, "admin"), "GET", e.srv.URL+supportLinks, nil)
		if testutil.TestIDText(t, unknown, "error") != testutil.TestIDText(t, hidden, "error") {
			t.Errorf("the console's 404 differs from an unknown page's:\n%s\n%s", testutil.TestIDText(t, hidden, "error"), testutil.TestIDText(t, unknown, "error"))
		}
	})

	t.Run("NothingRecorded", func(t *testing.T) {
		evs, err := e.svc.Events(context.Background(), l.ID)
		if err != nil || len(evs) != 1 {
			t.Fatalf("events %v (%v), want only created", testutil.EventTypes(evs), err)
		}
	})
}

// TestSupportCannotChangeAnything walks every route of the application
// that changes data (every method but GET, HEAD and OPTIONS) as a signed-in
// support user and checks each answers 403, 404 or 405, then that no row
// of any table changed.
func TestSupportCannotChangeAnything(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	links := map[string]*access.Link{
		e.f.Reporting.ID: e.generate(t, "admin", e.f.Reporting.ID, "google_ads"),
		e.f.Internal.ID:  e.generate(t, "other", e.f.Internal.ID, "sandbox"),
	}
	// A key in each workspace with one, named {key} in the routes.
	for _, k := range []struct{ who, ws string }{{"admin", e.f.Reporting.ID}, {"other", e.f.Internal.ID}} {
		key, _ := e.makeKey(t, k.who, k.ws, "Key of "+k.who)
		e.vars["key:"+k.ws] = key.ID
	}
	// A connected account in each workspace, named {account}.
	for _, ws := range []string{e.f.Reporting.ID, e.f.Internal.ID} {
		a := models.ConnectedAccount{ID: access.NewID(), WorkspaceID: ws, SourceKey: "google_ads", ExternalID: "ext-" + ws,
			DisplayName: "Ads of " + ws, Extra: "{}", Status: "connected", CreatedAt: testNow, UpdatedAt: testNow}
		if err := testutil.DBOf(e.svc).Create(&a).Error; err != nil {
			t.Fatal(err)
		}
		e.vars["account:"+ws] = a.ID
	}
	support := e.client(t, "support")
	before := snapshot(t, e)

	// Routes that change only the caller's own sessions, password or mail
	// preferences, not data (and would sign this client out for the rest
	// of the walk).
	ownSession := map[string]bool{"POST /login": true, "POST /logout": true, "POST /logout/everywhere": true, "POST /account/password": true,
		"POST /account/notifications": true}
	safe := map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true}
	walked := 0
	for _, r := range e.srv.Web.Routes() {
		if safe[r.Method] || ownSession[r.Method+" "+r.Path] || strings.HasPrefix(r.Path, "/api/") {
			continue // the API takes no session, only keys (app/api tests)
		}
		for _, target := range expandRoute(t, r.Path, e, links) {
			t.Run(r.Method+" "+target, func(t *testing.T) {
				walked++
				form := url.Values{"source": {"google_ads"}, "reason": {"support"}}
				res, body := testutil.Do(t, support, r.Method, e.srv.URL+target, form)
				switch res.StatusCode {
				case http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed:
				default:
					t.Errorf("status %d, want 403, 404 or 405\n%s", res.StatusCode, excerpt(body))
				}
				if strings.HasPrefix(r.Path, "/support/") && (res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET") {
					t.Errorf("support route: status %d, Allow %q; want 405 with Allow: GET", res.StatusCode, res.Header.Get("Allow"))
				}
			})
		}
	}
	if walked < 10 {
		t.Fatalf("walked %d unsafe routes; the route list looks wrong", walked)
	}

	t.Run("NothingChanged", func(t *testing.T) {
		after := snapshot(t, e)
		for table, rows := range before {
			if after[table] != rows {
				t.Errorf("table %s changed:\nbefore %s\nafter  %s", table, rows, after[table])
			}
		}
	})
}

// expandRoute fills a route's parameters with the IDs of each workspace
// and a link in it, and an unknown token (the invitee routes are open to
// whoever holds a token, and the console never shows one).
func expandRoute(t *testing.T, path string, e *env, links map[string]*access.Link) []string {
	t.Helper()
	if path == "/sandbox/*" || strings.HasSuffix(path, "*") {
		return nil
	}
	var out []string
	workspaces := []string{e.f.Reporting.ID, e.f.Internal.ID, e.f.Main.ID}
	if !strings.Contains(path, ":workspace") {
		workspaces = []string{""}
	}
	for _, ws := range workspaces {
		p := strings.ReplaceAll(path, ":workspace", ws)
		link := links[e.f.Reporting.ID].ID
		if l, ok := links[ws]; ok {
			link = l.ID
		}
		p = strings.ReplaceAll(p, ":link", link)
		key := e.vars["key:"+e.f.Reporting.ID]
		if k, ok := e.vars["key:"+ws]; ok {
			key = k
		}
		p = strings.ReplaceAll(p, ":key", key)
		account := e.vars["account:"+e.f.Reporting.ID]
		if a, ok := e.vars["account:"+ws]; ok {
			account = a
		}
		p = strings.ReplaceAll(p, ":account", account)
		p = strings.ReplaceAll(p, ":token", secret.RandomToken(32))
		p = strings.NewReplacer(":endpoint", access.NewID(), ":message", access.NewMessageID(), ":action", "test", ":mail", access.NewID()).Replace(p)
		if strings.Contains(p, ":") {
			t.Fatalf("route %s has a parameter this test does not fill", path)
		}
		out = append(out, p)
	}
	return out
}

// snapshot returns every row of every table, as JSON, by table.
func snapshot(t *testing.T, e *env) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"organizations", "users", "organization_members", "workspaces", "workspace_members",
		"access_links", "connected_accounts", "link_events", "api_keys", "api_key_events", "webhook_endpoints", "mail_messages"} {
		var rows []map[string]any
		if err := testutil.DBOf(e.svc).Raw("SELECT * FROM " + table + " ORDER BY 1, 2").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(rows)
		if err != nil {
			t.Fatal(err)
		}
		out[table] = string(b)
	}
	return out
}
