package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/api/client"
)

// TestCreateLinkLabelAndExpiry: POST /links takes label and
// expires_in_hours; the link's representation shows the label and the
// expiry; without expires_in_hours the link lives the default 7 days.
func TestCreateLinkLabelAndExpiry(t *testing.T) {
	e, c := parallelAPIClient(t)
	label, hours := "Acme Bakery", int64(36)
	r := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox", Label: &label, ExpiresInHours: &hours}))
	if r.StatusCode() != http.StatusCreated || r.JSON201.Label == nil || *r.JSON201.Label != label {
		t.Fatalf("create: %d %s", r.StatusCode(), r.Body)
	}
	if got := r.JSON201.ExpiresAt.Sub(r.JSON201.CreatedAt); got != 36*time.Hour {
		t.Errorf("lifetime = %v, want 36 hours", got)
	}
	g := must(c.GetLinkWithResponse(e.ctx, r.JSON201.Id))
	if g.JSON200 == nil || g.JSON200.Label == nil || *g.JSON200.Label != label {
		t.Fatalf("get: %d %s", g.StatusCode(), g.Body)
	}
	d := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox"}))
	if d.StatusCode() != http.StatusCreated || d.JSON201.ExpiresAt.Sub(d.JSON201.CreatedAt) != 7*24*time.Hour || d.JSON201.Label != nil {
		t.Fatalf("default: %d %s", d.StatusCode(), d.Body)
	}
}
