package access

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// EventRenamed is written in the history of the link an account came
// through when a member renames the account.
const EventRenamed = "account_renamed"

// MaxAccountName caps an account's workspace-local name, in characters.
const MaxAccountName = 80

// RenameAccount gives a connected account of the member's workspace its
// workspace-local name, shown instead of the provider's; an empty name
// goes back to the provider's. The name is cleaned like any stored text
// (CleanText) and may hold at most MaxAccountName characters. The history
// of the link the account came through records the old and the new name
// and who renamed it, in the same transaction; an unchanged name writes
// nothing. Managing accounts needs the manager gate (role and plan); an
// account of another workspace, or a malformed ID, is not found.
func (s *Service) RenameAccount(ctx context.Context, m *Membership, actor Actor, accountID, name string) (*Account, error) {
	if err := m.CanManageLinks(); err != nil {
		return nil, err
	}
	if !ValidID(accountID) {
		return nil, accountNotFound()
	}
	name = CleanText(name, 4*(MaxAccountName+1)) // bytes: room for one rune too many
	if len([]rune(name)) > MaxAccountName {
		return nil, fieldError(EINVALID, "The name is too long.",
			"display_name", fieldf(FieldDisplayNameTooLong, map[string]string{"max": "80"}, "Use at most 80 characters.")).because(ReasonNameTooLong, nil)
	}
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		var a models.ConnectedAccount
		if err := takeOne(tx.Where("id = ? AND workspace_id = ?", accountID, m.Workspace.ID), &a, accountNotFound()); err != nil {
			return err
		}
		if a.LocalName == name {
			return nil
		}
		// Conditional on the name read, so that of two renames at once
		// each history entry names what it replaced.
		res := tx.Model(&models.ConnectedAccount{}).Where("id = ? AND local_name = ?", a.ID, a.LocalName).
			UpdateColumns(map[string]any{"local_name": name, "updated_at": s.now()})
		if err := changedOrConflict(res, ReasonAccountRenamed, "The account was renamed meanwhile; reload and try again."); err != nil {
			return err
		}
		if a.LinkID == nil {
			return nil
		}
		var l models.AccessLink
		err := tx.Where("id = ?", *a.LinkID).Take(&l).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		provider := (&AccountSummary{DisplayName: a.DisplayName, Email: a.Email, ExternalID: a.ExternalID}).Label()
		return s.recordEvent(tx, &l, actor, EventRenamed, map[string]any{
			"account_id": a.ID, "account": provider, "from": a.LocalName, "to": name})
	})
	if err != nil {
		return nil, err
	}
	return s.Account(ctx, m.Workspace.ID, accountID)
}
