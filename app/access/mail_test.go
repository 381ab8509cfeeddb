package access_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// queueNow is an outbox that queues an event's mails at once, in the
// change's own transaction (the job engine does it in the fan-out's).
type queueNow struct{ svc **access.Service }

func (q queueNow) Emit(tx *gorm.DB, ev access.OutEvent) error {
	_, err := (*q.svc).QueueMails(tx, ev)
	return err
}
func (q queueNow) Deliver(*gorm.DB, string, string) error { return nil }

func newMailEnv(t *testing.T, on bool) *domainEnv {
	t.Helper()
	clock := testutil.NewClock(domainStart)
	var svc *access.Service
	svc = testutil.NewService(t, testutil.OpenDB(t), clock, access.WithMail(on), access.WithOutbox(queueNow{&svc}))
	return &domainEnv{t: t, ctx: t.Context(), clock: clock, svc: svc, f: testutil.Seed(t, svc)}
}

// TestGenerateLinkWithRecipient: the recipient is validated (one bare
// address, no header injection), the note cleaned and capped; both are
// stored on the link; without mail on the server a recipient is refused.
func TestGenerateLinkWithRecipient(t *testing.T) {
	e := newMailEnv(t, true)
	m, actor := e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin)
	t.Run("OK", func(t *testing.T) {
		note := "  Hello\u202e there\x00 " + strings.Repeat("é", 600)
		l, err := e.svc.GenerateLink(e.ctx, m, actor, "google_ads", access.LinkMail{Recipient: " client@customer.example ", Note: note})
		if err != nil {
			t.Fatal(err)
		}
		row := e.row(l.ID)
		if row.RecipientEmail != "client@customer.example" {
			t.Errorf("recipient = %q", row.RecipientEmail)
		}
		if len(row.Note) > access.MaxNoteLen || strings.ContainsAny(row.Note, "\x00\u202e") || !strings.HasPrefix(row.Note, "Hello") {
			t.Errorf("note stored as %q (%d bytes)", row.Note[:20], len(row.Note))
		}
	})
	for name, to := range map[string]string{
		"ErrInjection": "client@customer.example\r\nBcc: all@evil.example",
		"ErrTwo":       "a@customer.example, b@customer.example",
		"ErrName":      "Carla <client@customer.example>",
		"ErrNoDomain":  "client@localhost",
		"ErrNotEmail":  "client",
		"ErrLong":      strings.Repeat("a", 250) + "@example.com",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.svc.GenerateLink(e.ctx, m, actor, "google_ads", access.LinkMail{Recipient: to})
			if access.ErrorCode(err) != access.EINVALID {
				t.Fatalf("err = %v, want invalid", err)
			}
		})
	}
	t.Run("ErrNoteWithoutRecipient", func(t *testing.T) {
		_, err := e.svc.GenerateLink(e.ctx, m, actor, "google_ads", access.LinkMail{Note: "hi"})
		if access.ErrorCode(err) != access.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrMailOff", func(t *testing.T) {
		off := newMailEnv(t, false)
		_, err := off.svc.GenerateLink(off.ctx, off.member(off.f.Admin, off.f.Reporting), off.actor(off.f.Admin), "google_ads", access.LinkMail{Recipient: "client@customer.example"})
		if access.ErrorCode(err) != access.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestResendLinkMail: managers only, active links sent by email only, at
// most ResendLimit mails of one link an hour.
func TestResendLinkMail(t *testing.T) {
	e := newMailEnv(t, true)
	m, actor := e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin)
	l, err := e.svc.GenerateLink(e.ctx, m, actor, "google_ads", access.LinkMail{Recipient: "client@customer.example"})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		var n int64
		e.svc.DB().Table("mail_messages").Where("link_id = ? AND kind = ?", l.ID, access.MailLink).Count(&n)
		return n
	}
	if count() != 1 {
		t.Fatalf("%d mails queued at generate, want 1", count())
	}
	if err := e.svc.ResendLinkMail(e.ctx, e.member(e.f.Member, e.f.Reporting), e.actor(e.f.Member), l.ID); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Fatalf("an editor resent: %v", err)
	}
	if err := e.svc.ResendLinkMail(e.ctx, e.member(e.f.OtherAdmin, e.f.Internal), e.actor(e.f.OtherAdmin), l.ID); access.ErrorCode(err) != access.ENOTFOUND {
		t.Fatalf("another workspace's admin resent: %v", err)
	}
	for range access.ResendLimit {
		if err := e.svc.ResendLinkMail(e.ctx, m, actor, l.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.ResendLinkMail(e.ctx, m, actor, l.ID); access.ErrorCode(err) != access.ETOOMANY {
		t.Fatalf("resend past the limit: %v", err)
	}
	if count() != 1+access.ResendLimit {
		t.Fatalf("%d mails, want %d", count(), 1+access.ResendLimit)
	}
	e.clock.Advance(access.ResendWindow + 1)
	if err := e.svc.ResendLinkMail(e.ctx, m, actor, l.ID); err != nil {
		t.Fatalf("resend an hour later: %v", err)
	}
	plain := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	if err := e.svc.ResendLinkMail(e.ctx, m, actor, plain.ID); access.ErrorCode(err) != access.EINVALID {
		t.Fatalf("resend of a link never emailed: %v", err)
	}
	if err := e.svc.DeleteLink(e.ctx, m, actor, l.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ResendLinkMail(e.ctx, m, actor, l.ID); access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("resend of a deleted link: %v", err)
	}
}
