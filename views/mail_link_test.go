package views_test

import (
	"bytes"
	"context"
	"html"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
	"github.com/accessrequests/accessrequests/views/locale"
)

// mailCatalog is the built-in catalog, every source configured.
func mailCatalog(t *testing.T) *sources.Catalog {
	t.Helper()
	cat := builtinSources(t)
	return cat
}

// invitation is a labelled link's mail with a note, made by Adam, in lang,
// for a link that lives lifetime.
func invitation(lang string, lifetime time.Duration) *access.Mail {
	created := time.Date(2026, 12, 1, 14, 30, 0, 0, time.UTC)
	linkID := "11111111-2222-4333-8444-555555555555"
	return &access.Mail{
		MailMessage: models.MailMessage{ID: "m1", Kind: access.MailLink, WorkspaceID: "w1", LinkID: &linkID, ToAddr: "owner@bakery.example"},
		Workspace:   "Client reporting", Requester: "Adam Admin", RequesterEmail: "adam@agency.example",
		SourceKey: "google_ads", Label: "Acme Bäckerei", Language: lang,
		LinkCreatedAt: created, ExpiresAt: created.Add(lifetime),
		Note:    "Hallo Carla, für den Monatsbericht.",
		LinkURL: "https://access.example/connect/abcDEF_123-xyz",
	}
}

// renderMail is the subject, text and HTML parts of a mail.
func renderMail(t *testing.T, m *access.Mail, cat *sources.Catalog) (subject, text, htmlPart string) {
	t.Helper()
	mc := views.MailContentOf(m, cat, "https://access.example")
	var b bytes.Buffer
	if err := views.MailHTML(mc).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return mc.Subject, views.MailText(mc), html.UnescapeString(b.String())
}

// englishWords are phrases of the English invitation that a translated one
// must not hold.
var englishWords = []string{"asks you to connect", "Connect your", "What will be asked", "Review and connect", "The link works once",
	"copy this address", "Not expecting this", "Replies to this mail", "You do not need an account", "Access requests", "See and change your Google Ads accounts"}

// TestInvitationMailLanguages: the invitation mail of a link is written in
// the link's language, each of the six: subject, heading, lead, scopes,
// button, lifetime, footer, the html lang attribute; no English phrase is
// left in a translated one, and every one carries the link's URL (as the
// button and as text), its label and the requester's note.
func TestInvitationMailLanguages(t *testing.T) {
	cat := mailCatalog(t)
	enSubject, _, _ := renderMail(t, invitation("", 3*24*time.Hour), cat)
	if enSubject != "Adam Admin asks you to connect Google Ads to Client reporting for Acme Bäckerei" {
		t.Fatalf("English subject %q", enSubject)
	}
	// The lifetime's plural forms: one day and three days, in each language.
	days := map[string][2]string{
		"en": {"for 1 day:", "for 3 days:"}, "de": {"1 Tag lang", "3 Tage lang"}, "fr": {"pendant 1 jour :", "pendant 3 jours :"},
		"es": {"durante 1 día:", "durante 3 días:"}, "pt-BR": {"por 1 dia:", "por 3 dias:"}, "nl": {"1 dag lang", "3 dagen lang"},
	}
	hours := map[string][2]string{
		"en": {"for 1 hour:", "for 5 hours:"}, "de": {"1 Stunde lang", "5 Stunden lang"}, "fr": {"pendant 1 heure :", "pendant 5 heures :"},
		"es": {"durante 1 hora:", "durante 5 horas:"}, "pt-BR": {"por 1 hora:", "por 5 horas:"}, "nl": {"1 uur lang", "5 uur lang"},
	}
	for _, tag := range locale.Supported {
		lang := tag.String()
		t.Run(lang, func(t *testing.T) {
			stored := lang
			if lang == "en" {
				stored = ""
			}
			loc := locale.Get(tag)
			subject, text, htmlPart := renderMail(t, invitation(stored, 3*24*time.Hour), cat)
			want := []string{"https://access.example/connect/abcDEF_123-xyz", "Acme Bäckerei", "Hallo Carla, für den Monatsbericht.", "Client reporting",
				loc.T("MailLinkButton", "Source", "Google Ads"), loc.T("MailLinkHeadingLabel", "Source", "Google Ads", "Label", "Acme Bäckerei"),
				loc.T("MailLinkScopesTitle"), days[lang][1], "adam@agency.example"}
			for part, body := range map[string]string{"text": text, "html": htmlPart} {
				for _, w := range want {
					if !strings.Contains(body, w) {
						t.Errorf("the %s part lacks %q", part, w)
					}
				}
				if lang == "en" {
					continue
				}
				for _, en := range englishWords {
					if strings.Contains(body, en) {
						t.Errorf("the %s part holds the English %q", part, en)
					}
				}
			}
			if !strings.Contains(htmlPart, `href="https://access.example/connect/abcDEF_123-xyz"`) || !strings.Contains(htmlPart, `<html lang="`+lang+`">`) ||
				!strings.Contains(htmlPart, ">"+loc.T("Brand")+"</p>") {
				t.Errorf("the HTML part lacks the button, lang=%q or the brand", lang)
			}
			if !strings.Contains(subject, "Acme Bäckerei") || !strings.Contains(subject, "Client reporting") || !strings.Contains(subject, "Adam Admin") {
				t.Errorf("subject %q lacks the label, the workspace or the requester", subject)
			}
			if lang != "en" && (subject == enSubject || strings.Contains(subject, "asks you")) {
				t.Errorf("subject %q is English", subject)
			}

			// Plural forms of the lifetime: one, and more.
			_, one, _ := renderMail(t, invitation(stored, 24*time.Hour), cat)
			_, oneHour, _ := renderMail(t, invitation(stored, time.Hour), cat)
			_, fiveHours, _ := renderMail(t, invitation(stored, 5*time.Hour), cat)
			for body, w := range map[string]string{one: days[lang][0], oneHour: hours[lang][0], fiveHours: hours[lang][1]} {
				if !strings.Contains(body, w) {
					t.Errorf("lifetime: the mail lacks %q", w)
				}
			}

			// Made by an API key: the key named in the language, replies go nowhere.
			m := invitation(stored, 3*24*time.Hour)
			m.Requester, m.RequesterEmail, m.RequesterKey, m.Label = "API key Zapier", "", "Zapier", ""
			subject, text, _ = renderMail(t, m, cat)
			key := loc.T("MailRequesterKey", "Name", "Zapier")
			if !strings.HasPrefix(subject, key) || strings.Contains(subject, " for ") && lang == "en" {
				t.Errorf("key's subject %q, want it to start with %q and name no label", subject, key)
			}
			if !strings.Contains(text, loc.T("MailLinkNoReplies")) || !strings.Contains(text, loc.T("MailLinkHeading", "Source", "Google Ads")) {
				t.Errorf("key's mail lacks the no-replies footer or the unlabelled heading:\n%s", text)
			}
		})
	}
}

// TestNotificationsStayEnglish: the mails to a link's creator are English
// whatever the link's language.
func TestNotificationsStayEnglish(t *testing.T) {
	cat := mailCatalog(t)
	m := invitation("de", 3*24*time.Hour)
	m.Kind, m.Facts = access.MailDeclined, map[string]string{"reason": "Nicht jetzt"}
	subject, text, htmlPart := renderMail(t, m, cat)
	if subject != "Your Google Ads link for Acme Bäckerei was declined" || !strings.Contains(htmlPart, `<html lang="en">`) || !strings.Contains(text, "Nicht jetzt") {
		t.Errorf("declined mail of a German link: %q\n%s", subject, text)
	}
}

// TestMailLanguages: the languages a link's mail can be written in are the
// invitee's languages, English aside.
func TestMailLanguages(t *testing.T) {
	var want []string
	for _, tag := range locale.Supported[1:] {
		want = append(want, tag.String())
	}
	if !slices.Equal(access.MailLanguages, want) {
		t.Errorf("access.MailLanguages = %v, locale.Supported = en %v", access.MailLanguages, want)
	}
	for _, lang := range want {
		if views.MailLocale(lang).Lang() != lang {
			t.Errorf("MailLocale(%s) = %s", lang, views.MailLocale(lang).Lang())
		}
	}
	if views.MailLocale("").Lang() != "en" || views.MailLocale("xx").Lang() != "en" {
		t.Error("no language, or an unknown one, is not English")
	}
}
