// Package sources is the catalog of OAuth sources an access link can ask
// for: catalog.yaml (compiled into catalog_gen.go), extended or overridden
// by an operator's SOURCES_FILE.
package sources

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

// The built-in catalog is catalog.yaml, compiled into catalog_gen.go.
//go:generate go run ./gencatalog

// Scope is one permission a source asks for, in plain words.
type Scope struct {
	Name        string `yaml:"name"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Access      string `yaml:"access"` // read or write
	// Optional scopes may be refused by the account owner without failing
	// the connection.
	Optional bool `yaml:"optional"`
	// Translations are the title and description in other languages, keyed
	// by BCP 47 tag ("de", "pt-BR"); a missing one falls back to English.
	Translations map[string]ScopeTranslation `yaml:"translations"`
}

// KeepsAccess reports whether the scope asks to keep access while the
// account owner is away (OpenID Connect's offline_access: a refresh
// token) rather than for data: the consent page does not badge it "Read
// only".
func (sc Scope) KeepsAccess() bool { return sc.Name == "offline_access" }

// ScopeTranslation is a scope's words in one language.
type ScopeTranslation struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
}

// normalizeTranslations keys the translations by canonical BCP 47 tags
// ("pt-br" becomes "pt-BR") and reports keys that are not language tags
// and translations without a title.
func (sc *Scope) normalizeTranslations() []string {
	if len(sc.Translations) == 0 {
		return nil
	}
	var problems []string
	out := make(map[string]ScopeTranslation, len(sc.Translations))
	for k, tr := range sc.Translations {
		t, err := language.Parse(k)
		if err != nil {
			problems = append(problems, fmt.Sprintf("scope %q: translation %q is not a language tag", sc.Name, k))
			continue
		}
		if tr.Title == "" {
			problems = append(problems, fmt.Sprintf("scope %q: translation %q needs a title", sc.Name, k))
		}
		out[t.String()] = tr
	}
	sc.Translations = out
	return problems
}

// Translation is the scope's words in language t: an exact tag first
// ("pt-BR"), then the base language ("pt" for "pt-BR").
func (sc Scope) Translation(t language.Tag) (ScopeTranslation, bool) {
	if tr, ok := sc.Translations[t.String()]; ok {
		return tr, true
	}
	base, _ := t.Base()
	tr, ok := sc.Translations[base.String()]
	return tr, ok
}

// Identity says how to name the connected account.
type Identity struct {
	UserinfoURL string `yaml:"userinfo_url"`
	IDToken     bool   `yaml:"id_token"`
	IDField     string `yaml:"id_field"`
	NameField   string `yaml:"name_field"`
	EmailField  string `yaml:"email_field"`
	// IntrospectURL, when set, names the account instead of userinfo_url:
	// the access token is POSTed as "token" (RFC 7662), with the client
	// authenticated as token_auth says.
	IntrospectURL string `yaml:"introspect_url"`
	// GraphQL, when set, makes the user-info request a POST of
	// {"query": GraphQL} to userinfo_url (Shopify's Admin API).
	GraphQL string `yaml:"graphql"`
}

// Source is one entry of the catalog.
type Source struct {
	Key      string `yaml:"key"`
	Name     string `yaml:"name"`
	Category string `yaml:"category"`
	Logo     string `yaml:"logo"`
	AuthURL  string `yaml:"auth_url"`
	TokenURL string `yaml:"token_url"`
	Issuer   string `yaml:"issuer"`
	JWKSURL  string `yaml:"jwks_url"`
	// ScopeSeparator is " " (RFC 6749) unless the provider wants ",".
	ScopeSeparator string            `yaml:"scope_separator"`
	Quirks         []string          `yaml:"quirks"`
	PKCE           *bool             `yaml:"pkce"`
	AuthParams     map[string]string `yaml:"auth_params"`
	Scopes         []Scope           `yaml:"scopes"`
	Identity       Identity          `yaml:"identity"`
	Sandbox        bool              `yaml:"sandbox"`
	// FromFile marks a source defined or overridden by SOURCES_FILE: the
	// built-in translations of its scopes do not apply to it.
	FromFile bool `yaml:"-"`

	// TokenAuth is how the client authenticates at the token endpoint, for
	// the code exchange and every refresh: TokenAuthBasic or TokenAuthPost.
	// Unset, HTTP Basic is tried first and the body only after the
	// provider refuses the client.
	TokenAuth string `yaml:"token_auth"`
	// TokenParams are extra parameters of the code exchange request.
	TokenParams map[string]string `yaml:"token_params"`
	// RevokeURL is the provider's token revocation endpoint (disconnect).
	RevokeURL string `yaml:"revoke_url"`
	// RevokeHelpURL is the provider's own page that tells the account
	// owner how to revoke an app's access; the consent page links to it.
	RevokeHelpURL string `yaml:"revoke_help_url"`
	// AccessDays is the provider's limit on how long access lasts, in days,
	// even when nobody revokes it (Facebook's long-lived tokens: about 60);
	// 0 means access lasts until it is revoked.
	AccessDays int `yaml:"access_days"`
	// IssuerAliases are other spellings of Issuer the provider puts in ID
	// tokens and callbacks (Google: accounts.google.com).
	IssuerAliases []string `yaml:"issuer_aliases"`
	// APIVersion fills {api_version} in every URL of the source, so a
	// provider's API version is kept in one place.
	APIVersion string `yaml:"api_version"`
	// PermissionsURL lists the permissions the user granted, for providers
	// whose token response carries no scope (Facebook's /me/permissions:
	// {"data":[{"permission":..., "status":"granted"}]}).
	PermissionsURL string `yaml:"permissions_url"`

	// ClientID and ClientSecret come from the environment, never from YAML.
	ClientID     string `yaml:"-"`
	ClientSecret string `yaml:"-"`
}

// Client authentication at the token endpoint (token_auth).
const (
	TokenAuthBasic = "basic" // HTTP Basic (RFC 6749 section 2.3.1)
	TokenAuthPost  = "post"  // client_id and client_secret in the form body
)

// Provider quirks a source can name in its quirks list.
const (
	QuirkShopifyHMAC       = "shopify"             // shop domain input, hmac on the callback
	QuirkFacebookLongLived = "facebook_long_lived" // trade for a long-lived token
	QuirkQuickBooksRealm   = "quickbooks_realm"    // keep realmId from the callback
	QuirkXeroTenants       = "xero_tenants"        // read the tenant list after connecting
)

var knownQuirks = map[string]bool{QuirkShopifyHMAC: true, QuirkFacebookLongLived: true, QuirkQuickBooksRealm: true, QuirkXeroTenants: true}

// Has reports whether the source has a quirk.
func (s *Source) Has(quirk string) bool {
	for _, q := range s.Quirks {
		if q == quirk {
			return true
		}
	}
	return false
}

// UsesPKCE reports whether the flow sends a PKCE challenge (default true).
func (s *Source) UsesPKCE() bool { return s.PKCE == nil || *s.PKCE }

// Configured reports whether the source has credentials (client ID and
// secret) and can be chosen.
func (s *Source) Configured() bool { return s.ClientID != "" && s.ClientSecret != "" }

// NotConfiguredReason explains to an admin why a source cannot be chosen.
func (s *Source) NotConfiguredReason() string {
	if s.Configured() {
		return ""
	}
	env := "SOURCE_" + strings.ToUpper(s.Key)
	return "Not configured: set " + env + "_CLIENT_ID and " + env + "_CLIENT_SECRET"
}

// ScopeNames lists the scope names in catalog order.
func (s *Source) ScopeNames() []string {
	out := make([]string, len(s.Scopes))
	for i, sc := range s.Scopes {
		out[i] = sc.Name
	}
	return out
}

// Catalog is the set of sources known to this process. It is read-only after
// Load and safe for concurrent use.
type Catalog struct {
	byKey map[string]*Source
	order []*Source
}

type file struct {
	Sources []Source `yaml:"sources"`
}

// Options control Load.
type Options struct {
	// File names an operator's YAML file that adds or overrides sources.
	File string
	// Getenv reads credentials; nil means os.Getenv.
	Getenv func(string) string
	// Sandbox enables the sandbox source (outside production only) with the
	// base URL of its authorization server.
	SandboxURL string
	// SandboxSecret is the sandbox client's secret.
	SandboxSecret string
	// Production refuses plain-http URLs even for loopback hosts.
	Production bool
}

// SandboxClientID is the client the sandbox authorization server knows.
const SandboxClientID = "accessrequests-sandbox"

// Load reads the built-in catalog, merges Options.File over it and fills
// credentials from the environment.
func Load(opt Options) (*Catalog, error) {
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	// catalog.yaml as generated Go: decoding the YAML was the slowest
	// step of a start (about 3 ms).
	entries := builtinSources()
	if opt.File != "" {
		raw, err := os.ReadFile(opt.File)
		if err != nil {
			return nil, fmt.Errorf("SOURCES_FILE: %w", err)
		}
		var extra file
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&extra); err != nil {
			return nil, fmt.Errorf("SOURCES_FILE %s: %w", opt.File, fileProblems(err))
		}
		seen := map[string]bool{}
		for _, s := range extra.Sources {
			if seen[s.Key] {
				return nil, fmt.Errorf("SOURCES_FILE %s: source %q is listed twice", opt.File, s.Key)
			}
			seen[s.Key] = true
			s.FromFile = true
			replaced := false
			for i := range entries {
				if entries[i].Key == s.Key {
					entries[i] = s
					replaced = true
				}
			}
			if !replaced {
				entries = append(entries, s)
			}
		}
	}

	c := &Catalog{byKey: map[string]*Source{}}
	var problems []error
	for i := range entries {
		s := entries[i]
		if s.Sandbox && opt.SandboxURL == "" {
			continue // the sandbox exists only outside production
		}
		if err := s.validate(opt.Production); err != nil {
			problems = append(problems, err)
			continue
		}
		if _, dup := c.byKey[s.Key]; dup {
			problems = append(problems, fmt.Errorf("source %q is listed twice", s.Key))
			continue
		}
		if s.Sandbox {
			s.AuthURL = strings.ReplaceAll(s.AuthURL, "{sandbox}", opt.SandboxURL)
			s.TokenURL = strings.ReplaceAll(s.TokenURL, "{sandbox}", opt.SandboxURL)
			s.Issuer = opt.SandboxURL
			s.JWKSURL = strings.ReplaceAll(s.JWKSURL, "{sandbox}", opt.SandboxURL)
			s.Identity.UserinfoURL = strings.ReplaceAll(s.Identity.UserinfoURL, "{sandbox}", opt.SandboxURL)
			s.Identity.IntrospectURL = strings.ReplaceAll(s.Identity.IntrospectURL, "{sandbox}", opt.SandboxURL)
			s.RevokeURL = strings.ReplaceAll(s.RevokeURL, "{sandbox}", opt.SandboxURL)
			s.ClientID = SandboxClientID
			s.ClientSecret = opt.SandboxSecret
		} else {
			env := "SOURCE_" + strings.ToUpper(s.Key)
			s.ClientID = strings.TrimSpace(opt.Getenv(env + "_CLIENT_ID"))
			s.ClientSecret = strings.TrimSpace(opt.Getenv(env + "_CLIENT_SECRET"))
		}
		c.byKey[s.Key] = &s
		c.order = append(c.order, &s)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	sort.SliceStable(c.order, func(i, j int) bool {
		if c.order[i].Category != c.order[j].Category {
			return c.order[i].Category < c.order[j].Category
		}
		return c.order[i].Name < c.order[j].Name
	})
	return c, nil
}

// fileProblems words a decoding error of the sources file for the person
// who wrote it: "line 3: unknown field "nme"", not the Go type it missed.
func fileProblems(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		if before, rest, ok := strings.Cut(e, "field "); ok {
			if name, _, ok := strings.Cut(rest, " not found in type "); ok {
				e = before + "unknown field " + strconv.Quote(name)
			}
		}
		lines[i] = e
	}
	return errors.New(strings.Join(lines, "; "))
}

var keyPattern = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// IsKey reports whether s has the form every source's key must have, so
// that a filter can refuse what no source can be called.
func IsKey(s string) bool { return keyPattern.MatchString(s) }

func (s *Source) validate(production bool) error {
	var problems []string
	if !keyPattern.MatchString(s.Key) {
		problems = append(problems, "key must be 1-40 of a-z, 0-9 and _")
	}
	if strings.TrimSpace(s.Name) == "" {
		problems = append(problems, "name is required")
	}
	if s.Category == "" {
		s.Category = "Other"
	}
	for _, f := range []struct{ field, raw string }{{"auth_url", s.AuthURL}, {"token_url", s.TokenURL}} {
		if f.raw == "" {
			problems = append(problems, f.field+" is required")
		}
	}
	problems = append(problems, s.checkURLs(production)...)
	problems = append(problems, s.checkAuthParams()...)
	if s.AccessDays < 0 {
		problems = append(problems, "access_days must not be negative")
	}
	if len(s.Scopes) == 0 {
		problems = append(problems, "at least one scope is required")
	}
	for i, sc := range s.Scopes {
		if sc.Name == "" || sc.Title == "" {
			problems = append(problems, fmt.Sprintf("scope %d needs a name and a title", i+1))
		}
		problems = append(problems, s.Scopes[i].normalizeTranslations()...)
		switch sc.Access {
		case "":
			s.Scopes[i].Access = "read"
		case "read", "write":
		default:
			problems = append(problems, fmt.Sprintf("scope %q: access must be read or write", sc.Name))
		}
	}
	if !s.Identity.IDToken && s.Identity.UserinfoURL == "" && s.Identity.IntrospectURL == "" {
		problems = append(problems, "identity needs userinfo_url or id_token: true (or introspect_url)")
	}
	if s.Identity.IDToken && (s.Issuer == "" || s.JWKSURL == "") {
		problems = append(problems, "identity with id_token: true needs issuer and jwks_url")
	}
	switch s.ScopeSeparator {
	case "", " ", ",":
	default:
		problems = append(problems, "scope_separator must be a space or a comma")
	}
	for _, q := range s.Quirks {
		if !knownQuirks[q] {
			problems = append(problems, fmt.Sprintf("unknown quirk %q", q))
		}
	}
	if s.Identity.IDField == "" {
		problems = append(problems, "identity.id_field is required")
	}
	if s.Logo == "" {
		s.Logo = "logos/generic.svg"
	}
	problems = append(problems, s.clientProblems()...)
	if len(problems) > 0 {
		return fmt.Errorf("source %q: %s", s.Key, strings.Join(problems, "; "))
	}
	return nil
}

var apiVersionPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// clientProblems checks the token request and identity fields (token_auth,
// token_params, api_version, revoke_url, permissions_url,
// identity.introspect_url) and fills {api_version} in every URL.
func (s *Source) clientProblems() []string {
	var problems []string
	switch s.TokenAuth {
	case "", TokenAuthBasic, TokenAuthPost:
	default:
		problems = append(problems, fmt.Sprintf("token_auth must be %q or %q, not %q", TokenAuthBasic, TokenAuthPost, s.TokenAuth))
	}
	for k, v := range s.TokenParams {
		if reservedParams[strings.ToLower(k)] || k == "" || v == "" {
			problems = append(problems, fmt.Sprintf("token_params: %q cannot be set here (a protocol parameter, or empty)", k))
		}
	}
	if s.APIVersion != "" && !apiVersionPattern.MatchString(s.APIVersion) {
		problems = append(problems, "api_version must be 1-32 of A-Z, a-z, 0-9, '.', '_' and '-'")
	}
	urls := []*string{&s.AuthURL, &s.TokenURL, &s.JWKSURL, &s.RevokeURL, &s.PermissionsURL, &s.Identity.UserinfoURL, &s.Identity.IntrospectURL}
	for _, u := range urls {
		if strings.Contains(*u, "{api_version}") {
			if s.APIVersion == "" {
				problems = append(problems, "api_version is required: a URL uses {api_version}")
				break
			}
			*u = strings.ReplaceAll(*u, "{api_version}", s.APIVersion)
		}
	}
	for _, iss := range s.IssuerAliases {
		if iss == "" || s.Issuer == "" {
			problems = append(problems, "issuer_aliases need an issuer and may not be empty")
			break
		}
	}
	if s.Identity.GraphQL != "" && s.Identity.UserinfoURL == "" {
		problems = append(problems, "identity.graphql needs identity.userinfo_url")
	}
	return problems
}

// Get returns the source with key, or nil.
func (c *Catalog) Get(key string) *Source { return c.byKey[key] }

// All lists the sources grouped by category, then by name.
func (c *Catalog) All() []*Source { return c.order }

// Unconfigured lists the sources without credentials, which cannot be
// chosen, in catalog order.
func (c *Catalog) Unconfigured() []*Source {
	var out []*Source
	for _, s := range c.order {
		if !s.Configured() {
			out = append(out, s)
		}
	}
	return out
}

// CredentialVars are the environment variables that hold the source's
// client ID and secret.
func (s *Source) CredentialVars() (id, secret string) {
	env := "SOURCE_" + strings.ToUpper(s.Key)
	return env + "_CLIENT_ID", env + "_CLIENT_SECRET"
}

// Group is one category of sources, for the picker.
type Group struct {
	Category string
	Sources  []*Source
}

// Groups lists the sources by category.
func (c *Catalog) Groups() []Group {
	var out []Group
	for _, s := range c.order {
		if len(out) == 0 || out[len(out)-1].Category != s.Category {
			out = append(out, Group{Category: s.Category})
		}
		out[len(out)-1].Sources = append(out[len(out)-1].Sources, s)
	}
	return out
}
