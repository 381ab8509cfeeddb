package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestGenerateLabelAndExpiry: the generate form's label and expiry reach
// the link, the list, the detail page, the delete confirmation and the
// consent page; bad values answer 422 with the field named.
func TestGenerateLabelAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.run(t, []scenario{
		{
			name: "NewLinkForm", as: "admin", url: "{links}/new", status: http.StatusOK,
			testids:  []string{"link-label", "expires-in-days"},
			contains: []string{`<option value="7" selected>7 days</option>`, `<option value="30">30 days</option>`},
		},
		{
			name: "Generate", as: "admin", method: "POST", url: "{links}",
			form:   url.Values{"source": {"google_ads"}, "label": {" Acme \u202eBakery "}, "expires_in_days": {"14"}},
			status: http.StatusSeeOther,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				m := createdRe.FindStringSubmatch(res.Header.Get("Location"))
				if m == nil {
					t.Fatalf("Location = %q", res.Header.Get("Location"))
				}
				e.vars["new"] = m[2]
				l := e.row(t, m[2])
				if l.Label != "Acme Bakery" {
					t.Errorf("label = %q, want the cleaned %q", l.Label, "Acme Bakery")
				}
				if got := l.ExpiresAt.Sub(l.CreatedAt); got != 14*24*time.Hour {
					t.Errorf("lifetime = %v, want 14 days", got)
				}
			},
		},
		{
			name: "List", as: "admin", url: "{links}", status: http.StatusOK,
			testids: []string{"link-label"}, contains: []string{"Acme Bakery", "Delete this Google Ads link for Acme Bakery?"},
		},
		{
			name: "Detail", as: "admin", url: "{links}/{new}", status: http.StatusOK,
			testids: []string{"link-label"}, contains: []string{"Acme Bakery"},
		},
		{
			name: "DeleteConfirm", as: "admin", url: "{links}/{new}/delete", status: http.StatusOK,
			contains: []string{"Delete this Google Ads link for Acme Bakery?"},
		},
		{
			name: "ErrExpiryNotOffered", as: "admin", method: "POST", url: "{links}",
			form:   url.Values{"source": {"google_ads"}, "label": {"Kept"}, "expires_in_days": {"31"}},
			status: http.StatusUnprocessableEntity, testids: []string{"generate-error", "expires-in-days-error"},
			contains: []string{"1 to 30 days", `value="Kept"`},
		},
		{
			name: "ErrExpiryNotANumber", as: "admin", method: "POST", url: "{links}",
			form:   url.Values{"source": {"google_ads"}, "expires_in_days": {"soon"}},
			status: http.StatusUnprocessableEntity, testids: []string{"expires-in-days-error"},
		},
		{
			name: "ErrLabelTooLong", as: "admin", method: "POST", url: "{links}",
			form:   url.Values{"source": {"google_ads"}, "label": {"0123456789012345678901234567890123456789012345678901234567890123456789012345678901"}},
			status: http.StatusUnprocessableEntity, testids: []string{"link-label-error"}, contains: []string{"80 characters"},
		},
	})
}
