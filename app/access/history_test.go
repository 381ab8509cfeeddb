package access_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
)

// exportHistory writes a link's JSON export and decodes it.
func (e *domainEnv) exportHistory(id string) (*access.HistoryExport, error) {
	e.t.Helper()
	v, err := e.svc.SupportLink(e.ctx, id)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := e.svc.WriteHistory(e.ctx, v, &buf, views.EventWords); err != nil {
		return nil, err
	}
	var x access.HistoryExport
	if err := json.Unmarshal(buf.Bytes(), &x); err != nil {
		return nil, fmt.Errorf("the export is not valid JSON: %w\n%.500s", err, buf.String())
	}
	return &x, nil
}

// invitee is a client of the public link routes.
func invitee(ip, ua string) access.Actor { return access.Actor{IP: ip, UserAgent: ua} }

// TestRepeatedViewsCollapse (item 3): 1,000 views of the consent page from
// one client are one event with a count of 1,000 and the time of the last
// view; other clients, and a different decline reason, are events of their
// own (declines of a link declined anew after a failed attempt); concurrent
// views never make a duplicate.
func TestRepeatedViewsCollapse(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	phone := invitee("198.51.100.20", "Mozilla/5.0 (iPhone) Safari/604.1")
	first := e.clock.Now()
	for i := 0; i < 1000; i++ {
		e.clock.Advance(time.Second)
		if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, phone, access.EventOpened, nil); err != nil {
			t.Fatal(err)
		}
	}
	last := e.clock.Now()
	opened := func() []access.Event {
		var out []access.Event
		for _, ev := range e.events(l.ID) {
			if ev.Type == access.EventOpened {
				out = append(out, ev)
			}
		}
		return out
	}
	got := opened()
	if len(got) != 1 {
		t.Fatalf("%d opened events for 1,000 views from one client, want 1", len(got))
	}
	if got[0].Times() != 1000 || !got[0].CreatedAt.Equal(first.Add(time.Second)) || !got[0].LastSeen().Equal(last) {
		t.Errorf("event count %d, first %v, last %v; want 1000, %v, %v", got[0].Times(), got[0].CreatedAt, got[0].LastSeen(), first.Add(time.Second), last)
	}

	t.Run("OtherClientsAreSeparate", func(t *testing.T) {
		for _, a := range []access.Actor{
			invitee("198.51.100.21", phone.UserAgent), // another address
			invitee(phone.IP, "curl/8.5.0"),           // another browser
			e.actor(e.f.Admin),                        // a member of the workspace
		} {
			if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, a, access.EventOpened, nil); err != nil {
				t.Fatal(err)
			}
		}
		if got := opened(); len(got) != 4 {
			t.Fatalf("%d opened events, want 4 (one per client)", len(got))
		}
	})

	t.Run("Declines", func(t *testing.T) {
		// A link that stays declined is declined once (TestDeclineOnce), so
		// a failed attempt comes between the declines here.
		for i, reason := range []string{"Wrong account", "Wrong account", "Not now"} {
			e.clock.Advance(time.Second)
			if i > 0 {
				if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, phone, access.EventProviderError, map[string]any{"kind": "provider", "error": "access_denied"}); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, phone, access.EventDeclined, map[string]any{"reason": reason}); err != nil {
				t.Fatal(err)
			}
		}
		var counts []int
		for _, ev := range e.events(l.ID) {
			if ev.Type == access.EventDeclined {
				counts = append(counts, ev.Times())
			}
		}
		if fmt.Sprint(counts) != "[2 1]" {
			t.Errorf("decline counts %v, want [2 1]", counts)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		e.clock.Advance(time.Second)
		if err := testutil.ConcurrentlyErr(40, func(int) error {
			return e.svc.RecordEvent(e.ctx, &l.AccessLink, phone, access.EventOpened, nil)
		}); err != nil {
			t.Fatal(err)
		}
		evs := e.events(l.ID)
		if len(evs) != 2 || evs[1].Type != access.EventOpened || evs[1].Times() != 40 {
			t.Fatalf("events %v, count %d; want created and one opened with count 40", evs, evs[len(evs)-1].Times())
		}
	})

	t.Run("OtherClientsBeyondTheBound", func(t *testing.T) {
		e.svc.SetMaxClientsPerLink(5)
		defer e.svc.SetMaxClientsPerLink(0)
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		e.clock.Advance(time.Second)
		// A client rotating its user agent: 5 events, then one more that
		// counts every further agent.
		for i := range 40 {
			e.clock.Advance(time.Second)
			if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, invitee(phone.IP, fmt.Sprintf("agent/%d", i%20)), access.EventOpened, nil); err != nil {
				t.Fatal(err)
			}
		}
		evs := e.events(l.ID)[1:]
		total := 0
		for _, ev := range evs {
			total += ev.Times()
		}
		if len(evs) != 6 || total != 40 {
			t.Fatalf("%d events counting %d views, want 6 counting 40", len(evs), total)
		}
		last := evs[5]
		if last.Times() != 30 || last.UserAgent != "agent/19" || !strings.Contains(views.EventSummary(&last), "counted together") {
			t.Errorf("other clients event: count %d, agent %q, summary %q", last.Times(), last.UserAgent, views.EventSummary(&last))
		}
		// A client that had its own event keeps counting on it.
		if evs[0].Times() != 2 || evs[0].UserAgent != "agent/0" {
			t.Errorf("first client's event: count %d, agent %q", evs[0].Times(), evs[0].UserAgent)
		}
	})

	t.Run("ExportShowsCount", func(t *testing.T) {
		x, err := e.exportHistory(l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if x.Events[1].Type != access.EventOpened || x.Events[1].Count != 1000 || x.Events[1].LastTime != last.Format(time.RFC3339) {
			t.Errorf("exported event %+v", x.Events[1])
		}
	})
}

// TestEventsPage (item 3): a long history is read 50 events a page, newest
// first, each page continuing exactly where the last one stopped; a bad
// cursor is a bad request.
func TestEventsPage(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	for i := 0; i < 120; i++ {
		e.clock.Advance(time.Second)
		if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, invitee("198.51.100.20", "ua"), access.EventStarted, nil); err != nil {
			t.Fatal(err)
		}
	}
	all := e.events(l.ID) // oldest first
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := e.svc.EventsPage(e.ctx, l.ID, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) > access.EventPageSize || pages > 3 {
			t.Fatalf("page %d has %d events", pages, len(p.Events))
		}
		for _, ev := range p.Events {
			seen = append(seen, ev.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(seen) != len(all) {
		t.Fatalf("%d events over the pages, want %d", len(seen), len(all))
	}
	for i := range seen {
		if seen[i] != all[len(all)-1-i].ID {
			t.Fatalf("event %d out of order", i)
		}
	}
	for _, bad := range []string{"nope", "%%%", "MTIzfA", badCursor(1 << 62), badCursor(-1 << 62)} {
		_, err := e.svc.EventsPage(e.ctx, l.ID, bad)
		assertCode(t, err, access.EBADREQUEST)
	}
}

// badCursor is a well-formed cursor whose time is micros after 1970.
func badCursor(micros int64) string {
	return strings.TrimRight(base64URL(fmt.Sprintf("%d|%s", micros, access.NewID())), "=")
}

// TestEventTextCleaned (item 6): what an event stores from a request is
// valid UTF-8 without NUL or control characters, cut on a rune boundary,
// on both databases (PostgreSQL refuses the rest with an error).
func TestEventTextCleaned(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	for name, a := range map[string]access.Actor{
		"InvalidUTF8":     invitee("198.51.100.20", "Mozilla\xff\xfe/5.0"),
		"RuneAtTheCut":    invitee("198.51.100.20", strings.Repeat("a", 399)+"é"),
		"NUL":             invitee("198.51.100.20\x00", "curl\x00/8"),
		"BidiAndControls": invitee("198.51.100.20", "evil\u202egnp.exe\x1b[31m"),
	} {
		t.Run(name, func(t *testing.T) {
			detail := map[string]any{"reason": strings.Repeat("é", 300) + "\x00\xff"}
			for _, typ := range []string{access.EventOpened, access.EventStarted, access.EventDeclined} {
				if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, a, typ, detail); err != nil {
					t.Fatalf("%s: %v", typ, err)
				}
			}
		})
	}
	var rows []models.LinkEvent
	if err := e.svc.DB().Where("link_id = ?", l.ID).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, s := range []string{r.IP, r.UserAgent, r.Detail, r.Actor} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\x1b\u202e") {
				t.Errorf("%s event stores %q", r.Type, s)
			}
		}
		if len(r.UserAgent) > 400 {
			t.Errorf("user agent of %d bytes", len(r.UserAgent))
		}
	}
}

// TestForeignUserIsInvitee (item 10a): a user signed in to another
// organization who opens, starts or declines a link is recorded as the
// invitee, without name or user ID; a member of the link's organization is
// still named.
func TestForeignUserIsInvitee(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	for _, typ := range []string{access.EventOpened, access.EventStarted, access.EventDeclined} {
		for _, u := range []models.User{e.f.Free, e.f.Support, e.f.OtherAdmin, e.f.Owner} {
			if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, e.actor(u), typ, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	named := map[string]bool{}
	for _, ev := range e.events(l.ID) {
		if ev.Type == access.EventCreated {
			continue
		}
		if ev.ActorID != nil {
			named[*ev.ActorID] = true
			continue
		}
		if ev.Actor != "invitee" || views.EventActor(&ev) != "Invitee" {
			t.Errorf("%s event of a foreign user names %q", ev.Type, ev.Actor)
		}
	}
	// Ines is an admin of another workspace of the same organization; Olivia
	// owns it.
	if named[e.f.Free.ID] || named[e.f.Support.ID] || !named[e.f.OtherAdmin.ID] || !named[e.f.Owner.ID] {
		t.Errorf("named users %v: want the organization's members only", named)
	}
}

// TestLastOutcome (item 20): a decline or a provider error is kept on the
// link, shown by the list (no extra query), and cleared when the link is
// used; the link stays active throughout.
func TestLastOutcome(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	inv := invitee("198.51.100.20", "ua")
	listed := func() access.Link {
		t.Helper()
		for _, x := range e.list(e.f.Reporting, access.ListFilter{}).Links {
			if x.ID == l.ID {
				return x
			}
		}
		t.Fatal("link not listed")
		return access.Link{}
	}
	if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, inv, access.EventDeclined, map[string]any{"reason": "Wrong account"}); err != nil {
		t.Fatal(err)
	}
	if got := listed(); got.Status != access.StatusActive || got.LastOutcome != access.OutcomeDeclined || got.LastOutcomeDetail != "Wrong account" {
		t.Errorf("after a decline: %s, %q, %q", got.Status, got.LastOutcome, got.LastOutcomeDetail)
	}
	if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, inv, access.EventProviderError, map[string]any{"kind": "provider", "error": "access_denied"}); err != nil {
		t.Fatal(err)
	}
	if got := listed(); got.Status != access.StatusActive || got.LastOutcome != access.OutcomeFailed || views.OutcomeDetail(&got) != "Access denied" {
		t.Errorf("after a provider error: %s, %q, %q", got.Status, got.LastOutcome, views.OutcomeDetail(&got))
	}
	if _, err := e.svc.ClaimLink(e.ctx, l.ID, inv, access.Identity{SourceKey: "google_ads", ExternalID: "42", AccessToken: "at"}); err != nil {
		t.Fatal(err)
	}
	if got := listed(); got.Status != access.StatusUsed || got.LastOutcome != "" || got.LastOutcomeDetail != "" || got.LastOutcomeAt != nil {
		t.Errorf("after connecting: %s, %q, %q", got.Status, got.LastOutcome, got.LastOutcomeDetail)
	}
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
