package views

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// TestFlowPage: each outcome of a flow has its page, and the words come
// from the view (the expired page from the link lifetime).
func TestFlowPage(t *testing.T) {
	tests := []struct {
		name string
		out  access.FlowOutcome
		want []string
	}{
		{"Connected", access.FlowOutcome{Kind: access.FlowConnected, Account: "Ana (ana@example.test)"},
			[]string{`data-testid="connect-success"`, "The account is now connected.", "ana@example.test"}},
		{"Pending", access.FlowOutcome{Kind: access.FlowPending}, []string{`data-testid="connect-pending"`, `href="/oauth/callback?state=s"`}},
		{"Abandoned", access.FlowOutcome{Kind: access.FlowAbandoned}, []string{`data-testid="connect-abandoned"`, `href="/connect/tk"`}},
		{"RefusedUsed", access.FlowOutcome{Kind: access.FlowRefused, LinkStatus: access.StatusUsed}, []string{`data-testid="connect-used"`}},
		{"RefusedExpired", access.FlowOutcome{Kind: access.FlowRefused, LinkStatus: access.StatusExpired},
			[]string{`data-testid="connect-expired"`, "Links work for 7 days."}},
		{"RefusedDeleted", access.FlowOutcome{Kind: access.FlowRefused, LinkStatus: access.StatusDeleted}, []string{`data-testid="connect-unknown"`}},
		{"ErrProviderDenied", access.FlowOutcome{Kind: access.FlowFailed, Err: &access.Error{Code: access.EPROVIDER, Reason: "access_denied"}},
			[]string{`data-testid="connect-error"`, "Access was not granted", `data-testid="error-code"`}},
		{"ErrNotStored", access.FlowOutcome{Kind: access.FlowFailed, Err: &access.Error{Code: access.ENOTSTORED, Reason: "not_stored"}},
			[]string{"We could not finish connecting", "your link still works"}},
		{"ErrUnreachable", access.FlowOutcome{Kind: access.FlowFailed, Err: &access.Error{Code: access.ETOKEN, Reason: "unreachable"}},
			[]string{"We could not reach the provider just now.", `href="/connect/tk"`, ">unreachable<"}},
		{"ErrTokenAnswer", access.FlowOutcome{Kind: access.FlowFailed, Err: &access.Error{Code: access.ETOKEN, Reason: "exchange_failed"}},
			[]string{"The provider did not answer as expected."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			v := FlowView{Outcome: &tc.out, ConsentURL: "/connect/tk", CallbackURL: "/oauth/callback?state=s"}
			if err := FlowPage(v).Render(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

// TestExpiredSaysTheLinksOwnLifetime: links no longer all live 7 days, so
// the expired page says how long this one worked, in days or in hours.
func TestExpiredSaysTheLinksOwnLifetime(t *testing.T) {
	created := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		life time.Duration
		want string
	}{
		{14 * 24 * time.Hour, "This link worked for 14 days. Ask Ana for a new link."},
		{24 * time.Hour, "This link worked for 1 day."},
		{5 * time.Hour, "This link worked for 5 hours."},
		{time.Hour, "This link worked for 1 hour."},
		{36 * time.Hour, "This link worked for 36 hours."},
	} {
		l := &access.PublicLink{AccessLink: models.AccessLink{CreatedAt: created, ExpiresAt: created.Add(tc.life)}, CreatorName: "Ana"}
		var b strings.Builder
		v := FlowView{Outcome: &access.FlowOutcome{Kind: access.FlowRefused, LinkStatus: access.StatusExpired, Link: l}, ConsentURL: "/connect/tk"}
		if err := FlowPage(v).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("lifetime %s: page lacks %q", tc.life, tc.want)
		}
	}
}
