package views_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
	"github.com/accessrequests/accessrequests/views/locale"
)

// TestConsentIsolatesNames: a name stored before names were cleaned may
// still hold a bidi override; on the consent page every name inside a
// sentence is its own isolate (<bdi>), so it cannot reorder the words
// around it (SECURITY.md item 27).
func TestConsentIsolatesNames(t *testing.T) {
	cat := builtinSources(t)
	names := map[string]string{"org": "Org \u202eliveE", "creator": "Ana\u202e Evil", "workspace": "WS\u202e42"}
	link := &access.PublicLink{AccessLink: models.AccessLink{ExpiresAt: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)},
		WorkspaceName: names["workspace"], OrganizationName: names["org"], CreatorName: names["creator"], CreatorDomain: "agency.example"}
	for _, tag := range locale.Supported {
		t.Run(tag.String(), func(t *testing.T) {
			var buf bytes.Buffer
			view := &views.ConsentView{Link: link, Source: cat.Get("google_ads"), Token: "tok"}
			if err := views.ConsentPage(view).Render(locale.With(context.Background(), tag, true), &buf); err != nil {
				t.Fatal(err)
			}
			body := buf.String()
			if i := strings.Index(body, "<body"); i >= 0 {
				body = body[i:]
			}
			if testing.Verbose() {
				for _, name := range names {
					for _, part := range strings.Split(body, name)[1:] {
						t.Logf("%q: %.80q", name, part)
					}
				}
			}
			for what, name := range names {
				all := strings.Count(body, name)
				isolated := strings.Count(body, ">"+name+"</bdi>")
				if all == 0 || isolated != all {
					t.Errorf("%s name %q: %d times on the page, %d of them isolated in <bdi>", what, name, all, isolated)
				}
			}
		})
	}
}
