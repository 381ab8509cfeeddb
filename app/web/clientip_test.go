package web_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/web"
)

// TestClientAddress checks which address the link history records:
// X-Forwarded-For counts only when the request comes from a configured
// trusted proxy.
func TestClientAddress(t *testing.T) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	for _, tt := range []struct {
		name    string
		trusted []*net.IPNet
		want    string
	}{
		{"ForwardedForIgnoredWithoutTrustedProxies", nil, "127.0.0.1"},
		{"ForwardedForFromTrustedProxy", []*net.IPNet{loopback}, "203.0.113.9"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc, f := testutil.NewSeeded(t, nil)
			srv := testutil.NewServer(t, svc, func(o *web.Options) { o.TrustedProxies = tt.trusted })
			c := srv.Login(t, f.Admin.Email)
			res, _ := testutil.Do(t, c, http.MethodPost, srv.LinksURL(f.Reporting.ID), url.Values{"source": {"google_ads"}},
				"X-Forwarded-For", "203.0.113.9")
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("generate: %d", res.StatusCode)
			}
			page, err := svc.ListLinks(context.Background(), f.Reporting.ID, access.ListFilter{})
			if err != nil || len(page.Links) != 1 {
				t.Fatalf("links: %v %v", page, err)
			}
			events, err := svc.Events(context.Background(), page.Links[0].ID)
			if err != nil || len(events) != 1 {
				t.Fatalf("events: %v %v", events, err)
			}
			if events[0].IP != tt.want {
				t.Fatalf("recorded address %q, want %q", events[0].IP, tt.want)
			}
		})
	}
}
