package views

import (
	"fmt"
	"strings"

	"github.com/accessrequests/accessrequests/app/access"
)

// The webhooks page's words: GET /w/{workspace}/settings/webhooks and one
// endpoint's page with its delivery log.

// WebhooksURL is the path of the webhooks page.
func (p *Page) WebhooksURL() string { return p.WorkspaceURL("/settings/webhooks") }

// EndpointURL is the path of one endpoint's page, with rest after it.
func (p *Page) EndpointURL(id, rest string) string { return p.WebhooksURL() + "/" + id + rest }

// WebhookEventTitle says what an event type means.
func WebhookEventTitle(typ string) string {
	switch typ {
	case access.HookLinkCreated:
		return adminText("WebhooksEventLinkCreated")
	case access.HookLinkOpened:
		return adminText("WebhooksEventLinkOpened")
	case access.HookLinkDeclined:
		return adminText("WebhooksEventLinkDeclined")
	case access.HookLinkFailed:
		return adminText("WebhooksEventLinkFailed")
	case access.HookLinkUsed:
		return adminText("WebhooksEventLinkUsed")
	case access.HookLinkExpired:
		return adminText("WebhooksEventLinkExpired")
	case access.HookLinkDeleted:
		return adminText("WebhooksEventLinkDeleted")
	case access.HookAccountNeedsReconnect:
		return adminText("WebhooksEventAccountNeedsReconnect")
	case access.HookAccountReconnected:
		return adminText("WebhooksEventAccountReconnected")
	case access.HookAccountDisconnected:
		return adminText("WebhooksEventAccountDisconnected")
	case access.HookTest:
		return adminText("WebhooksEventTest")
	}
	return typ
}

// WebhooksView is the data of the webhooks page.
type WebhooksView struct {
	Endpoints []access.WebhookEndpoint
	Form      EndpointForm
}

// EndpointForm is the "Add endpoint" form with its errors.
type EndpointForm struct {
	URL, Description string
	Events           []string
	Error            string
	Fields           map[string]string
}

// wants reports whether the form has typ checked.
func (f EndpointForm) wants(typ string) bool {
	for _, e := range f.Events {
		if e == typ {
			return true
		}
	}
	return false
}

// EndpointView is the data of one endpoint's page.
type EndpointView struct {
	Endpoint access.WebhookEndpoint
	Log      []access.WebhookDeliveryLine
}

// SecretView shows a signing secret, once.
type SecretView struct {
	Endpoint access.WebhookEndpoint
	Secret   string
	Rotated  bool
}

// endpointEvents lists the endpoint's event types in words.
func endpointEvents(e access.WebhookEndpoint) string {
	if len(e.Events) == 0 {
		return adminText("WebhooksEveryEvent")
	}
	return strings.Join(e.Events, ", ")
}

// endpointState is the endpoint's badge: label and class.
func endpointState(p *Page, e access.WebhookEndpoint) (string, string) {
	switch {
	case e.DisabledAt != nil:
		return adminText("WebhooksStateDisabled"), "badge badge-red"
	case e.FailingSince != nil:
		return adminText("WebhooksStateFailing", "Since", Relative(*e.FailingSince, p.Now)), "badge badge-amber"
	case e.LastSuccessAt != nil:
		return adminText("WebhooksStateDelivering"), "badge badge-green"
	}
	return adminText("WebhooksStateNone"), "badge badge-gray"
}

// deliveryStatus is a log line's outcome: the status code, or why no
// answer came.
func deliveryStatus(l access.WebhookDeliveryLine) string {
	if l.StatusCode > 0 {
		return fmt.Sprint(l.StatusCode)
	}
	return adminText("WebhooksNoAnswer")
}
