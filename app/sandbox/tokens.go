package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

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

func (s *storage) newAccessTokenLocked(grantID, clientID string, request op.TokenRequest, now time.Time) *accessToken {
	t := &accessToken{
		id:       rand.Text(),
		grantID:  grantID,
		clientID: clientID,
		subject:  request.GetSubject(),
		scopes:   slices.Clone(request.GetScopes()),
		issued:   now,
		expires:  now.Add(accessTokenTTL),
	}
	s.accessTokens[t.id] = t
	return t
}

// CreateAccessToken issues an access token without a refresh token.
func (s *storage) CreateAccessToken(_ context.Context, request op.TokenRequest) (string, time.Time, error) {
	grantID, clientID, err := grantOf(request)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	if _, ok := s.revoked[grantID]; ok {
		return "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("The authorization was revoked.")
	}
	t := s.newAccessTokenLocked(grantID, clientID, request, now)
	return t.id, t.expires, nil
}

// CreateAccessAndRefreshTokens issues an access token and a refresh token,
// for a code (offline_access) or a refresh. A refresh token rotates: the
// one presented stops working, and presenting it again revokes the grant.
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, request op.TokenRequest, current string) (string, string, time.Time, error) {
	grantID, clientID, err := grantOf(request)
	if err != nil {
		return "", "", time.Time{}, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	if _, ok := s.revoked[grantID]; ok {
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("The authorization was revoked.")
	}

	var grant refreshRequest
	if current == "" {
		r, ok := request.(*authRequest)
		if !ok {
			return "", "", time.Time{}, oidc.ErrInvalidGrant()
		}
		grant = refreshRequest{
			grantID:  grantID,
			clientID: clientID,
			subject:  r.subject,
			authTime: r.authTime,
			scopes:   slices.Clone(r.scopes),
		}
	} else {
		h := hashKey(current)
		old, ok := s.refreshTokens[h]
		if !ok || old.grant.grantID != grantID {
			// Another request rotated it first: that is reuse.
			s.revokeGrantLocked(grantID, now)
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("The refresh token was already used; the authorization is revoked.")
		}
		delete(s.refreshTokens, h)
		s.usedRefresh[h] = usedRefresh{grantID: grantID, forget: old.expires}
		grant = old.grant
		grant.current = nil
	}

	at := s.newAccessTokenLocked(grantID, clientID, request, now)
	token := rand.Text()
	s.refreshTokens[hashKey(token)] = &refreshToken{grant: grant, expires: now.Add(refreshTokenTTL)}
	return at.id, token, at.expires, nil
}

// TokenRequestByRefreshToken looks a refresh token up. A rotated-out token
// revokes its grant (RFC 9700 section 4.14.2).
func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	h := hashKey(token)
	if t, ok := s.refreshTokens[h]; ok && now.Before(t.expires) {
		g := t.grant
		g.scopes = slices.Clone(g.scopes)
		g.current = nil
		return &g, nil
	}
	if u, ok := s.usedRefresh[h]; ok {
		s.revokeGrantLocked(u.grantID, now)
		return nil, errors.New("refresh token already used; the authorization is revoked")
	}
	return nil, fmt.Errorf("refresh token %w", errNotFound)
}

// TerminateSession revokes what the client holds for the user (end_session).
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var grants []string
	for _, t := range s.accessTokens {
		if t.subject == userID && t.clientID == clientID {
			grants = append(grants, t.grantID)
		}
	}
	for _, t := range s.refreshTokens {
		if t.grant.subject == userID && t.grant.clientID == clientID {
			grants = append(grants, t.grant.grantID)
		}
	}
	for _, g := range grants {
		s.revokeGrantLocked(g, now)
	}
	return nil
}

// GetRefreshTokenInfo answers the revocation endpoint; the token ID is the
// token's hash.
func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := hashKey(token)
	t, ok := s.refreshTokens[h]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.grant.subject, h, nil
}

// RevokeToken revokes an access token (by ID) or a refresh token (by the
// hash GetRefreshTokenInfo returned, or the token itself). Revoking a
// refresh token revokes its whole grant, as RFC 7009 section 2.1 suggests.
// Unknown tokens are not an error (RFC 7009 section 2.2).
func (s *storage) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.accessTokens[tokenOrID]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("The token was not issued to this client.")
		}
		delete(s.accessTokens, tokenOrID)
		return nil
	}
	t, ok := s.refreshTokens[tokenOrID]
	if !ok {
		t, ok = s.refreshTokens[hashKey(tokenOrID)]
	}
	if !ok {
		return nil
	}
	if t.grant.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("The token was not issued to this client.")
	}
	s.revokeGrantLocked(t.grant.grantID, now)
	return nil
}
