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
		return "Declined"
	case access.OutcomeFailed:
		return "Failed"
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
		return "Access denied"
	case "provider":
		return "Provider error"
	case "token":
		return "Token exchange failed"
	case "identity":
		return "Account not identified"
	case "scopes":
		return "Permissions missing"
	case access.EACCOUNT:
		return "Signed in as another account"
	case "state":
		return "Sign-in not verified"
	case "input":
		return "Invalid input"
	case "":
		return "Authorization failed"
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
