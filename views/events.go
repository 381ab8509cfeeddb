package views

import (
	"strings"

	"github.com/accessrequests/accessrequests/app/access"
)

// The words of a link's history. The domain stores and returns typed
// events (type, actor, count, detail fields); every sentence a person
// reads about them is written here, for the timeline and for the support
// console's JSON export (EventWords).

// EventActor is who acted, as pages show it: the user's name, or "Invitee"
// for the person who opened the link without signing in.
func EventActor(e *access.Event) string {
	if e.ByInvitee() {
		return "Invitee"
	}
	if e.Actor == "" {
		return "Unknown user"
	}
	return e.Actor
}

// eventKinds holds, for each event type this version knows, the kind of
// icon the timeline shows and the title when the event's fields do not
// refine it.
var eventKinds = map[string]struct{ icon, title string }{
	access.EventCreated:        {"add", "Link created"},
	access.EventOpened:         {"view", "Consent page opened"},
	access.EventStarted:        {"start", "Authorization started"},
	access.EventProviderError:  {"error", "Authorization failed"},
	access.EventDeclined:       {"decline", "Declined"},
	access.EventConnected:      {"connect", "Account connected"},
	access.EventClaimRefused:   {"refuse", "Connection refused"},
	access.EventDeleted:        {"delete", "Link deleted"},
	access.EventRenewed:        {"add", "Renewed with a new link"},
	access.EventDisconnected:   {"delete", "Account disconnected"},
	access.EventRenamed:        {"add", "Account renamed"},
	access.EventRelabeled:      {"add", "Label changed"},
	access.EventSupportViewed:  {"support", "Viewed by support"},
	access.EventEmailed:        {"mail", "Link emailed"},
	access.EventEmailRequested: {"mail", "Email sent again"},
}

// failureTitles is the title of a provider_error event by the kind of
// failure the domain recorded.
var failureTitles = map[string]string{
	"provider": "The provider reported an error",
	"token":    "Token exchange failed",
	"identity": "Account identity could not be read",
	"scopes":   "Permissions missing",
	"state":    "Sign-in could not be verified",
	"input":    "Invalid input",
	"account":  "Signed in as another account",
}

// EventIcon names the kind of icon the timeline shows for the event: add,
// view, start, error, decline, connect, refuse, delete, support, or dot for
// an event type this version does not know.
func EventIcon(e *access.Event) string {
	if k, ok := eventKinds[e.Type]; ok {
		return k.icon
	}
	return "dot"
}

// EventTitle is the event in a few words.
func EventTitle(e *access.Event) string {
	switch e.Type {
	case access.EventProviderError:
		if e.Fields["error"] == "access_denied" {
			return "Access denied at the provider"
		}
		if t, ok := failureTitles[e.Fields["kind"]]; ok {
			return t
		}
	case access.EventConnected:
		if e.Fields["reconnected"] == "true" {
			return "Account reconnected"
		}
	case access.EventSupportViewed:
		if e.Fields["view"] == access.SupportViewExport {
			return "History exported by support"
		}
	}
	if k, ok := eventKinds[e.Type]; ok {
		return k.title
	}
	t := strings.ReplaceAll(e.Type, "_", " ")
	if t == "" {
		return "Event"
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

// EventSummary renders the event's detail as one line, or "" when there is
// nothing to add to the title. It never holds a token or a code: events
// store none.
func EventSummary(e *access.Event) string {
	f := e.Fields
	switch e.Type {
	case access.EventCreated:
		if src := eventSource(e); src != "" {
			if f["reconnect_account_id"] != "" {
				return "Source: " + src + " · Reconnect link for " + f["label"]
			}
			return "Source: " + src
		}
	case access.EventOpened:
		if e.OtherClients() {
			return otherClients
		}
		return "The consent page was viewed."
	case access.EventStarted:
		parts := []string{}
		if src := eventSource(e); src != "" {
			parts = append(parts, "Source: "+src)
		}
		if shop := f["shop"]; shop != "" {
			parts = append(parts, "Shop: "+shop)
		}
		return strings.Join(parts, " · ")
	case access.EventProviderError:
		return providerErrorSummary(f)
	case access.EventDeclined:
		if e.OtherClients() {
			return otherClients
		}
		if r := f["reason"]; r != "" {
			return "Reason: " + r
		}
		return "No reason given."
	case access.EventConnected:
		parts := []string{}
		if a := f["account"]; a != "" {
			parts = append(parts, "Account: "+a)
		}
		if id := f["external_id"]; id != "" && !strings.Contains(f["account"], id) {
			parts = append(parts, "ID: "+id)
		}
		if sc := strings.TrimSpace(f["scopes"]); sc != "" {
			parts = append(parts, "Scopes: "+strings.Join(strings.Fields(sc), ", "))
		} else {
			parts = append(parts, "No scopes granted")
		}
		return strings.Join(parts, " · ")
	case access.EventClaimRefused:
		switch f["reason"] {
		case string(access.StatusUsed), access.ECONFLICT: // the callback stores the error code
			return "The link had already been used."
		case string(access.StatusExpired): // the same word as EEXPIRED
			return "The link had expired."
		case string(access.StatusDeleted), access.ENOTFOUND:
			return "The link had been deleted."
		case "":
			return ""
		}
		return "Reason: " + f["reason"]
	case access.EventEmailed:
		return "Emailed to " + f["to"] + "."
	case access.EventEmailRequested:
		return "Asked to email the link again to " + f["to"] + "."
	case access.EventDeleted:
		return "Accounts connected through the link stay connected."
	case access.EventRenewed:
		return "A new link with the same source, label and recipient replaced this one."
	case access.EventDisconnected:
		out := "Disconnected " + f["account"] + "; its tokens were deleted."
		if f["revoke_error"] != "" {
			out += " The provider did not confirm the revocation: " + f["revoke_error"]
		}
		return out
	case access.EventRenamed:
		switch {
		case f["to"] == "":
			return "Renamed " + f["from"] + " back to its name at the provider, " + f["account"] + "."
		case f["from"] == "":
			return "Named " + f["account"] + " \u201c" + f["to"] + "\u201d in this workspace."
		}
		return "Renamed " + f["from"] + " to \u201c" + f["to"] + "\u201d."
	case access.EventRelabeled:
		switch {
		case f["from"] == "":
			return "Labelled \u201c" + f["to"] + "\u201d."
		case f["to"] == "":
			return "Removed the label \u201c" + f["from"] + "\u201d."
		}
		return "Relabelled \u201c" + f["from"] + "\u201d to \u201c" + f["to"] + "\u201d."
	case access.EventSupportViewed:
		if f["view"] == access.SupportViewExport {
			return "Downloaded the history as JSON from the support console."
		}
		return "Opened the link in the support console."
	}
	return ""
}

// providerErrorSummary is the detail line of a provider_error event.
func providerErrorSummary(f map[string]string) string {
	parts := []string{}
	if k := f["kind"]; k != "" {
		parts = append(parts, "Kind: "+k)
	}
	if code := f["error"]; code != "" {
		parts = append(parts, "Error: "+code)
	}
	s := strings.Join(parts, " · ")
	if d := f["description"]; d != "" {
		if s != "" {
			s += " · "
		}
		if f["kind"] == "provider" {
			// It came back through the invitee's browser: a report,
			// which the app cannot vouch for.
			d = "As reported through the invitee's browser: “" + d + "”"
		}
		s += d
	}
	return s
}

// otherClients is the summary of the event that counts the views or
// declines of a link's clients beyond access.MaxClientsPerLink.
const otherClients = "From further browsers and addresses, counted together; the address and browser shown are the latest."

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
		who = "the invitee"
	}
	switch e.Type {
	case access.EventProviderError, access.EventClaimRefused:
		return EventTitle(e), ""
	case access.EventEmailed:
		return "Emailed to " + e.Fields["to"], ""
	case access.EventSupportViewed:
		if e.Fields["view"] == access.SupportViewExport {
			return "History downloaded from the support console", who
		}
		return "Viewed in the support console", who
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
		return "API key " + l.CreatorKeyName
	}
	return l.CreatorName
}
