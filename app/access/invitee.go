package access

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access/hotsql"
	"github.com/accessrequests/accessrequests/app/db"
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
	// CreatorDomain is the domain of the creator's email address ("" when
	// the link names no person): the invitee sees where the request comes
	// from, not the address itself.
	CreatorDomain string
	AccountLabel  string // for used links: what was connected
	// Brand is the organization's branding (zero when it has none).
	Brand PublicBranding
	// ReconnectLabel names the account a reconnect link renews access to
	// ("" for other links).
	ReconnectLabel string
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
	return s.publicLink(ctx, publicLinkByToken, secret.HashToken(token))
}

// The consent page's lookup is its hottest read, so its SQL is written
// out (hotsql.PublicLink) and sent as is. The two lookups are prepared once
// (db.Hot: their PostgreSQL form is not rebuilt at each view, and they run
// on pgx itself).
var (
	publicLinkByToken = db.NewHot(hotsql.PublicLink + "l.token_hash = ? LIMIT 1")
	publicLinkByID    = db.NewHot(hotsql.PublicLink + "l.id = ? LIMIT 1")
)

func (s *Service) publicLink(ctx context.Context, q db.Hot, arg any) (*PublicLink, error) {
	var l PublicLink
	var email string
	found := false
	b := &l.Brand
	err := db.QueryHot(ctx, s.db, q, []any{arg}, func(r db.Row) error {
		found = true
		return scanLink(r, &l.AccessLink, &l.WorkspaceName, &l.OrganizationName, &l.CreatorName, &email, &l.AccountLabel,
			&b.AccentColor, &b.LogoHash, &b.LogoType, &b.LogoWidth, &b.LogoHeight, &b.PrivacyURL, &b.SupportURL, &l.ReconnectLabel)
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, unknownLink()
	}
	l.Status = StatusOf(&l.AccessLink, s.now())
	// A reconnect link whose account was disconnected since cannot do what
	// it was made for: it is gone, like a deleted link, until it is used
	// or expires anyway.
	if l.Status == StatusActive && l.ReconnectAccountID != nil && l.ReconnectLabel == "" {
		l.Status = StatusDeleted
	}
	if l.Status == StatusDeleted {
		return nil, unknownLink()
	}
	l.ExpiresAt = l.ExpiresAt.UTC()
	if i := strings.LastIndexByte(email, '@'); i >= 0 && l.CreatorName != "" {
		l.CreatorDomain = email[i+1:]
	}
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
	return s.publicLink(ctx, publicLinkByID, id)
}
