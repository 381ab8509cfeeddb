package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/api/client"
)

// TestRelabelLinkAPI: PATCH /links/{id} with label changes it as the form
// does (cleaned, 80 characters); a longer one is a 422 problem that says
// so and names the field; "" removes it; the history names the key and
// the old and new labels; a deleted link is not found.
func TestRelabelLinkAPI(t *testing.T) {
	e, c := parallelAPIClient(t)
	label := "Acme"
	r := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox", Label: &label}))
	if r.JSON201 == nil {
		t.Fatalf("create: %d %s", r.StatusCode(), r.Body)
	}
	id := r.JSON201.Id
	relabel := func(v string) *client.RelabelLinkResponse {
		return must(c.RelabelLinkWithResponse(e.ctx, id, client.RelabelLinkJSONRequestBody{Label: v}))
	}

	t.Run("ErrTooLong", func(t *testing.T) {
		res := relabel(strings.Repeat("é", 81))
		if res.StatusCode() != http.StatusUnprocessableEntity {
			t.Fatalf("81 characters: %d %s, want 422", res.StatusCode(), res.Body)
		}
		p := problem(t, res.HTTPResponse, res.Body)
		if p.Code != "invalid" || p.Detail == nil || *p.Detail != "The label is too long: at most 80 characters." ||
			p.Errors == nil || len(*p.Errors) != 1 || (*p.Errors)[0].Location == nil || *(*p.Errors)[0].Location != "body.label" {
			t.Errorf("problem %s: want invalid, the reason, and body.label", res.Body)
		}
		if g := must(c.GetLinkWithResponse(e.ctx, id)); g.JSON200 == nil || g.JSON200.Label == nil || *g.JSON200.Label != "Acme" {
			t.Errorf("after the refusal: %s", g.Body)
		}
	})
	t.Run("OK", func(t *testing.T) {
		res := relabel(strings.Repeat("é", 80))
		if res.JSON200 == nil || res.JSON200.Label == nil || *res.JSON200.Label != strings.Repeat("é", 80) {
			t.Fatalf("80 characters: %d %s", res.StatusCode(), res.Body)
		}
		ev := must(c.ListLinkEventsWithResponse(e.ctx, id, nil))
		if ev.JSON200 == nil || len(ev.JSON200.Data) == 0 {
			t.Fatalf("events: %d %s", ev.StatusCode(), ev.Body)
		}
		// The test clock stands still: the events' order is by ID.
		var last client.Event
		for _, x := range ev.JSON200.Data {
			if x.Type == "relabeled" {
				last = x
			}
		}
		if last.Type != "relabeled" || last.Actor != "API key CRM sync" || last.Detail["from"] != "Acme" || last.Detail["to"] != strings.Repeat("é", 80) || len(last.Detail) != 2 {
			t.Errorf("latest event %+v: want one relabeled by the key from Acme to the new label, nothing else", last)
		}
	})
	t.Run("Removed", func(t *testing.T) {
		if res := relabel(""); res.JSON200 == nil || res.JSON200.Label != nil {
			t.Fatalf("removing: %d %s", res.StatusCode(), res.Body)
		}
	})
	t.Run("ErrMissingLabel", func(t *testing.T) {
		req := `{}`
		res := must(c.RelabelLinkWithBodyWithResponse(e.ctx, id, "application/json", strings.NewReader(req)))
		if res.StatusCode() != http.StatusUnprocessableEntity {
			t.Errorf("no label field: %d %s, want 422", res.StatusCode(), res.Body)
		}
	})
	t.Run("ErrDeleted", func(t *testing.T) {
		if d := must(c.DeleteLinkWithResponse(e.ctx, id)); d.StatusCode() != http.StatusNoContent {
			t.Fatalf("delete: %d", d.StatusCode())
		}
		if res := relabel("Late"); res.StatusCode() != http.StatusNotFound || problem(t, res.HTTPResponse, res.Body).Code != "not_found" {
			t.Errorf("a deleted link: %d %s, want 404", res.StatusCode(), res.Body)
		}
	})
}
