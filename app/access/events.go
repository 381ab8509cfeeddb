package access

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/accessrequests/accessrequests/models"
)

// EventSupportViewed records that support staff read a link's history (its
// page in the support console, or the JSON export), so that the history
// itself shows who looked and when.
const EventSupportViewed = "support_viewed"

// Views a support_viewed event can record, in its "view" detail.
const (
	SupportViewPage   = "page"   // the link's page in the support console
	SupportViewExport = "export" // the history downloaded as JSON
)

// invitee is the actor stored for events without a signed-in user.
const invitee = "invitee"

// Event is one step of a link's history with its detail decoded.
type Event struct {
	models.LinkEvent
	// Fields are the string values of the event's detail.
	Fields map[string]string
	// SourceName is the catalog name of Fields["source"], when there is one.
	SourceName string
}

// ActorName is who acted, as pages show it: the user's name, or "Invitee"
// for the person who opened the link without signing in.
func (e *Event) ActorName() string {
	if e.ActorID == nil && (e.Actor == "" || e.Actor == invitee) {
		return "Invitee"
	}
	if e.Actor == "" {
		return "Unknown user"
	}
	return e.Actor
}

// Icon names the kind of icon the timeline shows for the event: add, view,
// start, error, decline, connect, refuse, delete, support, or dot for an
// event type this version does not know.
func (e *Event) Icon() string {
	switch e.Type {
	case EventCreated:
		return "add"
	case EventOpened:
		return "view"
	case EventStarted:
		return "start"
	case EventProviderError:
		return "error"
	case EventDeclined:
		return "decline"
	case EventConnected:
		return "connect"
	case EventClaimRefused:
		return "refuse"
	case EventDeleted:
		return "delete"
	case EventSupportViewed:
		return "support"
	}
	return "dot"
}

// Title is the event in a few words.
func (e *Event) Title() string {
	switch e.Type {
	case EventCreated:
		return "Link created"
	case EventOpened:
		return "Consent page opened"
	case EventStarted:
		return "Authorization started"
	case EventProviderError:
		if e.Fields["error"] == "access_denied" {
			return "Access denied at the provider"
		}
		switch e.Fields["kind"] {
		case "provider":
			return "The provider reported an error"
		case "token":
			return "Token exchange failed"
		case "identity":
			return "Account identity could not be read"
		case "scopes":
			return "Permissions missing"
		case "state":
			return "Sign-in could not be verified"
		case "input":
			return "Invalid input"
		}
		return "Authorization failed"
	case EventDeclined:
		return "Declined"
	case EventConnected:
		if e.Fields["reconnected"] == "true" {
			return "Account reconnected"
		}
		return "Account connected"
	case EventClaimRefused:
		return "Connection refused"
	case EventDeleted:
		return "Link deleted"
	case EventSupportViewed:
		if e.Fields["view"] == SupportViewExport {
			return "History exported by support"
		}
		return "Viewed by support"
	}
	t := strings.ReplaceAll(e.Type, "_", " ")
	if t == "" {
		return "Event"
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

// Summary renders the event's detail as one line, or "" when there is
// nothing to add to the title. It never holds a token or a code: events
// store none.
func (e *Event) Summary() string {
	f := e.Fields
	switch e.Type {
	case EventCreated:
		if src := e.source(); src != "" {
			return "Source: " + src
		}
	case EventOpened:
		if f["other_clients"] == "true" {
			return otherClients
		}
		return "The consent page was viewed."
	case EventStarted:
		parts := []string{}
		if src := e.source(); src != "" {
			parts = append(parts, "Source: "+src)
		}
		if shop := f["shop"]; shop != "" {
			parts = append(parts, "Shop: "+shop)
		}
		return strings.Join(parts, " · ")
	case EventProviderError:
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
	case EventDeclined:
		if f["other_clients"] == "true" {
			return otherClients
		}
		if r := f["reason"]; r != "" {
			return "Reason: " + r
		}
		return "No reason given."
	case EventConnected:
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
	case EventClaimRefused:
		switch f["reason"] {
		case string(StatusUsed), ECONFLICT: // the callback stores the error code
			return "The link had already been used."
		case string(StatusExpired): // the same word as EEXPIRED
			return "The link had expired."
		case string(StatusDeleted), ENOTFOUND:
			return "The link had been deleted."
		case "":
			return ""
		}
		return "Reason: " + f["reason"]
	case EventDeleted:
		return "Accounts connected through the link stay connected."
	case EventSupportViewed:
		if f["view"] == SupportViewExport {
			return "Downloaded the history as JSON from the support console."
		}
		return "Opened the link in the support console."
	}
	return ""
}

// otherClients is the summary of the event that counts the views or
// declines of a link's clients beyond MaxClientsPerLink.
const otherClients = "From further browsers and addresses, counted together; the address and browser shown are the latest."

// source is the event's source by catalog name, or by key when the
// catalog does not know it.
func (e *Event) source() string {
	if e.SourceName != "" {
		return e.SourceName
	}
	return e.Fields["source"]
}

// Sentence is the event as the timeline reads it: what happened and, where
// naming someone reads naturally, who did it ("the invitee" or a user's
// name): "Declined" by "the invitee", "Link created" by "Adam Admin". who is
// empty for what the provider or the app did (a provider error, a refused
// connection).
func (e *Event) Sentence() (what, who string) {
	who = e.ActorName()
	if who == "Invitee" {
		who = "the invitee"
	}
	switch e.Type {
	case EventProviderError, EventClaimRefused:
		return e.Title(), ""
	case EventSupportViewed:
		if e.Fields["view"] == SupportViewExport {
			return "History downloaded from the support console", who
		}
		return "Viewed in the support console", who
	}
	return e.Title(), who
}

// Times is how many times the event happened (repeated views and declines
// from one client are one event).
func (e *Event) Times() int {
	return max(e.Count, 1)
}

// LastSeen is when the event last happened.
func (e *Event) LastSeen() time.Time {
	if e.LastAt != nil && e.LastAt.After(e.CreatedAt) {
		return e.LastAt.UTC()
	}
	return e.CreatedAt
}

// EventPageSize is the number of events per page of a link's history.
const EventPageSize = 50

// EventPage is one page of a link's history, newest first.
type EventPage struct {
	Events []Event
	// NextCursor opens the older events; empty on the last page.
	NextCursor string
	// Before is the time the page starts below (the cursor's), zero on the
	// first page.
	Before time.Time
}

// First reports whether the page is the newest one.
func (p *EventPage) First() bool { return p.Before.IsZero() }

// CheckCursor returns the bad-request error of a malformed page cursor, or
// nil (an empty cursor is the first page).
func CheckCursor(cursor string) error {
	if cursor == "" {
		return nil
	}
	_, _, err := decodeCursor(cursor)
	return err
}

// EventsPage returns one page of a link's history, newest first, with
// keyset pagination on (created_at, id): each page costs one query on the
// link_events_link_idx index, however long the history.
func (s *Service) EventsPage(ctx context.Context, linkID, cursor string) (*EventPage, error) {
	page := &EventPage{}
	q := s.db.WithContext(ctx).Where("link_id = ?", linkID)
	if cursor != "" {
		t, id, err := decodeCursor(cursor)
		if err != nil {
			return nil, err
		}
		page.Before = t
		q = q.Where("created_at <= ? AND (created_at < ? OR (created_at = ? AND id < ?))", t, t, t, id)
	}
	var rows []models.LinkEvent
	if err := q.Order("created_at DESC, id DESC").Limit(EventPageSize + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) > EventPageSize {
		rows = rows[:EventPageSize]
		last := rows[len(rows)-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	page.Events = make([]Event, len(rows))
	for i := range rows {
		page.Events[i] = s.decodeEvent(rows[i])
	}
	return page, nil
}

// eachEvent calls fn with every event of a link, oldest first, reading them
// in batches of size on (created_at, id), so that memory stays constant
// whatever the length of the history.
func (s *Service) eachEvent(ctx context.Context, linkID string, size int, fn func(*Event) error) error {
	var after time.Time
	afterID := ""
	for {
		q := s.db.WithContext(ctx).Where("link_id = ?", linkID)
		if afterID != "" {
			q = q.Where("created_at >= ? AND (created_at > ? OR (created_at = ? AND id > ?))", after, after, after, afterID)
		}
		var rows []models.LinkEvent
		if err := q.Order("created_at, id").Limit(size).Find(&rows).Error; err != nil {
			return err
		}
		for i := range rows {
			e := s.decodeEvent(rows[i])
			if err := fn(&e); err != nil {
				return err
			}
		}
		if len(rows) < size {
			return nil
		}
		last := rows[len(rows)-1]
		after, afterID = last.CreatedAt, last.ID
	}
}

// Events returns a link's whole history, oldest first. Pages and exports
// read it by pages (EventsPage) or in batches (the export); this is for
// short histories and tests.
func (s *Service) Events(ctx context.Context, linkID string) ([]Event, error) {
	var out []Event
	err := s.eachEvent(ctx, linkID, 500, func(e *Event) error {
		out = append(out, *e)
		return nil
	})
	return out, err
}

// decodeEvent decodes an event's detail and names its source.
func (s *Service) decodeEvent(r models.LinkEvent) Event {
	e := Event{LinkEvent: r, Fields: map[string]string{}}
	var raw map[string]any
	if json.Unmarshal([]byte(r.Detail), &raw) == nil {
		for k, v := range raw {
			if s, ok := v.(string); ok {
				e.Fields[k] = s
			}
		}
	}
	if key := e.Fields["source"]; key != "" && s.sources != nil {
		if src := s.sources.Get(key); src != nil {
			e.SourceName = src.Name
		}
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e
}
