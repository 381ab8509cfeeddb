package access

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// EventRenewed is recorded on a link that a new one replaced (Renew); the
// new link's created event names the old one (renewed_from).
const EventRenewed = "renewed"

// Renewable reports whether "Send a new link" is offered for l: it expired,
// or its invitee declined or the connection failed, and it was not
// renewed already. Used and deleted links are not renewed.
func Renewable(l *Link) bool {
	if l.RenewedToID != nil || l.Status == StatusUsed || l.Status == StatusDeleted {
		return false
	}
	return l.Status == StatusExpired || l.LastOutcome == OutcomeDeclined || l.LastOutcome == OutcomeFailed
}

// checkRenewable says why l cannot be renewed, nil if it can. A link that
// is not renewable conflicts with its state (the API's 409); a deleted one
// is not found, as everywhere a deleted link is asked for by ID.
func checkRenewable(l *Link) error {
	switch {
	case Renewable(l):
		return nil
	case l.Status == StatusDeleted:
		return errLinkNotFound()
	case l.RenewedToID != nil:
		return reasonf(ECONFLICT, ReasonAlreadyRenewed, nil, "This link was already renewed.")
	case l.Status == StatusUsed:
		return reasonf(ECONFLICT, ReasonRenewUsed, nil, "This link was used to connect an account. Only an expired, declined or failed link can be renewed.")
	}
	return reasonf(ECONFLICT, ReasonRenewActive, nil, "This link is still active. Only an expired, declined or failed link can be renewed.")
}

// Renew creates a fresh link in place of linkID: the same source, label,
// recipient (mailed again when mail is on, in the same language), lifetime
// and pinned account.
// The old link stops working at once (it expires now) and stays in the
// history, linked to the new one both ways; a
// link is renewed once (a second, concurrent or later, is a conflict), and
// only when Renewable (otherwise a conflict too; a deleted link is not found).
func (s *Service) Renew(ctx context.Context, m *Membership, actor Actor, linkID string) (*Link, error) {
	if err := m.CanManageLinks(); err != nil {
		return nil, err
	}
	old, err := s.GetLink(ctx, m.Workspace.ID, linkID)
	if err != nil {
		return nil, err
	}
	if err := checkRenewable(old); err != nil {
		return nil, err
	}
	nl := NewLink{Source: old.SourceKey, Label: old.Label, Language: old.Language, ExpiresIn: old.ExpiresAt.Sub(old.CreatedAt).Round(time.Hour)}
	if CheckLinkLifetime(nl.ExpiresIn) != nil {
		nl.ExpiresIn = 0 // the organization's default
	}
	if s.mailOn && old.RecipientEmail != "" {
		nl.Mail = LinkMail{Recipient: old.RecipientEmail, Note: old.Note}
	}
	return s.generate(ctx, m, actor, nl, func(tx *gorm.DB, l *models.AccessLink) error {
		// The old link is retired in the same conditional update: it
		// expires now (unless it expired before), so it is "expired" in
		// lists, the API and the expiry webhook, and the claim (which also
		// requires renewed_to_id IS NULL) refuses it. Of a renewal and a
		// claim at once, exactly one updates the row.
		now := l.CreatedAt
		res := tx.Model(&models.AccessLink{}).
			Where("id = ? AND workspace_id = ? AND renewed_to_id IS NULL AND deleted_at IS NULL AND used_at IS NULL", old.ID, m.Workspace.ID).
			Updates(map[string]any{
				"renewed_to_id": l.ID,
				"expires_at":    gorm.Expr("CASE WHEN expires_at > ? THEN ? ELSE expires_at END", now, now),
			})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return reasonf(ECONFLICT, ReasonAlreadyRenewed, nil, "This link was already renewed.")
		}
		from := old.ID
		l.RenewedFromID = &from
		l.ReconnectAccountID = old.ReconnectAccountID
		if l.RecipientEmail == "" {
			l.RecipientEmail = old.RecipientEmail // kept on the link even when mail is off
		}
		return s.recordEvent(tx, &old.AccessLink, actor, EventRenewed, map[string]any{"renewed_to": l.ID})
	})
}
