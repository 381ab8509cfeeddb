package sandbox

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"slices"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Keys, clients and claims (op.OPStorage).

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	key *rsa.PublicKey
}

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *publicKey) Use() string                        { return oidc.KeyUseSignature }
func (k *publicKey) Key() any                           { return k.key }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.signing, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{s.public}, nil }

// --- clients and claims (op.OPStorage) ---

func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	if clientID != s.client.id {
		return nil, errors.New("client not found")
	}
	return s.client, nil
}

// AuthorizeClientIDSecret compares hashes in constant time, so neither the
// secret nor its length leaks through timing.
func (s *storage) AuthorizeClientIDSecret(_ context.Context, clientID, secret string) error {
	given := sha256.Sum256([]byte(secret))
	okSecret := subtle.ConstantTimeCompare(given[:], s.secretHash[:]) == 1
	if clientID != s.client.id || !okSecret {
		return errors.New("wrong client_id or client_secret")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, request op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, request.GetSubject(), scopes)
}

// SetUserinfoFromToken answers /userinfo for a live access token.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	t, ok := s.accessTokens[tokenID]
	live := ok && s.now().Before(t.expires) && t.subject == subject
	var scopes []string
	if live {
		scopes = slices.Clone(t.scopes)
	}
	s.mu.Unlock()
	if !live {
		return errUnknownToken
	}
	return s.setUserinfo(info, subject, scopes)
}

// SetIntrospectionFromToken answers /oauth/introspect for the client the
// token was issued to.
func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	t, ok := s.accessTokens[tokenID]
	var snapshot accessToken
	live := ok && s.now().Before(t.expires) && t.subject == subject && t.clientID == clientID
	if live {
		snapshot = *t
		snapshot.scopes = slices.Clone(t.scopes)
	}
	s.mu.Unlock()
	if !live {
		return errUnknownToken
	}
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, subject, snapshot.scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = snapshot.scopes
	resp.ClientID = snapshot.clientID
	resp.TokenType = oidc.BearerToken
	resp.Audience = []string{snapshot.clientID}
	resp.IssuedAt = oidc.FromTime(snapshot.issued)
	resp.Expiration = oidc.FromTime(snapshot.expires)
	return nil
}

// setUserinfo maps an account to claims: sub always, name with profile,
// email with email.
func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	a, ok := s.accounts[subject] // read-only after New
	if !ok {
		return errors.New("unknown account")
	}
	info.Subject = a.ID
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = a.Name
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && a.Email != "" {
		info.Email = a.Email
		info.EmailVerified = true
	}
	return nil
}

// GetPrivateClaimsFromScopes adds nothing: access tokens are opaque.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID: no client has keys, so private_key_jwt and the JWT
// profile grant never succeed.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client keys are registered")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("The JWT profile grant is not supported.")
}

func (s *storage) Health(context.Context) error { return nil }
