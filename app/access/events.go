package access

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/accessrequests/accessrequests/models"
)

// Event is one step of a link's history with its detail decoded.
type Event struct {
	models.LinkEvent
	Fields map[string]string
}

var eventTitles = map[string]string{
	EventCreated: "Link created",
	EventDeleted: "Link deleted",
}

// Title is the event in a few words.
func (e *Event) Title() string {
	if t, ok := eventTitles[e.Type]; ok {
		return t
	}
	return strings.ReplaceAll(e.Type, "_", " ")
}

// Summary renders the event's detail as one line.
func (e *Event) Summary() string {
	if src := e.Fields["source"]; src != "" && e.Type == EventCreated {
		return "Source: " + src
	}
	return ""
}

// Events returns a link's history, oldest first.
func (s *Service) Events(ctx context.Context, linkID string) ([]Event, error) {
	var rows []models.LinkEvent
	err := s.DB.WithContext(ctx).Where("link_id = ?", linkID).Order("created_at, id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = Event{LinkEvent: r, Fields: map[string]string{}}
		var raw map[string]any
		if json.Unmarshal([]byte(r.Detail), &raw) == nil {
			for k, v := range raw {
				if s, ok := v.(string); ok {
					out[i].Fields[k] = s
				}
			}
		}
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}
