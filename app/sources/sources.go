// Package sources is the catalog of OAuth sources an access link can ask
// for: embedded YAML, extended or overridden by an operator's SOURCES_FILE.
package sources

import (
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed catalog.yaml
var builtin []byte

// Scope is one permission a source asks for, in plain words.
type Scope struct {
	Name        string `yaml:"name"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Access      string `yaml:"access"` // read or write
	// Optional scopes may be refused by the account owner without failing
	// the connection.
	Optional bool `yaml:"optional"`
}

// Identity says how to name the connected account.
type Identity struct {
	UserinfoURL string `yaml:"userinfo_url"`
	IDToken     bool   `yaml:"id_token"`
	IDField     string `yaml:"id_field"`
	NameField   string `yaml:"name_field"`
	EmailField  string `yaml:"email_field"`
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

	// ClientID and ClientSecret come from the environment, never from YAML.
	ClientID     string `yaml:"-"`
	ClientSecret string `yaml:"-"`
}

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
}

// SandboxClientID is the client the sandbox authorization server knows.
const SandboxClientID = "accessrequests-sandbox"

// Load reads the built-in catalog, merges Options.File over it and fills
// credentials from the environment.
func Load(opt Options) (*Catalog, error) {
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	var base file
	if err := yaml.Unmarshal(builtin, &base); err != nil {
		return nil, fmt.Errorf("built-in catalog: %w", err)
	}
	entries := base.Sources
	if opt.File != "" {
		raw, err := os.ReadFile(opt.File)
		if err != nil {
			return nil, fmt.Errorf("SOURCES_FILE: %w", err)
		}
		var extra file
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&extra); err != nil {
			return nil, fmt.Errorf("SOURCES_FILE %s: %w", opt.File, err)
		}
		seen := map[string]bool{}
		for _, s := range extra.Sources {
			if seen[s.Key] {
				return nil, fmt.Errorf("SOURCES_FILE %s: source %q is listed twice", opt.File, s.Key)
			}
			seen[s.Key] = true
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
		if err := s.validate(); err != nil {
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

var keyPattern = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

func (s *Source) validate() error {
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
	for field, raw := range map[string]string{"auth_url": s.AuthURL, "token_url": s.TokenURL} {
		if raw == "" {
			problems = append(problems, field+" is required")
			continue
		}
		probe := strings.NewReplacer("{shop}", "shop.example", "{sandbox}", "https://sandbox.example").Replace(raw)
		u, err := url.Parse(probe)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(s.Sandbox && u.Scheme == "http")) {
			problems = append(problems, field+" must be an https URL")
		}
	}
	if len(s.Scopes) == 0 {
		problems = append(problems, "at least one scope is required")
	}
	for i, sc := range s.Scopes {
		if sc.Name == "" || sc.Title == "" {
			problems = append(problems, fmt.Sprintf("scope %d needs a name and a title", i+1))
		}
		switch sc.Access {
		case "":
			s.Scopes[i].Access = "read"
		case "read", "write":
		default:
			problems = append(problems, fmt.Sprintf("scope %q: access must be read or write", sc.Name))
		}
	}
	if !s.Identity.IDToken && s.Identity.UserinfoURL == "" {
		problems = append(problems, "identity needs userinfo_url or id_token: true")
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
	if len(problems) > 0 {
		return fmt.Errorf("source %q: %s", s.Key, strings.Join(problems, "; "))
	}
	return nil
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
