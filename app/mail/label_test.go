package mail_test

import (
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
)

// TestLinkMailNamesLabel: the mail of a labelled link names the label as
// the consent page does ("for Acme Bakery"), in its subject, heading and
// both parts (English here: the link has no language); the label is read
// when the mail is rendered, so a label changed before it leaves is the
// one sent. The notifications to the creator name it too.
func TestLinkMailNamesLabel(t *testing.T) {
	e := newEnv(t)
	l, err := e.Svc.GenerateLinkWith(e.Ctx, e.M, e.Admin, access.NewLink{Source: "google_ads", Label: "Acme",
		Mail: access.LinkMail{Recipient: "owner@bakery.example"}})
	if err != nil {
		t.Fatal(err)
	}
	// Relabelled before the worker runs: the mail names the new label.
	if _, err := e.Svc.RelabelLink(e.Ctx, e.M, e.Admin, l.ID, "Acme Bakery"); err != nil {
		t.Fatal(err)
	}
	e.start()
	got := e.smtp.waitFor(t, 1)
	if len(got) != 1 {
		t.Fatalf("got %d mails, want 1: %q", len(got), subjects(got))
	}
	m := got[0]
	if s := m.Msg.Header.Get("Subject"); s != "Adam Admin asks you to connect Google Ads to Client reporting for Acme Bakery" {
		t.Errorf("Subject = %q", s)
	}
	text, html, ok := strings.Cut(m.Body, "text/html")
	if !ok {
		t.Fatalf("the mail has no HTML part:\n%s", m.Body)
	}
	for part, body := range map[string]string{"text": text, "html": html} {
		for _, want := range []string{"Connect your Google Ads account for Acme Bakery", "to the workspace Client reporting for Acme Bakery."} {
			if !strings.Contains(body, want) {
				t.Errorf("the %s part lacks %q", part, want)
			}
		}
	}

	// Declined: the creator's notification names the label as well.
	if err := e.Svc.RecordEvent(e.Ctx, &l.AccessLink, access.Actor{IP: "198.51.100.7"}, access.EventDeclined, map[string]any{"reason": "Not now"}); err != nil {
		t.Fatal(err)
	}
	got = e.smtp.waitFor(t, 2)
	found := false
	for _, d := range got {
		found = found || d.Msg.Header.Get("Subject") == "Your Google Ads link for Acme Bakery was declined"
	}
	if !found {
		t.Errorf("no declined mail naming the label: %q", subjects(got))
	}
}
