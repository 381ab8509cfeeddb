package access

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// Reconnect links (issue 11, item 7). A reconnect link is an access link
// pinned to one connected account of its workspace (access_links.
// reconnect_account_id): the same source, the same workspace. Its consent
// page says it renews access to that account; its callback must sign in as
// that account (the same external ID), else the flow fails with a
// WrongAccountError and the link stays usable; on success the account's
// tokens and scopes are replaced in place, so its ID and everything that
// refers to it stay the same, and it leaves needs_reconnect.

// EACCOUNT is the flow code of a reconnect link's callback that signed in
// as another account than the one the link is for (Reason wrong_account).
// Its value is what oauth_callbacks.error_kind stores.
const EACCOUNT = "account"

// ReasonWrongAccount is the Reason of an EACCOUNT failure.
const ReasonWrongAccount = "wrong_account"

// HookAccountReconnected is the webhook of an account whose tokens a
// reconnect link replaced (link.used is sent for the link as well).
const HookAccountReconnected = "account.reconnected"

// WrongAccountError refuses a reconnect link's callback that signed in as
// another account than the pinned one. Nothing is stored and the link is
// not claimed.
type WrongAccountError struct {
	// SignedInAs names the account the invitee signed in as; Account the
	// account the link is for.
	SignedInAs string
	Account    string
}

func (e *WrongAccountError) Error() string { return e.flowError().Error() }

// Unwrap is the flow *Error, so ErrorCode says EACCOUNT.
func (e *WrongAccountError) Unwrap() error { return e.flowError() }

func (e *WrongAccountError) flowError() *Error {
	return &Error{Code: EACCOUNT, Reason: ReasonWrongAccount, Message: WrongAccountMessage(e.SignedInAs, e.Account)}
}

// WrongAccountMessage is the English sentence of a wrong-account refusal,
// for the history, webhooks and mails (the invitee's page has its own, in
// the invitee's language).
func WrongAccountMessage(signedInAs, account string) string {
	return "You signed in as " + signedInAs + ", but this link is for " + account + ": sign in as " + account + " and try again."
}

// GenerateReconnectLink creates a link pinned to a connected account of the
// member's workspace (same source), to send to the account's owner when
// its access must be renewed. The gates are GenerateLink's; an account of
// another workspace, or a malformed ID, is not found.
func (s *Service) GenerateReconnectLink(ctx context.Context, m *Membership, actor Actor, accountID string) (*Link, error) {
	if err := m.CanManageLinks(); err != nil {
		return nil, err
	}
	if !ValidID(accountID) {
		return nil, accountNotFound()
	}
	var a models.ConnectedAccount
	if err := takeOne(s.db.WithContext(ctx).Select("id, workspace_id, source_key, external_id, display_name, email").
		Where("id = ? AND workspace_id = ?", accountID, m.Workspace.ID), &a, accountNotFound()); err != nil {
		return nil, err
	}
	if src := s.sources.Get(a.SourceKey); src == nil || !src.Configured() {
		return nil, &Error{Code: EINVALID, Reason: ReasonSourceUnavailable, Message: "This account's source is not available on this server, so no link can be made for it."}
	}
	// The account's name labels the link, so the list tells it apart.
	label := []rune(accountLabel(&a))
	if len(label) > MaxLabelLen {
		label = append(label[:MaxLabelLen-1], '…')
	}
	return s.generate(ctx, m, actor, NewLink{Source: a.SourceKey, Label: string(label)}, func(_ *gorm.DB, l *models.AccessLink) error {
		l.ReconnectAccountID = &a.ID
		return nil
	})
}

// accountLabel names a stored account as AccountSummary.Label does.
func accountLabel(a *models.ConnectedAccount) string {
	return (&AccountSummary{DisplayName: a.DisplayName, Email: a.Email, ExternalID: a.ExternalID}).Label()
}

// errPinnedGone refuses a reconnect link whose account was disconnected
// since the link was made: the link can no longer do what it was for.
var errPinnedGone = errors.New("the account of the reconnect link is gone")

// reconnectAccount replaces, inside the claim's transaction, the tokens,
// scopes and provider details of the account l is pinned to with those of
// id, in place: the same row and ID. The identity must be the pinned
// account's (a WrongAccountError otherwise), and the account must still be
// in l's workspace (errPinnedGone otherwise); either error rolls the claim
// back. A refresh token is kept when the provider sent no new one.
func (s *Service) reconnectAccount(tx *gorm.DB, l *models.AccessLink, id Identity, now time.Time) (*models.ConnectedAccount, error) {
	var a models.ConnectedAccount
	q := tx.Where("id = ? AND workspace_id = ? AND source_key = ?", *l.ReconnectAccountID, l.WorkspaceID, l.SourceKey)
	err := takeOne(q, &a, errPinnedGone)
	if err != nil {
		return nil, err
	}
	if id.ExternalID != a.ExternalID {
		signedIn := (&AccountSummary{DisplayName: CleanText(id.DisplayName, 200), Email: CleanText(id.Email, 254), ExternalID: id.ExternalID}).Label()
		return nil, &WrongAccountError{SignedInAs: signedIn, Account: accountLabel(&a)}
	}
	linkID := l.ID
	cols := map[string]any{"display_name": CleanText(id.DisplayName, 200), "email": CleanText(id.Email, 254),
		"scopes": strings.Join(id.Scopes, " "), "extra": id.Extra, "token_expires_at": nil,
		"status": "connected", "link_id": &linkID, "updated_at": now}
	if id.Extra == "" {
		cols["extra"] = "{}"
	}
	if !id.Expiry.IsZero() {
		cols["token_expires_at"] = id.Expiry.UTC()
	}
	if cols["access_token_sealed"], err = s.keys.Seal(id.AccessToken, accountAD(a.ID, "access_token")); err != nil {
		return nil, err
	}
	if id.RefreshToken != "" {
		if cols["refresh_token_sealed"], err = s.keys.Seal(id.RefreshToken, accountAD(a.ID, "refresh_token")); err != nil {
			return nil, err
		}
	}
	if err := tx.Model(&models.ConnectedAccount{}).Where("id = ?", a.ID).UpdateColumns(cols).Error; err != nil {
		return nil, err
	}
	if err := tx.Where("id = ?", a.ID).Take(&a).Error; err != nil {
		return nil, err
	}
	return &a, nil
}
