package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"golang.org/x/oauth2"

	"github.com/accessrequests/accessrequests/app/sources"
)

// Refresh trades a refresh token for new tokens at the source's token
// endpoint (RFC 6749 section 6). shop fills the {shop} of a Shopify-like
// source and is validated before any request. The refresh token is sent
// once: never again after a 5xx, a timeout or an unreadable answer, since
// the provider may have rotated it, and a rotated refresh token presented
// twice revokes the whole grant (RFC 9700 section 4.14.2). The answer's
// RefreshToken is empty when the provider did not send a new one. A refusal
// of the token (invalid_grant) matches ErrInvalidGrant.
func (c *Client) Refresh(ctx context.Context, src *sources.Source, shop, refreshToken string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, &Error{Kind: KindToken, Code: "no_refresh_token", Description: "The account has no refresh token."}
	}
	if NeedsShop(src) && !shopPattern.MatchString(shop) {
		return nil, &Error{Kind: KindInput, Code: "invalid_shop", Description: "The account's store address is not valid."}
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.HTTP)
	tok, err := refreshOnce(ctx, src, c.config(src, &Flow{Shop: shop}), refreshToken)
	if err != nil {
		err = tokenError(err)
		c.logUnreachable(ctx, src, "refresh", err)
		return nil, err
	}
	out := &Tokens{AccessToken: tok.AccessToken}
	// oauth2 hands back the old refresh token when the provider sends none.
	if tok.RefreshToken != refreshToken {
		out.RefreshToken = tok.RefreshToken
	}
	switch {
	case tok.ExpiresIn > 0:
		out.ExpiresIn = time.Duration(tok.ExpiresIn) * time.Second
	case !tok.Expiry.IsZero(): // a form-encoded answer
		out.ExpiresIn = max(time.Until(tok.Expiry).Round(time.Second), time.Second)
	}
	return out, nil
}

// RefreshAccount refreshes a connected account of one of the catalog's
// sources: extra is the account's provider details (JSON) as Exchange
// returned them, where Shopify's shop is read from.
func (c *Client) RefreshAccount(ctx context.Context, cat *sources.Catalog, sourceKey, extra, refreshToken string) (*Tokens, error) {
	src := cat.Get(sourceKey)
	if src == nil {
		return nil, &Error{Kind: KindToken, Code: "unknown_source", Description: "The account's source is no longer in the catalog."}
	}
	var details struct {
		Shop string `json:"shop"`
	}
	_ = json.Unmarshal([]byte(extra), &details) // no shop: Refresh refuses a source that needs one
	return c.Refresh(ctx, src, details.Shop, refreshToken)
}

// refreshOnce is exchangeOnce for a refresh token: the client
// authenticated as the source's token_auth says, and for a source that does
// not say, a second send with the credentials in the form body only when
// the provider refused the client itself (invalid_client or a bare 401),
// which it does before looking at the refresh token. oauth2's
// auto-detection would resend the refresh token after any failure.
func refreshOnce(ctx context.Context, src *sources.Source, cfg *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	send := func(style oauth2.AuthStyle) (*oauth2.Token, error) {
		cfg.Endpoint.AuthStyle = style
		// An expired token without an access token: the token source asks
		// the token endpoint with grant_type=refresh_token, once.
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}).Token()
	}
	style, guess := authStyle(src)
	tok, err := send(style)
	if guess && clientRefused(err) {
		tok, err = send(oauth2.AuthStyleInParams)
	}
	return tok, err
}

// Tokens is a provider's answer to a refresh.
type Tokens struct {
	AccessToken string
	// RefreshToken is the new refresh token when the provider rotates it;
	// empty when it sent none, and the old one stays.
	RefreshToken string
	// ExpiresIn is the access token's lifetime from now; zero when the
	// provider does not say.
	ExpiresIn time.Duration
}

// ErrInvalidGrant matches (errors.Is) the *Error of a token endpoint that
// refused the code or the refresh token (invalid_grant).
var ErrInvalidGrant = errors.New("invalid_grant")

// Is lets callers recognize a refused refresh token with
// errors.Is(err, ErrInvalidGrant).
func (e *Error) Is(target error) bool {
	return target == ErrInvalidGrant && e.Kind == KindToken && e.Code == "invalid_grant"
}
