package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestFlowEnvSandboxTokenTTL: FlowOptions.SandboxTokenTTL makes the sandbox's
// tokens expire (its user-info endpoint then answers 401), and the token
// tap counts the token requests by grant type.
func TestFlowEnvSandboxTokenTTL(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{SandboxTokenTTL: time.Second})
	link := e.GenerateLink(t, testutil.SandboxKey)
	connected := time.Now()
	wantPage(t, e.NewInvitee("owner").Connect(t, link.Token, "sandbox-user-1"), http.StatusOK, "connect-success")
	// The token was issued between connected and returned: it is valid
	// until at least connected+TTL and expired by returned+TTL at the latest,
	// however long the flow took on a busy machine.
	returned := time.Now()
	issued := e.Sandbox.Tap.Issued()
	if len(issued) != 1 || issued[0].AccessToken == "" {
		t.Fatalf("issued %+v, want one access token", issued)
	}
	if code, refresh := e.Sandbox.Tap.Grants("authorization_code"), e.Sandbox.Tap.Grants("refresh_token"); code != 1 || refresh != 0 {
		t.Errorf("token requests: %d code, %d refresh; want 1, 0", code, refresh)
	}
	if status, sub := e.SandboxUserinfo(t, issued[0].AccessToken); time.Since(connected) < time.Second && (status != http.StatusOK || sub != "sandbox-user-1") {
		t.Errorf("userinfo with a fresh token = %d %q", status, sub)
	}
	time.Sleep(time.Until(returned.Add(1100 * time.Millisecond)))
	if status, _ := e.SandboxUserinfo(t, issued[0].AccessToken); status != http.StatusUnauthorized {
		t.Errorf("userinfo after SandboxTokenTTL = %d, want 401", status)
	}
}
