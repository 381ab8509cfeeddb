package views

import (
	"context"
	"io"
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

// linkNotes is a links row's notes under its status: how its latest
// webhook fared and whom it was emailed to, nothing when neither applies.
// A value that skips the two templates a row without notes would still
// pay for (a closure and a context each; the list has 50 rows).
func linkNotes(p *Page, l *access.Link) rowNotes { return rowNotes{p: p, l: l} }

type rowNotes struct {
	p *Page
	l *access.Link
}

// Render writes the notes.
func (n rowNotes) Render(ctx context.Context, w io.Writer) error {
	if n.l.WebhookState != "" {
		if err := webhookNote(n.l.WebhookState).Render(ctx, w); err != nil {
			return err
		}
	}
	if n.l.RecipientEmail != "" {
		return linkEmail(n.p, n.l).Render(ctx, w)
	}
	return nil
}
