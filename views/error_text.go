package views

import (
	"errors"
	"strconv"

	"github.com/accessrequests/accessrequests/app/access"
)

// The sentences of errors as pages show them (the error page, a toast, a
// form's message). The domain says which error it is (access.Error's Code,
// and its Reason where a page words it); the words are the admin
// catalog's Error* keys. A domain error without a known Reason still shows
// its own Message, the API's detail.

// ErrorText is the sentence a page shows for err: the catalog's for a
// domain error whose Reason it knows, else the error's own message, and
// "Internal error." for anything that is not a domain error (its details
// never reach a page).
func ErrorText(err error) string {
	var de *access.Error
	if !errors.As(err, &de) {
		return adminText("ErrorInternal")
	}
	switch de.Code {
	case access.EFLOWSTATE, access.EPROVIDER, access.ETOKEN, access.EIDENTITY, access.ESCOPES, access.ENOTSTORED, access.EACCOUNT:
		return de.Message // a flow's Reason is the provider's code, not one of ours
	}
	p := de.Params
	switch de.Reason {
	case access.ReasonLinkNotFound:
		return adminText("ErrorLinkNotFound")
	case access.ReasonAccountNotFound:
		return adminText("ErrorAccountNotFound")
	case access.ReasonMailNotFound:
		return adminText("ErrorMailNotFound")
	case access.ReasonCursorInvalid:
		return adminText("ErrorCursorInvalid")
	case access.ReasonNotEmailed:
		return adminText("ErrorNotEmailed")
	case access.ReasonResendInactive:
		return adminText("ErrorResendInactive", "Status", p["status"])
	case access.ReasonMailOff:
		return adminText("ErrorMailOff")
	case access.ReasonResendLimit:
		if n, err := strconv.Atoi(p["count"]); err == nil {
			return adminCount("ErrorResendLimit", n)
		}
	case access.ReasonSourceUnavailable:
		return adminText("ErrorSourceUnavailable")
	case access.ReasonSearchNotText:
		return adminText("ErrorSearchNotText")
	case access.ReasonSearchTooLong:
		return adminText("ErrorSearchTooLong")
	case access.ReasonUnknownSource:
		return adminText("ErrorUnknownSource")
	case access.ReasonUnknownStatus:
		return adminText("ErrorUnknownStatus", "Status", strconv.Quote(p["status"]))
	case access.ReasonDateOutOfRange:
		return adminText("ErrorDateOutOfRange")
	case access.ReasonDateRangeEmpty:
		return adminText("ErrorDateRangeEmpty")
	case access.ReasonTooManyMatches:
		if n, err := strconv.Atoi(p["count"]); err == nil {
			return adminCount("ErrorTooManyMatches", n, "Prefix", strconv.Quote(p["prefix"]))
		}
	}
	return de.Message
}
