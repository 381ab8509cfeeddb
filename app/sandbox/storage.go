package sandbox

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage keeps everything in memory behind one mutex. It implements
// op.Storage. Expired entries are swept on every write, so memory stays
// bounded without a background goroutine.
//
// Codes and refresh tokens are kept by their SHA-256, never in the clear.
type storage struct {
	now func() time.Time

	client     *client
	secretHash [32]byte
	accounts   map[string]Account
	signing    *signingKey
	public     *publicKey

	mu            sync.Mutex
	authRequests  map[string]*authRequest  // by request ID
	codes         map[string]*codeEntry    // by hash of the code
	accessTokens  map[string]*accessToken  // by token ID
	refreshTokens map[string]*refreshToken // by hash of the token
	usedRefresh   map[string]usedRefresh   // rotated-out refresh tokens, by hash
	revoked       map[string]time.Time     // grant IDs revoked recently, until when
}

// codeEntry is an issued authorization code. Once used it stays known until
// forget, so that a replay is recognised and the grant revoked.
type codeEntry struct {
	requestID string
	expires   time.Time
	forget    time.Time
	used      bool
}

// accessToken is an issued opaque access token; the client holds its ID
// sealed by the op package (AES-GCM).
type accessToken struct {
	id       string
	grantID  string
	clientID string
	subject  string
	scopes   []string
	issued   time.Time
	expires  time.Time
}

// refreshToken is an issued refresh token and the grant it carries.
type refreshToken struct {
	grant   refreshRequest
	expires time.Time
}

// usedRefresh remembers a rotated-out refresh token until it would have
// expired, to detect its reuse.
type usedRefresh struct {
	grantID string
	forget  time.Time
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

var (
	errNotFound     = errors.New("not found or expired")
	errUnknownToken = errors.New("token unknown, expired or revoked")
)

func newStorage(cl *client, secret string, accounts []Account, key *rsa.PrivateKey) (*storage, error) {
	jwk := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.RS256), Use: oidc.KeyUseSignature}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sandbox: signing key thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	s := &storage{
		now:           time.Now,
		client:        cl,
		secretHash:    sha256.Sum256([]byte(secret)),
		accounts:      make(map[string]Account, len(accounts)),
		signing:       &signingKey{id: kid, key: key},
		public:        &publicKey{id: kid, key: &key.PublicKey},
		authRequests:  map[string]*authRequest{},
		codes:         map[string]*codeEntry{},
		accessTokens:  map[string]*accessToken{},
		refreshTokens: map[string]*refreshToken{},
		usedRefresh:   map[string]usedRefresh{},
		revoked:       map[string]time.Time{},
	}
	for _, a := range accounts {
		s.accounts[a.ID] = a
	}
	return s, nil
}

func hashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// sweepLocked drops everything that has expired.
func (s *storage) sweepLocked(now time.Time) {
	sweep(s.authRequests, now, func(r *authRequest) time.Time { return r.expires })
	sweep(s.codes, now, func(c *codeEntry) time.Time { return c.forget })
	sweep(s.accessTokens, now, func(t *accessToken) time.Time { return t.expires })
	sweep(s.refreshTokens, now, func(t *refreshToken) time.Time { return t.expires })
	sweep(s.usedRefresh, now, func(u usedRefresh) time.Time { return u.forget })
	sweep(s.revoked, now, func(until time.Time) time.Time { return until })
}

// sweep deletes the entries of m whose end, by until, is not after now.
func sweep[K comparable, V any](m map[K]V, now time.Time, until func(V) time.Time) {
	for k, v := range m {
		if !now.Before(until(v)) {
			delete(m, k)
		}
	}
}

// revokeGrantLocked invalidates every token issued from one authorization,
// and refuses new ones for it for as long as a code for it could be alive.
func (s *storage) revokeGrantLocked(grantID string, now time.Time) {
	for id, t := range s.accessTokens {
		if t.grantID == grantID {
			delete(s.accessTokens, id)
		}
	}
	for h, t := range s.refreshTokens {
		if t.grant.grantID == grantID {
			delete(s.refreshTokens, h)
		}
	}
	s.revoked[grantID] = now.Add(authRequestTTL)
}

// --- authorization requests (op.AuthStorage) ---

// CreateAuthRequest stores a request the library has validated (client,
// exact redirect URI, response type). The checks here are the sandbox's
// policy; because the redirect URI is already trusted, the library returns
// their errors to the client's redirect_uri.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
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

	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	if len(s.authRequests) >= maxPending {
		return nil, oidc.ErrServerError().WithDescription("Too many pending sign-in requests; try again in a few minutes.")
	}
	r := &authRequest{
		id:            rand.Text(),
		clientID:      req.ClientID,
		redirectURI:   req.RedirectURI,
		state:         req.State,
		nonce:         req.Nonce,
		scopes:        scopes,
		responseType:  req.ResponseType,
		responseMode:  req.ResponseMode,
		codeChallenge: &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod},
		loginHint:     req.LoginHint,
		expires:       now.Add(authRequestTTL),
	}
	s.authRequests[r.id] = r
	return r.clone(), nil
}

// validS256Challenge reports whether c looks like BASE64URL(SHA-256(verifier)).
func validS256Challenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// pendingLocked returns the stored request if the consent page may still act on it.
func (s *storage) pendingLocked(id string, now time.Time) (*authRequest, bool) {
	r, ok := s.authRequests[id]
	if !ok || !now.Before(r.expires) || r.codeIssued {
		return nil, false
	}
	return r, true
}

// AuthRequestByID is called by the callback after the consent page; a
// request whose code was already issued is gone for it.
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.pendingLocked(id, s.now())
	if !ok {
		return nil, fmt.Errorf("auth request %w", errNotFound)
	}
	return r.clone(), nil
}

// pending returns a copy of a request still waiting for Allow or Deny.
func (s *storage) pending(id string) (*authRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.pendingLocked(id, s.now())
	if !ok || r.done {
		return nil, false
	}
	return r.clone(), true
}

// approve records that the invitee allowed the request for accountID.
func (s *storage) approve(id, accountID string) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.pendingLocked(id, now)
	if !ok || r.done {
		return fmt.Errorf("auth request %w", errNotFound)
	}
	if _, ok := s.accounts[accountID]; !ok {
		return errors.New("unknown account")
	}
	r.subject = accountID
	r.authTime = now
	r.done = true
	return nil
}

// deny removes a request the invitee declined and returns it, so that the
// error can be sent to its redirect URI.
func (s *storage) deny(id string) (*authRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.pendingLocked(id, s.now())
	if !ok || r.done {
		return nil, false
	}
	delete(s.authRequests, id)
	return r.clone(), true
}

// SaveAuthCode binds a freshly made code to its request. A request gets one
// code; from then on it lives only as long as that code.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	r, ok := s.pendingLocked(id, now)
	if !ok || !r.done {
		return oidc.ErrInvalidRequest().WithDescription("The authorization was already completed or has expired.")
	}
	r.codeIssued = true
	r.expires = now.Add(codeTTL)
	s.codes[hashKey(code)] = &codeEntry{
		requestID: id,
		expires:   now.Add(codeTTL),
		forget:    now.Add(authRequestTTL),
	}
	return nil
}

// AuthRequestByCode consumes a code: it answers once. It is called before
// the client and the PKCE verifier are checked, so a failed exchange burns
// the code too. A code presented again revokes what was issued from it.
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[hashKey(code)]
	if !ok {
		return nil, fmt.Errorf("code %w", errNotFound)
	}
	if c.used {
		s.revokeGrantLocked(c.requestID, now)
		return nil, errors.New("code already used; tokens issued from it are revoked")
	}
	c.used = true
	if !now.Before(c.expires) {
		return nil, errors.New("code expired")
	}
	r, ok := s.authRequests[c.requestID]
	if !ok {
		return nil, fmt.Errorf("auth request %w", errNotFound)
	}
	return r.clone(), nil
}

// DeleteAuthRequest is called once tokens were issued for a request.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authRequests, id)
	return nil
}
