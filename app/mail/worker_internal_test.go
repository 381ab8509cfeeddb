package mail

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/riverqueue/river"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// counting is a transport that counts what it is handed.
type counting struct{ n atomic.Int32 }

func (c *counting) Send(context.Context, *Message) error { c.n.Add(1); return nil }
func (c *counting) Name() string                         { return access.TransportSMTP }

// TestJobRunAgainSendsNothing: a mail job that runs again after it sent
// (its completion lost: a crash, a timeout) finds the mail marked sent
// and sends nothing; a job whose link was deleted meanwhile sends
// nothing either.
func TestJobRunAgainSendsNothing(t *testing.T) {
	ctx := context.Background()
	gdb := testutil.OpenDB(t)
	svc := testutil.NewService(t, gdb, nil, access.WithMail(true))
	f := testutil.Seed(t, svc)
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	admin := access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}
	tr := &counting{}
	w := &worker{m: &Mailer{Service: svc, Transport: tr, From: "a@test.example", BaseURL: testutil.BaseURL}}
	queue := func() string {
		t.Helper()
		l, err := svc.GenerateLink(ctx, m, admin, "google_ads", access.LinkMail{Recipient: "client@customer.example"})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := svc.QueueMails(gdb, access.OutEvent{ID: access.NewMessageID(), Type: access.HookLinkCreated, WorkspaceID: l.WorkspaceID, LinkID: l.ID})
		if err != nil || len(ids) != 1 {
			t.Fatalf("queued %v, %v", ids, err)
		}
		return ids[0]
	}
	id := queue()
	for attempt := 1; attempt <= 3; attempt++ {
		if err := w.Work(ctx, &river.Job[Args]{Args: Args{MailID: id}}); err != nil {
			t.Fatalf("run %d: %v", attempt, err)
		}
	}
	if n := tr.n.Load(); n != 1 {
		t.Fatalf("sent %d times, want 1", n)
	}
	// Deleted before its job ran: nothing sent.
	id2 := queue()
	var linkID string
	if err := gdb.Raw("SELECT link_id FROM mail_messages WHERE id = ?", id2).Scan(&linkID).Error; err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteLink(ctx, m, admin, linkID); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, &river.Job[Args]{Args: Args{MailID: id2}}); err != nil {
		t.Fatal(err)
	}
	if n := tr.n.Load(); n != 1 {
		t.Fatalf("a deleted link's mail was sent (%d sends)", n)
	}
}
