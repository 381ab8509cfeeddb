package views_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// TestErrorTextEnglish: the sentences of the domain errors the views word
// by their Reason are the English they were before they moved into
// admin.en.yaml: a domain error's sentence is its Message, the API's
// detail, so pages and API say the same.
func TestErrorTextEnglish(t *testing.T) {
	t.Parallel()
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
}
