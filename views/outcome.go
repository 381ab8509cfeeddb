package views

import "github.com/accessrequests/accessrequests/app/access"

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
