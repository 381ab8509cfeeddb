package access

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/webhooks"
	"github.com/accessrequests/accessrequests/models"
)

// Webhook endpoints of a workspace: what an admin manages on the webhooks
// page and through the API (one call each). The gates are the links'
// (Membership.CanManageWebhooks: workspace admins and organization owners, on
// a plan with access links).

// Limits of an endpoint.
const (
	// MaxWebhookEndpoints is how many endpoints one workspace may have.
	MaxWebhookEndpoints = 20
	// WebhookSecretOverlap is how long a rotated-out secret still signs.
	WebhookSecretOverlap = 24 * time.Hour
	// WebhookDisableAfter is how long an endpoint may fail before it is
	// disabled.
	WebhookDisableAfter   = 5 * 24 * time.Hour
	maxWebhookDescription = 200
)

// WebhookEndpoint is an endpoint as pages and the API show it: never its
// secret, which is shown once, when created or rotated.
type WebhookEndpoint struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	Events      []string  `json:"events"` // empty: every event
	CreatedAt   time.Time `json:"created_at"`
	// Disabled is set when the endpoint failed for WebhookDisableAfter.
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	// FailingSince starts the current run of failed deliveries.
	FailingSince  *time.Time `json:"failing_since,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	// PreviousSecretUntil is when a rotated-out secret stops signing.
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty"`
}

// NewWebhookEndpoint is what an admin enters to add an endpoint.
type NewWebhookEndpoint struct {
	URL         string
	Description string
	Events      []string // none: every event
}

func endpointAD(id string) string { return "webhook_endpoints/" + id + "/secret" }

func webhookNotFound() error {
	return reasonf(ENOTFOUND, ReasonEndpointNotFound, nil, "Webhook endpoint not found.")
}

// CreateWebhookEndpoint adds an endpoint to the member's workspace and
// returns it with its signing secret (shown to its creator for a few
// minutes, NewWebhookSecret, then never again).
func (s *Service) CreateWebhookEndpoint(ctx context.Context, m *Membership, actor Actor, in NewWebhookEndpoint) (*WebhookEndpoint, string, error) {
	if err := m.CanManageWebhooks(); err != nil {
		return nil, "", err
	}
	events, err := s.checkEndpoint(&in)
	if err != nil {
		return nil, "", err
	}
	secret := webhooks.NewSecret()
	e := models.WebhookEndpoint{
		ID: NewID(), WorkspaceID: m.Workspace.ID, URL: in.URL, Description: in.Description,
		EventTypes: strings.Join(events, " "), CreatedAt: s.now(),
	}
	if actor.UserID != "" {
		e.CreatedBy = &actor.UserID
	}
	if e.SecretSealed, err = s.keys.Seal(secret, endpointAD(e.ID)); err != nil {
		return nil, "", err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.WebhookEndpoint{}).Where("workspace_id = ?", m.Workspace.ID).Count(&n).Error; err != nil {
			return err
		}
		if n >= MaxWebhookEndpoints {
			return reasonf(ECONFLICT, ReasonEndpointLimit, map[string]string{"count": strconv.Itoa(MaxWebhookEndpoints)}, "A workspace can have at most %d webhook endpoints. Delete one first.", MaxWebhookEndpoints)
		}
		return duplicateEndpoint(tx.Create(&e).Error)
	})
	if err != nil {
		return nil, "", err
	}
	return endpointView(&e), secret, nil
}

// NewSecretWindow is how long after creating an endpoint its creator's
// page still shows the signing secret (NewWebhookSecret).
const NewSecretWindow = 10 * time.Minute

// NewWebhookSecret returns a just-created endpoint with its signing secret,
// for the page its creation redirects to (POST, redirect, GET: the secret
// is read from its sealed copy, never carried through the redirect). Only
// the user who created it gets it, within NewSecretWindow of the creation
// and before any rotation; anyone else, later, gets a not-found error and
// sees the endpoint's page without it.
func (s *Service) NewWebhookSecret(ctx context.Context, m *Membership, actor Actor, id string) (*WebhookEndpoint, string, error) {
	e, err := s.endpoint(ctx, m, id)
	if err != nil {
		return nil, "", err
	}
	if actor.UserID == "" || e.CreatedBy == nil || *e.CreatedBy != actor.UserID ||
		s.now().Sub(e.CreatedAt) > NewSecretWindow || e.PreviousSecretSealed != "" {
		return nil, "", webhookNotFound()
	}
	secret, err := s.keys.Open(e.SecretSealed, endpointAD(e.ID))
	if err != nil {
		return nil, "", err
	}
	return endpointView(e), secret, nil
}

// checkEndpoint cleans and validates in, returning its event types.
func (s *Service) checkEndpoint(in *NewWebhookEndpoint) ([]string, error) {
	in.URL = strings.TrimSpace(in.URL)
	in.Description = CleanText(strings.TrimSpace(in.Description), maxWebhookDescription)
	fields := map[string]error{}
	if in.URL == "" {
		fields["url"] = fieldf(FieldWebhookURLMissing, nil, "Enter the URL that should receive the events.")
	} else if err := webhooks.CheckURL(in.URL, s.hooks.production); err != nil {
		fields["url"] = webhookURLProblem(err)
	}
	var events []string
	for _, ev := range in.Events {
		ev = strings.TrimSpace(ev)
		if ev == "" || slices.Contains(events, ev) {
			continue
		}
		if !slices.Contains(WebhookEventTypes, ev) {
			t := CleanText(ev, 60)
			fields["events"] = fieldf(FieldUnknownEventType, map[string]string{"type": t}, "Unknown event type: %s.", t)
			break
		}
		events = append(events, ev)
	}
	if len(fields) > 0 {
		return nil, fieldsError(EINVALID, "Check the webhook endpoint.", fields).because(ReasonEndpointInvalid, nil)
	}
	slices.Sort(events)
	return events, nil
}

// ListWebhookEndpoints lists the endpoints of the member's workspace, oldest
// first.
func (s *Service) ListWebhookEndpoints(ctx context.Context, m *Membership) ([]WebhookEndpoint, error) {
	if err := m.CanManageWebhooks(); err != nil {
		return nil, err
	}
	var rows []models.WebhookEndpoint
	if err := s.db.WithContext(ctx).Where("workspace_id = ?", m.Workspace.ID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]WebhookEndpoint, len(rows))
	for i := range rows {
		out[i] = *endpointView(&rows[i])
	}
	return out, nil
}

// GetWebhookEndpoint returns one endpoint of the member's workspace.
func (s *Service) GetWebhookEndpoint(ctx context.Context, m *Membership, id string) (*WebhookEndpoint, error) {
	e, err := s.endpoint(ctx, m, id)
	if err != nil {
		return nil, err
	}
	return endpointView(e), nil
}

// DeleteWebhookEndpoint deletes an endpoint and its delivery log; its
// pending deliveries are dropped when they come up.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, m *Membership, id string) error {
	if _, err := s.endpoint(ctx, m, id); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, m.Workspace.ID).Delete(&models.WebhookEndpoint{}).Error
}

// RotateWebhookSecret gives an endpoint a new signing secret, returned once.
// The previous one keeps signing, beside the new one, for
// WebhookSecretOverlap, so receivers can switch without losing a message.
func (s *Service) RotateWebhookSecret(ctx context.Context, m *Membership, id string) (string, error) {
	e, err := s.endpoint(ctx, m, id)
	if err != nil {
		return "", err
	}
	secret := webhooks.NewSecret()
	sealed, err := s.keys.Seal(secret, endpointAD(e.ID))
	if err != nil {
		return "", err
	}
	until := s.now().Add(WebhookSecretOverlap)
	res := s.db.WithContext(ctx).Model(&models.WebhookEndpoint{}).
		Where("id = ? AND secret_sealed = ?", e.ID, e.SecretSealed).
		Updates(map[string]any{"secret_sealed": sealed, "previous_secret_sealed": e.SecretSealed, "previous_secret_until": until})
	if res.Error != nil {
		return "", res.Error
	}
	if res.RowsAffected == 0 {
		return "", reasonf(ECONFLICT, ReasonSecretRotated, nil, "The secret was rotated meanwhile. Reload the page and try again.")
	}
	return secret, nil
}

// EnableWebhookEndpoint turns a disabled endpoint back on; its failure run
// starts again.
func (s *Service) EnableWebhookEndpoint(ctx context.Context, m *Membership, id string) error {
	e, err := s.endpoint(ctx, m, id)
	if err != nil {
		return err
	}
	return duplicateEndpoint(s.db.WithContext(ctx).Model(&models.WebhookEndpoint{}).Where("id = ?", e.ID).
		Updates(map[string]any{"disabled_at": nil, "failing_since": nil}).Error)
}

// duplicateEndpoint turns the violation of the unique index on a
// workspace's live endpoint URLs (migration 00021) into a conflict on the
// url field: one URL receives each event once. Other errors pass.
func duplicateEndpoint(err error) error {
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		return err
	}
	return fieldError(ECONFLICT, "This workspace already sends its events to that URL.",
		"url", fieldf(FieldWebhookURLDuplicate, nil, "This URL already receives this workspace's events.")).because(ReasonEndpointDuplicate, nil)
}

// endpoint loads an endpoint of the member's workspace after the gates.
func (s *Service) endpoint(ctx context.Context, m *Membership, id string) (*models.WebhookEndpoint, error) {
	if err := m.CanManageWebhooks(); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, webhookNotFound()
	}
	var e models.WebhookEndpoint
	if err := takeOne(s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, m.Workspace.ID), &e, webhookNotFound()); err != nil {
		return nil, err
	}
	return &e, nil
}

func endpointView(e *models.WebhookEndpoint) *WebhookEndpoint {
	v := &WebhookEndpoint{
		ID: e.ID, URL: e.URL, Description: e.Description, Events: strings.Fields(e.EventTypes),
		CreatedAt: e.CreatedAt.UTC(), DisabledAt: UTCPtr(e.DisabledAt), FailingSince: UTCPtr(e.FailingSince),
		LastSuccessAt: UTCPtr(e.LastSuccessAt), PreviousSecretUntil: UTCPtr(e.PreviousSecretUntil),
	}
	if v.Events == nil {
		v.Events = []string{}
	}
	return v
}

// UTCPtr is t in UTC, or nil for nil: for nullable times on their way out
// (the API answers every time in UTC).
func UTCPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Wants reports whether the endpoint subscribes to event type typ.
func (e *WebhookEndpoint) Wants(typ string) bool {
	return len(e.Events) == 0 || slices.Contains(e.Events, typ)
}

// webhookURLProblem is CheckURL's error as the url field's message, with
// the reason pages word it by.
func webhookURLProblem(err error) error {
	for _, p := range []struct {
		err    error
		reason string
	}{
		{webhooks.ErrURLTooLong, FieldWebhookURLTooLong},
		{webhooks.ErrURLNotFull, FieldWebhookURLNotFull},
		{webhooks.ErrURLUserinfo, FieldWebhookURLUserinfo},
		{webhooks.ErrURLNotHTTPS, FieldWebhookURLNotHTTPS},
		{webhooks.ErrURLNotPublic, FieldWebhookURLNotPublic},
	} {
		if errors.Is(err, p.err) {
			return &FieldMessage{Reason: p.reason, Text: err.Error()}
		}
	}
	return err
}
