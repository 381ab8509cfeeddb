// Package sandbox is a standards-compliant OAuth 2.0 / OpenID Connect
// authorization server for use outside production. It lets the whole
// "connect an account" flow run on a fresh machine with no provider
// credentials, and it is the provider the end-to-end tests talk to.
//
// The protocol (discovery, authorization and token endpoints, PKCE, client
// authentication, ID token signing, user info, JWKS) is served by
// github.com/zitadel/oidc/v3/pkg/op. This package only supplies what that
// library leaves to its user: a Storage in the app's database (so any
// number of app processes serve one provider), one confidential client,
// a few sample accounts, and the login/consent page with Allow and Deny.
//
// Policy on top of the library, stricter than it is by default:
//   - authorization code flow only (response_type=code, response_mode query);
//   - PKCE with S256 is required on every authorization request;
//   - a code lives one minute and is exchanged at most once; presenting it
//     again revokes every token issued from it (RFC 6749 section 4.1.2);
//   - refresh tokens rotate on use; presenting a rotated one again revokes
//     the whole grant (RFC 9700 section 4.14.2).
package sandbox

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
)

// Account is a sample account an invitee can pick on the consent page.
type Account struct {
	// ID is the stable identifier, sent as the OpenID Connect `sub` claim.
	ID string
	// Name is sent as `name` (scope profile).
	Name string
	// Email is sent as `email` (scope email).
	Email string
}

// DefaultAccounts are the sample accounts used when Options.Accounts is empty.
var DefaultAccounts = []Account{
	{ID: "sandbox-user-1", Name: "Acme Ads (demo)", Email: "ads@acme.example"},
	{ID: "sandbox-user-2", Name: "Northwind Store (demo)", Email: "owner@northwind.example"},
	{ID: "sandbox-user-3", Name: "Globex Finance (demo)", Email: "finance@globex.example"},
}

// Options configure the provider and its single client.
type Options struct {
	// Issuer is the absolute URL of the provider, without a trailing slash,
	// e.g. "http://localhost:8080/sandbox" or an httptest server URL. It is the
	// `iss` of every token and the base of every endpoint. Plain http is
	// allowed (this is a sandbox).
	Issuer string
	// ClientID identifies the one client the provider knows.
	ClientID string
	// ClientSecret authenticates it at the token endpoint, with
	// client_secret_basic or client_secret_post.
	ClientSecret string
	// RedirectURIs are the client's redirect URIs, matched exactly.
	RedirectURIs []string
	// Accounts are the sample accounts; empty means DefaultAccounts.
	Accounts []Account
	// Scopes the client may request; empty means
	// openid profile email reports.read offline_access. Requested scopes
	// outside this list are dropped from the grant.
	Scopes []string
	// SigningKey signs ID tokens (RS256); nil derives an ECDSA P-256 key
	// (ES256) from ClientSecret and Issuer, so every process given the same
	// options signs with the same key, and tokens survive a restart.
	SigningKey *rsa.PrivateKey
	// DB is the app's database (migrated), where the provider keeps its
	// authorization requests, codes and tokens (tables sandbox_*), so that
	// processes sharing it serve one provider. Nil keeps them in a private
	// in-memory SQLite database, for one process only.
	DB *gorm.DB
	// AccessTokenTTL is how long an access token lives; zero means one
	// hour. From MinAccessTokenTTL to MaxAccessTokenTTL: a few seconds let
	// tests and a fresh machine see tokens expire and be refreshed.
	AccessTokenTTL time.Duration
	// Logger receives the provider library's warnings, without state, codes
	// or tokens, once LogHandler is the default slog handler; nil discards
	// them.
	Logger *slog.Logger
}

// defaultScopes are the scopes the client may request when Options.Scopes is empty.
var defaultScopes = []string{
	oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, "reports.read", oidc.ScopeOfflineAccess,
}

// Lifetimes of what the provider hands out.
const (
	authRequestTTL  = 10 * time.Minute
	codeTTL         = time.Minute
	accessTokenTTL  = time.Hour // unless Options.AccessTokenTTL says otherwise
	idTokenTTL      = time.Hour
	refreshTokenTTL = 30 * 24 * time.Hour
	// maxPending bounds the auth requests kept at once, on top of their expiry.
	maxPending = 10000
)

// Bounds of Options.AccessTokenTTL.
const (
	MinAccessTokenTTL = time.Second
	MaxAccessTokenTTL = 24 * time.Hour
)

// Paths served relative to the issuer, besides those of the op package
// (/.well-known/openid-configuration, /authorize, /authorize/callback,
// /oauth/token, /userinfo, /keys, /revoke, /oauth/introspect, /end_session).
const (
	loginPath     = "/login"
	loggedOutPath = "/logged-out"
	cssPath       = "/assets/sandbox.css"
	authorizePath = "/authorize"
	userinfoPath  = "/userinfo"
)

// New returns an http.Handler that serves the provider at the path of
// Issuer: if Issuer is http://host/sandbox, the handler expects full request
// paths starting with /sandbox/ (so it can be mounted on the app's router
// under /sandbox/* without StripPrefix), and if Issuer has no path it serves
// at the root.
//
// Endpoints, relative to the issuer: /.well-known/openid-configuration,
// /authorize, /oauth/token, /userinfo, /keys, /revoke, /oauth/introspect,
// /end_session (all by the op package), and the consent page /login (GET
// shows it, POST answers Allow or Deny), its /assets/sandbox.css, and
// /logged-out.
func New(opts Options) (http.Handler, error) {
	cfg, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	derived, cryptoKey, err := deriveKeys(cfg.ClientSecret, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("sandbox: derive keys: %w", err)
	}
	var key crypto.Signer = derived
	if cfg.SigningKey != nil {
		key = cfg.SigningKey
	}
	gdb := cfg.DB
	if gdb == nil {
		if gdb, err = privateDB(); err != nil {
			return nil, err
		}
	}
	issuerURL, _ := url.Parse(cfg.Issuer) // validated by normalize
	prefix := issuerURL.Path

	cl := &client{
		id:           cfg.ClientID,
		redirectURIs: slices.Clone(cfg.RedirectURIs),
		scopes:       slices.Clone(cfg.Scopes),
		devMode:      issuerURL.Scheme == "http",
		loginURL:     cfg.Issuer + loginPath,
	}
	store, err := newStorage(cl, gdb, cfg.Issuer, cfg.ClientSecret, cfg.Accounts, key)
	if err != nil {
		return nil, err
	}
	store.accessTTL = cfg.AccessTokenTTL

	config := &op.Config{
		CryptoKey:             cryptoKey,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		// end_session without a registered post-logout URI lands here.
		DefaultLogoutRedirectURI: cfg.Issuer + loggedOutPath,
		SupportedScopes:          slices.Clone(cfg.Scopes),
		SupportedClaims: []string{
			"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "at_hash", "c_hash", "azp",
			"name", "email", "email_verified",
		},
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	providerOpts := []op.Option{
		// Only AES-GCM: the default also accepts legacy unauthenticated AES-CFB
		// ciphertexts, which nothing here ever produces.
		op.WithCrypto(op.NewAES256GCMCrypto(cryptoKey, "sandbox")),
	}
	if cl.devMode {
		providerOpts = append(providerOpts, op.WithAllowInsecure())
	}
	provider, err := op.NewProvider(config, store, op.StaticIssuer(cfg.Issuer), providerOpts...)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}

	ui, err := newUI(provider, store, cl, cfg.Issuer, prefix, cfg.Accounts)
	if err != nil {
		return nil, err
	}

	var protocol http.Handler = noStore(provider)
	if prefix != "" {
		protocol = http.StripPrefix(prefix, protocol)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+loginPath, ui.showLogin)
	mux.HandleFunc("POST "+prefix+loginPath, ui.submitLogin)
	mux.HandleFunc("GET "+prefix+loggedOutPath, ui.loggedOut)
	mux.HandleFunc("GET "+prefix+cssPath, ui.css)
	mux.Handle(prefix+authorizePath, ui.guardAuthorize(protocol))
	mux.Handle(prefix+userinfoPath, noStore(&userinfo{provider: provider, store: store}))
	mux.Handle(prefix+"/", protocol)
	// The library logs through slog.Default(); LogHandler routes what it
	// logs for these requests to logger, without state, codes or tokens.
	return withLogger(logger.Handler(), mux), nil
}

// privateDB opens an in-memory SQLite database with the app's schema, for
// a provider that was given no database. It lives as long as the process.
func privateDB() (*gorm.DB, error) {
	gdb, err := db.OpenMemory()
	if err != nil {
		return nil, fmt.Errorf("sandbox: open a private database: %w", err)
	}
	if err := db.Migrate(context.Background(), gdb, slog.New(slog.DiscardHandler)); err != nil {
		return nil, fmt.Errorf("sandbox: migrate the private database: %w", err)
	}
	return gdb, nil
}

// noStore marks every protocol response as not cacheable: the op package
// does not, and RFC 6749 section 5.1 requires it for token responses.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		next.ServeHTTP(w, r)
	})
}

var issuerPath = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)*$`)

// normalize applies the defaults and reports every problem with the options at once.
func (o Options) normalize() (Options, error) {
	var problems []error
	u, err := url.Parse(o.Issuer)
	switch {
	case o.Issuer == "":
		problems = append(problems, errors.New("Issuer is required"))
	case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		problems = append(problems, fmt.Errorf("Issuer %q must be an absolute http(s) URL", o.Issuer))
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		problems = append(problems, fmt.Errorf("Issuer %q must not have a query, fragment or user info", o.Issuer))
	case strings.HasSuffix(u.Path, "/"):
		problems = append(problems, fmt.Errorf("Issuer %q must not end with a slash", o.Issuer))
	case !issuerPath.MatchString(u.Path) || u.RawPath != "":
		// The path becomes part of ServeMux patterns, where "{" starts a wildcard.
		problems = append(problems, fmt.Errorf("Issuer %q: path segments may only hold letters, digits and . _ ~ -", o.Issuer))
	}
	if o.ClientID == "" {
		problems = append(problems, errors.New("ClientID is required"))
	}
	if o.ClientSecret == "" {
		problems = append(problems, errors.New("ClientSecret is required (the client is confidential)"))
	}
	if len(o.RedirectURIs) == 0 {
		problems = append(problems, errors.New("at least one RedirectURI is required"))
	}
	for _, raw := range o.RedirectURIs {
		ru, err := url.Parse(raw)
		if err != nil || !ru.IsAbs() || ru.Host == "" || ru.Fragment != "" {
			problems = append(problems, fmt.Errorf("RedirectURI %q must be an absolute URL without a fragment", raw))
		}
	}
	o.RedirectURIs = slices.Clone(o.RedirectURIs)

	if len(o.Accounts) == 0 {
		o.Accounts = DefaultAccounts
	}
	o.Accounts = slices.Clone(o.Accounts)
	seen := map[string]bool{}
	for _, a := range o.Accounts {
		if a.ID == "" || a.Name == "" {
			problems = append(problems, fmt.Errorf("account %+v needs an ID and a Name", a))
		}
		if seen[a.ID] {
			problems = append(problems, fmt.Errorf("account ID %q is listed twice", a.ID))
		}
		seen[a.ID] = true
	}

	if len(o.Scopes) == 0 {
		o.Scopes = defaultScopes
	}
	o.Scopes = slices.Clone(o.Scopes)
	for _, s := range o.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			problems = append(problems, fmt.Errorf("scope %q is not a valid scope token", s))
		}
	}
	switch {
	case o.AccessTokenTTL == 0:
		o.AccessTokenTTL = accessTokenTTL
	case o.AccessTokenTTL < MinAccessTokenTTL || o.AccessTokenTTL > MaxAccessTokenTTL:
		problems = append(problems, fmt.Errorf("AccessTokenTTL %v must be from %v to %v", o.AccessTokenTTL, MinAccessTokenTTL, MaxAccessTokenTTL))
	}
	if o.SigningKey != nil {
		if err := o.SigningKey.Validate(); err != nil {
			problems = append(problems, fmt.Errorf("SigningKey: %w", err))
		} else if o.SigningKey.N.BitLen() < 2048 {
			problems = append(problems, errors.New("SigningKey must have at least 2048 bits"))
		}
	}
	if len(problems) > 0 {
		return o, fmt.Errorf("sandbox: invalid options: %w", errors.Join(problems...))
	}
	return o, nil
}
