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

// NotificationTitle names a notification on the preferences page, with
// what it is about.
func NotificationTitle(kind string) MailItem {
	switch kind {
	case access.MailUsed:
		return MailItem{adminText("NotificationUsedTitle"), adminText("NotificationUsedText")}
	case access.MailDeclined:
		return MailItem{adminText("NotificationDeclinedTitle"), adminText("NotificationDeclinedText")}
	case access.MailFailed:
		return MailItem{adminText("NotificationFailedTitle"), adminText("NotificationFailedText")}
	case access.MailExpiring:
		return MailItem{adminText("NotificationExpiringTitle"), adminText("NotificationExpiringText")}
	}
	return MailItem{Title: kind}
}

// failureAdvice is what to do after a failed connection, by the kind of
// failure the domain recorded, or the provider's own error code.
func failureAdvice(failure, code string) string {
	if code == "access_denied" {
		return adminText("NotifyFailedAdviceDenied")
	}
	switch failure {
	case "provider":
		return adminText("NotifyFailedAdviceProvider")
	case "token":
		return adminText("NotifyFailedAdviceToken")
	case "identity":
		return adminText("NotifyFailedAdviceIdentity")
	case "scopes":
		return adminText("NotifyFailedAdviceScopes")
	case "account":
		return adminText("NotifyFailedAdviceAccount")
	case "state":
		return adminText("NotifyFailedAdviceState")
	}
	return adminText("NotifyFailedAdviceOther")
}

// MailContentOf is what mail m says. baseURL is the app's address (the
// preferences page); every link in a mail starts with it. The invitation
// is in the link's language (mail_link.go); the notifications to the
// link's creator are the admin side's words (Notify* in admin.en.yaml),
// each with and without the link's label: whole sentences, never one with
// a label glued on.
func MailContentOf(m *access.Mail, c *sources.Catalog, baseURL string) MailContent {
	name := sourceName(c, m.SourceKey)
	prefs := strings.TrimRight(baseURL, "/") + "/account/notifications"
	notice := MailContent{Lang: "en", Brand: adminText("Brand"), Button: adminText("NotifyButton"), ButtonURL: m.LinkPageURL,
		Footer: adminText("NotifyFooter", "Workspace", m.Workspace), FooterURL: prefs}
	labelled := m.Label != ""
	switch m.Kind {
	case access.MailLink:
		return linkMailContent(m, c)
	case access.MailUsed:
		account := mailAccount(m.Facts)
		notice.Subject = adminText("NotifyUsedSubject", "Source", name, "Account", account)
		notice.Heading = adminText("NotifyUsedHeading", "Source", name)
		if labelled {
			notice.Lead = []string{adminText("NotifyUsedLeadLabel", "Account", account, "Source", name, "Workspace", m.Workspace, "Label", m.Label)}
		} else {
			notice.Lead = []string{adminText("NotifyUsedLead", "Account", account, "Source", name, "Workspace", m.Workspace)}
		}
		if id := m.Facts["account_external_id"]; id != "" {
			notice.Lead = append(notice.Lead, adminText("NotifyUsedAccountID", "Source", name, "ID", id))
		}
	case access.MailDeclined:
		if labelled {
			notice.Subject = adminText("NotifyDeclinedSubjectLabel", "Source", name, "Label", m.Label)
			notice.Lead = []string{adminText("NotifyDeclinedLeadLabel", "Source", name, "Label", m.Label, "Workspace", m.Workspace)}
		} else {
			notice.Subject = adminText("NotifyDeclinedSubject", "Source", name)
			notice.Lead = []string{adminText("NotifyDeclinedLead", "Source", name, "Workspace", m.Workspace)}
		}
		notice.Heading = notice.Subject
		if r := m.Facts["reason"]; r != "" {
			notice.Quote, notice.QuoteBy = r, adminText("NotifyDeclinedReasonBy")
		} else {
			notice.Lead = append(notice.Lead, adminText("NotifyDeclinedNoReason"))
		}
		notice.After = []string{adminText("NotifyDeclinedAfter", "Date", Date(m.ExpiresAt))}
	case access.MailFailed:
		if labelled {
			notice.Subject = adminText("NotifyFailedSubjectLabel", "Source", name, "Label", m.Label)
		} else {
			notice.Subject = adminText("NotifyFailedSubject", "Source", name)
		}
		notice.Heading = notice.Subject
		if code := m.Facts["error_code"]; code != "" {
			notice.Lead = []string{adminText("NotifyFailedLeadCode", "Source", name, "Code", code, "Date", Date(m.ExpiresAt))}
		} else {
			notice.Lead = []string{adminText("NotifyFailedLead", "Source", name, "Date", Date(m.ExpiresAt))}
		}
		notice.After = []string{failureAdvice(m.Facts["failure"], m.Facts["error_code"])}
	case access.MailEndpointDisabled:
		notice.Subject = adminText("NotifyEndpointSubject", "Workspace", m.Workspace)
		notice.Heading = adminText("NotifyEndpointHeading")
		notice.Lead = []string{adminText("NotifyEndpointLead", "URL", m.Facts["endpoint_url"])}
		notice.After = []string{adminText("NotifyEndpointAfter")}
		notice.Button, notice.ButtonURL = adminText("NotifyEndpointButton"), strings.TrimRight(baseURL, "/")+"/w/"+m.WorkspaceID+"/settings/webhooks/"+m.Facts["endpoint_id"]
		notice.Footer, notice.FooterURL = adminText("NotifyEndpointFooter", "Workspace", m.Workspace), ""
	case access.MailExpiring:
		if labelled {
			notice.Subject = adminText("NotifyExpiringSubjectLabel", "Source", name, "Label", m.Label)
			notice.Lead = []string{adminText("NotifyExpiringLeadLabel", "Source", name, "Label", m.Label, "Workspace", m.Workspace, "Date", Date(m.ExpiresAt))}
		} else {
			notice.Subject = adminText("NotifyExpiringSubject", "Source", name)
			notice.Lead = []string{adminText("NotifyExpiringLead", "Source", name, "Workspace", m.Workspace, "Date", Date(m.ExpiresAt))}
		}
		notice.Heading = notice.Subject
		notice.After = []string{adminText("NotifyExpiringAfter")}
	}
	notice.Preheader = strings.Join(notice.Lead, " ")
	return notice
}

// mailAccount names the connected account of a notification.
func mailAccount(f map[string]string) string {
	switch n, e := f["account_name"], f["account_email"]; {
	case n != "" && e != "" && n != e:
		return adminText("NotifyAccountWithEmail", "Name", n, "Email", e)
	case n != "":
		return n
	case e != "":
		return e
	}
	return adminText("NotifyAnAccount")
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
func ResentMessage(to string) string { return adminText("NotifyResent", "Email", to) }
