package main

import (
	"context"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// sampleWebhooks adds an endpoint of the reporting workspace and a
// delivery log for its newest links: deliveries that succeeded, and one
// that failed before its retry succeeded. (The pictures' server runs no
// job workers, so the log is written as the workers would have.)
func (w *world) sampleWebhooks(ctx context.Context, now time.Time, member *access.Membership) error {
	olivia := w.users["olivia@acme-agency.example"]
	w.clock.Set(now.Add(-9 * 24 * time.Hour))
	ep, _, err := w.svc.CreateWebhookEndpoint(ctx, member, access.Actor{UserID: olivia.ID, Name: olivia.Name, IP: "203.0.113.7"},
		access.NewWebhookEndpoint{URL: "https://hooks.acme-agency.example/access-requests", Description: "Reporting pipeline",
			Events: []string{"link.used", "link.declined", "link.failed", "link.expired"}})
	if err != nil {
		return err
	}
	var links []models.AccessLink
	if err := w.db.Where("workspace_id = ? AND deleted_at IS NULL", w.reporting.ID).
		Order("created_at DESC").Limit(4).Find(&links).Error; err != nil {
		return err
	}
	type attempt struct {
		ok      bool
		status  int
		latency int64
		excerpt string
	}
	for i, l := range links {
		at := now.Add(-time.Duration(i+1) * 5 * time.Hour)
		msg := models.WebhookMessage{ID: "msg_" + access.NewID(), WorkspaceID: w.reporting.ID, Type: "link.used", LinkID: &l.ID,
			Payload: `{"type":"link.used","timestamp":"` + at.Format(time.RFC3339) + `","data":{"link_id":"` + l.ID + `"}}`, CreatedAt: at}
		if err := w.db.Create(&msg).Error; err != nil {
			return err
		}
		attempts := []attempt{{true, 200, 84 + int64(i)*17, `{"received":true}`}}
		if i == 1 {
			attempts = []attempt{{false, 503, 10000, "upstream timed out"}, {true, 200, 96, `{"received":true}`}}
		}
		for n, a := range attempts {
			d := models.WebhookDelivery{ID: access.NewID(), EndpointID: ep.ID, MessageID: msg.ID, LinkID: &l.ID,
				Attempt: n + 1, OK: a.ok, StatusCode: a.status, LatencyMS: a.latency, ResponseExcerpt: a.excerpt,
				CreatedAt: at.Add(time.Duration(n) * 5 * time.Second)}
			if err := w.db.Create(&d).Error; err != nil {
				return err
			}
		}
	}
	return w.db.Model(&models.WebhookEndpoint{}).Where("id = ?", ep.ID).Update("last_success_at", now.Add(-5*time.Hour)).Error
}
