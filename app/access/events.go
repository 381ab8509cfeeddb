package access

import (
	"context"
	"encoding/json"
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

// apiKeyActor starts the actor of an event done through the API: the
// history names the key, "API key <name>".
const apiKeyActor = "API key "

// Event is one step of a link's history with its detail decoded: a typed
// record (type, actor, count, detail fields). The words pages show for it
// are the views' (views.EventTitle, EventSummary, EventSentence).
type Event struct {
	models.LinkEvent
	// Fields are the string values of the event's detail.
	Fields map[string]string
	// SourceName is the catalog name of Fields["source"], when there is one.
	SourceName string
}

// ByInvitee reports whether the event was the invitee's: no signed-in user
// acted (views name the actor "the invitee").
func (e *Event) ByInvitee() bool {
	return e.ActorID == nil && (e.Actor == "" || e.Actor == invitee)
}

// OtherClients reports whether the event counts, together, the views or
// declines of a link's clients beyond MaxClientsPerLink.
func (e *Event) OtherClients() bool { return e.Fields["other_clients"] == "true" }

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
