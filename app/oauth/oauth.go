// Package oauth is the OAuth 2.0 client of every source: it builds
// authorization URLs (PKCE S256, state, OIDC nonce), checks callbacks,
// exchanges codes, reads the account's identity, refreshes tokens and
// applies each provider's quirks. It knows nothing of HTTP routing, the
// database or the domain, and imports only the sources catalog: app/access
// declares the small interfaces it is adapted to (in app/web/oauth.go).
package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/accessrequests/accessrequests/app/sources"
)

// Flow is one authorization attempt, kept in the invitee's browser in an
// encrypted cookie between Start and the callback.
type Flow struct {
	LinkID   string `json:"l"`
	Source   string `json:"s"`
	State    string `json:"st"`
	Verifier string `json:"v,omitempty"`
	Nonce    string `json:"n,omitempty"`
	Shop     string `json:"sh,omitempty"`
	Started  int64  `json:"t"`
	// After the callback: the flow is done, and a repeated callback shows
	// the same result without a second exchange.
	Done    bool   `json:"d,omitempty"`
	Account string `json:"a,omitempty"`
}

// Lifetime is how long a flow may take from Start to the callback.
const Lifetime = 10 * time.Minute

// Error kinds: which step of the flow failed. The domain turns each into a
// code of access.Error (app/web/oauth.go).
const (
	KindState    = "state"    // missing, wrong or expired state: nothing stored
	KindProvider = "provider" // the provider answered with an error (access_denied, ...)
	KindToken    = "token"    // the code exchange failed (5xx, timeout, bad JSON)
	KindIdentity = "identity" // the account's identity could not be read
	KindScopes   = "scopes"   // required scopes were not granted
	KindInput    = "input"    // the invitee's input (shop domain) is invalid
)

// Error is a failed step of the flow. Code and Description come from the
// provider or describe the failure; they never hold tokens or codes. What
// came from the provider is passed on as it came (capped): the domain
// cleans text where it stores or shows it.
type Error struct {
	Kind        string
	Code        string
	Description string
	Missing     []string // for KindScopes
	// class is why a request got no answer (networkClass), for the log.
	class string
}

func (e *Error) Error() string { return e.Kind + ": " + e.Code + ": " + e.Description }

// Client performs the flow for every source.
type Client struct {
	// HTTP sends token, user-info and provider API requests; it has a
	// timeout, so a hanging provider cannot hold a request forever.
	HTTP *http.Client
	// RedirectURI is the one callback for every source.
	RedirectURI string
	// Log takes the WARN line of a provider that could not be reached;
	// slog.Default() when nil.
	Log *slog.Logger
}

// NewClient returns a client with a 15-second timeout.
func NewClient(redirectURI string) *Client {
	return &Client{HTTP: &http.Client{Timeout: 15 * time.Second}, RedirectURI: redirectURI}
}

var shopPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,59}\.myshopify\.com$`)

// NormalizeShop accepts "acme", "acme.myshopify.com" or
// "https://acme.myshopify.com/" and returns "acme.myshopify.com", or an
// input error. Nothing else is ever put into a Shopify URL.
func NormalizeShop(input string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(input))
	s = strings.TrimPrefix(s, "https://")
	s = strings.TrimPrefix(s, "http://")
	s = strings.TrimSuffix(s, "/")
	if s != "" && !strings.Contains(s, ".") {
		s += ".myshopify.com"
	}
	if !shopPattern.MatchString(s) {
		return "", &Error{Kind: KindInput, Code: "invalid_shop", Description: "Enter your store's address, like your-store.myshopify.com."}
	}
	return s, nil
}

// NeedsShop reports whether a source's URLs need the invitee's shop domain.
func NeedsShop(src *sources.Source) bool {
	return strings.Contains(src.AuthURL, "{shop}") || strings.Contains(src.TokenURL, "{shop}")
}

func fill(tmpl string, f *Flow) string {
	return strings.ReplaceAll(tmpl, "{shop}", f.Shop)
}

func (c *Client) config(src *sources.Source, f *Flow) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     src.ClientID,
		ClientSecret: src.ClientSecret,
		RedirectURL:  c.RedirectURI,
		Scopes:       src.ScopeNames(),
		Endpoint:     oauth2.Endpoint{AuthURL: fill(src.AuthURL, f), TokenURL: fill(src.TokenURL, f)},
	}
}

// Begin creates a fresh flow for a link: state, PKCE verifier and (for
// OIDC sources) nonce, each from crypto/rand.
func Begin(linkID string, src *sources.Source, shop string, now time.Time) *Flow {
	f := &Flow{LinkID: linkID, Source: src.Key, State: randomToken(32), Shop: shop, Started: now.Unix()}
	if src.UsesPKCE() {
		f.Verifier = oauth2.GenerateVerifier()
	}
	if src.Identity.IDToken {
		f.Nonce = randomToken(24)
	}
	return f
}

// randomToken is n bytes from crypto/rand, base64url without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthCodeURL is the provider's authorization URL for the flow.
func (c *Client) AuthCodeURL(src *sources.Source, f *Flow) string {
	var opts []oauth2.AuthCodeOption
	if f.Verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(f.Verifier))
	}
	if f.Nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", f.Nonce))
	}
	opts = append(opts, paramOptions(src.AuthParams)...)
	cfg := c.config(src, f)
	if src.ScopeSeparator == "," {
		cfg.Scopes = []string{strings.Join(src.ScopeNames(), ",")}
	}
	return cfg.AuthCodeURL(f.State, opts...)
}

// CheckState compares the callback's state with the flow's in constant
// time and checks the flow's age.
func CheckState(f *Flow, state string, now time.Time) *Error {
	if f == nil || f.State == "" {
		return &Error{Kind: KindState, Code: "missing_state", Description: "This sign-in was not started in this browser, or it took too long."}
	}
	if state == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 {
		return &Error{Kind: KindState, Code: "state_mismatch", Description: "This sign-in does not match the one started in this browser."}
	}
	if now.Sub(time.Unix(f.Started, 0)) > Lifetime {
		return &Error{Kind: KindState, Code: "flow_expired", Description: "This sign-in took longer than 10 minutes."}
	}
	return nil
}

// ProviderError returns the provider's error from a callback query, if any
// (access_denied and the rest of RFC 6749 section 4.1.2.1). The query came
// through the invitee's browser, so its code and description are only what
// the browser reports: capped here, cleaned where the domain stores them.
func ProviderError(q url.Values) *Error {
	code := q.Get("error")
	if code == "" {
		return nil
	}
	return &Error{Kind: KindProvider, Code: limit(code, 64), Description: limit(q.Get("error_description"), 200)}
}

// VerifyCallback applies the source's checks on the callback query before
// anything is exchanged: the issuer (RFC 9207 mix-up defence) and, for
// Shopify, the shop and the hmac signature.
func VerifyCallback(src *sources.Source, f *Flow, q url.Values) error {
	if iss := q.Get("iss"); iss != "" && src.Issuer != "" && !knownIssuer(src, iss) {
		return &Error{Kind: KindState, Code: "issuer_mismatch", Description: "The answer came from a different provider than the one this sign-in started with."}
	}
	if src.Has(sources.QuirkShopifyHMAC) {
		if q.Get("shop") != f.Shop {
			return &Error{Kind: KindState, Code: "shop_mismatch", Description: "The answer came from a different store than the one entered."}
		}
		if !ShopifyHMACValid(q, src.ClientSecret) {
			return &Error{Kind: KindState, Code: "invalid_hmac", Description: "The answer from Shopify could not be verified."}
		}
	}
	return nil
}

// ShopifyHMACValid checks Shopify's hmac parameter: HMAC-SHA256, keyed with
// the client secret, over the other parameters sorted by name.
func ShopifyHMACValid(q url.Values, clientSecret string) bool {
	given, err := hex.DecodeString(q.Get("hmac"))
	if err != nil || len(given) != sha256.Size || clientSecret == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(clientSecret))
	_, _ = io.WriteString(mac, ShopifyMessage(q))
	return hmac.Equal(mac.Sum(nil), given)
}

// ShopifyMessage is the string Shopify signs: every parameter except hmac
// and signature, "key=value" sorted by key and joined with "&", each key
// and value form-encoded the way Shopify's official library does it
// (shopify-api-js stringifyQuery: URLSearchParams), so that a value such as
// the base64 host with "=" padding is signed as "%3D".
func ShopifyMessage(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "hmac" && k != "signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, formEncode(k)+"="+formEncode(strings.Join(q[k], ",")))
	}
	return strings.Join(parts, "&")
}

// formEncode is the WHATWG application/x-www-form-urlencoded serializer
// (what URLSearchParams.toString uses): ASCII letters, digits and "*-._"
// stay, a space becomes "+", every other byte is percent-encoded.
func formEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Identity is what Exchange read from the provider: the account, the
// scopes granted and the tokens. (access.Identity is the domain's copy of
// it; app/web converts one into the other, so neither package imports the
// other.)
type Identity struct {
	SourceKey                      string
	ExternalID, DisplayName, Email string
	Scopes                         []string
	Extra                          string // JSON: provider details (QuickBooks realm, Xero tenants, Shopify shop)
	AccessToken, RefreshToken      string
	Expiry                         time.Time
}

// Exchange trades the code for tokens (once), reads the identity and
// returns what to store. Every failure is an *Error with a kind.
func (c *Client) Exchange(ctx context.Context, src *sources.Source, f *Flow, q url.Values) (*Identity, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.HTTP)
	code := q.Get("code")
	if code == "" {
		return nil, &Error{Kind: KindProvider, Code: "missing_code", Description: "The provider did not send an authorization code."}
	}
	// QuickBooks names the chosen company only on the callback; without it
	// the code is not exchanged, so no grant is left unused at Intuit.
	realm := ""
	if src.Has(sources.QuirkQuickBooksRealm) {
		if realm = limit(q.Get("realmId"), 64); realm == "" {
			return nil, &Error{Kind: KindIdentity, Code: "no_realm", Description: "QuickBooks did not say which company was chosen."}
		}
	}
	var opts []oauth2.AuthCodeOption
	if f.Verifier != "" {
		opts = append(opts, oauth2.VerifierOption(f.Verifier))
	}
	opts = append(opts, paramOptions(src.TokenParams)...)
	tok, err := exchangeOnce(ctx, src, c.config(src, f), code, opts)
	if err != nil {
		err = tokenError(err)
		c.logUnreachable(ctx, src, "exchange", err)
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, &Error{Kind: KindToken, Code: "no_access_token", Description: "The provider answered without an access token."}
	}
	if src.Has(sources.QuirkFacebookLongLived) {
		if tok, err = c.facebookLongLived(ctx, src, tok); err != nil {
			return nil, err
		}
	}

	granted := grantedScopes(src, tok)
	if src.PermissionsURL != "" {
		if granted, err = c.grantedPermissions(ctx, src, f, tok); err != nil {
			return nil, err
		}
	}
	if missing := missingScopes(src, granted); len(missing) > 0 {
		return nil, &Error{Kind: KindScopes, Code: "scopes_missing", Description: "Some permissions were not granted: " + strings.Join(missing, ", "), Missing: missing}
	}

	id := &Identity{SourceKey: src.Key, Scopes: granted, AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
	var claims map[string]any
	switch {
	case src.Identity.IDToken:
		claims, err = c.idTokenClaims(ctx, src, f, tok)
	case src.Identity.IntrospectURL != "":
		claims, err = c.introspect(ctx, src, f, tok)
	default:
		claims, err = c.userinfo(ctx, src, f, tok)
	}
	if err != nil {
		return nil, err
	}
	id.ExternalID = field(claims, src.Identity.IDField)
	id.DisplayName = fields(claims, src.Identity.NameField)
	id.Email = field(claims, src.Identity.EmailField)
	if id.ExternalID == "" {
		return nil, &Error{Kind: KindIdentity, Code: "no_account_id", Description: "The provider did not say which account was authorized."}
	}

	extra := map[string]any{}
	if f.Shop != "" {
		extra["shop"] = f.Shop
	}
	if realm != "" {
		extra["realm_id"] = realm
	}
	if src.Has(sources.QuirkXeroTenants) {
		tenants, err := c.xeroTenants(ctx, tok)
		if err != nil {
			return nil, err
		}
		extra["tenants"] = tenants
	}
	if len(extra) > 0 {
		b, _ := json.Marshal(extra)
		id.Extra = string(b)
	}
	return id, nil
}

// grantedScopes is the scope the token response reports (RFC 6749's
// "scope" string, or HubSpot's "scopes" list), or the requested scopes
// where the provider omits it (RFC 6749 section 5.1).
func grantedScopes(src *sources.Source, tok *oauth2.Token) []string {
	raw, _ := tok.Extra("scope").(string)
	if list, ok := tok.Extra("scopes").([]any); ok && raw == "" {
		out := []string{}
		for _, s := range list {
			if name, ok := s.(string); ok {
				out = append(out, name)
			}
		}
		return out
	}
	if raw == "" {
		return src.ScopeNames()
	}
	return strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == ',' })
}

// identityScopes are granted under other names by some providers (Google
// answers "email" with a URL) and are never required for the data itself.
var identityScopes = map[string]bool{"openid": true, "email": true, "profile": true, "offline_access": true}

func missingScopes(src *sources.Source, granted []string) []string {
	have := map[string]bool{}
	for _, g := range granted {
		have[g] = true
	}
	var missing []string
	for _, s := range src.Scopes {
		if !identityScopes[s.Name] && !s.Optional && !have[s.Name] {
			missing = append(missing, s.Name)
		}
	}
	return missing
}

// limit cuts s to at most n bytes, on a rune boundary.
func limit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// paramOptions is one option a parameter, in the order of their names so
// that requests are the same every time.
func paramOptions(params map[string]string) []oauth2.AuthCodeOption {
	opts := make([]oauth2.AuthCodeOption, 0, len(params))
	for _, k := range slices.Sorted(maps.Keys(params)) {
		opts = append(opts, oauth2.SetAuthURLParam(k, params[k]))
	}
	return opts
}
