package access_test

import (
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
)

// A source filter that no source can be called (bytes that are not text, a
// NUL, capitals, too long) is an unknown source, refused before any
// statement, by the links list, the accounts list and the support search
// alike: PostgreSQL answered a NUL or invalid UTF-8 with an error of its own
// (a 500). A key of a source that is not offered filters to nothing.
func TestSourceFilterNotAKey(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	for _, bad := range []string{"a\x00b", "\xff", "Google_Ads", "google ads", strings.Repeat("x", 41)} {
		_, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Source: bad})
		if de := assertCode(t, err, access.EINVALID); de.Reason != access.ReasonUnknownSource || de.Fields["source"] == "" {
			t.Errorf("links, source %q: %+v, want reason %s on the source field", bad, de, access.ReasonUnknownSource)
		}
		_, err = e.svc.AccountsPage(e.ctx, e.f.Reporting.ID, access.AccountFilter{Source: bad})
		if de := assertCode(t, err, access.EINVALID); de.Reason != access.ReasonUnknownSource || de.Fields["source"] == "" {
			t.Errorf("accounts, source %q: %+v, want reason %s on the source field", bad, de, access.ReasonUnknownSource)
		}
	}
	// Too long but text: the support search's own check says unknown too.
	_, err := e.svc.SearchLinks(e.ctx, access.SupportQuery{Source: strings.Repeat("x", 41)})
	if de := assertCode(t, err, access.EINVALID); de.Reason != access.ReasonUnknownSource {
		t.Errorf("support search: %+v, want reason %s", de, access.ReasonUnknownSource)
	}

	page, err := e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Source: "nope"})
	if err != nil || len(page.Links) != 0 {
		t.Errorf("links of a source not offered: %v, %v; want none and no error", page, err)
	}
	page, err = e.svc.ListLinks(e.ctx, e.f.Reporting.ID, access.ListFilter{Source: "google_ads"})
	if err != nil || len(page.Links) != 1 {
		t.Errorf("links of google_ads: %v, %v; want the one", page, err)
	}
}
