package access

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// Events out: what the domain tells systems outside (webhooks now, mail
// later) about the changes it makes. Each is handed to the Outbox inside the
// transaction of the change, so an event exists exactly when its change was
// committed, whatever happens to the process afterwards.

// Event types sent to webhooks (and, later, to mail subscribers).
const (
	HookLinkCreated           = "link.created"
	HookLinkOpened            = "link.opened" // the first view only
	HookLinkDeclined          = "link.declined"
	HookLinkFailed            = "link.failed"
	HookLinkUsed              = "link.used"
	HookLinkExpired           = "link.expired"
	HookLinkDeleted           = "link.deleted"
	HookAccountNeedsReconnect = "account.needs_reconnect"
	HookAccountDisconnected   = "account.disconnected"
	// HookTest is the event "Send test event" sends to one endpoint.
	HookTest = "webhook.test"
	// HookEndpointDisabled is internal: an endpoint failed for
	// WebhookDisableAfter and was disabled. It is never sent to webhooks;
	// mail subscribers tell the workspace's admins.
	HookEndpointDisabled = "webhook_endpoint.disabled"
)

// WebhookEventTypes are the event types an endpoint can subscribe to.
var WebhookEventTypes = []string{
	HookLinkCreated, HookLinkOpened, HookLinkDeclined, HookLinkFailed, HookLinkUsed,
	HookLinkExpired, HookLinkDeleted, HookAccountNeedsReconnect, HookAccountReconnected, HookAccountDisconnected,
}

// OutEvent is one event for the world outside. ID is the Standard Webhooks
// message ID (webhook-id), fixed when the event happens so that every
// delivery and every retry of it carries the same one.
type OutEvent struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	WorkspaceID string         `json:"workspace_id"`
	LinkID      string         `json:"link_id,omitempty"`
	Timestamp   time.Time      `json:"timestamp"`
	Data        map[string]any `json:"data"`
}

// Outbox takes the work the domain hands out, inside the caller's
// transaction tx: nothing is queued for a change that rolls back. The job
// engine (app/jobs) implements it.
type Outbox interface {
	// Emit queues an event for every subscriber (webhook endpoints, mail).
	Emit(tx *gorm.DB, ev OutEvent) error
	// Deliver queues one delivery of a stored message to one endpoint
	// (Resend, Send test event).
	Deliver(tx *gorm.DB, endpointID, messageID string) error
}

// WithOutbox sets where the service hands out events; without it no event
// leaves the domain (commands, tools).
func WithOutbox(o Outbox) Option { return func(s *Service) { s.hooks.outbox = o } }

// WithProduction applies production's rules to what the service accepts
// from users: webhook endpoints must be https on a public address.
func WithProduction(production bool) Option {
	return func(s *Service) { s.hooks.production = production }
}

// hookSettings are the service's dependencies for events out.
type hookSettings struct {
	outbox     Outbox
	production bool
}

// NewMessageID returns a new Standard Webhooks message ID.
func NewMessageID() string { return "msg_" + strings.ReplaceAll(uuid.NewString(), "-", "") }

// announces reports whether recording a link event of type typ may emit
// an event out, so that recordEvent runs it in a transaction.
func (s *Service) announces(typ string) bool {
	if s.hooks.outbox == nil {
		return false
	}
	switch typ {
	case EventCreated, EventOpened, EventDeclined, EventProviderError, EventConnected, EventDeleted:
		return true
	}
	return false
}

// announce emits the event out that a link event just written on tx
// stands for, if any. A view is announced once per link: the first one
// sets first_opened_at with a conditional update, so concurrent first
// views on any number of processes announce it once.
// announcesFor is announces for one link: a view of a link whose first view
// is known to be announced already (FirstOpenedAt read with it) announces
// nothing, so the consent page's hottest write needs no transaction and no
// second statement.
func (s *Service) announcesFor(l *models.AccessLink, typ string) bool {
	if typ == EventOpened && l.FirstOpenedAt != nil {
		return false
	}
	return s.announces(typ)
}

func (s *Service) announce(tx *gorm.DB, l *models.AccessLink, typ string, detail map[string]any, now time.Time) error {
	if !s.announcesFor(l, typ) {
		return nil
	}
	data := map[string]any{"link": linkData(l)}
	var hook string
	switch typ {
	case EventCreated:
		hook = HookLinkCreated
	case EventOpened:
		res := tx.Model(&models.AccessLink{}).Where("id = ? AND first_opened_at IS NULL", l.ID).Update("first_opened_at", now)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		hook = HookLinkOpened
	case EventDeclined:
		hook = HookLinkDeclined
		reason, _ := detail["reason"].(string)
		data["reason"] = reason
	case EventProviderError:
		hook = HookLinkFailed
		for _, k := range []string{"kind", "error", "description"} {
			if v, ok := detail[k].(string); ok {
				data[map[string]string{"kind": "failure", "error": "error_code", "description": "error_description"}[k]] = v
			}
		}
	case EventConnected:
		hook = HookLinkUsed
		acc, err := linkAccount(tx, l.ID)
		if err != nil {
			return err
		}
		data["account"] = acc
	case EventDeleted:
		hook = HookLinkDeleted
	}
	return s.emit(tx, OutEvent{Type: hook, WorkspaceID: l.WorkspaceID, LinkID: l.ID, Timestamp: now, Data: data})
}

// emit hands ev to the outbox on tx, with a new ID unless it has one.
func (s *Service) emit(tx *gorm.DB, ev OutEvent) error {
	if s.hooks.outbox == nil {
		return nil
	}
	if ev.ID == "" {
		ev.ID = NewMessageID()
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = s.now()
	}
	ev.Timestamp = ev.Timestamp.UTC()
	return s.hooks.outbox.Emit(tx, ev)
}

// linkData is a link as events show it: never its token.
func linkData(l *models.AccessLink) map[string]any {
	return map[string]any{
		"id":           l.ID,
		"workspace_id": l.WorkspaceID,
		"source":       l.SourceKey,
		"label":        l.Label,
		"created_by":   l.CreatedBy,
		"created_at":   l.CreatedAt.UTC(),
		"expires_at":   l.ExpiresAt.UTC(),
		"language":     MailLanguage(l),
	}
}

// accountData is a connected account as events show it: its identity and
// scopes, never its tokens.
func accountData(a *models.ConnectedAccount) map[string]any {
	return map[string]any{
		"id":           a.ID,
		"workspace_id": a.WorkspaceID,
		"source":       a.SourceKey,
		"external_id":  a.ExternalID,
		"name":         a.DisplayName,
		"email":        a.Email,
		"scopes":       strings.Fields(a.Scopes),
		"status":       a.Status,
	}
}

// hookAccountColumns are the columns accountData reads.
const hookAccountColumns = "id, workspace_id, source_key, external_id, display_name, email, scopes, status, link_id"

// linkAccount is the account a link connected, read on tx.
func linkAccount(tx *gorm.DB, linkID string) (map[string]any, error) {
	var a models.ConnectedAccount
	err := tx.Select(hookAccountColumns).Where("id = (SELECT connected_account_id FROM access_links WHERE id = ?)", linkID).Take(&a).Error
	if err != nil {
		return nil, err
	}
	return accountData(&a), nil
}

// announceAccount emits an account event (needs_reconnect, reconnected,
// disconnected)
// for the account accountID, read on tx.
func (s *Service) announceAccount(tx *gorm.DB, hook, accountID string) error {
	if s.hooks.outbox == nil {
		return nil
	}
	var a models.ConnectedAccount
	if err := tx.Select(hookAccountColumns).Where("id = ?", accountID).Take(&a).Error; err != nil {
		return err
	}
	ev := OutEvent{Type: hook, WorkspaceID: a.WorkspaceID, Data: map[string]any{"account": accountData(&a)}}
	if a.LinkID != nil {
		ev.LinkID = *a.LinkID
	}
	return s.emit(tx, ev)
}

// markAccount sets an account's status with a conditional update (where
// and args narrow it to the row as the caller read it) and, if the row
// changed, emits hook in the same transaction.
func (s *Service) markAccount(db *gorm.DB, accountID, hook string, cols map[string]any, where string, args ...any) (bool, error) {
	changed := false
	err := db.Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.ConnectedAccount{}).Where("id = ?", accountID).Where(where, args...).UpdateColumns(cols)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		changed = true
		return s.announceAccount(tx, hook, accountID)
	})
	return changed, err
}
