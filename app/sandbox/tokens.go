package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Tokens (op.AuthStorage): access and refresh tokens, rotation and revocation.

func grantOf(request op.TokenRequest) (grantID, clientID string, err error) {
	switch r := request.(type) {
	case *authRequest:
		return r.id, r.clientID, nil
	case *refreshRequest:
		return r.grantID, r.clientID, nil
	}
	return "", "", oidc.ErrUnsupportedGrantType()
}

func (s *storage) newAccessToken(tx *gorm.DB, grantID, clientID string, request op.TokenRequest, now time.Time) (*tokenRow, error) {
	t := &tokenRow{
		ID:        rand.Text(),
		Issuer:    s.issuer,
		Kind:      kindAccess,
		GrantID:   grantID,
		ClientID:  clientID,
		Subject:   request.GetSubject(),
		Scopes:    joinScopes(request.GetScopes()),
		IssuedAt:  now,
		ExpiresAt: now.Add(s.accessTTL),
	}
	return t, tx.Create(t).Error
}

// errRevoked is what a token request for a revoked grant gets.
func errRevoked() error {
	return oidc.ErrInvalidGrant().WithDescription("The authorization was revoked.")
}

// CreateAccessToken issues an access token without a refresh token.
func (s *storage) CreateAccessToken(ctx context.Context, request op.TokenRequest) (string, time.Time, error) {
	grantID, clientID, err := grantOf(request)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.clock()
	if err := s.sweep(ctx, now); err != nil {
		return "", time.Time{}, err
	}
	if revoked, err := s.revoked(ctx, grantID, now); err != nil || revoked {
		return "", time.Time{}, cmp(err, errRevoked())
	}
	t, err := s.newAccessToken(s.db.WithContext(ctx), grantID, clientID, request, now)
	if err == nil {
		err = s.stillGranted(ctx, grantID, now)
	}
	if err != nil {
		return "", time.Time{}, err
	}
	return t.ID, t.ExpiresAt, nil
}

// stillGranted checks, after tokens were written, that another process did
// not revoke their grant meanwhile (a replayed code on another replica):
// if it did, the new tokens are revoked too.
func (s *storage) stillGranted(ctx context.Context, grantID string, now time.Time) error {
	revoked, err := s.revoked(ctx, grantID, now)
	if err != nil || !revoked {
		return err
	}
	if err := s.revokeGrant(ctx, grantID, now); err != nil {
		return err
	}
	return errRevoked()
}

// cmp returns err if it is not nil, else fallback.
func cmp(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// errReused is what a rotated-out refresh token gets.
var errReused = errors.New("refresh token already used")

// CreateAccessAndRefreshTokens issues an access token and a refresh token,
// for a code (offline_access) or a refresh. A refresh token rotates: the
// one presented stops working (one conditional UPDATE, so two processes
// never both rotate it), and presenting it again revokes the grant.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, request op.TokenRequest, current string) (string, string, time.Time, error) {
	grantID, clientID, err := grantOf(request)
	if err != nil {
		return "", "", time.Time{}, err
	}
	now := s.clock()
	if err := s.sweep(ctx, now); err != nil {
		return "", "", time.Time{}, err
	}
	if revoked, err := s.revoked(ctx, grantID, now); err != nil || revoked {
		return "", "", time.Time{}, cmp(err, errRevoked())
	}

	var grant refreshRequest
	switch r := request.(type) {
	case *authRequest:
		if current != "" {
			return "", "", time.Time{}, oidc.ErrInvalidGrant()
		}
		grant = refreshRequest{grantID: grantID, clientID: clientID, subject: r.subject, authTime: r.authTime, scopes: slices.Clone(r.scopes)}
	case *refreshRequest:
		if current == "" {
			return "", "", time.Time{}, oidc.ErrInvalidGrant()
		}
		grant = *r
		grant.scopes = slices.Clone(r.scopes)
		grant.current = nil
	}

	var at *tokenRow
	token := rand.Text()
	err = db.Transaction(ctx, s.db, func(tx *gorm.DB) error {
		if current != "" {
			res := tx.Model(&tokenRow{}).
				Where("id = ? AND issuer = ? AND kind = ? AND grant_id = ?", hashKey(current), s.issuer, kindRefresh, grantID).
				Update("kind", kindUsed) // kept until it would have expired
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return errReused // another request rotated it first
			}
		}
		var err error
		if at, err = s.newAccessToken(tx, grantID, clientID, request, now); err != nil {
			return err
		}
		return tx.Create(&tokenRow{
			ID:        hashKey(token),
			Issuer:    s.issuer,
			Kind:      kindRefresh,
			GrantID:   grantID,
			ClientID:  clientID,
			Subject:   grant.subject,
			Scopes:    joinScopes(grant.scopes),
			AuthTime:  grant.authTime,
			IssuedAt:  now,
			ExpiresAt: now.Add(refreshTokenTTL),
		}).Error
	})
	if errors.Is(err, errReused) {
		if err := s.revokeGrant(ctx, grantID, now); err != nil {
			return "", "", time.Time{}, err
		}
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("The refresh token was already used; the authorization is revoked.")
	}
	if err == nil {
		err = s.stillGranted(ctx, grantID, now)
	}
	if err != nil {
		return "", "", time.Time{}, err
	}
	return at.ID, token, at.ExpiresAt, nil
}

// findToken returns the row of a token ID or hash, of one of kinds.
func (s *storage) findToken(ctx context.Context, id string, kinds ...string) (*tokenRow, error) {
	var rows []tokenRow
	err := s.db.WithContext(ctx).Where("id = ? AND issuer = ? AND kind IN ?", id, s.issuer, kinds).Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// TokenRequestByRefreshToken looks a refresh token up. A rotated-out token
// revokes its grant (RFC 9700 section 4.14.2).
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	now := s.clock()
	t, err := s.findToken(ctx, hashKey(token), kindRefresh, kindUsed)
	if err != nil {
		return nil, err
	}
	if t != nil && t.Kind == kindRefresh && now.Before(t.ExpiresAt) {
		g := &refreshRequest{grantID: t.GrantID, clientID: t.ClientID, subject: t.Subject, scopes: splitScopes(t.Scopes)}
		if !t.AuthTime.IsZero() {
			g.authTime = t.AuthTime
		}
		return g, nil
	}
	if t != nil && t.Kind == kindUsed {
		if err := s.revokeGrant(ctx, t.GrantID, now); err != nil {
			return nil, err
		}
		return nil, errors.New("refresh token already used; the authorization is revoked")
	}
	return nil, fmt.Errorf("refresh token %w", errNotFound)
}

// TerminateSession revokes what the client holds for the user (end_session).
func (s *storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	now := s.clock()
	var grants []string
	err := s.db.WithContext(ctx).Model(&tokenRow{}).Distinct("grant_id").
		Where("issuer = ? AND subject = ? AND client_id = ? AND kind IN ?", s.issuer, userID, clientID, []string{kindAccess, kindRefresh}).
		Pluck("grant_id", &grants).Error
	if err != nil {
		return err
	}
	for _, g := range grants {
		if err := s.revokeGrant(ctx, g, now); err != nil {
			return err
		}
	}
	return nil
}

// GetRefreshTokenInfo answers the revocation endpoint; the token ID is the
// token's hash.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, _ string, token string) (string, string, error) {
	h := hashKey(token)
	t, err := s.findToken(ctx, h, kindRefresh)
	if err != nil {
		return "", "", err
	}
	if t == nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.Subject, h, nil
}

// RevokeToken revokes an access token (by ID) or a refresh token (by the
// hash GetRefreshTokenInfo returned, or the token itself). Revoking a
// refresh token revokes its whole grant, as RFC 7009 section 2.1 suggests.
// Unknown tokens are not an error (RFC 7009 section 2.2).
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	now := s.clock()
	t, err := s.findToken(ctx, tokenOrID, kindAccess, kindRefresh)
	if err == nil && t == nil {
		t, err = s.findToken(ctx, hashKey(tokenOrID), kindRefresh)
	}
	if err != nil {
		return oidc.ErrServerError()
	}
	if t == nil {
		return nil
	}
	if t.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("The token was not issued to this client.")
	}
	if t.Kind == kindAccess {
		if err := s.db.WithContext(ctx).Where("id = ? AND issuer = ?", t.ID, s.issuer).Delete(&tokenRow{}).Error; err != nil {
			return oidc.ErrServerError()
		}
		return nil
	}
	if err := s.revokeGrant(ctx, t.GrantID, now); err != nil {
		return oidc.ErrServerError()
	}
	return nil
}
