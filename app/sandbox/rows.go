package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// The rows of the sandbox's tables (migration 00010), and the sealing of
// the client's values in them.

type authRequestRow struct {
	ID                  string    `gorm:"column:id;primaryKey"`
	Issuer              string    `gorm:"column:issuer"`
	ClientID            string    `gorm:"column:client_id"`
	RedirectURI         string    `gorm:"column:redirect_uri"`
	State               string    `gorm:"column:state"`
	Nonce               string    `gorm:"column:nonce"`
	Scopes              string    `gorm:"column:scopes"`
	ResponseType        string    `gorm:"column:response_type"`
	ResponseMode        string    `gorm:"column:response_mode"`
	CodeChallenge       string    `gorm:"column:code_challenge"`
	CodeChallengeMethod string    `gorm:"column:code_challenge_method"`
	LoginHint           string    `gorm:"column:login_hint"`
	Subject             string    `gorm:"column:subject"`
	AuthTime            time.Time `gorm:"column:auth_time"`
	Done                bool      `gorm:"column:done"`
	CodeIssued          bool      `gorm:"column:code_issued"`
	ExpiresAt           time.Time `gorm:"column:expires_at"`
}

func (authRequestRow) TableName() string { return "sandbox_auth_requests" }

func (s *storage) request(r *authRequestRow) *authRequest {
	a := &authRequest{
		id:           r.ID,
		clientID:     r.ClientID,
		redirectURI:  r.RedirectURI,
		state:        s.openText(r.ID, r.State),
		nonce:        s.openText(r.ID, r.Nonce),
		scopes:       splitScopes(r.Scopes),
		responseType: oidc.ResponseType(r.ResponseType),
		responseMode: oidc.ResponseMode(r.ResponseMode),
		loginHint:    s.openText(r.ID, r.LoginHint),
		expires:      r.ExpiresAt,
		subject:      r.Subject,
		done:         r.Done,
		codeIssued:   r.CodeIssued,
	}
	if !r.AuthTime.IsZero() {
		a.authTime = r.AuthTime
	}
	if r.CodeChallenge != "" {
		a.codeChallenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: oidc.CodeChallengeMethod(r.CodeChallengeMethod)}
	}
	return a
}

// codeRow is an issued authorization code. Once used it stays until
// forget, so that a replay is recognised and the grant revoked.
type codeRow struct {
	CodeHash  string    `gorm:"column:code_hash;primaryKey"`
	Issuer    string    `gorm:"column:issuer"`
	RequestID string    `gorm:"column:request_id"`
	Used      bool      `gorm:"column:used"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
	ForgetAt  time.Time `gorm:"column:forget_at"`
}

func (codeRow) TableName() string { return "sandbox_codes" }

// tokenRow is an access token, a refresh token or a used refresh token.
type tokenRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	Issuer    string    `gorm:"column:issuer"`
	Kind      string    `gorm:"column:kind"`
	GrantID   string    `gorm:"column:grant_id"`
	ClientID  string    `gorm:"column:client_id"`
	Subject   string    `gorm:"column:subject"`
	Scopes    string    `gorm:"column:scopes"`
	AuthTime  time.Time `gorm:"column:auth_time"`
	IssuedAt  time.Time `gorm:"column:issued_at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (tokenRow) TableName() string { return "sandbox_tokens" }

// revokedRow refuses new tokens for a grant until UntilAt.
type revokedRow struct {
	GrantID string    `gorm:"column:grant_id;primaryKey"`
	Issuer  string    `gorm:"column:issuer"`
	UntilAt time.Time `gorm:"column:until_at"`
}

func (revokedRow) TableName() string { return "sandbox_revoked_grants" }

// sealText encrypts a field of the auth request id (bound to it), as
// base64url of the nonce and the ciphertext.
func (s *storage) sealText(id, text string) string {
	nonce := make([]byte, s.seal.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.seal.Seal(nonce, nonce, []byte(text), []byte(id)))
}

// openText decrypts what sealText made; anything else reads as "".
func (s *storage) openText(id, sealed string) string {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.seal.NonceSize() {
		return ""
	}
	n := s.seal.NonceSize()
	text, err := s.seal.Open(nil, b[:n], b[n:], []byte(id))
	if err != nil {
		return ""
	}
	return string(text)
}
