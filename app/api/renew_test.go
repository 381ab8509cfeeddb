package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/api/client"
)

// TestRenewLinkAPI: POST /links/{id}/renew answers 201 with a fresh link
// like the expired one (source, label, lifetime), linked both ways; the
// history names the key. An active link, a used one and one renewed
// already answer 409 with a problem that says why; another workspace's
// key gets 404.
func TestRenewLinkAPI(t *testing.T) {
	e, c := parallelAPIClient(t)
	label, hours := "Acme Bakery", int64(48)
	mk := func() client.Link {
		r := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox", Label: &label, ExpiresInHours: &hours}))
		if r.JSON201 == nil {
			t.Fatalf("create: %d %s", r.StatusCode(), r.Body)
		}
		return *r.JSON201
	}
	old := mk()
	conflict := func(t *testing.T, id, want string) {
		t.Helper()
		r := must(c.RenewLinkWithResponse(e.ctx, id, nil))
		if r.StatusCode() != http.StatusConflict {
			t.Fatalf("status %d, want 409\n%s", r.StatusCode(), r.Body)
		}
		if p := problem(t, r.HTTPResponse, r.Body); p.Code != "conflict" || p.Detail == nil || *p.Detail != want {
			t.Errorf("problem %s, want conflict %q", r.Body, want)
		}
	}

	t.Run("ErrActive", func(t *testing.T) {
		conflict(t, old.Id, "This link is still active. Only an expired, declined or failed link can be renewed.")
	})
	t.Run("ErrUsed", func(t *testing.T) {
		used := mk()
		e.connect(t, *used.Url, "sandbox-user-1")
		conflict(t, used.Id, "This link was used to connect an account. Only an expired, declined or failed link can be renewed.")
	})

	// Expire the first link: created 3 days ago, its 48 hours over.
	if err := e.DB.Exec("UPDATE access_links SET created_at = ?, expires_at = ? WHERE id = ?",
		old.CreatedAt.Add(-72*time.Hour), old.CreatedAt.Add(-24*time.Hour), old.Id).Error; err != nil {
		t.Fatal(err)
	}
	t.Run("ErrOtherWorkspace", func(t *testing.T) {
		r := must(e.client(t, e.other).RenewLinkWithResponse(e.ctx, old.Id, nil))
		if r.StatusCode() != http.StatusNotFound || problem(t, r.HTTPResponse, r.Body).Code != "not_found" {
			t.Fatalf("another workspace's key: %d %s, want 404", r.StatusCode(), r.Body)
		}
	})
	var renewed client.Link
	t.Run("OK", func(t *testing.T) {
		r := must(c.RenewLinkWithResponse(e.ctx, old.Id, nil))
		if r.StatusCode() != http.StatusCreated || r.JSON201 == nil {
			t.Fatalf("renew: %d %s", r.StatusCode(), r.Body)
		}
		renewed = *r.JSON201
		if renewed.Id == old.Id || renewed.Status != client.LinkStatusActive || renewed.Url == nil || renewed.Source != "sandbox" ||
			renewed.Label == nil || *renewed.Label != label || renewed.ExpiresAt.Sub(renewed.CreatedAt) != 48*time.Hour ||
			renewed.RenewedFrom == nil || *renewed.RenewedFrom != old.Id || renewed.CreatedBy.Type != client.ApiKey || renewed.CreatedBy.Name != "CRM sync" {
			t.Errorf("renewed link %s: want an active sandbox link labelled %q, 48 hours, renewed from %s, by the key", r.Body, label, old.Id)
		}
		g := must(c.GetLinkWithResponse(e.ctx, old.Id))
		if g.JSON200 == nil || g.JSON200.RenewedBy == nil || *g.JSON200.RenewedBy != renewed.Id || g.JSON200.Status != client.LinkStatusExpired {
			t.Errorf("the old link: %d %s, want renewed_by %s", g.StatusCode(), g.Body, renewed.Id)
		}
		ev := must(c.ListLinkEventsWithResponse(e.ctx, old.Id, nil))
		if ev.JSON200 == nil || !slices.ContainsFunc(ev.JSON200.Data, func(x client.Event) bool {
			return x.Type == "renewed" && x.Actor == "API key CRM sync" && x.Detail["renewed_to"] == renewed.Id
		}) {
			t.Errorf("the old link's history %s: want renewed by \"API key CRM sync\"", ev.Body)
		}
	})
	t.Run("ErrTwice", func(t *testing.T) {
		conflict(t, old.Id, "This link was already renewed.")
	})
	t.Run("ErrDeleted", func(t *testing.T) {
		if r := must(c.DeleteLinkWithResponse(e.ctx, renewed.Id)); r.StatusCode() != http.StatusNoContent {
			t.Fatalf("delete: %d", r.StatusCode())
		}
		if r := must(c.RenewLinkWithResponse(e.ctx, renewed.Id, nil)); r.StatusCode() != http.StatusNotFound {
			t.Errorf("renewing a deleted link: %d %s, want 404", r.StatusCode(), r.Body)
		}
	})
}
