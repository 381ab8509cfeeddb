package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/api/client"
)

// TestReconnectLinkAtSandbox: POST /accounts/{id}/reconnect-link answers
// 201 with a link pinned to the account. Signing in at the sandbox as
// another account is refused (409, the names of both) and the link stays
// active; signing in as the account replaces its tokens in place: the same
// ID, a new token that works at the sandbox, the old one no longer handed
// out, and needs_reconnect cleared.
func TestReconnectLinkAtSandbox(t *testing.T) {
	e, c := parallelAPIClient(t)
	_, id, oldToken := e.connectedAccount(t, c)
	if err := e.DB.Exec("UPDATE connected_accounts SET status = 'reauthorization_required' WHERE id = ?", id).Error; err != nil {
		t.Fatal(err)
	}

	r := must(c.CreateReconnectLinkWithResponse(e.ctx, id, nil))
	if r.JSON201 == nil || r.JSON201.Url == nil || r.JSON201.ReconnectAccountId == nil || *r.JSON201.ReconnectAccountId != id {
		t.Fatalf("reconnect link: %d %s", r.StatusCode(), r.Body)
	}
	token := strings.TrimPrefix(*r.JSON201.Url, e.AppURL+"/connect/")

	t.Run("ErrWrongAccount", func(t *testing.T) {
		p := e.NewInvitee("wrong").Connect(t, token, "sandbox-user-2")
		if p.Status != http.StatusConflict || !p.Has("connect-error") ||
			!strings.Contains(p.Text("connect-body"), "You signed in as Northwind Store (demo) (owner@northwind.example), but this link is for Acme Ads (demo) (ads@acme.example)") {
			t.Fatalf("wrong account: %d\n%s", p.Status, p.Excerpt())
		}
		g := must(c.GetLinkWithResponse(e.ctx, r.JSON201.Id))
		if g.JSON200 == nil || g.JSON200.Status != client.LinkStatusActive || g.JSON200.Url == nil {
			t.Fatalf("the link after the refusal: %d %s", g.StatusCode(), g.Body)
		}
	})
	t.Run("Reconnected", func(t *testing.T) {
		e.connect(t, *r.JSON201.Url, "sandbox-user-1")
		a := must(c.GetAccountWithResponse(e.ctx, id))
		if a.JSON200 == nil || a.JSON200.Status != client.Connected || a.JSON200.ExternalId != "sandbox-user-1" {
			t.Fatalf("account: %d %s", a.StatusCode(), a.Body)
		}
		if all := must(c.ListAccountsWithResponse(e.ctx, nil)); all.JSON200 == nil || len(all.JSON200.Data) != 1 {
			t.Fatalf("accounts after reconnecting: %s", all.Body)
		}
		tok := must(c.GetAccountTokenWithResponse(e.ctx, id, nil))
		if tok.JSON200 == nil || tok.JSON200.AccessToken == oldToken {
			t.Fatalf("token after reconnecting: %d %s, want a new one", tok.StatusCode(), tok.Body)
		}
		if status, sub := e.SandboxUserinfo(t, tok.JSON200.AccessToken); status != 200 || sub != "sandbox-user-1" {
			t.Errorf("the new token at the sandbox: %d %q", status, sub)
		}
		g := must(c.GetLinkWithResponse(e.ctx, r.JSON201.Id))
		if g.JSON200 == nil || g.JSON200.Status != client.LinkStatusUsed || g.JSON200.AccountId == nil || *g.JSON200.AccountId != id {
			t.Errorf("the link after reconnecting: %s", g.Body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if r := must(c.CreateReconnectLinkWithResponse(e.ctx, "0000000000000000000000000a", nil)); r.StatusCode() != 404 {
			t.Errorf("unknown account: %d %s", r.StatusCode(), r.Body)
		}
	})
}
