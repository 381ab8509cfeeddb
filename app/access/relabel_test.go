package access_test

import (
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// TestRelabelLink: a link's label is changed later, cleaned and limited as
// when it was made; the history records the old and the new label and who
// changed it, and nothing else; an unchanged label records nothing.
func TestRelabelLink(t *testing.T) {
	e, m := newAdminEnv(t)
	l := e.generateWith(t, m, e.f.Admin, access.NewLink{Source: "google_ads", Label: "Acme"})
	relabeled := func(id string) []access.Event {
		var out []access.Event
		for _, ev := range e.events(id) {
			if ev.Type == access.EventRelabeled {
				out = append(out, ev)
			}
		}
		return out
	}

	t.Run("OK", func(t *testing.T) {
		got, err := e.svc.RelabelLink(e.ctx, m, e.actor(e.f.Admin), l.ID, " Acme\u202e  Bakery\x00 ")
		if err != nil {
			t.Fatal(err)
		}
		if got.Label != "Acme Bakery" || e.row(l.ID).Label != "Acme Bakery" || got.URL == "" || got.Status != access.StatusActive {
			t.Errorf("label %q (stored %q), URL %q, status %s; want \"Acme Bakery\" on an active link with its URL", got.Label, e.row(l.ID).Label, got.URL, got.Status)
		}
		evs := relabeled(l.ID)
		if len(evs) != 1 {
			t.Fatalf("%d relabeled events, want 1", len(evs))
		}
		ev := evs[0]
		if ev.Fields["from"] != "Acme" || ev.Fields["to"] != "Acme Bakery" || len(ev.Fields) != 2 || ev.ActorID == nil || *ev.ActorID != e.f.Admin.ID || ev.Actor != e.f.Admin.Name {
			t.Errorf("event %+v fields %v: want from Acme to Acme Bakery by %s, and nothing else", ev.LinkEvent, ev.Fields, e.f.Admin.Name)
		}
	})
	t.Run("Unchanged", func(t *testing.T) {
		if _, err := e.svc.RelabelLink(e.ctx, m, e.actor(e.f.Admin), l.ID, "Acme  Bakery"); err != nil {
			t.Fatal(err)
		}
		if n := len(relabeled(l.ID)); n != 1 {
			t.Errorf("%d relabeled events after an unchanged label, want still 1", n)
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		_, err := e.svc.RelabelLink(e.ctx, m, e.actor(e.f.Admin), l.ID, strings.Repeat("x", access.MaxLabelLen+1))
		if de := assertCode(t, err, access.EINVALID); de.Fields["label"] == "" || de.Message != "The label is too long: at most 80 characters." {
			t.Fatalf("an 81-character label: %v, want invalid with a label field", err)
		}
		if e.row(l.ID).Label != "Acme Bakery" || len(relabeled(l.ID)) != 1 {
			t.Errorf("a refused label changed the link: %q", e.row(l.ID).Label)
		}
	})
	t.Run("EightyRunes", func(t *testing.T) {
		want := strings.Repeat("é", access.MaxLabelLen)
		if got, err := e.svc.RelabelLink(e.ctx, m, e.actor(e.f.Admin), l.ID, want); err != nil || got.Label != want {
			t.Fatalf("80 two-byte characters: %v", err)
		}
	})
	t.Run("Removed", func(t *testing.T) {
		got, err := e.svc.RelabelLink(e.ctx, m, e.actor(e.f.Admin), l.ID, "  ")
		if err != nil || got.Label != "" {
			t.Fatalf("removing the label: %v, label %q", err, got.Label)
		}
		found := false
		for _, ev := range relabeled(l.ID) {
			found = found || ev.Fields["to"] == "" && ev.Fields["from"] == strings.Repeat("é", access.MaxLabelLen)
		}
		if !found {
			t.Errorf("no event from the 80 é to no label")
		}
	})
	t.Run("UsedLink", func(t *testing.T) {
		u := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		e.setUsed(u.ID, e.clock.Now())
		if got, err := e.svc.RelabelLink(e.ctx, m, e.actor(e.f.Admin), u.ID, "Client X"); err != nil || got.Label != "Client X" || got.Status != access.StatusUsed {
			t.Fatalf("relabelling a used link: %v", err)
		}
	})
	t.Run("ErrOtherWorkspace", func(t *testing.T) {
		_, err := e.svc.RelabelLink(e.ctx, e.member(e.f.OtherAdmin, e.f.Internal), e.actor(e.f.OtherAdmin), l.ID, "Mine")
		assertCode(t, err, access.ENOTFOUND)
	})
	t.Run("ErrMember", func(t *testing.T) {
		_, err := e.svc.RelabelLink(e.ctx, e.member(e.f.Member, e.f.Reporting), e.actor(e.f.Member), l.ID, "Mine")
		assertCode(t, err, access.EFORBIDDEN)
	})
	t.Run("ErrMalformedID", func(t *testing.T) {
		_, err := e.svc.RelabelLink(e.ctx, m, e.actor(e.f.Admin), "../x", "Mine")
		assertCode(t, err, access.ENOTFOUND)
	})
	t.Run("ErrDeleted", func(t *testing.T) {
		d := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		if err := e.svc.DeleteLink(e.ctx, m, e.actor(e.f.Admin), d.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.RelabelLink(e.ctx, m, e.actor(e.f.Admin), d.ID, "Mine")
		assertCode(t, err, access.ENOTFOUND)
		if e.row(d.ID).Label != "" {
			t.Errorf("a deleted link was relabelled")
		}
	})
	if n := e.count(&models.LinkEvent{}, "link_id = ? AND type = ? AND actor_id = ?", l.ID, access.EventRelabeled, e.f.OtherAdmin.ID); n != 0 {
		t.Errorf("refused relabels wrote %d events", n)
	}

	// Admins relabel one link at once: every change that succeeds has its
	// event, and the events chain (each names the label it replaced).
	t.Run("Concurrent", func(t *testing.T) {
		c := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		ok := race(t, 4, "relabel", func(i int) error {
			_, err := e.svc.RelabelLink(e.ctx, m, e.actor(e.f.Admin), c.ID, "Client "+string(rune('A'+i)))
			return err
		})
		evs := relabeled(c.ID)
		if ok == 0 || len(evs) != ok {
			t.Fatalf("%d relabels succeeded, %d events", ok, len(evs))
		}
		// The clock stands still, so the events' order is not theirs in
		// time: follow them as a chain from no label.
		next := map[string]string{}
		for _, ev := range evs {
			if _, dup := next[ev.Fields["from"]]; dup {
				t.Errorf("two events replace %q", ev.Fields["from"])
			}
			next[ev.Fields["from"]] = ev.Fields["to"]
		}
		cur := ""
		for range evs {
			to, ok := next[cur]
			if !ok {
				t.Fatalf("no event replaces %q: %v", cur, next)
			}
			cur = to
		}
		if e.row(c.ID).Label != cur {
			t.Errorf("stored label %q, want the chain's last %q", e.row(c.ID).Label, cur)
		}
	})
}
