package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/oauth"
	"github.com/accessrequests/accessrequests/app/sources"
)

// This file adapts the OAuth client (app/oauth, which knows nothing of the
// domain) to the interfaces the domain declares: access.Exchanger for a
// callback and access.Refresher for token refreshes. It is the one place
// where an oauth.Error becomes an access.Error.

// flowCodes are the access.Error codes of the oauth.Error kinds. An invalid
// input (a shop domain) is an EINVALID.
var flowCodes = map[string]string{
	oauth.KindState:    access.EFLOWSTATE,
	oauth.KindProvider: access.EPROVIDER,
	oauth.KindToken:    access.ETOKEN,
	oauth.KindIdentity: access.EIDENTITY,
	oauth.KindScopes:   access.ESCOPES,
	oauth.KindInput:    access.EINVALID,
}

// oauthError turns an *oauth.Error into the domain's error; anything else
// is returned as it is (an internal error). A refused refresh token still
// matches access.ErrInvalidGrant.
func oauthError(err error) error {
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		return err
	}
	e := &access.Error{Code: flowCodes[oe.Kind], Reason: oe.Code, Message: oe.Description}
	if e.Code == "" {
		e.Code = access.ETOKEN
	}
	if errors.Is(oe, oauth.ErrInvalidGrant) {
		return fmt.Errorf("%w: %w", access.ErrInvalidGrant, e)
	}
	return e
}

// callbackExchange is one provider callback, as access.CompleteFlow asks
// for it. flow is nil when the browser holds no flow.
type callbackExchange struct {
	client *oauth.Client
	src    *sources.Source
	flow   *oauth.Flow
	query  url.Values
	now    time.Time
}

func (s *Server) exchange(f *flowState, q url.Values) *callbackExchange {
	x := &callbackExchange{client: s.oauth, query: q, now: s.svc.Clock()}
	if f != nil {
		x.flow, x.src = &f.Flow, s.svc.Sources().Get(f.Source)
	}
	return x
}

// Flow checks the callback's state against the browser's flow.
func (x *callbackExchange) Flow() (access.FlowRef, error) {
	if err := oauth.CheckState(x.flow, x.query.Get("state"), x.now); err != nil {
		return access.FlowRef{}, oauthError(err)
	}
	if x.src == nil {
		return access.FlowRef{}, oauthError(&oauth.Error{Kind: oauth.KindState, Code: "unknown_source", Description: "This source is no longer available."})
	}
	return access.FlowRef{LinkID: x.flow.LinkID, State: x.flow.State}, nil
}

// Verify applies the source's checks to the callback (issuer, shop, hmac).
func (x *callbackExchange) Verify() error {
	if err := oauth.VerifyCallback(x.src, x.flow, x.query); err != nil {
		return oauthError(err)
	}
	return nil
}

// ProviderError is the provider's error in the callback, if any.
func (x *callbackExchange) ProviderError() error {
	if err := oauth.ProviderError(x.query); err != nil {
		return oauthError(err)
	}
	return nil
}

// Exchange trades the callback's code for the account's identity.
func (x *callbackExchange) Exchange(ctx context.Context) (*access.Identity, error) {
	id, err := x.client.Exchange(ctx, x.src, x.flow, x.query)
	if err != nil {
		return nil, oauthError(err)
	}
	return &access.Identity{SourceKey: id.SourceKey, ExternalID: id.ExternalID, DisplayName: id.DisplayName, Email: id.Email,
		Scopes: id.Scopes, Extra: id.Extra, AccessToken: id.AccessToken, RefreshToken: id.RefreshToken, Expiry: id.Expiry}, nil
}

// Refresher refreshes connected accounts with client, for
// access.Service.AccessToken.
func Refresher(client *oauth.Client, cat *sources.Catalog) access.Refresher {
	return func(ctx context.Context, req access.RefreshRequest) (*access.Tokens, error) {
		tok, err := client.RefreshAccount(ctx, cat, req.SourceKey, req.Extra, req.RefreshToken)
		if err != nil {
			return nil, oauthError(err)
		}
		return &access.Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresIn: tok.ExpiresIn}, nil
	}
}

// Revoker revokes connected accounts' tokens at their providers with
// client, for access.Service.DisconnectAccount.
func Revoker(client *oauth.Client, cat *sources.Catalog) access.Revoker {
	return func(ctx context.Context, req access.RevokeRequest) error {
		return client.RevokeAccount(ctx, cat, req.SourceKey, req.Extra, req.Token, req.TokenTypeHint)
	}
}
