package sandbox

import (
	"context"
	"crypto"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accessrequests/accessrequests/app/db"
	appsecret "github.com/accessrequests/accessrequests/app/secret"

	jose "github.com/go-jose/go-jose/v4"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage keeps the provider's state in the app's database (migration
// 00010: sandbox_auth_requests, sandbox_codes, sandbox_tokens,
// sandbox_revoked_grants), so any number of app processes serve one
// provider: the authorize step, the consent page, the token exchange and
// user info may each land on a different one. It implements op.Storage.
// Expired rows are deleted on every write, so the tables stay bounded
// without a background goroutine; every read has its own time condition.
//
// Rows are scoped by issuer: providers sharing a database stay apart.
// Codes and refresh tokens are kept by their SHA-256, never in the clear.
type storage struct {
	now func() time.Time
	db  *gorm.DB
	// accessTTL is the lifetime of access tokens (Options.AccessTokenTTL).
	accessTTL time.Duration
	issuer    string

	client     *client
	secretHash [32]byte
	accounts   map[string]Account
	signing    *signingKey
	public     *publicKey
	// seal encrypts the client's state, nonce and login hint in
	// sandbox_auth_requests: the database holds none of them in the clear.
	seal cipher.AEAD
}

// Token kinds in sandbox_tokens.
const (
	kindAccess  = "access"  // id is the token ID sealed in the access token
	kindRefresh = "refresh" // id is the refresh token's hash
	kindUsed    = "used"    // a rotated-out refresh token, kept to detect its reuse
)

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

var (
	errNotFound     = errors.New("not found or expired")
	errUnknownToken = errors.New("token unknown, expired or revoked")
)

func newStorage(cl *client, gdb *gorm.DB, issuer, secret string, accounts []Account, key crypto.Signer) (*storage, error) {
	var alg jose.SignatureAlgorithm
	switch key.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		alg = jose.ES256
	default:
		return nil, fmt.Errorf("sandbox: unsupported signing key %T", key)
	}
	jwk := jose.JSONWebKey{Key: key.Public(), Algorithm: string(alg), Use: oidc.KeyUseSignature}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sandbox: signing key thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	aead, err := appsecret.DeriveAEAD([]byte(secret), []byte(issuer), "sandbox auth request sealing")
	if err != nil {
		return nil, err
	}
	s := &storage{
		seal:       aead,
		now:        time.Now,
		accessTTL:  accessTokenTTL,
		db:         gdb,
		issuer:     issuer,
		client:     cl,
		secretHash: sha256.Sum256([]byte(secret)),
		accounts:   make(map[string]Account, len(accounts)),
		signing:    &signingKey{id: kid, alg: alg, key: key},
		public:     &publicKey{id: kid, alg: alg, key: key.Public()},
	}
	for _, a := range accounts {
		s.accounts[a.ID] = a
	}
	return s, nil
}

// clock is the time as stored: UTC, to the microsecond (PostgreSQL's
// precision), so a time read back compares equal to the one written.
func (s *storage) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func hashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func joinScopes(scopes []string) string { return strings.Join(scopes, " ") }

func splitScopes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

// sweep deletes everything that has expired, of every issuer, in one
// transaction that runs again if it lost its connection.
func (s *storage) sweep(ctx context.Context, now time.Time) error {
	return db.Transaction(ctx, s.db, func(db *gorm.DB) error { return s.sweepOn(db, now) })
}

func (s *storage) sweepOn(db *gorm.DB, now time.Time) error {
	return errors.Join(
		db.Where("expires_at <= ?", now).Delete(&authRequestRow{}).Error,
		db.Where("forget_at <= ?", now).Delete(&codeRow{}).Error,
		db.Where("expires_at <= ?", now).Delete(&tokenRow{}).Error,
		db.Where("until_at <= ?", now).Delete(&revokedRow{}).Error,
	)
}

// revokeGrant invalidates every token issued from one authorization, and
// refuses new ones for it for as long as a code for it could be alive.
func (s *storage) revokeGrant(ctx context.Context, grantID string, now time.Time) error {
	return db.Transaction(ctx, s.db, func(tx *gorm.DB) error {
		err := tx.Where("issuer = ? AND grant_id = ? AND kind IN ?", s.issuer, grantID, []string{kindAccess, kindRefresh}).
			Delete(&tokenRow{}).Error
		if err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "grant_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"until_at"}),
		}).Create(&revokedRow{GrantID: grantID, Issuer: s.issuer, UntilAt: now.Add(authRequestTTL)}).Error
	})
}

// revoked reports whether new tokens are refused for a grant.
func (s *storage) revoked(ctx context.Context, grantID string, now time.Time) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&revokedRow{}).
		Where("grant_id = ? AND issuer = ? AND until_at > ?", grantID, s.issuer, now).Count(&n).Error
	return n > 0, err
}

// --- authorization requests (op.AuthStorage) ---

// CreateAuthRequest stores a request the library has validated (client,
// exact redirect URI, response type). The checks here are the sandbox's
// policy; because the redirect URI is already trusted, the library returns
// their errors to the client's redirect_uri.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired().WithDescription("The sandbox provider has no sessions; it always asks.")
	}
	if req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery {
		return nil, oidc.ErrInvalidRequest().WithDescription("Only response_mode=query is supported.")
	}
	if req.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE is required: send code_challenge with code_challenge_method=S256.")
	}
	if req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256.")
	}
	if !validS256Challenge(req.CodeChallenge) {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge must be the base64url SHA-256 of the verifier (43 characters).")
	}
	var scopes []string
	for _, sc := range req.Scopes {
		if s.client.IsScopeAllowed(sc) && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if len(scopes) == 0 {
		return nil, oidc.ErrInvalidScope().WithDescription("None of the requested scopes is available.")
	}

	now := s.clock()
	if err := s.sweep(ctx, now); err != nil {
		return nil, err
	}
	var pending int64
	if err := s.db.WithContext(ctx).Model(&authRequestRow{}).Where("issuer = ?", s.issuer).Count(&pending).Error; err != nil {
		return nil, err
	}
	if pending >= maxPending {
		return nil, oidc.ErrServerError().WithDescription("Too many pending sign-in requests; try again in a few minutes.")
	}
	id := rand.Text()
	row := &authRequestRow{
		ID:                  id,
		Issuer:              s.issuer,
		ClientID:            req.ClientID,
		RedirectURI:         req.RedirectURI,
		State:               s.sealText(id, req.State),
		Nonce:               s.sealText(id, req.Nonce),
		Scopes:              joinScopes(scopes),
		ResponseType:        string(req.ResponseType),
		ResponseMode:        string(req.ResponseMode),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod),
		LoginHint:           s.sealText(id, req.LoginHint),
		ExpiresAt:           now.Add(authRequestTTL),
	}
	if err := s.db.WithContext(ctx).Create(row).Error; err != nil {
		return nil, err
	}
	return s.request(row), nil
}

// validS256Challenge reports whether c looks like BASE64URL(SHA-256(verifier)).
func validS256Challenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// pendingQuery selects a request the consent page may still act on.
func (s *storage) pendingQuery(ctx context.Context, id string, now time.Time) *gorm.DB {
	return s.db.WithContext(ctx).Model(&authRequestRow{}).
		Where("id = ? AND issuer = ? AND expires_at > ? AND code_issued = ?", id, s.issuer, now, false)
}

func (s *storage) loadPending(ctx context.Context, id string, now time.Time) (*authRequest, error) {
	var rows []authRequestRow
	if err := s.pendingQuery(ctx, id, now).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("auth request %w", errNotFound)
	}
	return s.request(&rows[0]), nil
}

// AuthRequestByID is called by the callback after the consent page; a
// request whose code was already issued is gone for it.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.loadPending(ctx, id, s.clock())
}

// pending returns a request still waiting for Allow or Deny; errNotFound
// when there is none.
func (s *storage) pending(ctx context.Context, id string) (*authRequest, error) {
	r, err := s.loadPending(ctx, id, s.clock())
	if err == nil && r.done {
		return nil, fmt.Errorf("auth request %w", errNotFound)
	}
	return r, err
}

// approve records that the invitee allowed the request for accountID.
func (s *storage) approve(ctx context.Context, id, accountID string) error {
	if _, ok := s.accounts[accountID]; !ok {
		return fmt.Errorf("account %w", errNotFound)
	}
	now := s.clock()
	res := s.pendingQuery(ctx, id, now).Where("done = ?", false).
		Updates(map[string]any{"subject": accountID, "auth_time": now, "done": true})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("auth request %w", errNotFound)
	}
	return nil
}

// deny removes a request the invitee declined and returns it, so that the
// error can be sent to its redirect URI.
func (s *storage) deny(ctx context.Context, id string) (*authRequest, error) {
	now := s.clock()
	r, err := s.pending(ctx, id)
	if err != nil {
		return nil, err
	}
	res := s.pendingQuery(ctx, id, now).Where("done = ?", false).Delete(&authRequestRow{})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != 1 { // allowed or denied meanwhile, elsewhere
		return nil, fmt.Errorf("auth request %w", errNotFound)
	}
	return r, nil
}

// SaveAuthCode binds a freshly made code to its request. A request gets one
// code; from then on it lives only as long as that code.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	now := s.clock()
	if err := s.sweep(ctx, now); err != nil {
		return err
	}
	return db.Transaction(ctx, s.db, func(tx *gorm.DB) error {
		res := tx.Model(&authRequestRow{}).
			Where("id = ? AND issuer = ? AND expires_at > ? AND code_issued = ? AND done = ?", id, s.issuer, now, false, true).
			Updates(map[string]any{"code_issued": true, "expires_at": now.Add(codeTTL)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return oidc.ErrInvalidRequest().WithDescription("The authorization was already completed or has expired.")
		}
		return tx.Create(&codeRow{
			CodeHash:  hashKey(code),
			Issuer:    s.issuer,
			RequestID: id,
			ExpiresAt: now.Add(codeTTL),
			ForgetAt:  now.Add(authRequestTTL),
		}).Error
	})
}

// AuthRequestByCode consumes a code: it answers once, whichever process
// asks (one conditional UPDATE). It is called before the client and the
// PKCE verifier are checked, so a failed exchange burns the code too. A
// code presented again revokes what was issued from it.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	now := s.clock()
	h := hashKey(code)
	db := s.db.WithContext(ctx)
	res := db.Model(&codeRow{}).Where("code_hash = ? AND issuer = ? AND used = ?", h, s.issuer, false).Update("used", true)
	if res.Error != nil {
		return nil, res.Error
	}
	var codes []codeRow
	if err := db.Where("code_hash = ? AND issuer = ?", h, s.issuer).Limit(1).Find(&codes).Error; err != nil {
		return nil, err
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("code %w", errNotFound)
	}
	c := codes[0]
	if res.RowsAffected != 1 {
		if err := s.revokeGrant(ctx, c.RequestID, now); err != nil {
			return nil, err
		}
		return nil, errors.New("code already used; tokens issued from it are revoked")
	}
	if !now.Before(c.ExpiresAt) {
		return nil, errors.New("code expired")
	}
	var rows []authRequestRow
	if err := db.Where("id = ? AND issuer = ?", c.RequestID, s.issuer).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("auth request %w", errNotFound)
	}
	return s.request(&rows[0]), nil
}

// DeleteAuthRequest is called once tokens were issued for a request.
func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Where("id = ? AND issuer = ?", id, s.issuer).Delete(&authRequestRow{}).Error
}
