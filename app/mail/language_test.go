package mail_test

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
)

// decoded is a delivered mail's subject and body, their encodings undone.
func decoded(t *testing.T, d delivered) (subject, body string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(d.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return subject, string(raw)
}

// TestLinkMailInLanguage: a link made with a language is mailed in it
// through SMTP, subject (encoded as RFC 2047 words) and both parts; sent
// again on request, it is in the same language; the creator's notification
// about it stays English.
func TestLinkMailInLanguage(t *testing.T) {
	e := newEnv(t)
	l, err := e.Svc.GenerateLinkWith(e.Ctx, e.M, e.Admin, access.NewLink{Source: "google_ads", Label: "Bäckerei Acme", Language: "de",
		Mail: access.LinkMail{Recipient: "owner@bakery.example", Note: "Grüße, für den Monatsbericht"}})
	if err != nil {
		t.Fatal(err)
	}
	e.start()
	got := e.smtp.waitFor(t, 1)
	if len(got) != 1 {
		t.Fatalf("got %d mails, want 1", len(got))
	}
	const subject = "Adam Admin bittet Sie, Google Ads für Bäckerei Acme mit Client reporting zu verbinden"
	check := func(d delivered) {
		t.Helper()
		s, body := decoded(t, d)
		if s != subject {
			t.Errorf("Subject = %q, want %q", s, subject)
		}
		for _, want := range []string{"Verbinden Sie Ihr Google Ads-Konto für Bäckerei Acme", "Prüfen und Google Ads verbinden", "Grüße, für den Monatsbericht",
			`<html lang="de">`, `href="` + l.URL + `"`, "Der Link funktioniert einmal, 7 Tage lang", "text/plain", "text/html"} {
			if !strings.Contains(body, want) {
				t.Errorf("the mail lacks %q", want)
			}
		}
		if strings.Contains(body, "asks you to connect") || strings.Contains(body, "Review and connect") {
			t.Error("the German mail holds English")
		}
	}
	check(got[0])

	if err := e.Svc.ResendLinkMail(e.Ctx, e.M, e.Admin, l.ID); err != nil {
		t.Fatal(err)
	}
	got = e.smtp.waitFor(t, 2)
	if len(got) != 2 {
		t.Fatalf("got %d mails after Resend, want 2", len(got))
	}
	check(got[1])

	if err := e.Svc.RecordEvent(e.Ctx, &l.AccessLink, access.Actor{IP: "198.51.100.7"}, access.EventDeclined, map[string]any{"reason": "Nicht jetzt"}); err != nil {
		t.Fatal(err)
	}
	got = e.smtp.waitFor(t, 3)
	if s, _ := decoded(t, got[2]); s != "Your Google Ads link for Bäckerei Acme was declined" {
		t.Errorf("the creator's notification: %q, want it in English", s)
	}
}
