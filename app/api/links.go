package api

import (
	"context"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
)

// Link is an access link.
type Link struct {
	ID        string    `json:"id" doc:"The link's ID."`
	URL       string    `json:"url,omitempty" doc:"The link to send to the account's owner; present while the link is active. A secret: whoever holds it can connect an account."`
	Source    string    `json:"source" doc:"The key of the source the link connects."`
	Label     string    `json:"label,omitempty" doc:"The link's label (for example the client's name), shown to the admins and on the consent page."`
	Status    string    `json:"status" enum:"active,used,expired" doc:"active until used or expired; expired the instant expires_at passes."`
	ExpiresAt time.Time `json:"expires_at" doc:"When the link stops working (RFC 3339, UTC)."`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy Creator   `json:"created_by"`
	// UsedAt and AccountID are set once the link was used.
	UsedAt    *time.Time `json:"used_at,omitempty" doc:"When an account was connected through the link."`
	AccountID *string    `json:"account_id,omitempty" doc:"The account connected through the link."`
	// LastOutcome is the invitee's last attempt that did not connect.
	LastOutcome *Outcome `json:"last_outcome,omitempty" doc:"How the invitee's last attempt ended, while the link stayed usable (declined, or failed at the provider)."`
	// RecipientEmail and Note: the link was sent by email.
	RecipientEmail string `json:"recipient_email,omitempty" doc:"Who the link was emailed to."`
	Note           string `json:"note,omitempty" doc:"The note sent with the link's email."`
	// Language is the language of the link's email.
	Language string `json:"language" enum:"en,de,fr,es,pt-BR,nl" doc:"The language the link's email is written in (en when none was chosen)."`
	// RenewedFrom and RenewedBy link a renewed link and its renewal.
	RenewedFrom *string `json:"renewed_from,omitempty" doc:"The link this one renewed."`
	RenewedBy   *string `json:"renewed_by,omitempty" doc:"The link that renewed this one."`
	// ReconnectAccountID: a reconnect link (POST /accounts/{id}/reconnect-link).
	ReconnectAccountID *string `json:"reconnect_account_id,omitempty" doc:"A reconnect link: the account it renews access to. Its owner must sign in as that account; its tokens and scopes are then replaced in place."`
}

// Creator is who made a link: a person, or an API key.
type Creator struct {
	Type     string `json:"type" enum:"user,api_key"`
	Name     string `json:"name" doc:"The person's name, or the API key's name."`
	Email    string `json:"email,omitempty" doc:"The person's email address."`
	APIKeyID string `json:"api_key_id,omitempty" doc:"The API key's ID."`
}

// Outcome is an attempt of the invitee that did not connect an account.
type Outcome struct {
	Kind   string    `json:"kind" enum:"declined,failed"`
	Detail string    `json:"detail,omitempty" doc:"The reason the invitee gave, or what failed."`
	At     time.Time `json:"at"`
}

func linkOut(l *access.Link) Link {
	out := Link{ID: l.ID, Source: l.SourceKey, Label: l.Label, Status: string(l.Status), ExpiresAt: l.ExpiresAt.UTC(), CreatedAt: l.CreatedAt.UTC(),
		UsedAt: access.UTCPtr(l.UsedAt), AccountID: l.ConnectedAccountID, RecipientEmail: l.RecipientEmail, Note: l.Note, Language: access.MailLanguage(&l.AccessLink),
		RenewedFrom: l.RenewedFromID, RenewedBy: l.RenewedToID, ReconnectAccountID: l.ReconnectAccountID}
	if l.Status == access.StatusActive {
		out.URL = l.URL
	}
	if l.CreatedByKeyID != nil {
		out.CreatedBy = Creator{Type: "api_key", Name: l.CreatorKeyName, APIKeyID: *l.CreatedByKeyID}
	} else {
		out.CreatedBy = Creator{Type: "user", Name: l.CreatorName, Email: l.CreatorEmail}
	}
	if l.LastOutcome != "" && l.LastOutcomeAt != nil {
		out.LastOutcome = &Outcome{Kind: l.LastOutcome, Detail: l.LastOutcomeDetail, At: l.LastOutcomeAt.UTC()}
	}
	return out
}

// IdempotencyParams is the header of a POST that may be retried.
type IdempotencyParams struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the POST safe to retry: for 24 hours, the same key with the same body answers the first answer again."`
}

type createLinkInput struct {
	IdempotencyParams
	Body struct {
		Source         string `json:"source" minLength:"1" maxLength:"64" doc:"The key of a usable source (GET /sources)." example:"sandbox"`
		RecipientEmail string `json:"recipient_email,omitempty" maxLength:"254" doc:"Also email the link to this address (one bare address). The mail names the workspace and lists what will be asked; as the link is made by a key, replies go nowhere." example:"client@example.com"`
		Note           string `json:"note,omitempty" maxLength:"500" doc:"A short note shown in the email (needs recipient_email); control characters are removed and it is cut at 500 bytes."`
		Language       string `json:"language,omitempty" enum:"en,de,fr,es,pt-BR,nl" doc:"The language of the email (subject and text; the note is sent as written): English when left out. Kept when the link is renewed. The consent page itself follows the reader's browser." example:"de"`
		Label          string `json:"label,omitempty" maxLength:"80" doc:"A label for the link, for example the client's name (at most 80 characters; control characters are removed). Shown in the list and on the consent page." example:"Acme Bakery"`
		ExpiresInHours int    `json:"expires_in_hours,omitempty" minimum:"1" maximum:"720" doc:"How long the link stays usable, in whole hours (1 to 720, 30 days). Without it, the organization's default (7 days unless changed)." example:"336"`
	}
}

type linkOutput struct {
	Body Link
}

// createLink is POST /api/v1/links.
func (a *API) createLink(ctx context.Context, in *createLinkInput) (*linkOutput, error) {
	l, err := a.svc.GenerateLinkWith(ctx, principal(ctx).Membership, actor(ctx), access.NewLink{
		Source: in.Body.Source, Label: in.Body.Label, ExpiresIn: time.Duration(in.Body.ExpiresInHours) * time.Hour,
		Mail: access.LinkMail{Recipient: in.Body.RecipientEmail, Note: in.Body.Note}, Language: in.Body.Language})
	if err != nil {
		return nil, err
	}
	return &linkOutput{Body: linkOut(l)}, nil
}

// PageParams select a page of a list.
type PageParams struct {
	Cursor string `query:"cursor" maxLength:"200" doc:"next_cursor of the previous page."`
	Limit  int    `query:"limit" minimum:"1" maximum:"50" default:"50" doc:"Items per page."`
}

type listLinksInput struct {
	Status string `query:"status" enum:"active,used,expired" doc:"Only links with this status."`
	Source string `query:"source" maxLength:"64" doc:"Only links for this source."`
	Q      string `query:"q" maxLength:"400" doc:"Search: every word (at most 100 characters, 8 words) must appear in the link's label, source (key or name), creator (name, email or API key name) or recipient email; case is ignored (ASCII letters only on SQLite); % and _ are plain characters." example:"acme"`
	Sort   string `query:"sort" enum:"created,expires" default:"created" doc:"created: newest first; expires: soonest expiry first. A cursor belongs to its order."`
	PageParams
}

// LinkList is one page of links.
type LinkList struct {
	Data       []Link `json:"data" nullable:"false"`
	NextCursor string `json:"next_cursor" doc:"Pass as cursor for the next page; empty on the last page."`
}

type linkListOutput struct {
	Body LinkList
}

// listLinks is GET /api/v1/links.
func (a *API) listLinks(ctx context.Context, in *listLinksInput) (*linkListOutput, error) {
	page, err := a.svc.ListLinks(ctx, workspaceID(ctx), access.ListFilter{
		Status: access.Status(in.Status), Source: in.Source, Q: in.Q, Sort: access.Sort(in.Sort), Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	out := &linkListOutput{Body: LinkList{Data: make([]Link, len(page.Links)), NextCursor: page.NextCursor}}
	for i := range page.Links {
		out.Body.Data[i] = linkOut(&page.Links[i])
	}
	return out, nil
}

type idInput struct {
	ID string `path:"id" maxLength:"64" doc:"The resource's ID."`
}

// liveLink is a link of the key's workspace; a deleted one is not found.
func (a *API) liveLink(ctx context.Context, id string) (*access.Link, error) {
	l, err := a.svc.GetLink(ctx, workspaceID(ctx), id)
	if err != nil {
		return nil, err
	}
	if l.Status == access.StatusDeleted {
		return nil, access.Errorf(access.ENOTFOUND, "Link not found.")
	}
	return l, nil
}

// getLink is GET /api/v1/links/{id}.
func (a *API) getLink(ctx context.Context, in *idInput) (*linkOutput, error) {
	l, err := a.liveLink(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &linkOutput{Body: linkOut(l)}, nil
}

// deleteLink is DELETE /api/v1/links/{id}: 204, also for a link already
// deleted.
func (a *API) deleteLink(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, a.svc.DeleteLink(ctx, principal(ctx).Membership, actor(ctx), in.ID)
}

type relabelLinkInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The link's ID."`
	Body struct {
		// The domain checks the 80 characters after cleaning, with a
		// problem that says so; the schema only bounds the raw text.
		Label string `json:"label" maxLength:"400" doc:"The link's new label, at most 80 characters once control characters are removed and spaces collapsed (more: 422); empty removes it." example:"Acme Bakery"`
	}
}

// relabelLink is PATCH /api/v1/links/{id}.
func (a *API) relabelLink(ctx context.Context, in *relabelLinkInput) (*linkOutput, error) {
	l, err := a.svc.RelabelLink(ctx, principal(ctx).Membership, actor(ctx), in.ID, in.Body.Label)
	if err != nil {
		return nil, err
	}
	return &linkOutput{Body: linkOut(l)}, nil
}

// renewLink is POST /api/v1/links/{id}/renew: 201, a fresh link in place
// of an expired, declined or failed one, as POST /links answers.
func (a *API) renewLink(ctx context.Context, in *tokenInput) (*linkOutput, error) {
	l, err := a.svc.Renew(ctx, principal(ctx).Membership, actor(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &linkOutput{Body: linkOut(l)}, nil
}

// Event is one step of a link's history.
type Event struct {
	ID        string            `json:"id"`
	Type      string            `json:"type" doc:"created, opened, started, declined, failed, connected, deleted, ..." example:"created"`
	Actor     string            `json:"actor" doc:"Who did it: a person's name, \"API key <name>\", or \"invitee\"."`
	CreatedAt time.Time         `json:"created_at" doc:"When it first happened."`
	LastAt    time.Time         `json:"last_at" doc:"When it last happened (repeats from one client are one event)."`
	Count     int               `json:"count" doc:"How many times it happened."`
	Detail    map[string]string `json:"detail" doc:"The event's details (source, reason, account, ...)."`
}

type eventsInput struct {
	ID     string `path:"id" maxLength:"64"`
	Cursor string `query:"cursor" maxLength:"200" doc:"next_cursor of the previous page."`
}

// EventList is one page of a link's history (50 events).
type EventList struct {
	Data       []Event `json:"data" nullable:"false"`
	NextCursor string  `json:"next_cursor"`
}

type eventListOutput struct {
	Body EventList
}

// listLinkEvents is GET /api/v1/links/{id}/events.
func (a *API) listLinkEvents(ctx context.Context, in *eventsInput) (*eventListOutput, error) {
	l, err := a.liveLink(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	page, err := a.svc.EventsPage(ctx, l.ID, in.Cursor)
	if err != nil {
		return nil, err
	}
	out := &eventListOutput{Body: EventList{Data: make([]Event, len(page.Events)), NextCursor: page.NextCursor}}
	for i, e := range page.Events {
		name := e.Actor
		if e.ByInvitee() {
			name = "invitee"
		}
		out.Body.Data[i] = Event{ID: e.ID, Type: e.Type, Actor: name, CreatedAt: e.CreatedAt.UTC(), LastAt: e.LastSeen(), Count: e.Times(), Detail: e.Fields}
	}
	return out, nil
}
