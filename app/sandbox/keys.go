package sandbox

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Keys, clients and claims (op.OPStorage).

type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key crypto.PublicKey
}

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k *publicKey) Use() string                        { return oidc.KeyUseSignature }
func (k *publicKey) Key() any                           { return k.key }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.signing, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.signing.alg}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{s.public}, nil }

// deriveKeys derives, from the client secret and the issuer, the ID token
// signing key (ECDSA P-256, ES256) and the key that seals access tokens.
// Every process given the same options derives the same keys, so tokens
// signed or sealed by one are accepted by all, and survive a restart.
func deriveKeys(secret, issuer string) (*ecdsa.PrivateKey, [32]byte, error) {
	var sealKey [32]byte
	b, err := hkdf.Key(sha256.New, []byte(secret), []byte(issuer), "sandbox access token sealing", len(sealKey))
	if err != nil {
		return nil, sealKey, err
	}
	copy(sealKey[:], b)
	// A 32-byte string is a valid P-256 scalar unless it is zero or not
	// below the group order (odds about 2^-32); then the next counter is tried.
	for i := 0; ; i++ {
		d, err := hkdf.Key(sha256.New, []byte(secret), []byte(issuer), fmt.Sprintf("sandbox ID token signing key %d", i), 32)
		if err != nil {
			return nil, sealKey, err
		}
		if key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d); err == nil {
			return key, sealKey, nil
		}
	}
}

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

// liveAccessToken returns an access token that has not expired, or nil.
func (s *storage) liveAccessToken(ctx context.Context, tokenID, subject string) (*tokenRow, error) {
	t, err := s.findToken(ctx, tokenID, kindAccess)
	if err != nil || t == nil || !s.clock().Before(t.ExpiresAt) || t.Subject != subject {
		return nil, err
	}
	return t, nil
}

// SetUserinfoFromToken answers /userinfo for a live access token.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.liveAccessToken(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	if t == nil {
		return errUnknownToken
	}
	return s.setUserinfo(info, subject, splitScopes(t.Scopes))
}

// SetIntrospectionFromToken answers /oauth/introspect for the client the
// token was issued to.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.liveAccessToken(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	if t == nil || t.ClientID != clientID {
		return errUnknownToken
	}
	scopes := splitScopes(t.Scopes)
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, subject, scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = scopes
	resp.ClientID = t.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Audience = []string{t.ClientID}
	resp.IssuedAt = oidc.FromTime(t.IssuedAt)
	resp.Expiration = oidc.FromTime(t.ExpiresAt)
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
