package views_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// TestErrorTextEnglish: the pages' words for errors (titles by status, the web
// layer's own sentences, the domain errors views word by their Reason, the
// support console's notices) are the English they were before they moved
// into admin.en.yaml; a domain error's sentence is its Message, the API's
// detail, so pages and API say the same.
func TestErrorTextEnglish(t *testing.T) {
	t.Parallel()
	titles := map[int]string{
		http.StatusNotFound:              "Page not found",
		http.StatusForbidden:             "Not allowed",
		http.StatusUnprocessableEntity:   "Please check your input",
		http.StatusBadRequest:            "Bad request",
		http.StatusConflict:              "Already done",
		http.StatusGone:                  "No longer available",
		http.StatusUnauthorized:          "Please sign in",
		http.StatusMethodNotAllowed:      "Not allowed",
		http.StatusRequestEntityTooLarge: "Too large",
		http.StatusUnsupportedMediaType:  "Not accepted",
		http.StatusTooManyRequests:       "Too many requests",
		http.StatusServiceUnavailable:    "Temporarily unavailable",
		http.StatusInternalServerError:   "Something went wrong",
	}
	for st := 100; st < 600; st++ {
		want := titles[st]
		if want == "" {
			want = http.StatusText(st)
		}
		if got := views.ErrorTitle(st); got != want {
			t.Errorf("ErrorTitle(%d) = %q, want %q", st, got, want)
		}
	}
	for st, want := range map[int]string{404: "We could not find that page. It may have moved, or the address may be mistyped.", 405: "That action is not available here.", 413: "The request was too large.", 503: "The service is temporarily unavailable. Please try again in a moment.", 500: "Internal error."} {
		if got := views.ErrorPageText(st); got != want {
			t.Errorf("ErrorPageText(%d) = %q, want %q", st, got, want)
		}
	}
	if views.ErrorBusyText() != "The service is busy and could not answer in time. Please try again in a moment." {
		t.Error("ErrorBusyText changed")
	}
	if views.ErrorText(fmt.Errorf("x")) != "Internal error." {
		t.Error("ErrorText of a non-domain error is not \"Internal error.\"")
	}
	for _, e := range []*access.Error{
		{Reason: access.ReasonLinkNotFound, Message: "Link not found."},
		{Reason: access.ReasonAccountNotFound, Message: "Account not found."},
		{Reason: access.ReasonMailNotFound, Message: "Mail not found."},
		{Reason: access.ReasonCursorInvalid, Message: "The page cursor is not valid; reload the list."},
		{Reason: access.ReasonNotEmailed, Message: "This link was not sent by email."},
		{Reason: access.ReasonResendInactive, Params: map[string]string{"status": "expired"}, Message: fmt.Sprintf("Only an active link can be sent again; this one is %s.", access.Status("expired"))},
		{Reason: access.ReasonMailOff, Message: "Email is not set up on this server: copy the link instead."},
		{Reason: access.ReasonResendLimit, Params: map[string]string{"count": "5"}, Message: fmt.Sprintf("This link was sent again %d times in the last hour; try again later.", int64(5))},
		{Reason: access.ReasonSourceUnavailable, Message: "This account's source is not available on this server, so no link can be made for it."},
		{Reason: access.ReasonSearchNotText, Message: "The search holds characters that cannot be searched (a NUL byte, a control character or bytes that are not UTF-8)."},
		{Reason: access.ReasonSearchTooLong, Message: "The search text is too long."},
		{Reason: access.ReasonUnknownSource, Message: "Unknown source."},
		{Reason: access.ReasonUnknownStatus, Params: map[string]string{"status": "a\"b<\x01"}, Message: fmt.Sprintf("Unknown status %q.", "a\"b<\x01")},
		{Reason: access.ReasonDateOutOfRange, Message: "Dates must fall between 1970 and 9999."},
		{Reason: access.ReasonDateRangeEmpty, Message: "The date range is empty: the start must come before the end."},
		{Reason: access.ReasonTooManyMatches, Params: map[string]string{"count": strconv.Itoa(50), "prefix": "ac\"me"}, Message: fmt.Sprintf("More than %d workspaces match %q. Type more of the name.", 50, "ac\"me")},
		{Reason: "other", Message: "Other."},
		// A flow's Reason is the provider's own code, whatever it says.
		{Code: access.EPROVIDER, Reason: access.ReasonLinkNotFound, Message: "The provider's description."},
	} {
		if got := views.ErrorText(e); got != e.Message {
			t.Errorf("ErrorText(%s) = %q, want %q", e.Reason, got, e.Message)
		}
	}
	for _, tc := range [][2]string{
		{views.SupportNoticeTokenNotFound(views.SupportForm{}), "No link matches the link or token you pasted. Check that the whole link was copied; it is compared by its hash."},
		{views.SupportNoticeTokenNotFound(views.SupportForm{To: "x"}), "No link matches the link or token you pasted with these filters. Check that the whole link was copied; it is compared by its hash."},
		{views.SupportNoticePasted(), "This is the link you pasted. Its token is not shown or kept; the search uses the link ID instead."},
		{views.SupportFiltersInvalid(), "Please check the highlighted filters."},
		{views.SupportFieldStatus(), "Unknown status."},
		{views.SupportFieldFrom(), "Use a date such as 2026-03-01."},
		{views.SupportFieldTo(), "Use a date such as 2026-03-31."},
		{views.SupportExportCrossSite(), "Download the history from the link's page in the support console."},
	} {
		if tc[0] != tc[1] {
			t.Errorf("%q, want %q", tc[0], tc[1])
		}
	}
}
