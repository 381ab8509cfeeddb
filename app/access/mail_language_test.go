package access_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// TestMailLanguage: a link carries the language of its invitation mail,
// checked and stored in one spelling ("pt-br" is "pt-BR", "en" is ""),
// read back by every read of a link (list, page, consent page, the mail),
// kept when the link is renewed; an unknown language is refused.
func TestMailLanguage(t *testing.T) {
	e := newMailEnv(t, true)
	m, actor := e.member(e.f.Admin, e.f.Reporting), e.actor(e.f.Admin)
	gen := func(lang string) (*access.Link, error) {
		return e.svc.GenerateLinkWith(e.ctx, m, actor, access.NewLink{Source: "google_ads", Label: "Acme Bakery", ExpiresIn: 3 * 24 * time.Hour,
			Language: lang, Mail: access.LinkMail{Recipient: "owner@bakery.example", Note: "Olá"}})
	}
	linkMail := func(linkID string) *access.Mail {
		t.Helper()
		var ids []string
		if err := e.svc.DB().Table("mail_messages").Where("link_id = ? AND kind = ?", linkID, access.MailLink).Pluck("id", &ids).Error; err != nil || len(ids) != 1 {
			t.Fatalf("link mails of %s: %v, %v", linkID, ids, err)
		}
		ml, err := e.svc.PrepareMail(e.ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		return ml
	}

	var l *access.Link
	t.Run("OK", func(t *testing.T) {
		var err error
		if l, err = gen(" pt-br "); err != nil {
			t.Fatal(err)
		}
		if l.Language != "pt-BR" || e.row(l.ID).Language != "pt-BR" {
			t.Fatalf("language %q, stored %q, want pt-BR", l.Language, e.row(l.ID).Language)
		}
		if page := e.list(e.f.Reporting, access.ListFilter{}); page.Links[0].ID != l.ID || page.Links[0].Language != "pt-BR" {
			t.Errorf("listed with language %q", page.Links[0].Language)
		}
		if got, err := e.svc.GetLink(e.ctx, e.f.Reporting.ID, l.ID); err != nil || got.Language != "pt-BR" {
			t.Errorf("GetLink: %q, %v", got.Language, err)
		}
		token := l.URL[strings.LastIndexByte(l.URL, '/')+1:]
		if pl, err := e.svc.OpenLink(e.ctx, token); err != nil || pl.Language != "pt-BR" {
			t.Errorf("OpenLink: %+v, %v", pl, err)
		}
		ml := linkMail(l.ID)
		if ml.Language != "pt-BR" || ml.Label != "Acme Bakery" || ml.Note != "Olá" || ml.LinkURL != l.URL ||
			ml.ExpiresAt.Sub(ml.LinkCreatedAt) != 3*24*time.Hour {
			t.Errorf("mail: language %q, label %q, note %q, URL %v, lifetime %v", ml.Language, ml.Label, ml.Note, ml.LinkURL == l.URL, ml.ExpiresAt.Sub(ml.LinkCreatedAt))
		}
	})
	t.Run("OKEnglish", func(t *testing.T) {
		for _, lang := range []string{"", "en", "EN"} {
			l, err := gen(lang)
			if err != nil || e.row(l.ID).Language != "" || linkMail(l.ID).Language != "" {
				t.Errorf("%q: stored %q, %v; want \"\" (English)", lang, e.row(l.ID).Language, err)
			}
		}
	})
	t.Run("OKEveryLanguage", func(t *testing.T) {
		for _, lang := range access.MailLanguages {
			l, err := gen(strings.ToUpper(lang))
			if err != nil || e.row(l.ID).Language != lang {
				t.Errorf("%s: stored %q, %v", lang, e.row(l.ID).Language, err)
			}
		}
	})
	for name, lang := range map[string]string{"ErrUnknown": "xx", "ErrRegion": "de-DE", "ErrName": "Deutsch", "ErrPortugal": "pt-PT", "ErrInjection": "de\r\nBcc: x"} {
		t.Run(name, func(t *testing.T) {
			before := e.count(&models.AccessLink{}, "1 = 1")
			_, err := gen(lang)
			de := assertCode(t, err, access.EINVALID)
			if de.Fields["language"] == "" || !strings.Contains(de.Message, "pt-BR") {
				t.Errorf("%q: %+v, want the field named and the languages listed", lang, de)
			}
			if after := e.count(&models.AccessLink{}, "1 = 1"); after != before {
				t.Errorf("%q: a link was made anyway", lang)
			}
		})
	}
	t.Run("RenewKeepsLanguage", func(t *testing.T) {
		e.clock.Advance(3*24*time.Hour + time.Minute) // l expired
		renewed, err := e.svc.Renew(e.ctx, m, actor, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.row(renewed.ID).Language; got != "pt-BR" {
			t.Fatalf("renewed link's language %q, want pt-BR", got)
		}
		if ml := linkMail(renewed.ID); ml.Language != "pt-BR" || ml.LinkURL != renewed.URL {
			t.Errorf("renewed link's mail: language %q", ml.Language)
		}
	})
}
