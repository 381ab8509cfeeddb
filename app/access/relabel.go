package access

import (
	"context"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// EventRelabeled is written in a link's history when its label changes
// after it was made; its detail holds the old label (from) and the new one
// (to), nothing else.
const EventRelabeled = "relabeled"

// RelabelLink sets the label of a link of the member's workspace, cleaned
// and limited as when it was made (CleanLabel); "" removes it. The link's
// history records the old and the new label and who changed it, in the
// same transaction; an unchanged label writes nothing. Any link that is
// not deleted can be relabelled, whatever its status (labels sort the
// list, and a used link's client stays the same). Managing links needs the
// manager gate; a link of another workspace, a deleted one or a malformed
// ID is not found. Nothing is sent out: the label is no secret, but no
// webhook event stands for a changed label.
func (s *Service) RelabelLink(ctx context.Context, m *Membership, actor Actor, linkID, label string) (*Link, error) {
	if err := m.CanManageLinks(); err != nil {
		return nil, err
	}
	if !ValidID(linkID) {
		return nil, errLinkNotFound()
	}
	label, err := CleanLabel(label)
	if err != nil {
		return nil, err
	}
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		var l models.AccessLink
		if err := takeOne(tx.Where("id = ? AND workspace_id = ? AND deleted_at IS NULL", linkID, m.Workspace.ID), &l, errLinkNotFound()); err != nil {
			return err
		}
		if l.Label == label {
			return nil
		}
		// Conditional on the label read, so that of two changes at once
		// each history entry names what it replaced.
		res := tx.Model(&models.AccessLink{}).Where("id = ? AND label = ? AND deleted_at IS NULL", l.ID, l.Label).
			UpdateColumn("label", label)
		if err := changedOrConflict(res, ReasonLabelChanged, "The label was changed meanwhile; reload and try again."); err != nil {
			return err
		}
		return s.recordEvent(tx, &l, actor, EventRelabeled, map[string]any{"from": l.Label, "to": label})
	})
	if err != nil {
		return nil, err
	}
	return s.GetLink(ctx, m.Workspace.ID, linkID)
}
