package views

import "github.com/accessrequests/accessrequests/app/access"

// ReconnectLinkURL is where a reconnect link for an account is made (POST).
func ReconnectLinkURL(p *Page, a *access.AccountSummary) string {
	return "/w/" + p.Member.Workspace.ID + "/sources/accounts/" + a.ID + "/reconnect-link"
}

// ReconnectLinkMessage is the flash over a new reconnect link.
func ReconnectLinkMessage(a *access.AccountSummary) string {
	return adminText("ReconnectLinkCreated", "Account", a.Label())
}
