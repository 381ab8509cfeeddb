package access

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"
)

// The JSON download of a link's history for a support ticket. It is
// written while the events are read, in batches, so that memory stays the
// same for a history of ten events or of a million.

// HistoryExport is the shape of the JSON that WriteHistory writes: the
// link's facts and every event. It holds no token, hash or sealed value.
type HistoryExport struct {
	ExportedAt string          `json:"exported_at"`
	Link       ExportedLink    `json:"link"`
	Events     []ExportedEvent `json:"events"`
}

// ExportedLink is a link's facts in a HistoryExport. Times are RFC 3339,
// in UTC.
type ExportedLink struct {
	ID               string           `json:"id"`
	Status           Status           `json:"status"`
	Source           string           `json:"source"`
	SourceName       string           `json:"source_name,omitempty"`
	OrganizationID   string           `json:"organization_id"`
	OrganizationName string           `json:"organization_name"`
	Plan             string           `json:"plan"`
	WorkspaceID      string           `json:"workspace_id"`
	WorkspaceName    string           `json:"workspace_name"`
	CreatedBy        ExportedUser     `json:"created_by"`
	CreatedAt        string           `json:"created_at"`
	ExpiresAt        string           `json:"expires_at"`
	ExpiredAt        string           `json:"expired_at,omitempty"`
	UsedAt           string           `json:"used_at,omitempty"`
	DeletedAt        string           `json:"deleted_at,omitempty"`
	DeletedBy        *ExportedUser    `json:"deleted_by,omitempty"`
	ConnectedAccount *ExportedAccount `json:"connected_account,omitempty"`
}

// ExportedUser names a user in a HistoryExport.
type ExportedUser struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// ExportedAccount is the connected account's identity and scopes.
type ExportedAccount struct {
	ID          string   `json:"id"`
	Source      string   `json:"source"`
	ExternalID  string   `json:"external_id"`
	DisplayName string   `json:"display_name,omitempty"`
	Email       string   `json:"email,omitempty"`
	Scopes      []string `json:"scopes"`
	Status      string   `json:"status"`
	ConnectedAt string   `json:"connected_at"`
	UpdatedAt   string   `json:"updated_at"`
}

// ExportedEvent is one event of a HistoryExport.
type ExportedEvent struct {
	Type      string         `json:"type"`
	Time      string         `json:"time"`
	Title     string         `json:"title"`
	Summary   string         `json:"summary,omitempty"`
	Actor     string         `json:"actor"`
	ActorID   string         `json:"actor_id,omitempty"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Detail    map[string]any `json:"detail"`
	// Count is how many times the event happened from the same client;
	// LastTime is when it last did (only when Count > 1).
	Count    int    `json:"count"`
	LastTime string `json:"last_time,omitempty"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// exportBatch is how many events the export reads per query.
const exportBatch = 500

// exportedLink is v's facts as the export shows them.
func (s *Service) exportedLink(v *SupportLinkView, now time.Time) ExportedLink {
	l := ExportedLink{
		ID:               v.ID,
		Status:           v.Status,
		Source:           v.SourceKey,
		OrganizationID:   v.OrganizationID,
		OrganizationName: v.OrganizationName,
		Plan:             v.OrganizationPlan,
		WorkspaceID:      v.WorkspaceID,
		WorkspaceName:    v.WorkspaceName,
		CreatedBy:        exportedCreator(&v.Link),
		CreatedAt:        rfc3339(v.CreatedAt),
		ExpiresAt:        rfc3339(v.ExpiresAt),
	}
	if src := s.sources.Get(v.SourceKey); src != nil {
		l.SourceName = src.Name
	}
	if at, ok := ExpiredOn(&v.AccessLink, now); ok {
		l.ExpiredAt = rfc3339(at)
	}
	if v.UsedAt != nil {
		l.UsedAt = rfc3339(*v.UsedAt)
	}
	if v.DeletedAt != nil {
		l.DeletedAt = rfc3339(*v.DeletedAt)
		if v.DeletedBy != nil {
			l.DeletedBy = &ExportedUser{ID: *v.DeletedBy, Name: v.DeletedByName}
		}
	}
	if a := v.Account; a != nil {
		l.ConnectedAccount = &ExportedAccount{
			ID: a.ID, Source: a.SourceKey, ExternalID: a.ExternalID, DisplayName: a.DisplayName, Email: a.Email,
			Scopes: strings.Fields(a.Scopes), Status: a.Status, ConnectedAt: rfc3339(a.CreatedAt), UpdatedAt: rfc3339(a.UpdatedAt),
		}
	}
	return l
}

// EventWords are the words of an event in the export: the views write them
// (views.EventWords), so that the domain holds no sentence.
type EventWords struct {
	Title, Summary, Actor string
}

// exportedEvent is one event as the export shows it.
func exportedEvent(e *Event, words func(*Event) EventWords) ExportedEvent {
	detail := map[string]any{}
	_ = json.Unmarshal([]byte(e.Detail), &detail)
	if detail == nil { // "null" decodes to a nil map
		detail = map[string]any{}
	}
	w := words(e)
	x := ExportedEvent{
		Type: e.Type, Time: rfc3339(e.CreatedAt), Title: w.Title, Summary: w.Summary,
		Actor: w.Actor, IP: e.IP, UserAgent: e.UserAgent, Detail: detail, Count: e.Times(),
	}
	if x.Count > 1 {
		x.LastTime = rfc3339(e.LastSeen())
	}
	if e.ActorID != nil {
		x.ActorID = *e.ActorID
	}
	return x
}

// WriteHistory writes the link's facts and history, oldest event first, as
// one JSON document (a HistoryExport) to w, for the support console's
// download, with the words of each event from words. Events are encoded as they are read, exportBatch at a time.
// An error after the first bytes leaves w with a truncated document; the
// caller can only log it.
func (s *Service) WriteHistory(ctx context.Context, v *SupportLinkView, w io.Writer, words func(*Event) EventWords) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	head, err := json.MarshalIndent(s.exportedLink(v, s.now()), "  ", "  ")
	if err != nil {
		return err
	}
	exportedAt, _ := json.Marshal(rfc3339(s.now()))
	bw.WriteString("{\n  \"exported_at\": ")
	bw.Write(exportedAt)
	bw.WriteString(",\n  \"link\": ")
	bw.Write(head)
	bw.WriteString(",\n  \"events\": [")
	n := 0
	err = s.eachEvent(ctx, v.ID, exportBatch, func(e *Event) error {
		b, err := json.MarshalIndent(exportedEvent(e, words), "    ", "  ")
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		bw.WriteString("\n    ")
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// exportedCreator names who made a link: a user, or an API key as the
// history names it.
func exportedCreator(l *Link) ExportedUser {
	if l.CreatedByKeyID != nil {
		return ExportedUser{ID: *l.CreatedByKeyID, Name: apiKeyActor + l.CreatorKeyName}
	}
	if l.CreatedBy == nil {
		return ExportedUser{}
	}
	return ExportedUser{ID: *l.CreatedBy, Name: l.CreatorName, Email: l.CreatorEmail}
}
