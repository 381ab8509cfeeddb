package views_test

// Trust, said plainly (issue 12, item 4): every built-in source's consent
// page says how long access lasts and how to revoke it (with the
// provider's own page where the catalog names one), does not badge
// "Keep access while you are away" as a data scope, notes what the page
// records for the audit trail, puts Start before the permissions and shows
// the first three permissions open, the rest behind a <details>.

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
	"github.com/accessrequests/accessrequests/views/locale"
)

// between is the part of page after the first from and before the next to.
func between(t *testing.T, page, from, to string) string {
	t.Helper()
	i := strings.Index(page, from)
	if i < 0 {
		t.Fatalf("%q not on the page", from)
	}
	rest := page[i+len(from):]
	j := strings.Index(rest, to)
	if j < 0 {
		t.Fatalf("%q not after %q", to, from)
	}
	return rest[:j]
}

func TestConsentTrust(t *testing.T) {
	cat := builtinSources(t)
	link := &access.PublicLink{AccessLink: models.AccessLink{ExpiresAt: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)},
		WorkspaceName: "Client reporting", OrganizationName: "Acme Agency", CreatorName: "Ana"}
	withHelp, withLimit := 0, 0
	for _, src := range cat.All() {
		t.Run(src.Key, func(t *testing.T) {
			var buf bytes.Buffer
			view := &views.ConsentView{Link: link, Source: src, Token: "tok", NeedsShop: strings.Contains(src.AuthURL, "{shop}")}
			if err := views.ConsentPage(view).Render(locale.With(context.Background(), locale.Supported[0], true), &buf); err != nil {
				t.Fatal(err)
			}
			page := buf.String()

			lasts := between(t, page, `data-testid="consent-lasts">`, "</span>")
			if src.AccessDays > 0 {
				withLimit++
				if want := fmt.Sprintf("at most %d days", src.AccessDays); !strings.Contains(lasts, want) || !strings.Contains(lasts, src.Name) {
					t.Errorf("access lasts %q, want %q and the provider's name", lasts, want)
				}
			} else if lasts != "Access lasts until you revoke it." {
				t.Errorf("access lasts %q, want until revoked", lasts)
			}

			revoke := between(t, page, `data-testid="consent-revoke">`, "</li>")
			if src.RevokeHelpURL != "" {
				withHelp++
				if !strings.Contains(revoke, `href="`+html.EscapeString(src.RevokeHelpURL)+`"`) || !strings.Contains(revoke, "how to revoke it") {
					t.Errorf("revoke line %q, want a link to %s", revoke, src.RevokeHelpURL)
				}
				if !strings.HasPrefix(src.RevokeHelpURL, "https://") {
					t.Errorf("revoke_help_url %q is not https", src.RevokeHelpURL)
				}
			} else if strings.Contains(revoke, "<a ") || !strings.Contains(revoke, "revoke this access at "+src.Name) {
				t.Errorf("revoke line %q without a help page", revoke)
			}

			if audit := between(t, page, `data-testid="consent-audit">`, "</p>"); !strings.Contains(audit, "records your IP address and browser") || !strings.Contains(audit, "Acme Agency") {
				t.Errorf("audit note %q", audit)
			}

			for _, it := range scopeItem.FindAllStringSubmatch(page, -1) {
				var sc sources.Scope
				for _, s := range src.Scopes {
					if s.Name == it[1] {
						sc = s
					}
				}
				if sc.KeepsAccess() && (strings.Contains(it[2], "Read only") || !strings.Contains(it[2], "Stays connected")) {
					t.Errorf("offline access %s shown as %q, want Stays connected and not Read only", sc.Name, it[2])
				}
			}

			// Start before the list, so a phone shows it without scrolling.
			if strings.Index(page, `data-testid="start"`) > strings.Index(page, `data-testid="consent-scopes"`) {
				t.Error("Start comes after the permissions")
			}
			open := len(scopeItem.FindAllString(between(t, page, `data-testid="consent-scopes">`, "</ul>"), -1))
			more := strings.Contains(page, `data-testid="consent-scopes-more"`)
			switch n := len(src.Scopes); {
			case n <= 3 && (open != n || more):
				t.Errorf("%d scopes: %d open, more=%v; want all open", n, open, more)
			case n > 3:
				hidden := len(scopeItem.FindAllString(between(t, page, `data-testid="consent-scopes-more"`, "</details>"), -1))
				if open != 3 || hidden != n-3 {
					t.Errorf("%d scopes: %d open, %d behind details; want 3 and %d", n, open, hidden, n-3)
				}
				if want := fmt.Sprintf("Show %d more permission", n-3); !strings.Contains(page, want) {
					t.Errorf("the details summary does not say %q", want)
				}
			}
		})
	}
	if withHelp == 0 || withLimit == 0 {
		t.Errorf("%d built-in sources name a revoke help page, %d a provider's limit: want some of each", withHelp, withLimit)
	}
}

// TestConsentScopesOrder: changes first, then the data, then keeping
// access, then the account's identity, so the three open ones matter.
func TestConsentScopesOrder(t *testing.T) {
	cat := builtinSources(t)
	var buf bytes.Buffer
	link := &access.PublicLink{AccessLink: models.AccessLink{ExpiresAt: time.Now().Add(time.Hour)}, OrganizationName: "Acme Agency"}
	if err := views.ConsentPage(&views.ConsentView{Link: link, Source: cat.Get("xero"), Token: "tok"}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range scopeItem.FindAllStringSubmatch(buf.String(), -1) {
		got = append(got, it[1])
	}
	want := "accounting.invoices.read accounting.payments.read accounting.banktransactions.read accounting.reports.profitandloss.read accounting.reports.balancesheet.read offline_access openid email profile"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
}
