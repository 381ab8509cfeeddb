package views

import (
	"time"

	"golang.org/x/text/language"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/views/locale"
)

// The invitation mail: a link's mail to its recipient, written in the
// link's language (access_links.language) through the invitee's catalogs
// (views/locale, MailLink* keys), as the consent page it leads to. The
// notifications to the link's creator stay English (mail.go).

// MailLocale is the language of a link's mail: the link's own, English
// when it has none ("") or one no catalog has.
func MailLocale(lang string) *locale.Locale {
	if t, ok := locale.Parse(lang); ok {
		return locale.Get(t)
	}
	return locale.Get(language.English)
}

// linkMailContent is what the invitation mail m says, in its language.
func linkMailContent(m *access.Mail, c *sources.Catalog) MailContent {
	loc := MailLocale(m.Language)
	name := sourceName(c, m.SourceKey)
	requester := m.Requester
	if m.RequesterKey != "" {
		requester = loc.T("MailRequesterKey", "Name", m.RequesterKey)
	}
	// What the link is for, with its label or without: two whole
	// sentences each, never one with a label glued on.
	subject, heading, lead := "MailLinkSubject", "MailLinkHeading", "MailLinkLead"
	if m.Label != "" {
		subject, heading, lead = subject+"Label", heading+"Label", lead+"Label"
	}
	detail, replies := m.RequesterEmail, loc.T("MailLinkNoReplies")
	if detail == "" {
		detail = m.Workspace
	} else {
		replies = loc.T("MailLinkReplies", "Person", loc.T("MailPerson", "Name", requester, "Detail", m.RequesterEmail))
	}
	mc := MailContent{
		Lang:      loc.Lang(),
		Brand:     loc.T("Brand"),
		Subject:   loc.T(subject, "Requester", requester, "Source", name, "Workspace", m.Workspace, "Label", m.Label),
		Preheader: loc.T("MailLinkPreheader"),
		Heading:   loc.T(heading, "Source", name, "Label", m.Label),
		Lead: []string{
			loc.T(lead, "Requester", loc.T("MailPerson", "Name", requester, "Detail", detail), "Source", name, "Workspace", m.Workspace, "Label", m.Label),
			loc.T("MailLinkNoAccount", "Source", name),
		},
		ListTitle: loc.T("MailLinkScopesTitle"),
		Button:    loc.T("MailLinkButton", "Source", name),
		ButtonURL: m.LinkURL,
		After: []string{
			linkLifetime(loc, m.LinkCreatedAt, m.ExpiresAt),
			loc.T("MailLinkCopy", "URL", m.LinkURL),
			loc.T("MailLinkIgnore"),
		},
		Footer: replies,
	}
	if m.Note != "" {
		mc.Quote, mc.QuoteBy = m.Note, requester
	}
	if src := c.Get(m.SourceKey); src != nil {
		for _, sc := range src.Scopes {
			title, description := loc.Scope(src, sc)
			mc.List = append(mc.List, MailItem{Title: title, Description: description})
		}
	}
	return mc
}

// linkLifetime says that the link works once, for how long (its own
// lifetime: whole days, else hours) and until when.
func linkLifetime(loc *locale.Locale, created, expires time.Time) string {
	date := loc.DateTime(expires)
	hours := int(expires.Sub(created).Round(time.Hour) / time.Hour)
	if hours >= 24 && hours%24 == 0 {
		return loc.N("MailLinkWorksDays", hours/24, "Date", date)
	}
	return loc.N("MailLinkWorksHours", max(hours, 1), "Date", date)
}
