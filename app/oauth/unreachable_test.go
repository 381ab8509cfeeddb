package oauth_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/oauth"
)

// TestTokenEndpointUnreachable: a token endpoint that cannot be reached (a
// closed port) is "unreachable", not an unreadable answer, and a WARN line
// names the source and the error class, never the code or a secret.
func TestTokenEndpointUnreachable(t *testing.T) {
	p := newFakeProvider(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	p.client.HTTP = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, closed)
		},
	}}
	var logs bytes.Buffer
	p.client.Log = slog.New(slog.NewTextHandler(&logs, nil))

	check := func(t *testing.T, err error, source string) {
		t.Helper()
		e := wantError(t, err, oauth.KindToken, "unreachable")
		if !strings.Contains(e.Description, "could not be reached") {
			t.Errorf("description %q, want it to say the provider could not be reached", e.Description)
		}
		line := logs.String()
		logs.Reset()
		for _, want := range []string{"level=WARN", "source=" + source, "class=connection_refused"} {
			if !strings.Contains(line, want) {
				t.Errorf("log %q lacks %q", line, want)
			}
		}
		for _, secret := range []string{"the-code", "s3cret", "rt-0"} {
			if strings.Contains(line, secret) {
				t.Errorf("log %q holds %q", line, secret)
			}
		}
	}
	t.Run("Exchange", func(t *testing.T) {
		_, err := p.exchange("plain_test", "", nil)
		check(t, err, "plain_test")
	})
	t.Run("Refresh", func(t *testing.T) {
		_, err := p.client.Refresh(context.Background(), p.cat.Get("xero_test"), "", "rt-0")
		check(t, err, "xero_test")
	})
}
