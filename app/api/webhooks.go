package api

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessrequests/accessrequests/app/access"
)

// Webhook is a webhook endpoint of the workspace. Never its secret, which
// only the answer to its creation carries.
type Webhook struct {
	ID          string             `json:"id"`
	URL         string             `json:"url" doc:"Where the events are POSTed, signed per the Standard Webhooks specification."`
	Description string             `json:"description"`
	Events      []WebhookEventType `json:"events" nullable:"false" doc:"The event types sent to it; empty: every event type."`
	CreatedAt   time.Time          `json:"created_at"`
	DisabledAt  *time.Time         `json:"disabled_at,omitempty" doc:"When it was disabled, after failing for 5 days."`
	// FailingSince starts its current run of failed deliveries.
	FailingSince  *time.Time `json:"failing_since,omitempty" doc:"When its current run of failed deliveries began."`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty" doc:"When a delivery last succeeded."`
}

// WebhookEventType is an event type an endpoint can subscribe to; the
// schema lists the domain's, so the reference cannot drift from them.
type WebhookEventType string

// Schema is the event types as an enum (huma.SchemaProvider).
func (WebhookEventType) Schema(huma.Registry) *huma.Schema {
	s := &huma.Schema{Type: huma.TypeString, Description: "An event type."}
	for _, t := range access.WebhookEventTypes {
		s.Enum = append(s.Enum, t)
	}
	return s
}

// CreatedWebhook is a new endpoint with its signing secret.
type CreatedWebhook struct {
	Webhook
	Secret string `json:"secret" doc:"The signing secret (whsec_...), shown this once: store it to verify the webhook-signature header."`
}

func webhookOut(e *access.WebhookEndpoint) Webhook {
	out := Webhook{ID: e.ID, URL: e.URL, Description: e.Description, Events: make([]WebhookEventType, len(e.Events)),
		CreatedAt: e.CreatedAt, DisabledAt: e.DisabledAt, FailingSince: e.FailingSince, LastSuccessAt: e.LastSuccessAt}
	for i, t := range e.Events {
		out.Events[i] = WebhookEventType(t)
	}
	return out
}

type createWebhookInput struct {
	IdempotencyParams
	Body struct {
		URL         string             `json:"url" maxLength:"2000" doc:"An https URL (plain http and loopback are accepted outside production)." example:"https://example.com/hooks"`
		Events      []WebhookEventType `json:"events,omitempty" maxItems:"20" doc:"The event types wanted; none: every event type."`
		Description string             `json:"description,omitempty" maxLength:"200"`
	}
}

type createdWebhookOutput struct {
	Body CreatedWebhook
}

// createWebhook is POST /api/v1/webhooks.
func (a *API) createWebhook(ctx context.Context, in *createWebhookInput) (*createdWebhookOutput, error) {
	events := make([]string, len(in.Body.Events))
	for i, t := range in.Body.Events {
		events[i] = string(t)
	}
	e, secret, err := a.svc.CreateWebhookEndpoint(ctx, principal(ctx).Membership, actor(ctx),
		access.NewWebhookEndpoint{URL: in.Body.URL, Description: in.Body.Description, Events: events})
	if err != nil {
		return nil, err
	}
	return &createdWebhookOutput{Body: CreatedWebhook{Webhook: webhookOut(e), Secret: secret}}, nil
}

// WebhookList is the workspace's endpoints, oldest first: one page (a
// workspace has at most 20).
type WebhookList struct {
	Data       []Webhook `json:"data" nullable:"false"`
	NextCursor string    `json:"next_cursor" doc:"Always empty: every endpoint fits one page."`
}

type webhookListOutput struct {
	Body WebhookList
}

// listWebhooks is GET /api/v1/webhooks.
func (a *API) listWebhooks(ctx context.Context, _ *struct{}) (*webhookListOutput, error) {
	es, err := a.svc.ListWebhookEndpoints(ctx, principal(ctx).Membership)
	if err != nil {
		return nil, err
	}
	out := &webhookListOutput{Body: WebhookList{Data: make([]Webhook, len(es))}}
	for i := range es {
		out.Body.Data[i] = webhookOut(&es[i])
	}
	return out, nil
}

type webhookOutput struct {
	Body Webhook
}

// getWebhook is GET /api/v1/webhooks/{id}.
func (a *API) getWebhook(ctx context.Context, in *idInput) (*webhookOutput, error) {
	e, err := a.svc.GetWebhookEndpoint(ctx, principal(ctx).Membership, in.ID)
	if err != nil {
		return nil, err
	}
	return &webhookOutput{Body: webhookOut(e)}, nil
}

// deleteWebhook is DELETE /api/v1/webhooks/{id}.
func (a *API) deleteWebhook(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, a.svc.DeleteWebhookEndpoint(ctx, principal(ctx).Membership, in.ID)
}
