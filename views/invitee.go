package views

import (
	"strconv"

	"github.com/a-h/templ"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
)

// The invitee's pages other than consent. Handlers pass what happened,
// typed (a link's status, a flow's outcome); every sentence the invitee
// reads is chosen here.

// TooManyRequestsPage is the page of a client over the public routes' rate.
func TooManyRequestsPage() templ.Component {
	return inviteeMessagePage(inviteeMessage{Kind: "error", Title: "Too many requests", Body: "Please wait a minute and try again."})
}

// SourceUnavailablePage is the page of a link whose source cannot be
// connected at the moment (not configured, or gone from the catalog).
func SourceUnavailablePage() templ.Component {
	return inviteeMessagePage(inviteeMessage{Kind: "error", Title: "This source is not available right now",
		Body: "The workspace's server cannot connect this source at the moment. Please let the person who sent the link know."})
}

// LinkUnavailablePage is the page of a link that cannot be used: st is
// StatusUsed, StatusExpired, or anything else for a link that is unknown or
// deleted (the two look the same). l, when the link is known, names its
// creator and the account connected through it.
func LinkUnavailablePage(st access.Status, l *access.PublicLink, src *sources.Source) templ.Component {
	return inviteeMessagePage(linkUnavailable(st, l, src))
}

func linkUnavailable(st access.Status, l *access.PublicLink, src *sources.Source) inviteeMessage {
	switch st {
	case access.StatusUsed:
		m := inviteeMessage{Kind: "used", Title: "This account has already been connected", Source: src,
			Body: "This link was single use and it has been used. There is nothing more to do; you can close this window."}
		if l != nil {
			m.Account = l.AccountLabel
		}
		return m
	case access.StatusExpired:
		who := "the person who sent it"
		if l != nil {
			who = requesterName(l)
		}
		return inviteeMessage{Kind: "expired", Title: "This link has expired", Source: src,
			Body: "Links work for " + lifetimeDays() + ". Ask " + who + " for a new link."}
	}
	return inviteeMessage{Kind: "unknown", Title: "This link is not available",
		Body: "The link may be mistyped, or it may have been withdrawn. Ask the person who sent it for a new one."}
}

// requesterName is who asks for access: the person who made the link (or
// its API key), else the organization.
func requesterName(l *access.PublicLink) string {
	if l.CreatorName != "" {
		return l.CreatorName
	}
	return l.OrganizationName
}

// lifetimeDays is access.LinkLifetime in words ("7 days").
func lifetimeDays() string {
	days := int(access.LinkLifetime.Hours() / 24)
	if days == 1 {
		return "1 day"
	}
	return strconv.Itoa(days) + " days"
}

// DeclinedPage thanks an invitee who declined the request of l.
func DeclinedPage(l *access.PublicLink, src *sources.Source) templ.Component {
	return inviteeMessagePage(inviteeMessage{Kind: "declined", Title: "Thanks for letting us know", Source: src,
		Body: "Nothing was connected. " + requesterName(l) + " will see that you declined. If you change your mind, the same link works until it expires."})
}

// FlowView is the invitee's page after a provider's callback.
type FlowView struct {
	Outcome *access.FlowOutcome
	// Source is the flow's source; nil when the browser had no flow.
	Source *sources.Source
	// ConsentURL is the link's consent page, where "Try again" starts a new
	// flow; empty when the browser no longer has the link.
	ConsentURL string
	// CallbackURL is this callback, which "Check again" reloads.
	CallbackURL string
}

// FlowPage renders a flow's outcome.
func FlowPage(v FlowView) templ.Component {
	return inviteeMessagePage(v.message())
}

func (v FlowView) message() inviteeMessage {
	out, src := v.Outcome, v.Source
	switch out.Kind {
	case access.FlowConnected:
		name := "The account"
		if src != nil {
			name = "Your " + src.Name + " account"
		}
		return inviteeMessage{Kind: "success", Title: "Connected", Source: src, Account: out.Account,
			Body: name + " is now connected. Thank you!"}
	case access.FlowRefused:
		return linkUnavailable(out.LinkStatus, out.Link, src)
	case access.FlowPending:
		return inviteeMessage{Kind: "pending", Source: src, Title: "Almost done", RetryURL: v.CallbackURL,
			Body: "This sign-in is still being completed in another tab or request. Reload this page in a moment to see the result."}
	case access.FlowAbandoned:
		m := inviteeMessage{Kind: "abandoned", Source: src, Title: "This sign-in did not finish", RetryURL: v.ConsentURL,
			Body: "Nothing was connected, and your link still works: go back to the request and start again."}
		if v.ConsentURL == "" {
			m.Body = "Nothing was connected, and your link still works: open it again from the message you received and start again."
		}
		return m
	}
	return v.failed()
}

// failed is the page of a failed step, with "Try again": the link stays
// usable.
func (v FlowView) failed() inviteeMessage {
	e := v.Outcome.Err
	m := inviteeMessage{Kind: "error", Source: v.Source, RetryURL: v.ConsentURL, ErrorCode: e.Reason}
	switch e.Code {
	case access.EFLOWSTATE:
		m.Title = "This sign-in could not be completed"
		m.Body = e.Message + " Nothing was connected. Open the link you were sent and start again."
	case access.EPROVIDER:
		if e.Reason == "access_denied" {
			m.Title = "Access was not granted"
			m.Body = "You cancelled or denied the request at the provider. Nothing was connected. You can try again with the same link."
		} else {
			m.Title = "The provider reported a problem"
			m.Body = "Nothing was connected. You can try again with the same link."
		}
		// Shown as reported: it came back through the browser, not from
		// the provider to us.
		m.Reported = e.Message
	case access.ENOTSTORED:
		m.Title = "We could not finish connecting"
		m.Body = "Nothing was connected and your link still works: please try again in a moment."
	case access.ESCOPES:
		m.Title = "Some permissions are missing"
		m.Body = e.Message + ". The workspace needs them to read your data; please try again and keep every box ticked."
	default:
		m.Title = "We could not finish connecting"
		m.Body = "The provider did not answer as expected. Nothing was connected and your link still works: please try again in a moment."
	}
	return m
}
