package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/web"
)

// TestLoginThrottleAcrossReplicas (issue 13): two app processes on one
// database, as behind a load balancer, count the same sign-in attempts:
// failures on one throttle the email and the failing address on the
// other, and the per-address limit holds across both.
func TestLoginThrottleAcrossReplicas(t *testing.T) {
	t.Parallel()
	gdb := testutil.OpenDB(t)
	svc := testutil.NewService(t, gdb, nil)
	f := testutil.Seed(t, svc)
	base, _ := url.Parse(testutil.BaseURL)
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	var replicas [2]*httptest.Server
	for i := range replicas {
		// Each replica has its own Service value on the shared database.
		own := testutil.NewService(t, gdb, nil)
		h := web.New(web.Options{
			Service: own, Keys: testutil.KeysOf(svc), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: base,
			TrustedProxies: []*net.IPNet{loopback},
			Ready:          func(ctx context.Context) error { return db.Ping(ctx, gdb) },
		})
		replicas[i] = httptest.NewServer(h)
		t.Cleanup(replicas[i].Close)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(t *testing.T, replica int, email, ip, password string) int {
		t.Helper()
		res, _ := testutil.Do(t, noRedirect, "POST", replicas[replica].URL+"/login", loginForm(email, password), "X-Forwarded-For", ip)
		return res.StatusCode
	}

	t.Run("PerEmail", func(t *testing.T) {
		// Ten failures for one email, alternating replicas and addresses.
		for i := range 10 {
			if got := post(t, i%2, f.Member.Email, fmt.Sprintf("203.0.113.%d", i+1), "wrong"); got != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d, want 401", i+1, got)
			}
		}
		// Every failing address is refused by either replica, even with
		// the right password.
		for i := range 10 {
			if got := post(t, (i+1)%2, f.Member.Email, fmt.Sprintf("203.0.113.%d", i+1), testutil.Password); got != http.StatusTooManyRequests {
				t.Fatalf("failing address %d on the other replica: %d, want 429", i+1, got)
			}
		}
		// The owner from a fresh address still signs in, on either replica.
		if got := post(t, 1, f.Member.Email, "198.51.100.20", testutil.Password); got != http.StatusSeeOther {
			t.Fatalf("owner from a fresh address: %d, want 303", got)
		}
	})
	t.Run("PerAddress", func(t *testing.T) {
		// 20 attempts a minute per address, whatever the replica.
		const ip = "192.0.2.77"
		for i := range 20 {
			if got := post(t, i%2, fmt.Sprintf("nobody-%d@test.example", i), ip, "wrong"); got != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d, want 401", i+1, got)
			}
		}
		for r := range 2 {
			if got := post(t, r, f.Viewer.Email, ip, testutil.Password); got != http.StatusTooManyRequests {
				t.Fatalf("attempt 21 on replica %d: %d, want 429", r, got)
			}
		}
		if got := post(t, 0, f.Viewer.Email, "192.0.2.78", testutil.Password); got != http.StatusSeeOther {
			t.Fatalf("another address: %d, want 303", got)
		}
	})
}
