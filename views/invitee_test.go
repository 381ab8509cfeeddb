package views

import (
	"context"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
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
