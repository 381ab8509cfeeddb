package views

import (
	"strings"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
)

// The words of every mail. MailContentOf says what a mail tells; MailHTML
// (mail.templ) and MailText lay the same content out as HTML and as plain
// text, so the two parts of a mail never differ.

// MailContent is one mail's words.
type MailContent struct {
	// Lang is the mail's language ("en", "de", "pt-BR"); Brand the
	// product's name in it, above the heading.
	Lang, Brand string
	Subject     string
	// Preheader is the line mail apps show after the subject.
	Preheader string
	Heading   string
	Lead      []string
	// Quote is the requester's note, QuoteBy who wrote it.
	Quote, QuoteBy string
	// ListTitle and List: what will be asked (the source's scopes).
	ListTitle string
	List      []MailItem
	Button    string
	ButtonURL string
	// After are the paragraphs below the button.
	After []string
	// Footer says why the mail came; FooterURL turns it off (notifications).
	Footer, FooterURL string
}

// MailItem is one line of a mail's list.
type MailItem struct{ Title, Description string }

// NotificationTitles name each notification on the preferences page.
var NotificationTitles = map[string]MailItem{
	access.MailUsed:     {"Link used", "Someone connected an account through a link you created."},
	access.MailDeclined: {"Link declined", "The person you sent a link to declined, with their reason."},
	access.MailFailed:   {"Connection failed", "A connection through your link failed, and what to do about it."},
	access.MailExpiring: {"Expires tomorrow", "A link you created is still unused a day before it expires."},
}

// failureAdvice is what to do after a failed connection, by the kind of
// failure the domain recorded.
var failureAdvice = map[string]string{
	"provider": "The provider refused the sign-in. Ask the account owner to try again, and to make sure they sign in with an account that can grant this access.",
	"token":    "The provider did not complete the sign-in. This is usually temporary: ask the account owner to open the link and try again in a few minutes.",
	"identity": "The provider did not tell us which account was connected. Ask the account owner to try again; if it keeps failing, check the source's setup.",
	"scopes":   "Some permissions the integration needs were not granted. Ask the account owner to try again and approve every permission on the provider's page.",
	"account":  "The account owner signed in with another account than the one the reconnect link is for. Ask them to open the link again and sign in with that account.",
	"state":    "The sign-in could not be verified (it was started in another browser or took too long). Ask the account owner to open the link again and finish in one go.",
}

// MailContentOf is what mail m says. baseURL is the app's address (the
// preferences page); every link in a mail starts with it.
func MailContentOf(m *access.Mail, c *sources.Catalog, baseURL string) MailContent {
	name := sourceName(c, m.SourceKey)
	prefs := strings.TrimRight(baseURL, "/") + "/account/notifications"
	notice := MailContent{Lang: "en", Brand: "Access requests", Button: "View the link", ButtonURL: m.LinkPageURL,
		Footer: "You get this mail because you created this link in " + m.Workspace + ". Choose which mails you get:", FooterURL: prefs}
	switch m.Kind {
	case access.MailLink:
		return linkMailContent(m, c)
	case access.MailUsed:
		notice.Subject = name + " connected: " + mailAccount(m.Facts)
		notice.Heading = "Your " + name + " link was used"
		notice.Lead = []string{mailAccount(m.Facts) + " connected their " + name + " account to " + m.Workspace + forLabel(m) + ". The account is ready for your integrations."}
		if id := m.Facts["account_external_id"]; id != "" {
			notice.Lead = append(notice.Lead, "Account ID at "+name+": "+id+".")
		}
	case access.MailDeclined:
		notice.Subject = "Your " + name + " link" + forLabel(m) + " was declined"
		notice.Heading = notice.Subject
		notice.Lead = []string{"The person you sent the " + name + " link" + forLabel(m) + " to declined to connect their account to " + m.Workspace + "."}
		if r := m.Facts["reason"]; r != "" {
			notice.Quote, notice.QuoteBy = r, "their reason"
		} else {
			notice.Lead = append(notice.Lead, "They gave no reason.")
		}
		notice.After = []string{"The link still works until " + Date(m.ExpiresAt) + ", in case they change their mind."}
	case access.MailFailed:
		notice.Subject = "A " + name + " connection" + forLabel(m) + " failed"
		notice.Heading = notice.Subject
		what := "The sign-in at " + name + " did not complete"
		if code := m.Facts["error_code"]; code != "" {
			what += " (" + code + ")"
		}
		notice.Lead = []string{what + ". Nothing was connected, and the link still works until " + Date(m.ExpiresAt) + "."}
		advice, ok := failureAdvice[m.Facts["failure"]]
		if m.Facts["error_code"] == "access_denied" {
			advice, ok = "The account owner denied access on the provider's page. If that was a mistake, ask them to open the link again.", true
		}
		if !ok {
			advice = "Ask the account owner to open the link and try again. If it keeps failing, the link's page has the details."
		}
		notice.After = []string{"What to do: " + advice}
	case access.MailEndpointDisabled:
		notice.Subject = "A webhook endpoint of " + m.Workspace + " was disabled"
		notice.Heading = "Webhook endpoint disabled"
		notice.Lead = []string{"Deliveries to " + m.Facts["endpoint_url"] + " have failed for 5 days, so the endpoint was disabled and receives no events."}
		notice.After = []string{"What to do: fix the receiver, then enable the endpoint again on its page; Resend in its delivery log sends what it missed."}
		notice.Button, notice.ButtonURL = "Open the endpoint", strings.TrimRight(baseURL, "/")+"/w/"+m.WorkspaceID+"/settings/webhooks/"+m.Facts["endpoint_id"]
		notice.Footer, notice.FooterURL = "You get this mail because you manage webhooks in "+m.Workspace+".", ""
	case access.MailExpiring:
		notice.Subject = "Your " + name + " link" + forLabel(m) + " expires tomorrow"
		notice.Heading = notice.Subject
		notice.Lead = []string{"The " + name + " link" + forLabel(m) + " you created in " + m.Workspace + " has not been used yet. It expires on " + Date(m.ExpiresAt) + "."}
		notice.After = []string{"Send the link again to remind the account owner, or generate a new one later."}
	}
	notice.Preheader = strings.Join(notice.Lead, " ")
	return notice
}

// forLabel names the link's label, as the consent page does ("for Acme
// Bakery"), after what the link is for; "" without a label.
func forLabel(m *access.Mail) string {
	if m.Label == "" {
		return ""
	}
	return " for " + m.Label
}

// mailAccount names the connected account of a notification.
func mailAccount(f map[string]string) string {
	switch n, e := f["account_name"], f["account_email"]; {
	case n != "" && e != "" && n != e:
		return n + " (" + e + ")"
	case n != "":
		return n
	case e != "":
		return e
	}
	return "An account"
}

// MailText is the plain-text part of a mail: the same content as MailHTML.
func MailText(mc MailContent) string {
	var b strings.Builder
	b.WriteString(mc.Heading + "\n\n")
	for _, p := range mc.Lead {
		b.WriteString(p + "\n\n")
	}
	if mc.Quote != "" {
		for _, line := range strings.Split(mc.Quote, "\n") {
			b.WriteString("> " + line + "\n")
		}
		b.WriteString("  — " + mc.QuoteBy + "\n\n")
	}
	if len(mc.List) > 0 {
		b.WriteString(mc.ListTitle + ":\n")
		for _, it := range mc.List {
			b.WriteString("- " + it.Title)
			if it.Description != "" {
				b.WriteString(": " + it.Description)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if mc.ButtonURL != "" {
		b.WriteString(mc.Button + ":\n" + mc.ButtonURL + "\n\n")
	}
	for _, p := range mc.After {
		b.WriteString(p + "\n\n")
	}
	b.WriteString("-- \n" + mc.Footer)
	if mc.FooterURL != "" {
		b.WriteString(" " + mc.FooterURL)
	}
	b.WriteString("\n")
	return b.String()
}

// ResentMessage is the toast after "Resend".
func ResentMessage(to string) string { return "The link was emailed again to " + to + "." }
