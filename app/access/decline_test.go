package access_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// declineOutbox records the events emitted and queues their mails at once,
// in the change's own transaction.
type declineOutbox struct {
	recordOutbox
	svc **access.Service
}

func (o *declineOutbox) Emit(tx *gorm.DB, ev access.OutEvent) error {
	if err := o.recordOutbox.Emit(tx, ev); err != nil {
		return err
	}
	_, err := (*o.svc).QueueMails(tx, ev)
	return err
}

// TestDeclineOnce (review A): a link that stays declined is declined once.
// Repeated declines (a reload, a script, other reasons) and concurrent ones
// record one declined event, emit one link.declined and queue one mail to
// the creator; the link stays active. A decline after a failed attempt is
// news again.
func TestDeclineOnce(t *testing.T) {
	t.Parallel()
	clock := testutil.NewClock(domainStart)
	out := &declineOutbox{}
	var svc *access.Service
	out.svc = &svc
	svc = testutil.NewService(t, testutil.OpenDB(t), clock, access.WithMail(true), access.WithOutbox(out))
	e := &domainEnv{t: t, ctx: t.Context(), clock: clock, svc: svc, f: testutil.Seed(t, svc)}
	phone := invitee("198.51.100.20", "Mozilla/5.0 (iPhone) Safari/604.1")

	declined := func(t *testing.T, l *access.Link) (events, times int) {
		t.Helper()
		for _, ev := range e.events(l.ID) {
			if ev.Type == access.EventDeclined {
				events++
				times += ev.Times()
			}
		}
		return events, times
	}
	hooks := func(l *access.Link) int {
		n := 0
		for _, ev := range out.ofType(access.HookLinkDeclined) {
			if ev.LinkID == l.ID {
				n++
			}
		}
		return n
	}
	mails := func(l *access.Link) int64 {
		return e.count(&models.MailMessage{}, "link_id = ? AND kind = ?", l.ID, access.MailDeclined)
	}
	decline := func(t *testing.T, l *access.Link, a access.Actor, reason string) {
		t.Helper()
		if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, a, access.EventDeclined, map[string]any{"reason": reason}); err != nil {
			t.Fatal(err)
		}
	}

	// declinedOnce: one declined event counting one decline, one
	// link.declined webhook, one mail to the creator.
	declinedOnce := func(t *testing.T, l *access.Link) {
		t.Helper()
		if ev, times := declined(t, l); ev != 1 || times != 1 {
			t.Errorf("%d declined events counting %d declines, want 1 and 1", ev, times)
		}
		if n := hooks(l); n != 1 {
			t.Errorf("%d link.declined events out, want 1", n)
		}
		if n := mails(l); n != 1 {
			t.Errorf("%d declined mails, want 1", n)
		}
	}

	t.Run("RepeatedDeclinesOneEventOneHookOneMail", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		for i, reason := range []string{"Wrong account", "Wrong account", "Not now", "", "Wrong account"} {
			clock.Advance(time.Second)
			a := phone
			if i == 3 {
				a = invitee("198.51.100.99", "curl/8.5.0") // another client
			}
			decline(t, l, a, reason)
		}
		declinedOnce(t, l)
		row := e.row(l.ID)
		if st := access.StatusOf(&row, clock.Now()); st != access.StatusActive || row.LastOutcome != access.OutcomeDeclined || row.LastOutcomeDetail != "Wrong account" {
			t.Errorf("link %s, last outcome %q %q; want active, declined with the first reason", st, row.LastOutcome, row.LastOutcomeDetail)
		}
	})

	t.Run("ConcurrentDeclinesOneEventOneHookOneMail", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		clock.Advance(time.Second)
		if err := testutil.ConcurrentlyErr(20, func(i int) error {
			return e.svc.RecordEvent(e.ctx, &l.AccessLink, invitee("198.51.100.20", "ua-"+string(rune('a'+i))), access.EventDeclined, nil)
		}); err != nil {
			t.Fatal(err)
		}
		declinedOnce(t, l)
	})

	t.Run("DeclineAfterAFailedAttemptIsNewsAgain", func(t *testing.T) {
		l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
		decline(t, l, phone, "Not now")
		if err := e.svc.RecordEvent(e.ctx, &l.AccessLink, phone, access.EventProviderError, map[string]any{"kind": "provider", "error": "access_denied"}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		decline(t, l, phone, "Not now")
		decline(t, l, phone, "Not now")
		if _, times := declined(t, l); times != 2 {
			t.Errorf("%d declines recorded, want 2", times)
		}
		if n := hooks(l); n != 2 {
			t.Errorf("%d link.declined events out, want 2", n)
		}
		if n := mails(l); n != 2 {
			t.Errorf("%d declined mails, want 2", n)
		}
	})
}
