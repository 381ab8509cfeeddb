package api_test

import (
	"slices"
	"testing"

	"github.com/accessrequests/accessrequests/app/api/client"
)

// TestDisconnectRevokesAtSandbox: DELETE /accounts/{id} asks the sandbox's
// revocation endpoint (RFC 7009) to revoke the account's tokens: the access
// token handed out before no longer works at the sandbox's user-info.
func TestDisconnectRevokesAtSandbox(t *testing.T) {
	e, c := parallelAPIClient(t)
	linkID, id, token := e.connectedAccount(t, c)
	if status, _ := e.SandboxUserinfo(t, token); status != 200 {
		t.Fatalf("before: user-info %d", status)
	}
	if r := must(c.DisconnectAccountWithResponse(e.ctx, id)); r.StatusCode() != 204 {
		t.Fatalf("disconnect: %d %s", r.StatusCode(), r.Body)
	}
	if status, _ := e.SandboxUserinfo(t, token); status == 200 {
		t.Errorf("the access token still works at the sandbox after the disconnection")
	}
	ev := must(c.ListLinkEventsWithResponse(e.ctx, linkID, nil))
	if ev.JSON200 == nil {
		t.Fatalf("history %d %s", ev.StatusCode(), ev.Body)
	}
	i := slices.IndexFunc(ev.JSON200.Data, func(x client.Event) bool { return x.Type == "disconnected" })
	if i < 0 || ev.JSON200.Data[i].Actor != "API key CRM sync" || ev.JSON200.Data[i].Detail["revoke_error"] != "" {
		t.Errorf("history %s: want disconnected by the key, revoked without error", ev.Body)
	}
}
