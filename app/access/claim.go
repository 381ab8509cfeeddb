package access

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/accessrequests/accessrequests/models"
)

// CheckLinkActive returns nil when the link is active at this moment, or
// the error the invitee should see (used, expired, deleted). It is a cheap
// early check before the code exchange; ClaimLink decides for real.
func (s *Service) CheckLinkActive(ctx context.Context, linkID string) error {
	var l models.AccessLink
	if err := takeOne(s.db.WithContext(ctx).Where("id = ?", linkID), &l, unknownLink()); err != nil {
		return err
	}
	return claimError(StatusOf(&l, s.now()))
}

func claimError(st Status) error {
	if st == StatusActive {
		return nil
	}
	return refusalError(string(st))
}

// Identity is the external account an invitee authorized, with its tokens.
type Identity struct {
	SourceKey    string
	ExternalID   string
	DisplayName  string
	Email        string
	Scopes       []string
	Extra        string // JSON: provider details (QuickBooks realm, Xero tenants, Shopify shop)
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
}

// ClaimLink claims the link and stores the connected account in one
// transaction. The claim is one conditional update, so exactly one of any
// number of concurrent callbacks wins; the others get the reason (used,
// expired, deleted) and a claim_refused event. The same external account
// connected again into the workspace updates that account, in one statement
// (upsertAccount), so flows of different links that connect the same
// account at the same moment all succeed. A reconnect link replaces its
// pinned account's tokens instead (reconnectAccount), or fails without
// claiming: a *WrongAccountError when id is another account, or the
// refusal of a deleted link when the pinned account is gone.
func (s *Service) ClaimLink(ctx context.Context, linkID string, actor Actor, id Identity) (*AccountSummary, error) {
	return s.claimLink(ctx, linkID, "", actor, id)
}

// claimLink is ClaimLink; with a flow's state it also settles that flow's
// callback as connected in the same transaction, and refuses with
// ErrFlowSettled when the flow was settled otherwise meanwhile (given up).
func (s *Service) claimLink(ctx context.Context, linkID, state string, actor Actor, id Identity) (*AccountSummary, error) {
	id.ExternalID = CleanText(id.ExternalID, 255)
	if id.ExternalID == "" {
		return nil, Errorf(EINVALID, "The provider did not say which account was authorized.")
	}
	var out *AccountSummary
	var refused error
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		out, refused = nil, nil
		now := s.now()
		res := tx.Model(&models.AccessLink{}).
			Where("id = ? AND used_at IS NULL AND deleted_at IS NULL AND renewed_to_id IS NULL AND expires_at > ?", linkID, now).
			Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		var l models.AccessLink
		if err := tx.Where("id = ?", linkID).Take(&l).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return unknownLink()
			}
			return err
		}
		if res.RowsAffected == 0 {
			st := StatusOf(&l, now)
			refused = claimError(st)
			if refused == nil { // raced with itself; treat as used
				refused = claimError(StatusUsed)
			}
			return s.recordEvent(tx, &l, actor, EventClaimRefused, map[string]any{"reason": string(st)})
		}

		var (
			acc   *models.ConnectedAccount
			isNew bool
			err   error
		)
		if l.ReconnectAccountID != nil { // a reconnect link: the pinned account, in place
			acc, err = s.reconnectAccount(tx, &l, id, now)
		} else {
			acc, isNew, err = s.upsertAccount(tx, &l, id, now)
		}
		if err != nil {
			return err
		}
		if err := tx.Model(&models.AccessLink{}).Where("id = ?", l.ID).Update("connected_account_id", acc.ID).Error; err != nil {
			return err
		}
		out = &AccountSummary{ID: acc.ID, SourceKey: acc.SourceKey, ExternalID: acc.ExternalID, DisplayName: acc.DisplayName,
			Email: acc.Email, Scopes: acc.Scopes, Status: acc.Status, LinkID: acc.LinkID, CreatedAt: acc.CreatedAt, UpdatedAt: acc.UpdatedAt}
		detail := map[string]any{"account": out.Label(), "external_id": acc.ExternalID, "scopes": acc.Scopes}
		if !isNew {
			detail["reconnected"] = "true"
		}
		if err := s.recordEvent(tx, &l, actor, EventConnected, detail); err != nil {
			return err
		}
		if l.ReconnectAccountID != nil {
			if err := s.announceAccount(tx, HookAccountReconnected, acc.ID); err != nil {
				return err
			}
		}
		if state != "" {
			return s.settleConnected(tx, state, out.Label())
		}
		return nil
	})
	if errors.Is(err, errPinnedGone) {
		return nil, errors.Join(unknownLink(), errPinnedGone)
	}
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return out, nil
}

// upsertAccount stores the identity's account in l's workspace with one
// INSERT ... ON CONFLICT statement on the account's identity (workspace,
// source, external ID): a new row, or the existing one updated. Concurrent
// transactions that store the same account queue on that row instead of
// failing on the unique index; the last to commit leaves its tokens.
// Tokens are sealed with the row's ID as associated data, so when the row
// already existed they are sealed again for its ID and written in the same
// transaction, under the row lock the upsert took.
func (s *Service) upsertAccount(tx *gorm.DB, l *models.AccessLink, id Identity, now time.Time) (*models.ConnectedAccount, bool, error) {
	linkID := l.ID
	acc := models.ConnectedAccount{ID: NewID(), WorkspaceID: l.WorkspaceID, SourceKey: id.SourceKey, ExternalID: id.ExternalID,
		DisplayName: CleanText(id.DisplayName, 200), Email: CleanText(id.Email, 254), Scopes: strings.Join(id.Scopes, " "),
		Extra: id.Extra, Status: "connected", LinkID: &linkID, CreatedAt: now, UpdatedAt: now}
	if acc.Extra == "" {
		acc.Extra = "{}"
	}
	if !id.Expiry.IsZero() {
		exp := id.Expiry.UTC()
		acc.TokenExpiresAt = &exp
	}
	var err error
	if acc.AccessTokenSealed, err = s.keys.Seal(id.AccessToken, accountAD(acc.ID, "access_token")); err != nil {
		return nil, false, err
	}
	if acc.RefreshTokenSealed, err = s.keys.Seal(id.RefreshToken, accountAD(acc.ID, "refresh_token")); err != nil {
		return nil, false, err
	}
	newID := acc.ID
	err = tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "workspace_id"}, {Name: "source_key"}, {Name: "external_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"display_name", "email", "scopes", "extra", "token_expires_at",
			"link_id", "status", "updated_at"}),
	}, clause.Returning{Columns: []clause.Column{{Name: "id"}}}).Create(&acc).Error
	if err != nil {
		return nil, false, err
	}
	if acc.ID == newID {
		return &acc, true, nil
	}
	// The account existed: its tokens, sealed for its own ID. A refresh
	// token is kept when the provider sent no new one.
	cols := map[string]any{}
	if cols["access_token_sealed"], err = s.keys.Seal(id.AccessToken, accountAD(acc.ID, "access_token")); err != nil {
		return nil, false, err
	}
	if id.RefreshToken != "" {
		if cols["refresh_token_sealed"], err = s.keys.Seal(id.RefreshToken, accountAD(acc.ID, "refresh_token")); err != nil {
			return nil, false, err
		}
	}
	if err := tx.Model(&models.ConnectedAccount{}).Where("id = ?", acc.ID).UpdateColumns(cols).Error; err != nil {
		return nil, false, err
	}
	var stored models.ConnectedAccount
	if err := tx.Where("id = ?", acc.ID).Take(&stored).Error; err != nil {
		return nil, false, err
	}
	return &stored, false, nil
}

func accountAD(accountID, field string) string {
	return "connected_accounts/" + accountID + "/" + field
}
