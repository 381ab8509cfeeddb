package access

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// Event types of the invitee's side.
const (
	EventOpened        = "opened"
	EventStarted       = "started"
	EventProviderError = "provider_error"
	EventDeclined      = "declined"
	EventConnected     = "connected"
	EventClaimRefused  = "claim_refused"
)

// PublicLink is what the consent page shows the invitee: no admin data
// beyond who asks.
type PublicLink struct {
	models.AccessLink
	Status           Status
	WorkspaceName    string
	OrganizationName string
	CreatorName      string
	AccountLabel     string // for used links: what was connected
}

// unknownLink is the one answer for unknown and deleted tokens, so the
// two look the same from outside.
func unknownLink() error {
	return Errorf(ENOTFOUND, "This link does not exist or is no longer available.")
}

// OpenLink finds the link of a token for the invitee. Unknown and deleted
// links are the same not-found error; used and expired links are returned
// with their status so the page can say what happened.
func (s *Service) OpenLink(ctx context.Context, token string) (*PublicLink, error) {
	if len(token) != 43 { // 32 bytes, base64url without padding
		return nil, unknownLink()
	}
	return s.publicLink(ctx, "l.token_hash = ?", secret.HashToken(token))
}

func (s *Service) publicLink(ctx context.Context, where string, arg any) (*PublicLink, error) {
	var l PublicLink
	err := s.DB.WithContext(ctx).Table("access_links AS l").
		Select(`l.*, w.name AS workspace_name, o.name AS organization_name, u.name AS creator_name,
			COALESCE(NULLIF(a.display_name, ''), NULLIF(a.email, ''), a.external_id, '') AS account_label`).
		Joins("JOIN workspaces w ON w.id = l.workspace_id").
		Joins("JOIN organizations o ON o.id = w.organization_id").
		Joins("LEFT JOIN users u ON u.id = l.created_by").
		Joins("LEFT JOIN connected_accounts a ON a.id = l.connected_account_id").
		Where(where, arg).
		Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, unknownLink()
	}
	if err != nil {
		return nil, err
	}
	l.Status = StatusOf(&l.AccessLink, s.now())
	if l.Status == StatusDeleted {
		return nil, unknownLink()
	}
	l.ExpiresAt = l.ExpiresAt.UTC()
	return &l, nil
}

// RecordEvent adds one event to a link's history.
func (s *Service) RecordEvent(ctx context.Context, l *models.AccessLink, actor Actor, typ string, detail map[string]any) error {
	return s.recordEvent(s.DB.WithContext(ctx), l, actor, typ, detail)
}

// Claimable returns nil when the link can still be claimed at this moment,
// or the error the invitee should see. It is a cheap early check before the
// code exchange; Connect decides for real.
func (s *Service) Claimable(ctx context.Context, linkID string) error {
	var l models.AccessLink
	err := s.DB.WithContext(ctx).Where("id = ?", linkID).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return unknownLink()
	}
	if err != nil {
		return err
	}
	return claimError(StatusOf(&l, s.now()))
}

func claimError(st Status) error {
	switch st {
	case StatusActive:
		return nil
	case StatusUsed:
		return Errorf(ECONFLICT, "This link has already been used: an account has already been connected through it.")
	case StatusExpired:
		return Errorf(EEXPIRED, "This link has expired.")
	}
	return unknownLink()
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

// Connect claims the link and stores the connected account in one
// transaction. The claim is one conditional update, so exactly one of any
// number of concurrent callbacks wins; the others get the reason (used,
// expired, deleted) and a claim_refused event. The same external account
// connected again into the workspace updates that account.
func (s *Service) Connect(ctx context.Context, linkID string, actor Actor, id Identity) (*AccountSummary, error) {
	if id.ExternalID == "" {
		return nil, Errorf(EINVALID, "The provider did not say which account was authorized.")
	}
	var out *AccountSummary
	var refused error
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&models.AccessLink{}).
			Where("id = ? AND used_at IS NULL AND deleted_at IS NULL AND expires_at > ?", linkID, now).
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

		var acc models.ConnectedAccount
		err := tx.Where("workspace_id = ? AND source_key = ? AND external_id = ?", l.WorkspaceID, id.SourceKey, id.ExternalID).Take(&acc).Error
		isNew := errors.Is(err, gorm.ErrRecordNotFound)
		if err != nil && !isNew {
			return err
		}
		if isNew {
			acc = models.ConnectedAccount{ID: NewID(), WorkspaceID: l.WorkspaceID, SourceKey: id.SourceKey, ExternalID: id.ExternalID, CreatedAt: now}
		}
		acc.DisplayName = truncate(id.DisplayName, 200)
		acc.Email = truncate(id.Email, 254)
		acc.Scopes = strings.Join(id.Scopes, " ")
		acc.Extra = id.Extra
		if acc.Extra == "" {
			acc.Extra = "{}"
		}
		acc.Status = "connected"
		acc.UpdatedAt = now
		linkID := l.ID
		acc.LinkID = &linkID
		if !id.Expiry.IsZero() {
			exp := id.Expiry.UTC()
			acc.TokenExpiresAt = &exp
		} else {
			acc.TokenExpiresAt = nil
		}
		if acc.AccessTokenSealed, err = s.Keys.Seal(id.AccessToken, accountAD(acc.ID, "access_token")); err != nil {
			return err
		}
		if id.RefreshToken != "" || isNew {
			if acc.RefreshTokenSealed, err = s.Keys.Seal(id.RefreshToken, accountAD(acc.ID, "refresh_token")); err != nil {
				return err
			}
		}
		if isNew {
			err = tx.Create(&acc).Error
		} else {
			// Save stamps updated_at with GORM's clock; keep the service's.
			err = tx.Session(&gorm.Session{NowFunc: func() time.Time { return now }}).Save(&acc).Error
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
		return s.recordEvent(tx, &l, actor, EventConnected, detail)
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return out, nil
}

func accountAD(accountID, field string) string {
	return "connected_accounts/" + accountID + "/" + field
}

// LinkByID loads a link by ID for the callback, whose flow cookie names it.
func (s *Service) LinkByID(ctx context.Context, id string) (*models.AccessLink, error) {
	if !ValidID(id) {
		return nil, unknownLink()
	}
	var l models.AccessLink
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, unknownLink()
	}
	return &l, err
}

// Outcomes of a callback.
const (
	CallbackPending   = ""
	CallbackConnected = "connected"
	CallbackFailed    = "failed"
)

// CallbackClaim is the state of a flow's callback for a request that did
// not get to exchange the code.
type CallbackClaim struct {
	Outcome      string
	AccountLabel string
}

// ClaimCallback lets exactly one request per flow exchange its code: it
// returns nil, nil to the first caller for a state, and the recorded claim
// to every repeated or concurrent one.
func (s *Service) ClaimCallback(ctx context.Context, state, linkID string) (*CallbackClaim, error) {
	now := s.now()
	row := models.OAuthCallback{StateHash: secret.HashToken(state), LinkID: linkID, CreatedAt: now}
	err := s.DB.WithContext(ctx).Create(&row).Error
	if err == nil {
		// Old rows are of no use once their flow (10 minutes) is over.
		s.DB.WithContext(ctx).Where("created_at < ?", now.Add(-24*time.Hour)).Delete(&models.OAuthCallback{})
		return nil, nil
	}
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, err
	}
	var prev models.OAuthCallback
	if err := s.DB.WithContext(ctx).Where("state_hash = ?", row.StateHash).Take(&prev).Error; err != nil {
		return nil, err
	}
	return &CallbackClaim{Outcome: prev.Outcome, AccountLabel: prev.AccountLabel}, nil
}

// FinishCallback records the outcome of the request that claimed a state.
func (s *Service) FinishCallback(ctx context.Context, state, outcome, accountLabel string) error {
	return s.DB.WithContext(ctx).Model(&models.OAuthCallback{}).
		Where("state_hash = ?", secret.HashToken(state)).
		Updates(map[string]any{"outcome": outcome, "account_label": accountLabel}).Error
}

// PublicLinkByID is OpenLink for the callback, which knows the link by ID:
// deleted links are not found, used and expired ones come with their
// status, creator and connected account.
func (s *Service) PublicLinkByID(ctx context.Context, id string) (*PublicLink, error) {
	if !ValidID(id) {
		return nil, unknownLink()
	}
	return s.publicLink(ctx, "l.id = ?", id)
}
