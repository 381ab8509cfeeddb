package api_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/api/client"
)

// TestWebhookInput: a bad URL or an unknown event type is a 422 invalid
// problem naming the field, and nothing is created; an Idempotency-Key
// replays the first answer, with the same secret, stored sealed, and
// creates one endpoint.
func TestWebhookInput(t *testing.T) {
	e, c := parallelAPIClient(t)
	for _, tc := range []struct{ name, body, location string }{
		{"ErrNoURL", `{"url":""}`, "body.url"},
		{"ErrNotAURL", `{"url":"not a url"}`, "body.url"},
		{"ErrFTP", `{"url":"ftp://example.com/hooks"}`, "body.url"},
		{"ErrUserInURL", `{"url":"https://user:pass@example.com/hooks"}`, "body.url"},
		{"ErrUnknownEvent", `{"url":"https://example.com/hooks","events":["link.used","link.exploded"]}`, "body.events[1]"},
		{"ErrEventsNotList", `{"url":"https://example.com/hooks","events":"link.used"}`, "body.events"},
		{"ErrUnknownField", `{"url":"https://example.com/hooks","secret":"whsec_mine"}`, "body.secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := must(c.CreateWebhookWithBodyWithResponse(e.ctx, nil, "application/json", strings.NewReader(tc.body)))
			if r.StatusCode() != 422 {
				t.Fatalf("%d %s, want 422", r.StatusCode(), r.Body)
			}
			p := problem(t, r.HTTPResponse, r.Body)
			if p.Code != "invalid" || p.Type != "/api/v1/docs#problem-invalid" || p.Errors == nil || len(*p.Errors) == 0 ||
				(*p.Errors)[0].Location == nil || *(*p.Errors)[0].Location != tc.location || (*p.Errors)[0].Message == "" {
				t.Errorf("problem %s, want invalid at %s", r.Body, tc.location)
			}
		})
	}
	if l := must(c.ListWebhooksWithResponse(e.ctx)); l.JSON200 == nil || len(l.JSON200.Data) != 0 {
		t.Fatalf("after invalid requests: %d %s", l.StatusCode(), l.Body)
	}

	t.Run("IdempotencyKeyReplaysTheSameSecret", func(t *testing.T) {
		params := &client.CreateWebhookParams{IdempotencyKey: ptr("hook-1")}
		body := client.CreateWebhookJSONRequestBody{Url: "http://127.0.0.1:9/hooks"}
		first := must(c.CreateWebhookWithResponse(e.ctx, params, body))
		again := must(c.CreateWebhookWithResponse(e.ctx, params, body))
		if first.JSON201 == nil || again.StatusCode() != 201 || !bytes.Equal(first.Body, again.Body) || again.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("first %d %s\nagain %d %s", first.StatusCode(), first.Body, again.StatusCode(), again.Body)
		}
		if l := must(c.ListWebhooksWithResponse(e.ctx)); len(l.JSON200.Data) != 1 {
			t.Errorf("%d endpoints, want 1", len(l.JSON200.Data))
		}
		var stored []string
		if err := e.DB.Table("api_idempotency").Pluck("response_sealed", &stored).Error; err != nil {
			t.Fatal(err)
		}
		if len(stored) != 1 || strings.Contains(stored[0], first.JSON201.Secret) || strings.Contains(stored[0], first.JSON201.Secret[6:]) {
			t.Errorf("the stored answer holds the secret in clear: %q", stored)
		}
	})
}

// TestWebhookDuplicateURL: a URL that already receives the workspace's
// events is a 409 conflict naming body.url, and no second endpoint is made.
func TestWebhookDuplicateURL(t *testing.T) {
	e, c := parallelAPIClient(t)
	body := client.CreateWebhookJSONRequestBody{Url: "http://127.0.0.1:9/dup"}
	if r := must(c.CreateWebhookWithResponse(e.ctx, nil, body)); r.StatusCode() != 201 {
		t.Fatalf("first: %d %s", r.StatusCode(), r.Body)
	}
	r := must(c.CreateWebhookWithResponse(e.ctx, nil, body))
	if r.StatusCode() != 409 {
		t.Fatalf("again: %d %s, want 409", r.StatusCode(), r.Body)
	}
	p := problem(t, r.HTTPResponse, r.Body)
	if p.Code != "conflict" || p.Errors == nil || len(*p.Errors) == 0 || (*p.Errors)[0].Location == nil || *(*p.Errors)[0].Location != "body.url" {
		t.Errorf("problem %s, want a conflict at body.url", r.Body)
	}
	if l := must(c.ListWebhooksWithResponse(e.ctx)); len(l.JSON200.Data) != 1 {
		t.Errorf("%d endpoints, want 1", len(l.JSON200.Data))
	}
}
