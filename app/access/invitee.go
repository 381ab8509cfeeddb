package access

import (
	"context"
	"errors"

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
func unknownLink() *Error {
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
	err := s.db.WithContext(ctx).Table("access_links AS l").
		Select(`l.*, w.name AS workspace_name, o.name AS organization_name, u.name AS creator_name,
			COALESCE(NULLIF(a.display_name, ''), NULLIF(a.email, ''), a.external_id, '') AS account_label`).
		Joins("JOIN workspaces w ON w.id = l.workspace_id").
		Joins("JOIN organizations o ON o.id = w.organization_id").
		// A link made through the API names the person who made its key,
		// if any; the page then names the organization alone.
		Joins("LEFT JOIN api_keys k ON k.id = l.created_by_key_id").
		Joins("LEFT JOIN users u ON u.id = COALESCE(l.created_by, k.created_by)").
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
	return s.recordEvent(s.db.WithContext(ctx), l, actor, typ, detail)
}

// LinkByID loads a link by ID for the callback, whose flow cookie names it.
func (s *Service) LinkByID(ctx context.Context, id string) (*models.AccessLink, error) {
	if !ValidID(id) {
		return nil, unknownLink()
	}
	var l models.AccessLink
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, unknownLink()
	}
	return &l, err
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
