package access

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accessrequests/accessrequests/models"
)

// What a new link is made of, and the checks on its label and lifetime
// (issue 11): GenerateLinkWith and Renew use them.

// NewLink is what a generated link is made of.
type NewLink struct {
	Source string
	// Label names the link ("Acme Bakery"): at most MaxLabelLen
	// characters, cleaned like other free text; "" for none.
	Label string
	// ExpiresIn is how long the link lives: whole hours from
	// MinLinkLifetime to MaxLinkLifetime, or zero for the organization's
	// default (LinkLifetime unless its owner changed it).
	ExpiresIn time.Duration
	// Mail sends the link to a recipient (none when Recipient is "").
	Mail LinkMail
	// Language is the language of the link's invitation mail: "" or "en"
	// for English, else one of MailLanguages (CleanLanguage).
	Language string
}

// MailLanguages are the languages besides English that a link's
// invitation mail can be written in: the invitee's languages
// (views/locale.Supported; TestMailLanguages in views checks the two
// agree). English is "" (also accepted as "en").
var MailLanguages = []string{"de", "fr", "es", "pt-BR", "nl"}

// MailLanguage is the language of the link's email as the API, events and
// pages give it: en when none was chosen.
func MailLanguage(l *models.AccessLink) string {
	if l.Language == "" {
		return "en"
	}
	return l.Language
}

// CleanLanguage is the stored form of a mail language: "" for English ("",
// "en"), else the MailLanguages entry it names, whatever its case ("pt-br"
// is "pt-BR"). Anything else is refused.
func CleanLanguage(lang string) (string, error) {
	lang = strings.TrimSpace(lang)
	if lang == "" || strings.EqualFold(lang, "en") {
		return "", nil
	}
	for _, l := range MailLanguages {
		if strings.EqualFold(lang, l) {
			return l, nil
		}
	}
	return "", fieldError(EINVALID, "Choose the mail's language: en, "+strings.Join(MailLanguages, ", ")+".",
		"language", fieldf(FieldLanguageUnknown, nil, "Not a language mails are written in.")).
		because(ReasonLanguageUnknown, map[string]string{"languages": strings.Join(MailLanguages, ", ")})
}

// MaxLabelLen is the longest label of a link, in characters.
const MaxLabelLen = 80

// CleanLabel cleans a link's label like other free text and refuses one
// longer than MaxLabelLen characters.
func CleanLabel(label string) (string, error) {
	// Cleaning never lengthens text, so a cap of 4 bytes a character
	// keeps every label that can pass, and what it cuts is refused below.
	clean := CleanText(label, 4*MaxLabelLen+4)
	if utf8.RuneCountInString(clean) > MaxLabelLen {
		return "", fieldError(EINVALID, "The label is too long: at most 80 characters.",
			"label", fieldf(FieldLabelTooLong, map[string]string{"max": "80"}, "At most 80 characters.")).because(ReasonLabelTooLong, nil)
	}
	return clean, nil
}

// LinkLifetimeOf is how long m's new links live by default: the
// organization's DefaultLinkDays, or LinkLifetime when it has none.
func LinkLifetimeOf(m *Membership) time.Duration {
	if d := m.Organization.DefaultLinkDays; d > 0 {
		return time.Duration(d) * 24 * time.Hour
	}
	return LinkLifetime
}

// CheckLinkLifetime refuses a lifetime that is not whole hours from
// MinLinkLifetime to MaxLinkLifetime.
func CheckLinkLifetime(d time.Duration) error {
	if d < MinLinkLifetime || d > MaxLinkLifetime || d%time.Hour != 0 {
		return fieldError(EINVALID, "A link lives from 1 hour to 30 days (720 hours), in whole hours.",
			"expires_in", fieldf(FieldLifetimeRange, nil, "From 1 hour to 30 days.")).because(ReasonLifetimeRange, nil)
	}
	return nil
}
