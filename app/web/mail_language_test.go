package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestGenerateMailLanguage: the generate dialog offers the mail's
// language next to the recipient (the six languages in their own names,
// English chosen); the choice is kept on the link and the mail is written
// in it, and the link's page names it; an unknown language is refused (422, the field named, the form's
// values kept), and a refused form keeps the language chosen.
func TestGenerateMailLanguage(t *testing.T) {
	svc, f := mailService(t, nil)
	srv := testutil.NewServer(t, svc)
	admin := srv.Login(t, "admin@test.example")
	links := srv.LinksURL(f.Reporting.ID)

	res, body := testutil.Do(t, admin, "GET", links+"/new", nil)
	if res.StatusCode != 200 {
		t.Fatalf("generate form: %d", res.StatusCode)
	}
	for _, want := range []string{`name="language"`, `<option value="en" lang="en" selected>English</option>`, `<option value="de" lang="de">Deutsch</option>`,
		`<option value="fr" lang="fr">Français</option>`, `<option value="es" lang="es">Español</option>`,
		`<option value="pt-BR" lang="pt-BR">Português (Brasil)</option>`, `<option value="nl" lang="nl">Nederlands</option>`, "Mail language"} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	if strings.Index(body, `name="recipient_email"`) > strings.Index(body, `name="language"`) {
		t.Error("the language is not shown after the recipient")
	}

	t.Run("ErrUnknownLanguage", func(t *testing.T) {
		res, body := testutil.Do(t, admin, "POST", links, url.Values{"source": {"google_ads"}, "recipient_email": {"client@customer.example"}, "language": {"klingon"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="mail-language-error"`) ||
			!strings.Contains(body, "Not a language mails are written in.") || !strings.Contains(body, `value="client@customer.example"`) {
			t.Fatalf("unknown language: %d", res.StatusCode)
		}
	})
	t.Run("ErrOtherFieldKeepsLanguage", func(t *testing.T) {
		res, body := testutil.Do(t, admin, "POST", links, url.Values{"source": {"google_ads"}, "recipient_email": {"not an address"}, "language": {"fr"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `<option value="fr" lang="fr" selected>`) || strings.Contains(body, `value="en" lang="en" selected`) {
			t.Fatalf("bad recipient: %d, French not kept", res.StatusCode)
		}
	})
	t.Run("OK", func(t *testing.T) {
		res, _ := testutil.Do(t, admin, "POST", links, url.Values{"source": {"google_ads"}, "recipient_email": {"client@customer.example"}, "language": {"de"}, "label": {"Bäckerei"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("generate: %d", res.StatusCode)
		}
		linkID := strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Location"), "/w/"+f.Reporting.ID+"/sources/access-requests/"), "?created=1")
		l, err := svc.GetLink(context.Background(), f.Reporting.ID, linkID)
		if err != nil || l.Language != "de" {
			t.Fatalf("link %s: language %q, %v", linkID, l.Language, err)
		}
		_, page := testutil.Do(t, admin, "GET", links+"/"+linkID, nil)
		if !strings.Contains(page, "Email language") || !strings.Contains(page, `data-testid="link-mail-language">Deutsch</dd>`) {
			t.Errorf("the link's page does not name its mail language")
		}
		mails := waitMailbox(t, svc, 1)
		_, body := testutil.Do(t, admin, "GET", srv.URL+"/dev/mailbox/"+mails[0].ID, nil)
		if !strings.Contains(body, "Adam Admin bittet Sie, Google Ads für Bäckerei mit Client reporting zu verbinden") {
			t.Errorf("the mailbox does not show the German mail")
		}
		_, body = testutil.Do(t, admin, "GET", srv.URL+"/dev/mailbox/"+mails[0].ID+"/html", nil)
		if !strings.Contains(body, `<html lang="de">`) || !strings.Contains(body, "Prüfen und Google Ads verbinden") {
			t.Errorf("the mail's HTML is not German")
		}
	})
}
