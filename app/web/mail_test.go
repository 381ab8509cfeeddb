package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/jobs"
	"github.com/accessrequests/accessrequests/app/mail"
	"github.com/accessrequests/accessrequests/app/web"
	"github.com/accessrequests/accessrequests/app/webhooks"
	"github.com/accessrequests/accessrequests/models"
)

// mailService is a service whose mails go through the job engine, running
// in the test, to the development mailbox.
func mailService(t *testing.T, clock *testutil.Clock) (*access.Service, *testutil.Fixture) {
	t.Helper()
	ctx := context.Background()
	gdb := testutil.OpenDB(t)
	mailer := &mail.Mailer{Transport: mail.Mailbox{}, From: "a@test.example", BaseURL: testutil.BaseURL}
	engine, err := jobs.New(gdb, jobs.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Work: true,
		Sender:      webhooks.NewSender(webhooks.Options{}),
		Subscribers: []jobs.Subscriber{mailer.Subscribe}, AddWorkers: mailer.Register, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	svc := testutil.NewService(t, gdb, clock, access.WithOutbox(engine), access.WithMail(true))
	mailer.Service = svc
	wctx, cancel := context.WithCancel(ctx)
	if err := engine.Start(wctx, svc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
		defer scancel()
		_ = engine.Stop(sctx)
		cancel()
	})
	return svc, testutil.Seed(t, svc)
}

// waitMailbox waits until the mailbox holds n mails and returns them.
func waitMailbox(t *testing.T, svc *access.Service, n int) []models.MailMessage {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var mails []models.MailMessage
		err := testutil.DBOf(svc).Where("transport = ?", access.TransportMailbox).Order("sent_at DESC, id").Find(&mails).Error
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("%d mails in the mailbox, want %d: %v", len(mails), n, err)
		}
		if len(mails) >= n {
			return mails
		}
	}
}

// TestMailPages: the generate form sends a link by email (the recipient
// validated, shown in the list with Resend); the development mailbox shows
// it to signed-in users only, and its HTML under a style-only policy; in
// production the mailbox does not exist; Resend is for managers; the
// notification preferences are saved per user.
func TestMailPages(t *testing.T) {
	ctx := context.Background()
	svc, f := mailService(t, nil)
	srv := testutil.NewServer(t, svc)
	admin := srv.Login(t, "admin@test.example")
	links := srv.LinksURL(f.Reporting.ID)

	// The dialog offers the fields; a bad address is refused with its message.
	res, body := testutil.Do(t, admin, "GET", links+"/new", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `name="recipient_email"`) || !strings.Contains(body, `name="note"`) {
		t.Fatalf("generate form: %d, fields missing", res.StatusCode)
	}
	res, body = testutil.Do(t, admin, "POST", links, url.Values{"source": {"google_ads"}, "recipient_email": {"x@y.example\r\nBcc: z@evil.example"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Not a valid email address.") {
		t.Fatalf("bad recipient: %d", res.StatusCode)
	}
	res, _ = testutil.Do(t, admin, "POST", links, url.Values{"source": {"google_ads"}, "recipient_email": {"client@customer.example"}, "note": {"For the report"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("generate: %d", res.StatusCode)
	}
	linkPage := srv.URL + res.Header.Get("Location")
	linkID := strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Location"), "/w/"+f.Reporting.ID+"/sources/access-requests/"), "?created=1")

	// The mailbox gets it (the job runs with the Mailbox transport).
	mails := waitMailbox(t, svc, 1)
	res, body = testutil.Do(t, admin, "GET", srv.URL+"/dev/mailbox", nil)
	if res.StatusCode != 200 || !strings.Contains(body, "To client@customer.example") {
		t.Fatalf("mailbox: %d", res.StatusCode)
	}
	res, body = testutil.Do(t, admin, "GET", srv.URL+"/dev/mailbox/"+mails[0].ID, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "Adam Admin asks you to connect Google Ads to Client reporting") || !strings.Contains(body, "admin@test.example") {
		t.Fatalf("mailbox message: %d", res.StatusCode)
	}
	res, body = testutil.Do(t, admin, "GET", srv.URL+"/dev/mailbox/"+mails[0].ID+"/html", nil)
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != 200 || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") || !strings.Contains(body, `data-testid="mail-button"`) {
		t.Fatalf("mail HTML: %d, CSP %q", res.StatusCode, csp)
	}
	anon := srv.Client()
	for _, p := range []string{"/dev/mailbox", "/dev/mailbox/" + mails[0].ID, "/dev/mailbox/" + mails[0].ID + "/html"} {
		if res, _ := testutil.Do(t, anon, "GET", srv.URL+p, nil); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("anonymous %s: %d", p, res.StatusCode)
		}
	}
	if res, _ := testutil.Do(t, admin, "GET", srv.URL+"/dev/mailbox/"+access.NewID(), nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown mail: %d", res.StatusCode)
	}
	prod := testutil.NewServer(t, svc, func(o *web.Options) { o.Production = true })
	if res, _ := testutil.Do(t, prod.Client(), "GET", prod.URL+"/dev/mailbox", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("production mailbox: %d, want 404", res.StatusCode)
	}

	// The list and the link's page name the recipient and offer Resend.
	for _, page := range []string{links, linkPage} {
		_, body = testutil.Do(t, admin, "GET", page, nil)
		if !strings.Contains(body, "Emailed to client@customer.example") || !strings.Contains(body, `data-testid="link-resend"`) {
			t.Errorf("%s does not show the recipient and Resend", page)
		}
	}
	editor := srv.Login(t, "member@test.example")
	if res, _ := testutil.Do(t, editor, "POST", links+"/"+linkID+"/resend", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("editor resend: %d", res.StatusCode)
	}
	other := srv.Login(t, "other@test.example")
	// The mailbox shows a user only the mail of workspaces where the user
	// manages links, and mail addressed to the user: not the live link of
	// a workspace where the user is an editor, nor another organization's.
	for who, c := range map[string]*http.Client{"editor": editor, "another organization's admin": other} {
		if res, body := testutil.Do(t, c, "GET", srv.URL+"/dev/mailbox", nil); res.StatusCode != 200 || strings.Contains(body, "client@customer.example") {
			t.Errorf("%s's mailbox: %d, shows the link's mail: %v", who, res.StatusCode, strings.Contains(body, "client@customer.example"))
		}
		for _, p := range []string{"/dev/mailbox/" + mails[0].ID, "/dev/mailbox/" + mails[0].ID + "/html"} {
			if res, _ := testutil.Do(t, c, "GET", srv.URL+p, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s: %d, want 404", who, p, res.StatusCode)
			}
		}
	}
	if res, _ := testutil.Do(t, other, "POST", links+"/"+linkID+"/resend", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another workspace's admin resend: %d", res.StatusCode)
	}
	res, _ = testutil.Do(t, admin, "POST", links+"/"+linkID+"/resend", nil, "HX-Request", "true")
	if res.StatusCode != http.StatusNoContent || !strings.Contains(res.Header.Get("HX-Trigger"), "emailed again to client@customer.example") {
		t.Errorf("resend: %d %q", res.StatusCode, res.Header.Get("HX-Trigger"))
	}
	for range access.ResendLimit - 1 {
		res, _ = testutil.Do(t, admin, "POST", links+"/"+linkID+"/resend", nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("resend without JavaScript: %d", res.StatusCode)
		}
	}
	if res, _ := testutil.Do(t, admin, "POST", links+"/"+linkID+"/resend", nil); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("resend past the limit: %d", res.StatusCode)
	}

	// Preferences.
	res, body = testutil.Do(t, admin, "GET", srv.URL+"/account/notifications", nil)
	if res.StatusCode != 200 || strings.Count(body, "checked") != len(access.NotificationKinds) {
		t.Fatalf("preferences: %d", res.StatusCode)
	}
	res, _ = testutil.Do(t, admin, "POST", srv.URL+"/account/notifications", url.Values{"on": {access.MailUsed, "bogus"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save preferences: %d", res.StatusCode)
	}
	if on, err := svc.NotificationsOn(ctx, f.Admin.ID); err != nil || len(on) != 1 || on[0] != access.MailUsed {
		t.Fatalf("saved %v %v", on, err)
	}
	if on, _ := svc.NotificationsOn(ctx, f.Member.ID); len(on) != len(access.NotificationKinds) {
		t.Fatal("another user's preferences changed")
	}
	if res, _ := testutil.Do(t, anon, "GET", srv.URL+"/account/notifications", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous preferences: %d", res.StatusCode)
	}
}
