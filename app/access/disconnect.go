package access

import (
	"context"
	"encoding/json"
	"errors"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// EventDisconnected is written in the history of the link an account came
// through when a member disconnects the account.
const EventDisconnected = "disconnected"

// RevokeRequest is what a Revoker needs to ask the account's provider to
// revoke one token (RFC 7009).
type RevokeRequest struct {
	AccountID string
	SourceKey string
	// Extra is the account's provider details (JSON), e.g. Shopify's shop.
	Extra string
	Token string
	// TokenTypeHint is "refresh_token" or "access_token".
	TokenTypeHint string
}

// Revoker asks the provider to revoke a token. A source without a
// revocation endpoint answers nil: there is nothing to revoke there.
type Revoker func(ctx context.Context, req RevokeRequest) error

// DisconnectAccount disconnects a connected account of the member's
// workspace: its row and its tokens are deleted, the history of the link it
// came through records who disconnected it, and account.disconnected is
// emitted, all in one transaction. The links keep their histories. Then,
// with revoke (may be nil), the provider is asked to revoke the tokens; the
// tokens are gone whatever it answers, and a failure is noted in the
// event's detail. An account of another workspace, or a malformed ID, is
// not found.
func (s *Service) DisconnectAccount(ctx context.Context, m *Membership, actor Actor, accountID string, revoke Revoker) error {
	if err := m.CanManageLinks(); err != nil {
		return err
	}
	if !ValidID(accountID) {
		return accountNotFound()
	}
	var (
		a      models.ConnectedAccount
		link   *models.AccessLink
		detail map[string]any
	)
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		link, detail = nil, nil
		if err := takeOne(tx.Where("id = ? AND workspace_id = ?", accountID, m.Workspace.ID), &a, accountNotFound()); err != nil {
			return err
		}
		if err := s.announceAccount(tx, HookAccountDisconnected, a.ID); err != nil {
			return err
		}
		if a.LinkID != nil {
			var l models.AccessLink
			err := tx.Where("id = ?", *a.LinkID).Take(&l).Error
			if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			if err == nil {
				link = &l
				label := (&AccountSummary{LocalName: a.LocalName, DisplayName: a.DisplayName, Email: a.Email, ExternalID: a.ExternalID}).Label()
				detail = map[string]any{"account_id": a.ID, "account": label}
				if err := s.recordEvent(tx, &l, actor, EventDisconnected, detail); err != nil {
					return err
				}
			}
		}
		res := tx.Where("id = ?", a.ID).Delete(&models.ConnectedAccount{})
		if res.Error == nil && res.RowsAffected == 0 {
			return accountNotFound() // disconnected meanwhile
		}
		return res.Error
	})
	if err != nil {
		return err
	}
	if revoke == nil {
		return nil
	}
	if rerr := s.revokeTokens(ctx, &a, revoke); rerr != nil && link != nil {
		s.noteRevokeFailure(ctx, link.ID, detail, rerr)
	}
	return nil
}

// revokeTokens asks the provider to revoke the account's refresh token,
// then its access token; it returns the first failure.
func (s *Service) revokeTokens(ctx context.Context, a *models.ConnectedAccount, revoke Revoker) error {
	var first error
	rt, err := s.openRefreshToken(a)
	if err != nil {
		first = err
	} else if rt != "" {
		first = revoke(ctx, RevokeRequest{AccountID: a.ID, SourceKey: a.SourceKey, Extra: a.Extra, Token: rt, TokenTypeHint: "refresh_token"})
	}
	if a.AccessTokenSealed == "" {
		return first
	}
	at, err := s.openAccessToken(a)
	if err == nil && at != "" {
		err = revoke(ctx, RevokeRequest{AccountID: a.ID, SourceKey: a.SourceKey, Extra: a.Extra, Token: at, TokenTypeHint: "access_token"})
	}
	if first == nil {
		first = err
	}
	return first
}

// noteRevokeFailure adds the revocation's failure to the detail of the
// "disconnected" event written for the account (found by its detail, which
// names the account's ID). Best effort: the disconnection stands anyway.
func (s *Service) noteRevokeFailure(ctx context.Context, linkID string, detail map[string]any, rerr error) {
	was, err := json.Marshal(cleanDetail(detail))
	if err != nil {
		return
	}
	next := make(map[string]any, len(detail)+1)
	for k, v := range detail {
		next[k] = v
	}
	next["revoke_error"] = rerr.Error()
	now, err := json.Marshal(cleanDetail(next))
	if err != nil {
		return
	}
	s.db.WithContext(context.WithoutCancel(ctx)).Model(&models.LinkEvent{}).
		Where("link_id = ? AND type = ? AND detail = ?", linkID, EventDisconnected, string(was)).
		Update("detail", string(now))
}
