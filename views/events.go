package views

import (
	"strings"

	"github.com/accessrequests/accessrequests/app/access"
)

// The words of a link's history. The domain stores and returns typed
// events (type, actor, count, detail fields); every sentence a person
// reads about them is written here, from the admin catalog's Event* keys
// (admin.en.yaml), for the timeline and for the support console's JSON
// export (EventWords). They have no request at hand (the export, the
// tests of app/access), so they read the admin side's English through
// adminText.

// EventActor is who acted, as pages show it: the user's name, or "Invitee"
// for the person who opened the link without signing in.
func EventActor(e *access.Event) string {
	if e.ByInvitee() {
		return adminText("EventActorInvitee")
	}
	if e.Actor == "" {
		return adminText("EventActorUnknown")
	}
	return e.Actor
}

// eventIcons holds, for each event type this version knows, the kind of
// icon the timeline shows.
var eventIcons = map[string]string{
	access.EventCreated:        "add",
	access.EventOpened:         "view",
	access.EventStarted:        "start",
	access.EventProviderError:  "error",
	access.EventDeclined:       "decline",
	access.EventConnected:      "connect",
	access.EventClaimRefused:   "refuse",
	access.EventDeleted:        "delete",
	access.EventRenewed:        "add",
	access.EventDisconnected:   "delete",
	access.EventRenamed:        "add",
	access.EventRelabeled:      "add",
	access.EventSupportViewed:  "support",
	access.EventEmailed:        "mail",
	access.EventEmailRequested: "mail",
}

// eventKindTitle is the title of an event type this version knows, when
// the event's fields do not refine it.
func eventKindTitle(typ string) (string, bool) {
	switch typ {
	case access.EventCreated:
		return adminText("EventTitleCreated"), true
	case access.EventOpened:
		return adminText("EventTitleOpened"), true
	case access.EventStarted:
		return adminText("EventTitleStarted"), true
	case access.EventProviderError:
		return adminText("EventTitleProviderError"), true
	case access.EventDeclined:
		return adminText("EventTitleDeclined"), true
	case access.EventConnected:
		return adminText("EventTitleConnected"), true
	case access.EventClaimRefused:
		return adminText("EventTitleClaimRefused"), true
	case access.EventDeleted:
		return adminText("EventTitleDeleted"), true
	case access.EventRenewed:
		return adminText("EventTitleRenewed"), true
	case access.EventDisconnected:
		return adminText("EventTitleDisconnected"), true
	case access.EventRenamed:
		return adminText("EventTitleRenamed"), true
	case access.EventRelabeled:
		return adminText("EventTitleRelabeled"), true
	case access.EventSupportViewed:
		return adminText("EventTitleSupportViewed"), true
	case access.EventEmailed:
		return adminText("EventTitleEmailed"), true
	case access.EventEmailRequested:
		return adminText("EventTitleEmailRequested"), true
	}
	return "", false
}

// failureTitle is the title of a provider_error event by the kind of
// failure the domain recorded.
func failureTitle(kind string) (string, bool) {
	switch kind {
	case "provider":
		return adminText("EventTitleFailedProvider"), true
	case "token":
		return adminText("EventTitleFailedToken"), true
	case "identity":
		return adminText("EventTitleFailedIdentity"), true
	case "scopes":
		return adminText("EventTitleFailedScopes"), true
	case "state":
		return adminText("EventTitleFailedState"), true
	case "input":
		return adminText("EventTitleFailedInput"), true
	case "account":
		return adminText("EventTitleFailedAccount"), true
	}
	return "", false
}

// EventIcon names the kind of icon the timeline shows for the event: add,
// view, start, error, decline, connect, refuse, delete, support, or dot for
// an event type this version does not know.
func EventIcon(e *access.Event) string {
	if icon, ok := eventIcons[e.Type]; ok {
		return icon
	}
	return "dot"
}

// EventTitle is the event in a few words.
func EventTitle(e *access.Event) string {
	switch e.Type {
	case access.EventProviderError:
		if e.Fields["error"] == "access_denied" {
			return adminText("EventTitleAccessDenied")
		}
		if t, ok := failureTitle(e.Fields["kind"]); ok {
			return t
		}
	case access.EventConnected:
		if e.Fields["reconnected"] == "true" {
			return adminText("EventTitleReconnected")
		}
	case access.EventSupportViewed:
		if e.Fields["view"] == access.SupportViewExport {
			return adminText("EventTitleSupportExported")
		}
	}
	if t, ok := eventKindTitle(e.Type); ok {
		return t
	}
	// A type a later version records: its own name, readable.
	t := strings.ReplaceAll(e.Type, "_", " ")
	if t == "" {
		return adminText("EventTitleUnknown")
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

// summaryParts joins the facts of a summary line, each a whole message
// ("Source: Shopify", "Shop: acme.myshopify.com"): a list, not a sentence.
func summaryParts(parts []string) string { return strings.Join(parts, " · ") }

// EventSummary renders the event's detail as one line, or "" when there is
// nothing to add to the title. It never holds a token or a code: events
// store none.
func EventSummary(e *access.Event) string {
	f := e.Fields
	switch e.Type {
	case access.EventCreated:
		if src := eventSource(e); src != "" {
			if f["reconnect_account_id"] != "" {
				return adminText("EventSummarySourceReconnect", "Source", src, "Label", f["label"])
			}
			return adminText("EventSummarySource", "Source", src)
		}
	case access.EventOpened:
		if e.OtherClients() {
			return adminText("EventSummaryOtherClients")
		}
		return adminText("EventSummaryOpened")
	case access.EventStarted:
		parts := []string{}
		if src := eventSource(e); src != "" {
			parts = append(parts, adminText("EventSummarySource", "Source", src))
		}
		if shop := f["shop"]; shop != "" {
			parts = append(parts, adminText("EventSummaryShop", "Shop", shop))
		}
		return summaryParts(parts)
	case access.EventProviderError:
		return providerErrorSummary(f)
	case access.EventDeclined:
		if e.OtherClients() {
			return adminText("EventSummaryOtherClients")
		}
		if r := f["reason"]; r != "" {
			return adminText("EventSummaryReason", "Reason", r)
		}
		return adminText("EventSummaryNoReason")
	case access.EventConnected:
		parts := []string{}
		if a := f["account"]; a != "" {
			parts = append(parts, adminText("EventSummaryAccount", "Account", a))
		}
		if id := f["external_id"]; id != "" && !strings.Contains(f["account"], id) {
			parts = append(parts, adminText("EventSummaryExternalID", "ID", id))
		}
		if sc := strings.TrimSpace(f["scopes"]); sc != "" {
			parts = append(parts, adminText("EventSummaryScopes", "Scopes", strings.Join(strings.Fields(sc), ", ")))
		} else {
			parts = append(parts, adminText("EventSummaryNoScopes"))
		}
		return summaryParts(parts)
	case access.EventClaimRefused:
		switch f["reason"] {
		case string(access.StatusUsed), access.ECONFLICT: // the callback stores the error code
			return adminText("EventSummaryRefusedUsed")
		case string(access.StatusExpired): // the same word as EEXPIRED
			return adminText("EventSummaryRefusedExpired")
		case string(access.StatusDeleted), access.ENOTFOUND:
			return adminText("EventSummaryRefusedDeleted")
		case "":
			return ""
		}
		return adminText("EventSummaryReason", "Reason", f["reason"])
	case access.EventEmailed:
		return adminText("EventSummaryEmailed", "Email", f["to"])
	case access.EventEmailRequested:
		return adminText("EventSummaryEmailRequested", "Email", f["to"])
	case access.EventDeleted:
		return adminText("EventSummaryDeleted")
	case access.EventRenewed:
		return adminText("EventSummaryRenewed")
	case access.EventDisconnected:
		if f["revoke_error"] != "" {
			return adminText("EventSummaryDisconnectedNotRevoked", "Account", f["account"], "Error", f["revoke_error"])
		}
		return adminText("EventSummaryDisconnected", "Account", f["account"])
	case access.EventRenamed:
		switch {
		case f["to"] == "":
			return adminText("EventSummaryRenamedBack", "From", f["from"], "Account", f["account"])
		case f["from"] == "":
			return adminText("EventSummaryNamed", "Account", f["account"], "To", f["to"])
		}
		return adminText("EventSummaryRenamed", "From", f["from"], "To", f["to"])
	case access.EventRelabeled:
		switch {
		case f["from"] == "":
			return adminText("EventSummaryLabelled", "To", f["to"])
		case f["to"] == "":
			return adminText("EventSummaryLabelRemoved", "From", f["from"])
		}
		return adminText("EventSummaryRelabelled", "From", f["from"], "To", f["to"])
	case access.EventSupportViewed:
		if f["view"] == access.SupportViewExport {
			return adminText("EventSummarySupportExported")
		}
		return adminText("EventSummarySupportViewed")
	}
	return ""
}

// providerErrorSummary is the detail line of a provider_error event.
func providerErrorSummary(f map[string]string) string {
	parts := []string{}
	if k := f["kind"]; k != "" {
		parts = append(parts, adminText("EventSummaryKind", "Kind", k))
	}
	if code := f["error"]; code != "" {
		parts = append(parts, adminText("EventSummaryError", "Code", code))
	}
	if d := f["description"]; d != "" {
		if f["kind"] == "provider" {
			// It came back through the invitee's browser: a report,
			// which the app cannot vouch for.
			d = adminText("EventSummaryReported", "Description", d)
		}
		parts = append(parts, d)
	}
	return summaryParts(parts)
}

// eventSource is the event's source by catalog name, or by key when the
// catalog does not know it.
func eventSource(e *access.Event) string {
	if e.SourceName != "" {
		return e.SourceName
	}
	return e.Fields["source"]
}

// EventSentence is the event as the timeline reads it: what happened and,
// where naming someone reads naturally, who did it ("the invitee" or a
// user's name): "Declined" by "the invitee", "Link created" by "Adam
// Admin". who is empty for what the provider or the app did (a provider
// error, a refused connection).
func EventSentence(e *access.Event) (what, who string) {
	who = EventActor(e)
	if e.ByInvitee() {
		who = adminText("EventActorTheInvitee")
	}
	switch e.Type {
	case access.EventProviderError, access.EventClaimRefused:
		return EventTitle(e), ""
	case access.EventEmailed:
		return adminText("EventSentenceEmailed", "Email", e.Fields["to"]), ""
	case access.EventSupportViewed:
		if e.Fields["view"] == access.SupportViewExport {
			return adminText("EventSentenceSupportExported"), who
		}
		return adminText("EventSentenceSupportViewed"), who
	}
	return EventTitle(e), who
}

// EventWords are an event's title, summary and actor for the support
// console's JSON export (access.Service.WriteHistory).
func EventWords(e *access.Event) access.EventWords {
	return access.EventWords{Title: EventTitle(e), Summary: EventSummary(e), Actor: EventActor(e)}
}

// Creator names who made a link: the person, or "API key <name>" for a
// link made through the API, as its history does.
func Creator(l *access.Link) string {
	if l.CreatorKeyName != "" {
		return adminText("EventCreatorAPIKey", "Name", l.CreatorKeyName)
	}
	return l.CreatorName
}
