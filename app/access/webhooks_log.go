package access

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// The delivery log of an endpoint, and the admin's actions on it: Resend
// a message, Send test event.

// WebhookLogSize is how many attempts the delivery log shows.
const WebhookLogSize = 100

// WebhookDeliveryLine is one attempt in an endpoint's delivery log.
type WebhookDeliveryLine struct {
	ID              string    `json:"id"`
	MessageID       string    `json:"message_id"`
	EventType       string    `json:"event"`
	LinkID          *string   `json:"link_id,omitempty"`
	Attempt         int       `json:"attempt"`
	OK              bool      `json:"ok"`
	StatusCode      int       `json:"status_code"`
	LatencyMS       int64     `json:"latency_ms"`
	ResponseExcerpt string    `json:"response_excerpt"`
	Error           string    `json:"error,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

// WebhookDeliveries is the delivery log of an endpoint of the member's
// workspace, newest first, at most limit lines (WebhookLogSize when limit
// is not in 1..WebhookLogSize).
func (s *Service) WebhookDeliveries(ctx context.Context, m *Membership, endpointID string, limit int) ([]WebhookDeliveryLine, error) {
	if _, err := s.endpoint(ctx, m, endpointID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > WebhookLogSize {
		limit = WebhookLogSize
	}
	var out []WebhookDeliveryLine
	err := s.db.WithContext(ctx).Table("webhook_deliveries AS d").
		Select(`d.id, d.message_id, m.type AS event_type, d.link_id, d.attempt, d.ok, d.status_code, d.latency_ms,
			d.response_excerpt, d.error, d.created_at`).
		Joins("JOIN webhook_messages m ON m.id = d.message_id").
		Where("d.endpoint_id = ?", endpointID).
		Order("d.created_at DESC, d.id DESC").Limit(limit).Scan(&out).Error
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, err
}

// ResendWebhook queues message messageID again for an endpoint of the
// member's workspace, with its original webhook-id.
func (s *Service) ResendWebhook(ctx context.Context, m *Membership, endpointID, messageID string) error {
	e, err := s.endpoint(ctx, m, endpointID)
	if err != nil {
		return err
	}
	if s.hooks.outbox == nil {
		return reasonf(ECONFLICT, ReasonWebhooksOff, nil, "Webhooks are not being sent by this server.")
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var msg models.WebhookMessage
		q := tx.Select("id").Where("id = ? AND workspace_id = ?", messageID, e.WorkspaceID)
		if err := takeOne(q, &msg, reasonf(ENOTFOUND, ReasonWebhookMessageNotFound, nil, "Webhook message not found.")); err != nil {
			return err
		}
		return s.hooks.outbox.Deliver(tx, e.ID, msg.ID)
	})
}

// SendTestWebhook queues a webhook.test message to one enabled endpoint of
// the member's workspace and returns the message's ID.
func (s *Service) SendTestWebhook(ctx context.Context, m *Membership, actor Actor, endpointID string) (string, error) {
	e, err := s.endpoint(ctx, m, endpointID)
	if err != nil {
		return "", err
	}
	if s.hooks.outbox == nil {
		return "", reasonf(ECONFLICT, ReasonWebhooksOff, nil, "Webhooks are not being sent by this server.")
	}
	ev := OutEvent{ID: NewMessageID(), Type: HookTest, WorkspaceID: e.WorkspaceID, Timestamp: s.now(),
		Data: map[string]any{"endpoint_id": e.ID, "workspace_id": e.WorkspaceID, "sent_by": actor.UserID}}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if e.DisabledAt != nil {
			return reasonf(ECONFLICT, ReasonEndpointDisabled, nil, "This endpoint is disabled. Enable it first.")
		}
		if err := s.storeMessage(tx, ev); err != nil {
			return err
		}
		return s.hooks.outbox.Deliver(tx, e.ID, ev.ID)
	})
	if err != nil {
		return "", err
	}
	return ev.ID, nil
}

// LinkWebhookState says how a link's webhooks fared: "" (none sent),
// WebhookDelivered (the latest attempt of each message succeeded) or
// WebhookFailing (some message's latest attempt failed).
type LinkWebhookState string

// Link webhook states.
const (
	WebhookDelivered LinkWebhookState = "delivered"
	WebhookFailing   LinkWebhookState = "failing"
)

// linkWebhookState is the column of link queries (alias l) that gives
// Link.WebhookState: the outcome of the link's latest delivery attempt, one
// index probe per row (webhook_deliveries_link_idx).
const linkWebhookState = `COALESCE((SELECT CASE WHEN d.ok THEN 'delivered' ELSE 'failing' END
	FROM webhook_deliveries d WHERE d.link_id = l.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1), '') AS webhook_state`

// LinkWebhookStates returns the webhook state of each of the links (of one
// workspace) that has any delivery.
func (s *Service) LinkWebhookStates(ctx context.Context, workspaceID string, linkIDs []string) (map[string]LinkWebhookState, error) {
	out := map[string]LinkWebhookState{}
	if len(linkIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		LinkID string
		OK     bool
	}
	// The latest attempt of each (endpoint, message) of these links.
	err := s.db.WithContext(ctx).Raw(`
		SELECT d.link_id, d.ok FROM webhook_deliveries d
		JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.workspace_id = ?
		WHERE d.link_id IN ? AND NOT EXISTS (
			SELECT 1 FROM webhook_deliveries n
			WHERE n.endpoint_id = d.endpoint_id AND n.message_id = d.message_id
				AND (n.created_at > d.created_at OR (n.created_at = d.created_at AND n.id > d.id)))`,
		workspaceID, linkIDs).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if !r.OK {
			out[r.LinkID] = WebhookFailing
		} else if out[r.LinkID] == "" {
			out[r.LinkID] = WebhookDelivered
		}
	}
	return out, nil
}
