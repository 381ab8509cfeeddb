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

// shortText cuts s to n characters with an ellipsis; the list shows the
// whole text in a title.
func shortText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
