package views

import (
	"unicode/utf8"

	"github.com/accessrequests/accessrequests/app/access"
)

// OutcomeLabel names how the invitee's last attempt on a still active link
// ended ("Declined", "Failed"), or "" when there is nothing to say.
func OutcomeLabel(l *access.Link) string {
	if l.Status != access.StatusActive {
		return ""
	}
	switch l.LastOutcome {
	case access.OutcomeDeclined:
		return adminText("LinksOutcomeDeclined")
	case access.OutcomeFailed:
		return adminText("LinksOutcomeFailed")
	}
	return ""
}

// OutcomeDetail is the line under OutcomeLabel: the invitee's reason for a
// decline, or in two or three words why an attempt failed (the domain keeps
// a code: access_denied or the kind of failure). Text stored by earlier
// versions, already in words, is shown as it is.
func OutcomeDetail(l *access.Link) string {
	if l.LastOutcome != access.OutcomeFailed {
		return l.LastOutcomeDetail
	}
	switch l.LastOutcomeDetail {
	case "access_denied":
		return adminText("LinksFailAccessDenied")
	case "provider":
		return adminText("LinksFailProvider")
	case "token":
		return adminText("LinksFailToken")
	case "identity":
		return adminText("LinksFailIdentity")
	case "scopes":
		return adminText("LinksFailScopes")
	case access.EACCOUNT:
		return adminText("LinksFailAccount")
	case "state":
		return adminText("LinksFailState")
	case "input":
		return adminText("LinksFailInput")
	case "":
		return adminText("LinksFailUnknown")
	}
	return l.LastOutcomeDetail
}

// shortText cuts s to n characters with an ellipsis; the list shows the
// whole text in a title.
func shortText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
