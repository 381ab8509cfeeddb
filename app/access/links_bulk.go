package access

import (
	"context"
	"strconv"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// Bulk deletion of links (issue 11): several checked links, or every
// expired link of a workspace. Each ID is checked against the member's
// workspace, each link deleted is one "deleted" event in its history, as
// DeleteLink records, and one request deletes at most BulkDeleteLimit.

// BulkDeleteLimit is the most checked links one request deletes: two pages
// of the list, and a form of their IDs well inside the body limit.
const BulkDeleteLimit = 100

// ExpiredDeleteLimit is the most expired links one "Delete all expired"
// deletes; the confirmation offers the rest again.
const ExpiredDeleteLimit = 500

// bulkIDs checks the IDs of a bulk request: at least one, at most
// BulkDeleteLimit, each of the shape of an ID. Repeats count once.
func bulkIDs(ids []string) ([]string, error) {
	seen := make(map[string]bool, len(ids))
	var out []string
	for _, id := range ids {
		if !ValidID(id) {
			return nil, errLinkNotFound()
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, fieldError(EINVALID, "Select at least one link to delete.", "id", fieldf(FieldSelectLink, nil, "Select at least one link.")).because(ReasonBulkNoneSelected, nil)
	}
	if len(out) > BulkDeleteLimit {
		return nil, fieldError(EINVALID, "Select at most "+strconv.Itoa(BulkDeleteLimit)+" links at a time ("+strconv.Itoa(len(out))+" were selected).",
			"id", fieldf(FieldAtMostLinks, map[string]string{"max": strconv.Itoa(BulkDeleteLimit)}, "At most %d links.", BulkDeleteLimit)).
			because(ReasonBulkTooMany, map[string]string{"max": strconv.Itoa(BulkDeleteLimit), "count": strconv.Itoa(len(out))})
	}
	return out, nil
}

// SelectedLinks returns the links of the member's workspace named by ids,
// for the confirmation of a bulk deletion, newest first; links deleted in
// the meantime are left out. An ID of another workspace, or unknown,
// answers not found for the whole request.
func (s *Service) SelectedLinks(ctx context.Context, m *Membership, ids []string) ([]Link, error) {
	if err := m.CanManageLinks(); err != nil {
		return nil, err
	}
	ids, err := bulkIDs(ids)
	if err != nil {
		return nil, err
	}
	var links []Link
	err = s.db.WithContext(ctx).Table("access_links AS l").
		Select(linkWithCreator+", "+linkWebhookState).
		Joins("LEFT JOIN users u ON u.id = l.created_by").
		Joins("LEFT JOIN api_keys k ON k.id = l.created_by_key_id").
		Where("l.id IN ? AND l.workspace_id = ?", ids, m.Workspace.ID).
		Order("l.created_at DESC, l.id DESC").
		Scan(&links).Error
	if err != nil {
		return nil, err
	}
	if len(links) != len(ids) {
		return nil, reasonf(ENOTFOUND, ReasonBulkLinkNotFound, nil, "Link not found: one of the selected links is not in this workspace.")
	}
	now := s.now()
	live := links[:0]
	for i := range links {
		if links[i].DeletedAt == nil {
			s.decorate(&links[i], now)
			live = append(live, links[i])
		}
	}
	return live, nil
}

// DeleteLinks soft-deletes the links of the member's workspace named by
// ids, in one transaction, and records a "deleted" event for each link it
// deletes. If any ID is not a link of the workspace, nothing is deleted
// and the answer is not found. Links already deleted are skipped. It
// returns how many links it deleted.
func (s *Service) DeleteLinks(ctx context.Context, m *Membership, actor Actor, ids []string) (int, error) {
	if err := m.CanManageLinks(); err != nil {
		return 0, err
	}
	ids, err := bulkIDs(ids)
	if err != nil {
		return 0, err
	}
	deleted := 0
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		deleted = 0
		var links []models.AccessLink
		if err := tx.Where("id IN ? AND workspace_id = ?", ids, m.Workspace.ID).Find(&links).Error; err != nil {
			return err
		}
		if len(links) != len(ids) {
			return reasonf(ENOTFOUND, ReasonBulkNothingDeleted, nil, "Link not found: one of the selected links is not in this workspace. Nothing was deleted.")
		}
		n, err := s.deleteEach(tx, links, actor)
		deleted = n
		return err
	})
	return deleted, err
}

// deleteEach soft-deletes each of links that is not deleted yet, with a
// conditional update per link, so that a link deleted by someone else in
// the meantime gets no second event.
func (s *Service) deleteEach(tx *gorm.DB, links []models.AccessLink, actor Actor) (int, error) {
	now := s.now()
	n := 0
	for i := range links {
		l := &links[i]
		res := tx.Model(&models.AccessLink{}).
			Where("id = ? AND deleted_at IS NULL", l.ID).
			Updates(map[string]any{"deleted_at": now, "deleted_by": optional(actor.UserID)})
		if res.Error != nil {
			return 0, res.Error
		}
		if res.RowsAffected == 0 {
			continue
		}
		if err := s.recordEvent(tx, l, actor, EventDeleted, nil); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// CountExpired is how many links of the member's workspace are expired
// (not used, not deleted, past their expiry).
func (s *Service) CountExpired(ctx context.Context, m *Membership) (int, error) {
	if err := m.CanManageLinks(); err != nil {
		return 0, err
	}
	var n int64
	cond, args := statusCond(StatusExpired, s.now())
	err := s.db.WithContext(ctx).Table("access_links AS l").
		Where("l.workspace_id = ?", m.Workspace.ID).Where(cond, args...).Count(&n).Error
	return int(n), err
}

// DeleteExpired soft-deletes the expired links of the member's workspace,
// at most ExpiredDeleteLimit of them, those that expired first, each with
// its "deleted" event. It returns how many it deleted and how many
// expired links remain.
func (s *Service) DeleteExpired(ctx context.Context, m *Membership, actor Actor) (deleted, remaining int, err error) {
	if err := m.CanManageLinks(); err != nil {
		return 0, 0, err
	}
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		var links []models.AccessLink
		cond, args := statusCond(StatusExpired, s.now())
		if err := tx.Table("access_links AS l").Where("l.workspace_id = ?", m.Workspace.ID).Where(cond, args...).
			Order("l.expires_at ASC, l.id ASC").Limit(ExpiredDeleteLimit).Find(&links).Error; err != nil {
			return err
		}
		n, err := s.deleteEach(tx, links, actor)
		deleted = n
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	remaining, err = s.CountExpired(ctx, m)
	return deleted, remaining, err
}
