package oauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"github.com/accessrequests/accessrequests/app/sources"
)

// idTokenClaims verifies the ID token (signature against the provider's
// keys, issuer, audience, expiry, nonce) and returns its claims.
func (c *Client) idTokenClaims(ctx context.Context, src *sources.Source, f *Flow, tok *oauth2.Token) (map[string]any, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, &Error{Kind: KindIdentity, Code: "no_id_token", Description: "The provider did not send an ID token."}
	}
	keys := rp.NewRemoteKeySet(c.HTTP, fill(src.JWKSURL, f))
	v := rp.NewIDTokenVerifier(tokenIssuer(src, raw), src.ClientID, keys, rp.WithNonce(func(context.Context) string { return f.Nonce }))
	claims, err := rp.VerifyIDToken[*oidc.IDTokenClaims](ctx, raw, v)
	if err != nil {
		return nil, &Error{Kind: KindIdentity, Code: "invalid_id_token", Description: "The provider's ID token could not be verified."}
	}
	out := map[string]any{}
	b, _ := json.Marshal(claims)
	_ = json.Unmarshal(b, &out)
	return out, nil
}

// tokenIssuer is the issuer an ID token is verified against: the one it
// names when that is the source's issuer or one of its aliases (Google
// writes both https://accounts.google.com and accounts.google.com), else
// the source's issuer, which then fails verification.
func tokenIssuer(src *sources.Source, raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return src.Issuer
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Iss string `json:"iss"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		return src.Issuer
	}
	if knownIssuer(src, claims.Iss) {
		return claims.Iss
	}
	return src.Issuer
}

// knownIssuer reports whether iss is the source's issuer or an alias.
func knownIssuer(src *sources.Source, iss string) bool {
	if iss == src.Issuer {
		return true
	}
	for _, a := range src.IssuerAliases {
		if iss == a {
			return true
		}
	}
	return false
}

// userinfo reads the account from the source's user-info URL: a GET with
// the access token, or for a GraphQL source a POST of the query.
func (c *Client) userinfo(ctx context.Context, src *sources.Source, f *Flow, tok *oauth2.Token) (map[string]any, error) {
	u := fill(src.Identity.UserinfoURL, f)
	u = strings.ReplaceAll(u, "{access_token}", url.PathEscape(tok.AccessToken))
	method, body := http.MethodGet, io.Reader(nil)
	if src.Identity.GraphQL != "" {
		b, _ := json.Marshal(map[string]string{"query": src.Identity.GraphQL})
		method, body = http.MethodPost, bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, &Error{Kind: KindIdentity, Code: "bad_userinfo_url", Description: "The source's user-info address is not valid."}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if src.Has(sources.QuirkShopifyHMAC) {
		req.Header.Set("X-Shopify-Access-Token", tok.AccessToken)
	} else {
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	var out map[string]any
	if err := c.getJSON(req, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) getJSON(req *http.Request, v any) error {
	res, err := c.HTTP.Do(req)
	if err != nil {
		return &Error{Kind: KindIdentity, Code: "unreachable", Description: "The provider could not be reached to read the account."}
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return &Error{Kind: KindIdentity, Code: fmt.Sprintf("http_%d", res.StatusCode), Description: "The provider refused to say which account was authorized."}
	}
	dec := json.NewDecoder(io.LimitReader(res.Body, 1<<20))
	dec.UseNumber() // numeric account IDs beyond 2^53 keep every digit
	if err := dec.Decode(v); err != nil {
		return &Error{Kind: KindIdentity, Code: "bad_json", Description: "The provider's account details could not be read."}
	}
	return nil
}

// facebookLongLived trades Facebook's short-lived token (about 2 hours)
// for a long-lived one (about 60 days).
func (c *Client) facebookLongLived(ctx context.Context, src *sources.Source, tok *oauth2.Token) (*oauth2.Token, error) {
	q := url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {src.ClientID}, "client_secret": {src.ClientSecret}, "fb_exchange_token": {tok.AccessToken}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fill(src.TokenURL, &Flow{})+"?"+q.Encode(), nil)
	if err != nil {
		return nil, &Error{Kind: KindToken, Code: "long_lived_failed", Description: "The long-lived token could not be requested."}
	}
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := c.getJSON(req, &body); err != nil || body.AccessToken == "" {
		return nil, &Error{Kind: KindToken, Code: "long_lived_failed", Description: "Facebook did not issue a long-lived token."}
	}
	out := &oauth2.Token{AccessToken: body.AccessToken, TokenType: "bearer"}
	if body.ExpiresIn > 0 {
		out.Expiry = time.Now().Add(time.Duration(body.ExpiresIn) * time.Second)
	}
	return out.WithExtra(map[string]any{"scope": tok.Extra("scope")}), nil
}

// XeroConnectionsURL lists the organisations (tenants) a Xero token reaches.
var XeroConnectionsURL = "https://api.xero.com/connections"

func (c *Client) xeroTenants(ctx context.Context, tok *oauth2.Token) ([]map[string]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, XeroConnectionsURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	var conns []struct {
		TenantID   string `json:"tenantId"`
		TenantName string `json:"tenantName"`
		TenantType string `json:"tenantType"`
	}
	if err := c.getJSON(req, &conns); err != nil {
		return nil, err
	}
	if len(conns) == 0 {
		return nil, &Error{Kind: KindIdentity, Code: "no_tenants", Description: "No Xero organisation was shared. Try again and pick at least one organisation."}
	}
	out := make([]map[string]string, len(conns))
	for i, t := range conns {
		out[i] = map[string]string{"id": t.TenantID, "name": t.TenantName, "type": t.TenantType}
	}
	return out, nil
}

// introspect names the account by POSTing the access token to the
// source's introspection endpoint (RFC 7662; HubSpot's token metadata),
// with the client authenticated as the token endpoint wants it.
func (c *Client) introspect(ctx context.Context, src *sources.Source, f *Flow, tok *oauth2.Token) (map[string]any, error) {
	form := url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}
	req, err := clientForm(ctx, src, fill(src.Identity.IntrospectURL, f), form)
	if err != nil {
		return nil, &Error{Kind: KindIdentity, Code: "bad_introspect_url", Description: "The source's introspection address is not valid."}
	}
	req.Header.Set("Accept", "application/json")
	var out map[string]any
	if err := c.getJSON(req, &out); err != nil {
		return nil, err
	}
	if active, ok := out["active"].(bool); ok && !active {
		return nil, &Error{Kind: KindIdentity, Code: "inactive_token", Description: "The provider says the new access token is not active."}
	}
	return out, nil
}

// grantedPermissions reads the permissions the user granted from the
// source's permissions URL (Facebook's /me/permissions), for providers whose
// token response names no scope and whose users may decline any permission.
func (c *Client) grantedPermissions(ctx context.Context, src *sources.Source, f *Flow, tok *oauth2.Token) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fill(src.PermissionsURL, f), nil)
	if err != nil {
		return nil, &Error{Kind: KindScopes, Code: "bad_permissions_url", Description: "The source's permissions address is not valid."}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	var body struct {
		Data []struct {
			Permission string `json:"permission"`
			Status     string `json:"status"`
		} `json:"data"`
	}
	if err := c.getJSON(req, &body); err != nil {
		return nil, &Error{Kind: KindScopes, Code: "permissions_unreadable", Description: "The provider did not say which permissions were granted."}
	}
	granted := []string{}
	for _, p := range body.Data {
		if p.Status == "granted" && p.Permission != "" {
			granted = append(granted, limit(p.Permission, 200))
		}
	}
	return granted, nil
}

// fields reads one or more dot paths separated by spaces ("given_name
// family_name") and joins the values found with a space.
func fields(m map[string]any, paths string) string {
	var parts []string
	for _, p := range strings.Fields(paths) {
		if v := field(m, p); v != "" {
			parts = append(parts, v)
		}
	}
	return limit(strings.Join(parts, " "), 200)
}

// field reads a dot path ("shop.id") from decoded JSON as a string.
func field(m map[string]any, path string) string {
	if path == "" {
		return ""
	}
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = obj[part]
	}
	switch v := cur.(type) {
	case string:
		return limit(v, 200)
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", v), "0"), ".")
	case json.Number:
		return v.String()
	}
	return ""
}
