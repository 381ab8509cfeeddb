package models

import "time"

// WebhookEndpoint is a URL of a workspace that receives signed events.
type WebhookEndpoint struct {
	ID          string
	WorkspaceID string
	URL         string
	Description string
	// EventTypes is a space-separated list of the event types wanted;
	// empty means every event.
	EventTypes string
	// SecretSealed is the signing secret (whsec_...), sealed; after a
	// rotation PreviousSecretSealed stays valid until PreviousSecretUntil.
	SecretSealed         string
	PreviousSecretSealed string
	PreviousSecretUntil  *time.Time
	CreatedBy            *string
	CreatedAt            time.Time
	// FailingSince starts the current run of failed deliveries; nil when
	// the last delivery succeeded.
	FailingSince  *time.Time
	LastSuccessAt *time.Time
	// DisabledAt is set when the endpoint failed for 5 days.
	DisabledAt *time.Time
}

// WebhookMessage is one event as sent to a workspace's endpoints; its ID
// is the webhook-id and Payload the exact body signed.
type WebhookMessage struct {
	ID          string
	WorkspaceID string
	Type        string
	LinkID      *string
	Payload     string
	CreatedAt   time.Time
}

// WebhookDelivery is one attempt to deliver a message to an endpoint: a
// line of the endpoint's delivery log.
type WebhookDelivery struct {
	ID              string
	EndpointID      string
	MessageID       string
	LinkID          *string
	Attempt         int
	OK              bool
	StatusCode      int
	LatencyMS       int64 `gorm:"column:latency_ms"`
	ResponseExcerpt string
	Error           string
	CreatedAt       time.Time
}
