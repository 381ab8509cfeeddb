package mail_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
	appmail "github.com/accessrequests/accessrequests/app/mail"
)

// TestEachMailOnce: every kind of mail is sent exactly once to the right
// person: the link to its recipient (Reply-To the requester, the
// workspace, the scopes, the note, the link as a button), then used,
// declined, failed and "expires tomorrow" to the link's creator. No link
// token and no SMTP password reaches the log.
func TestEachMailOnce(t *testing.T) {
	e := newEnv(t)
	e.start()
	ctx := e.Ctx
	invitee := access.Actor{IP: "198.51.100.7", UserAgent: "phone"}

	l := e.link("client@customer.example", "Hi Carla,\nthis is for the monthly report.")
	got := e.smtp.waitFor(t, 1)
	if len(got) != 1 {
		t.Fatalf("got %d mails after generate, want 1: %q", len(got), subjects(got))
	}
	m := got[0]
	h := m.Msg.Header
	if m.To[0] != "client@customer.example" || h.Get("To") != "<client@customer.example>" {
		t.Errorf("To = %v / %q", m.To, h.Get("To"))
	}
	if !strings.Contains(h.Get("Reply-To"), e.F.Admin.Email) {
		t.Errorf("Reply-To = %q, want the requester %s", h.Get("Reply-To"), e.F.Admin.Email)
	}
	if s := h.Get("Subject"); s != "Adam Admin asks you to connect Google Ads to Client reporting" {
		t.Errorf("Subject = %q", s)
	}
	for _, want := range []string{
		`href="` + l.URL + `"`, // the button
		"Review and connect Google Ads",
		"See and change your Google Ads accounts", // a scope's title from the catalog
		"this is for the monthly report.",
		"adam admin", "Client reporting",
		"text/plain", "text/html",
	} {
		if !strings.Contains(strings.ToLower(m.Body), strings.ToLower(want)) {
			t.Errorf("link mail lacks %q", want)
		}
	}
	if strings.Contains(m.Body, "<img") || strings.Contains(m.Body, "src=") {
		t.Error("the mail has an image or a remote resource")
	}

	// Declined, failed, used: one notification each, to the creator.
	if err := e.Svc.RecordEvent(ctx, &l.AccessLink, invitee, access.EventDeclined, map[string]any{"reason": "Wrong account, sorry"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.RecordEvent(ctx, &l.AccessLink, invitee, access.EventProviderError, map[string]any{"kind": "scopes", "error": "scopes_missing"}); err != nil {
		t.Fatal(err)
	}
	e.ClaimAsClientAds(l.ID, invitee, "secret-access-token")
	got = e.smtp.waitFor(t, 4)
	// Expires tomorrow: a second link, a day and a bit before its expiry;
	// the sweep runs every 100 ms, so several times, and reminds once.
	l2 := e.link("", "")
	e.Clock.Advance(access.LinkLifetime - 20*time.Hour)
	got = e.smtp.waitFor(t, 5)
	time.Sleep(500 * time.Millisecond)
	got = e.smtp.all()

	want := map[string]string{
		"Adam Admin asks you to connect Google Ads to Client reporting": "client@customer.example",
		"Your Google Ads link was declined":                             e.F.Admin.Email,
		"A Google Ads connection failed":                                e.F.Admin.Email,
		"Google Ads connected: Client Ads (ads@client.example)":         e.F.Admin.Email,
		"Your Google Ads link expires tomorrow":                         e.F.Admin.Email,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d mails, want %d: %q", len(got), len(want), subjects(got))
	}
	for _, d := range got {
		s := d.Msg.Header.Get("Subject")
		to, ok := want[s]
		if !ok || d.To[0] != to {
			t.Errorf("unexpected mail %q to %v", s, d.To)
		}
		delete(want, s)
		if s == "Your Google Ads link was declined" && !strings.Contains(d.Body, "Wrong account, sorry") {
			t.Error("the declined mail lacks the reason")
		}
		if s == "A Google Ads connection failed" && !strings.Contains(d.Body, "What to do: Some permissions") {
			t.Error("the failed mail lacks what to do")
		}
		if s == "Your Google Ads link expires tomorrow" && !strings.Contains(d.Body, baseURL+"/w/"+e.F.Reporting.ID+"/sources/access-requests/"+l2.ID) {
			t.Error("the reminder does not link to the link's page")
		}
		if s != "Adam Admin asks you to connect Google Ads to Client reporting" && !strings.Contains(d.Body, baseURL+"/account/notifications") {
			t.Errorf("%q lacks the preferences link", s)
		}
	}
	// Every link in every mail points at the configured base URL.
	for _, d := range got {
		for _, part := range strings.Split(d.Body, `href="`)[1:] {
			if !strings.HasPrefix(part, baseURL+"/") {
				t.Errorf("%q links elsewhere: %.60s", d.Msg.Header.Get("Subject"), part)
			}
		}
	}
	// The history says the link was emailed.
	hist, err := e.Svc.Events(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	emailed := 0
	for _, ev := range hist {
		if ev.Type == access.EventEmailed && ev.Fields["to"] == "client@customer.example" {
			emailed++
		}
	}
	if emailed != 1 {
		t.Errorf("%d emailed events in the history, want 1", emailed)
	}
	log := e.log.String()
	for _, secret := range []string{path.Base(l.URL), smtpPassword, "secret-access-token"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds a secret %q", secret[:6]+"…")
		}
	}
	if !strings.Contains(log, "mail sent") {
		t.Error("the log does not say mail was sent")
	}
}

// TestRetryAfterSMTPFailure: the server refuses the first attempt (451);
// the job retries and the mail arrives once.
func TestRetryAfterSMTPFailure(t *testing.T) {
	e := newEnv(t)
	e.smtp.failNext.Store(1)
	e.start()
	e.link("client@customer.example", "")
	got := e.smtp.waitFor(t, 1)
	time.Sleep(time.Second)
	if got = e.smtp.all(); len(got) != 1 {
		t.Fatalf("got %d mails, want 1", len(got))
	}
	var attempts int
	if err := e.DB.Raw("SELECT attempts FROM mail_messages").Scan(&attempts).Error; err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Errorf("attempts = %d, want 2 (one refused, one sent)", attempts)
	}
}

// TestFanOutAgainQueuesNothing: an event fanned out a second time (its
// job retried after its mails were queued) queues no second mail, and a
// mail already sent is never prepared again.
func TestFanOutAgainQueuesNothing(t *testing.T) {
	e := newEnv(t)
	l := e.link("client@customer.example", "")
	ev := access.OutEvent{ID: access.NewMessageID(), Type: access.HookLinkCreated, WorkspaceID: l.WorkspaceID, LinkID: l.ID}
	var ids [][]string
	for range 2 {
		q, err := e.Svc.QueueMails(e.DB, ev)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, q)
	}
	if len(ids[0]) != 1 || len(ids[1]) != 0 {
		t.Fatalf("queued %d then %d mails, want 1 then 0", len(ids[0]), len(ids[1]))
	}
	if _, err := e.Svc.PrepareMail(e.Ctx, ids[0][0]); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		marked, err := e.Svc.MarkMailSent(e.Ctx, ids[0][0], access.TransportSMTP)
		if err != nil || marked != want {
			t.Fatalf("MarkMailSent #%d = %v, %v; want %v", i+1, marked, err, want)
		}
	}
	if _, err := e.Svc.PrepareMail(e.Ctx, ids[0][0]); err != access.ErrMailDone {
		t.Fatalf("PrepareMail after sending = %v, want ErrMailDone", err)
	}
}

// TestPreferencesAndAPIKeys: a notification turned off is not sent, the
// others are; a link made by an API key notifies nobody.
func TestPreferencesAndAPIKeys(t *testing.T) {
	e := newEnv(t)
	if err := e.Svc.SetNotifications(e.Ctx, e.F.Admin.ID, []string{access.MailUsed, access.MailFailed, access.MailExpiring}); err != nil {
		t.Fatal(err)
	}
	on, err := e.Svc.NotificationsOn(e.Ctx, e.F.Admin.ID)
	if err != nil || strings.Join(on, ",") != "used,failed,expiring" {
		t.Fatalf("NotificationsOn = %v, %v", on, err)
	}
	e.start()
	invitee := access.Actor{IP: "198.51.100.7"}
	l := e.link("", "")
	if err := e.Svc.RecordEvent(e.Ctx, &l.AccessLink, invitee, access.EventDeclined, map[string]any{"reason": "no"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.RecordEvent(e.Ctx, &l.AccessLink, invitee, access.EventProviderError, map[string]any{"kind": "token", "error": "server_error"}); err != nil {
		t.Fatal(err)
	}
	// Through an API key: no person to notify.
	key, _, err := e.Svc.CreateAPIKey(e.Ctx, e.M, e.Admin, "CI")
	if err != nil {
		t.Fatal(err)
	}
	kl, err := e.Svc.GenerateLink(e.Ctx, e.M, access.Actor{APIKeyID: key.ID, APIKeyName: key.Name}, "google_ads")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.RecordEvent(e.Ctx, &kl.AccessLink, invitee, access.EventDeclined, map[string]any{"reason": "no"}); err != nil {
		t.Fatal(err)
	}
	got := e.smtp.waitFor(t, 1)
	time.Sleep(500 * time.Millisecond)
	if got = e.smtp.all(); len(got) != 1 || got[0].Msg.Header.Get("Subject") != "A Google Ads connection failed" {
		t.Fatalf("got %q, want only the failed notification", subjects(got))
	}
}

// TestSTARTTLSRequired: a server that is not on a loopback address must
// offer STARTTLS; a plain one is refused and gets nothing. On loopback the
// same server is used in plain text.
func TestSTARTTLSRequired(t *testing.T) {
	s := newSMTPServer(t)
	msg := &appmail.Message{ID: "x@test", From: "a@test.example", To: "b@test.example", Subject: "Hi", Text: "hi", HTML: "<p>hi</p>"}
	cfg, err := config.ParseSMTPURL("smtp://" + smtpUser + ":" + smtpPassword + "@mail.example.com:587")
	if err != nil {
		t.Fatal(err)
	}
	toLocal := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, s.addr)
	}
	err = appmail.NewSMTP(cfg, appmail.SMTPOptions{Dial: toLocal, Timeout: 5 * time.Second}).Send(context.Background(), msg)
	if err == nil {
		t.Fatal("sent in plain text to a non-loopback server")
	}
	if strings.Contains(err.Error(), smtpPassword) {
		t.Error("the error shows the password")
	}
	if len(s.all()) != 0 || s.authed.Load() != 0 {
		t.Fatal("the plain server got the credentials or the message")
	}
	if err := appmail.NewSMTP(s.config(t), appmail.SMTPOptions{Timeout: 5 * time.Second}).Send(context.Background(), msg); err != nil {
		t.Fatalf("loopback: %v", err)
	}
	if len(s.all()) != 1 {
		t.Fatal("loopback server got no message")
	}
}

// TestEndpointDisabledMail: a webhook endpoint failing for 5 days is
// disabled and its creator gets one mail saying what to do.
func TestEndpointDisabledMail(t *testing.T) {
	e := newEnv(t)
	var calls atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer recv.Close()
	ep, _, err := e.Svc.CreateWebhookEndpoint(e.Ctx, e.M, e.Admin, access.NewWebhookEndpoint{URL: recv.URL + "/hook", Description: "CRM"})
	if err != nil {
		t.Fatal(err)
	}
	e.start()
	e.link("", "")
	// The first failure recorded (failing_since set after the attempt's
	// answer), before the clock moves: else, on a busy machine, it is
	// recorded at the later time and the endpoint has not failed for long.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var failing int64
		if err := e.DB.Raw("SELECT count(*) FROM webhook_endpoints WHERE id = ? AND failing_since IS NOT NULL", ep.ID).Scan(&failing).Error; err != nil {
			t.Fatal(err)
		}
		if calls.Load() >= 1 && failing == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed delivery recorded (%d attempts)", calls.Load())
		}
	}
	// Five days later the next failure disables it: a retry of the first
	// event if one is still due, else the delivery of a new event (the
	// first event's retries may all have run before the clock moved).
	e.Clock.Advance(access.WebhookDisableAfter + time.Hour)
	e.link("", "")
	got := e.smtp.waitFor(t, 1)
	if len(got) != 1 || got[0].To[0] != e.F.Admin.Email || got[0].Msg.Header.Get("Subject") != "A webhook endpoint of Client reporting was disabled" {
		t.Fatalf("got %q to %v", subjects(got), got[0].To)
	}
	for _, want := range []string{recv.URL + "/hook", baseURL + "/w/" + e.F.Reporting.ID + "/settings/webhooks/" + ep.ID, "enable the endpoint again"} {
		if !strings.Contains(got[0].Body, want) {
			t.Errorf("the mail lacks %q", want)
		}
	}
}
