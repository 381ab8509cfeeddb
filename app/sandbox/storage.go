package sandbox

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
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

// --- tokens (op.AuthStorage) ---

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

// --- keys ---

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
