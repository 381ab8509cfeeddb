package views_test

// Honest consent texts (issue 15, item 6): a consent page must never call
// access that allows changes "read-only". Every built-in source's consent
// page is rendered as GET /connect/{token} renders it, and each scope is
// checked against its badge, the list's header and the headline.

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
)

// documentedWrite are the built-in scopes whose providers document that
// they allow changes: Google Ads API's only scope, Intuit's accounting
// scope, Facebook's business_management.
var documentedWrite = []string{"https://www.googleapis.com/auth/adwords", "com.intuit.quickbooks.accounting", "business_management"}

// readOnlyClaims are phrases that say nothing can be changed.
var readOnlyClaims = regexp.MustCompile(`(?i)read[- ]only|nothing can be changed|only reads|cannot be changed|nothing is changed`)

var scopeItem = regexp.MustCompile(`(?s)data-testid="consent-scope" data-scope="([^"]*)">(.*?)</li>`)

func TestConsentNeverCallsWriteScopesReadOnly(t *testing.T) {
	cat := builtinSources(t)
	for _, src := range cat.All() {
		t.Run(src.Key, func(t *testing.T) {
			access2 := map[string]string{}
			hasWrite := false
			for _, sc := range src.Scopes {
				access2[sc.Name] = sc.Access
				if sc.Access == "write" {
					hasWrite = true
					if readOnlyClaims.MatchString(sc.Title) || readOnlyClaims.MatchString(sc.Description) {
						t.Errorf("write scope %s: title %q / description %q claim it only reads", sc.Name, sc.Title, sc.Description)
					}
					if !strings.Contains(strings.ToLower(sc.Title), "change") {
						t.Errorf("write scope %s: title %q does not say it allows changes", sc.Name, sc.Title)
					}
				}
				for _, w := range documentedWrite {
					if sc.Name == w && sc.Access != "write" {
						t.Errorf("scope %s allows changes at the provider but is declared access: %s", sc.Name, sc.Access)
					}
				}
			}

			var buf bytes.Buffer
			link := &access.PublicLink{AccessLink: models.AccessLink{ExpiresAt: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)},
				WorkspaceName: "Client reporting", OrganizationName: "Acme Agency", CreatorName: "Ana"}
			view := &views.ConsentView{Link: link, Source: src, Token: "tok", NeedsShop: strings.Contains(src.AuthURL, "{shop}")}
			if err := views.ConsentPage(view).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			items := scopeItem.FindAllStringSubmatch(page, -1)
			if len(items) != len(src.Scopes) {
				t.Fatalf("%d scope items on the page, want %d", len(items), len(src.Scopes))
			}
			for _, it := range items {
				name, body := it[1], it[2]
				if access2[name] != "write" {
					continue
				}
				if strings.Contains(body, "Read only") || !strings.Contains(body, "Read &amp; write") {
					t.Errorf("write scope %s shown with %q, want the Read & write badge", name, body)
				}
			}
			headline := page[strings.Index(page, "<h1"):strings.Index(page, "</h1>")]
			header := page[strings.Index(page, `id="consent-scopes-title"`):strings.Index(page, `data-testid="consent-scopes"`)]
			if hasWrite {
				if readOnlyClaims.MatchString(header) || readOnlyClaims.MatchString(headline) {
					t.Errorf("a page with a write scope says %q / %q", headline, header)
				}
				if !strings.Contains(headline, "includes changes") {
					t.Errorf("headline %q does not say the access includes changes", headline)
				}
			} else if !strings.Contains(headline, "read-only access") {
				t.Errorf("headline %q of a read-only source", headline)
			}
		})
	}
}
