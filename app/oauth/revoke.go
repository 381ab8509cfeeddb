package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	"github.com/accessrequests/accessrequests/app/sources"
)

// Revoke asks the source's revocation endpoint to revoke one token
// (RFC 7009): a POST of token and token_type_hint, the client
// authenticated as the source's token_auth says (HTTP Basic unless
// "post"). A source without revoke_url has nothing to revoke: nil. The
// error never carries the token or the provider's body, only its status.
func (c *Client) Revoke(ctx context.Context, src *sources.Source, shop, token, hint string) error {
	if src.RevokeURL == "" || token == "" {
		return nil
	}
	if NeedsShop(src) && !shopPattern.MatchString(shop) {
		return &Error{Kind: KindInput, Code: "invalid_shop", Description: "The account's store address is not valid."}
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	req, err := clientForm(ctx, src, fill(src.RevokeURL, &Flow{Shop: shop}), form)
	if err != nil {
		return fmt.Errorf("revocation request: %w", err)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return &Error{Kind: KindProvider, Code: "revoke_unreachable", Description: "The provider's revocation endpoint did not answer."}
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	// RFC 7009 section 2.2: 200 whether or not the token was valid.
	if res.StatusCode/100 != 2 {
		return &Error{Kind: KindProvider, Code: "revoke_failed", Description: fmt.Sprintf("The provider's revocation endpoint answered %d.", res.StatusCode)}
	}
	return nil
}

// RevokeAccount revokes a token of a connected account of one of the
// catalog's sources (extra as for RefreshAccount).
func (c *Client) RevokeAccount(ctx context.Context, cat *sources.Catalog, sourceKey, extra, token, hint string) error {
	src := cat.Get(sourceKey)
	if src == nil {
		return nil // no longer in the catalog: nowhere to revoke
	}
	var details struct {
		Shop string `json:"shop"`
	}
	_ = json.Unmarshal([]byte(extra), &details)
	return c.Revoke(ctx, src, details.Shop, token, hint)
}
