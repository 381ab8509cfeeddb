package access

import (
	"context"
	"time"

	"github.com/accessrequests/accessrequests/models"
)

// APIToken is an access token handed to an integration.
type APIToken struct {
	AccessToken string
	// ExpiresAt is the token's expiry, nil when the provider did not say.
	ExpiresAt *time.Time
	Scopes    string // space-separated, as granted
}

// APIAccessToken is AccessToken with what the API answers besides the
// token: its expiry and the granted scopes, read after the token (a
// refresh may have just changed them).
func (s *Service) APIAccessToken(ctx context.Context, workspaceID, accountID string, refresh Refresher) (*APIToken, error) {
	tok, err := s.AccessToken(ctx, workspaceID, accountID, refresh)
	if err != nil {
		return nil, err
	}
	var a models.ConnectedAccount
	err = s.db.WithContext(ctx).Select("id", "access_token_sealed", "token_expires_at", "scopes").
		Where("id = ? AND workspace_id = ?", accountID, workspaceID).Take(&a).Error
	if err != nil {
		return nil, err
	}
	out := &APIToken{AccessToken: tok, Scopes: a.Scopes}
	// The expiry is this token's only if the row still holds it.
	if cur, err := s.openAccessToken(&a); err == nil && cur == tok {
		out.ExpiresAt = UTCPtr(a.TokenExpiresAt)
	}
	return out, nil
}
