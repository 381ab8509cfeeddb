package access

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/accessrequests/accessrequests/models"
)

// The job engine's side of webhooks: which endpoints an event goes to, what
// one delivery sends, and what it came to (the delivery log and the
// endpoint's health).

// ErrWebhookGone means a delivery has nothing left to do: its endpoint was
// deleted or disabled, or its message is gone.
var ErrWebhookGone = errors.New("webhook endpoint or message gone")

// maxExcerpt caps the response excerpt stored in the delivery log.
const maxExcerpt = 1024

// WebhookPayload is the body of a webhook: the Standard Webhooks shape.
type WebhookPayload struct {
	Type      string         `json:"type"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// WebhookTargets returns the endpoints ev goes to, on tx: the enabled
// endpoints of its workspace that want its type. When there is any, the
// message (ev's ID and the exact body) is stored for them, once whatever
// the number of calls.
func (s *Service) WebhookTargets(tx *gorm.DB, ev OutEvent) ([]string, error) {
	if internalEvent(ev.Type) || ev.WorkspaceID == "" {
		return nil, nil
	}
	var rows []models.WebhookEndpoint
	err := tx.Select("id, event_types").Where("workspace_id = ? AND disabled_at IS NULL", ev.WorkspaceID).Order("created_at, id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	var ids []string
	for i := range rows {
		if endpointView(&rows[i]).Wants(ev.Type) {
			ids = append(ids, rows[i].ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, s.storeMessage(tx, ev)
}

// storeMessage stores ev as a webhook message, unless it is stored already.
func (s *Service) storeMessage(tx *gorm.DB, ev OutEvent) error {
	body, err := json.Marshal(WebhookPayload{Type: ev.Type, Timestamp: ev.Timestamp.UTC(), Data: ev.Data})
	if err != nil {
		return err
	}
	msg := models.WebhookMessage{ID: ev.ID, WorkspaceID: ev.WorkspaceID, Type: ev.Type, Payload: string(body), CreatedAt: s.now()}
	if ev.LinkID != "" {
		msg.LinkID = &ev.LinkID
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&msg).Error
}

// WebhookSend is everything one delivery attempt needs.
type WebhookSend struct {
	EndpointID string
	URL        string
	MessageID  string
	LinkID     *string
	Payload    []byte
	// Secrets sign the message: the current one, and a rotated-out one
	// during its overlap.
	Secrets []string
}

// PrepareWebhookDelivery loads what delivering message messageID to
// endpoint endpointID sends, or ErrWebhookGone.
func (s *Service) PrepareWebhookDelivery(ctx context.Context, endpointID, messageID string) (*WebhookSend, error) {
	var e models.WebhookEndpoint
	err := s.db.WithContext(ctx).Where("id = ?", endpointID).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && e.DisabledAt != nil) {
		return nil, ErrWebhookGone
	}
	if err != nil {
		return nil, err
	}
	var msg models.WebhookMessage
	if err := takeOne(s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", messageID, e.WorkspaceID), &msg, ErrWebhookGone); err != nil {
		return nil, err
	}
	out := &WebhookSend{EndpointID: e.ID, URL: e.URL, MessageID: msg.ID, LinkID: msg.LinkID, Payload: []byte(msg.Payload)}
	cur, err := s.keys.Open(e.SecretSealed, endpointAD(e.ID))
	if err != nil {
		return nil, err
	}
	out.Secrets = []string{cur}
	if e.PreviousSecretSealed != "" && e.PreviousSecretUntil != nil && e.PreviousSecretUntil.After(s.now()) {
		prev, err := s.keys.Open(e.PreviousSecretSealed, endpointAD(e.ID))
		if err != nil {
			return nil, err
		}
		out.Secrets = append(out.Secrets, prev)
	}
	return out, nil
}

// WebhookAttempt is what one delivery attempt came to.
type WebhookAttempt struct {
	EndpointID string
	MessageID  string
	LinkID     *string
	Attempt    int
	OK         bool
	StatusCode int
	Latency    time.Duration
	Excerpt    string
	Error      string
}

// RecordWebhookAttempt adds an attempt to the endpoint's delivery log and
// keeps its health: a success ends its failure run; a failure starts one,
// and one that has lasted WebhookDisableAfter disables the endpoint (and
// emits HookEndpointDisabled, in the same transaction, so that its owners
// are told). disabled reports whether this attempt disabled it.
func (s *Service) RecordWebhookAttempt(ctx context.Context, a WebhookAttempt) (disabled bool, err error) {
	now := s.now()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		disabled = false
		d := models.WebhookDelivery{
			ID: NewID(), EndpointID: a.EndpointID, MessageID: a.MessageID, LinkID: a.LinkID, Attempt: a.Attempt,
			OK: a.OK, StatusCode: a.StatusCode, LatencyMS: a.Latency.Milliseconds(),
			ResponseExcerpt: CleanText(a.Excerpt, maxExcerpt), Error: CleanText(a.Error, maxDetailText), CreatedAt: now,
		}
		if err := tx.Create(&d).Error; err != nil {
			return err
		}
		q := tx.Model(&models.WebhookEndpoint{}).Where("id = ?", a.EndpointID)
		if a.OK {
			// Written at most once a minute while all goes well: concurrent
			// deliveries to one endpoint do not queue on its row.
			return q.Where("failing_since IS NOT NULL OR last_success_at IS NULL OR last_success_at < ?", now.Add(-time.Minute)).
				Updates(map[string]any{"failing_since": nil, "last_success_at": now}).Error
		}
		if err := q.Where("failing_since IS NULL").Update("failing_since", now).Error; err != nil {
			return err
		}
		res := tx.Model(&models.WebhookEndpoint{}).
			Where("id = ? AND disabled_at IS NULL AND failing_since <= ?", a.EndpointID, now.Add(-WebhookDisableAfter)).
			Update("disabled_at", now)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		disabled = true
		var e models.WebhookEndpoint
		if err := tx.Select("id, workspace_id, url, failing_since").Where("id = ?", a.EndpointID).Take(&e).Error; err != nil {
			return err
		}
		return s.emit(tx, OutEvent{Type: HookEndpointDisabled, WorkspaceID: e.WorkspaceID, Timestamp: now,
			Data: map[string]any{"endpoint": map[string]any{"id": e.ID, "url": e.URL, "failing_since": e.FailingSince}}})
	})
	return disabled, err
}

// AnnounceExpiredLinks emits link.expired for up to limit links that passed
// their expiry unused and were not announced yet; it returns how many. Each
// link is marked and announced in one transaction with a conditional
// update, so concurrent sweeps announce it once.
func (s *Service) AnnounceExpiredLinks(ctx context.Context, limit int) (int, error) {
	now := s.now()
	var due []models.AccessLink
	err := s.db.WithContext(ctx).
		Where("expires_at <= ? AND used_at IS NULL AND deleted_at IS NULL AND expiry_announced_at IS NULL", now).
		Order("expires_at").Limit(limit).Find(&due).Error
	if err != nil {
		return 0, err
	}
	return s.markOnce(ctx, due, "expiry_announced_at", "expiry_announced_at IS NULL AND used_at IS NULL AND deleted_at IS NULL", now,
		func(l *models.AccessLink) OutEvent {
			return OutEvent{Type: HookLinkExpired, WorkspaceID: l.WorkspaceID, LinkID: l.ID, Timestamp: l.ExpiresAt,
				Data: map[string]any{"link": linkData(l)}}
		})
}

// markOnce sets column to now on each link of due that still matches cond,
// and emits event(link) for each it marked, one transaction a link: of
// concurrent sweeps, one marks and announces a link, the others skip it.
// It returns how many it marked.
func (s *Service) markOnce(ctx context.Context, due []models.AccessLink, column, cond string, now time.Time, event func(*models.AccessLink) OutEvent) (int, error) {
	n := 0
	for i := range due {
		l := &due[i]
		err := s.transaction(ctx, func(tx *gorm.DB) error {
			res := tx.Model(&models.AccessLink{}).Where("id = ? AND "+cond, l.ID).Update(column, now)
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			n++
			return s.emit(tx, event(l))
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// WebhookLogRetention is how long messages and their delivery log are kept.
const WebhookLogRetention = 30 * 24 * time.Hour

// PruneWebhookLog deletes up to limit messages older than
// WebhookLogRetention, with their delivery log; it returns how many.
func (s *Service) PruneWebhookLog(ctx context.Context, limit int) (int64, error) {
	res := s.db.WithContext(ctx).Where("id IN (?)",
		s.db.Model(&models.WebhookMessage{}).Select("id").Where("created_at < ?", s.now().Add(-WebhookLogRetention)).Limit(limit)).
		Delete(&models.WebhookMessage{})
	return res.RowsAffected, res.Error
}
