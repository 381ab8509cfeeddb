package sources_test

import (
	"golang.org/x/text/language"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/sources"
)

const sandboxURL = "http://localhost:8080/sandbox"

// builtinKeys are the real sources the embedded catalog ships with.
var builtinKeys = []string{
	"facebook_ads", "google_ads", "google_analytics", "google_sheets", "hubspot",
	"linkedin_ads", "quickbooks", "shopify", "xero",
}

func noEnv(string) string { return "" }

// envOf is an environment of the variables in vars and no others.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func load(t *testing.T, opt sources.Options) *sources.Catalog {
	t.Helper()
	if opt.Getenv == nil {
		opt.Getenv = noEnv
	}
	c, err := sources.Load(opt)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func keys(c *sources.Catalog) []string {
	var out []string
	for _, s := range c.All() {
		out = append(out, s.Key)
	}
	sort.Strings(out)
	return out
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadBuiltin(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c := load(t, sources.Options{})
		have := map[string]bool{}
		for _, k := range keys(c) {
			have[k] = true
		}
		for _, k := range builtinKeys {
			if !have[k] {
				t.Errorf("built-in source %q missing; catalog has %v", k, keys(c))
			}
		}
		if have["sandbox"] {
			t.Error("sandbox listed without SandboxURL")
		}
		for _, s := range c.All() {
			if s.Name == "" || s.Category == "" || s.Logo == "" || len(s.Scopes) == 0 {
				t.Errorf("%s: incomplete entry %+v", s.Key, s)
			}
			if !strings.HasPrefix(s.AuthURL, "https://") || !strings.HasPrefix(s.TokenURL, "https://") {
				t.Errorf("%s: endpoints must be https: %s %s", s.Key, s.AuthURL, s.TokenURL)
			}
			for _, sc := range s.Scopes {
				if sc.Title == "" || sc.Description == "" || (sc.Access != "read" && sc.Access != "write") {
					t.Errorf("%s: scope %q lacks plain words or access: %+v", s.Key, sc.Name, sc)
				}
			}
			if s.Configured() || s.ClientID != "" || s.ClientSecret != "" {
				t.Errorf("%s: configured without credentials", s.Key)
			}
			if c.Get(s.Key) != s {
				t.Errorf("Get(%q) does not return the listed entry", s.Key)
			}
			if len(s.ScopeNames()) != len(s.Scopes) || s.ScopeNames()[0] != s.Scopes[0].Name {
				t.Errorf("%s: ScopeNames = %v", s.Key, s.ScopeNames())
			}
		}
		if c.Get("nope") != nil || c.Get("") != nil {
			t.Fatal("Get of an unknown key returned a source")
		}
	})

	t.Run("GoogleParams", func(t *testing.T) {
		g := load(t, sources.Options{}).Get("google_ads")
		if g.AuthParams["access_type"] != "offline" || g.AuthParams["prompt"] != "consent" {
			t.Fatalf("google_ads auth_params = %v, want access_type=offline, prompt=consent", g.AuthParams)
		}
		if !g.UsesPKCE() {
			t.Fatal("PKCE must default to on")
		}
	})

	t.Run("ShopifyTemplate", func(t *testing.T) {
		s := load(t, sources.Options{}).Get("shopify")
		if !strings.Contains(s.AuthURL, "{shop}") || !strings.Contains(s.TokenURL, "{shop}") {
			t.Fatalf("shopify URLs must keep the {shop} placeholder: %s %s", s.AuthURL, s.TokenURL)
		}
	})
}

func TestSandbox(t *testing.T) {
	t.Run("AbsentWithoutSandboxURL", func(t *testing.T) {
		if load(t, sources.Options{}).Get("sandbox") != nil {
			t.Fatal("sandbox present without SandboxURL")
		}
	})

	t.Run("PresentWithSandboxURL", func(t *testing.T) {
		c := load(t, sources.Options{SandboxURL: sandboxURL, SandboxSecret: "sb-secret"})
		s := c.Get("sandbox")
		if s == nil {
			t.Fatal("sandbox missing with SandboxURL")
		}
		if !s.Configured() || s.ClientID != sources.SandboxClientID {
			t.Fatalf("sandbox ClientID = %q, want %q", s.ClientID, sources.SandboxClientID)
		}
		if !strings.HasPrefix(s.AuthURL, sandboxURL+"/") || !strings.HasPrefix(s.TokenURL, sandboxURL+"/") {
			t.Fatalf("sandbox endpoints not under %s: %s %s", sandboxURL, s.AuthURL, s.TokenURL)
		}
		if strings.Contains(s.AuthURL+s.TokenURL, "{sandbox}") {
			t.Fatal("sandbox placeholder left in the URLs")
		}
		if n := len(load(t, sources.Options{}).All()); len(c.All()) != n+1 {
			t.Fatalf("%d sources, want %d", len(c.All()), n+1)
		}
	})
}

func TestCredentials(t *testing.T) {
	getenv := envOf(map[string]string{
		"SOURCE_XERO_CLIENT_ID":     " xero-id ",
		"SOURCE_XERO_CLIENT_SECRET": "xero-secret\n",
		// wrong source's variables must not leak
		"SOURCE_GOOGLE_ADS_CLIENT_ID": "google-id",
	})
	c := load(t, sources.Options{Getenv: getenv})

	t.Run("Configured", func(t *testing.T) {
		x := c.Get("xero")
		if !x.Configured() || x.ClientID != "xero-id" || x.ClientSecret != "xero-secret" {
			t.Fatalf("xero = %q/%q configured=%v; want trimmed credentials", x.ClientID, x.ClientSecret, x.Configured())
		}
		if x.NotConfiguredReason() != "" {
			t.Fatalf("NotConfiguredReason = %q for a configured source", x.NotConfiguredReason())
		}
		if g := c.Get("google_ads"); g.ClientID != "google-id" || g.ClientSecret != "" {
			t.Fatalf("google_ads = %q/%q", g.ClientID, g.ClientSecret)
		}
	})

	t.Run("NotConfigured", func(t *testing.T) {
		s := c.Get("google_analytics")
		if s.Configured() {
			t.Fatal("google_analytics configured without credentials")
		}
		reason := s.NotConfiguredReason()
		for _, v := range []string{"SOURCE_GOOGLE_ANALYTICS_CLIENT_ID", "SOURCE_GOOGLE_ANALYTICS_CLIENT_SECRET"} {
			if !strings.Contains(reason, v) {
				t.Errorf("NotConfiguredReason %q does not name %s", reason, v)
			}
		}
	})

	t.Run("DefaultGetenv", func(t *testing.T) {
		t.Setenv("SOURCE_HUBSPOT_CLIENT_ID", "from-os-env")
		c, err := sources.Load(sources.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Get("hubspot").ClientID != "from-os-env" {
			t.Fatalf("ClientID = %q, want the process environment's", c.Get("hubspot").ClientID)
		}
	})
}

const acmeYAML = `
sources:
  - key: acme_crm
    name: Acme CRM
    category: CRM
    auth_url: https://login.acme.example/oauth/authorize
    token_url: https://login.acme.example/oauth/token
    pkce: false
    auth_params: {audience: crm}
    scopes:
      - name: crm.read
        title: Read contacts and deals
        description: Lets the workspace read your contacts. Nothing is changed.
        translations:
          de: {title: Kontakte und Deals lesen, description: Der Arbeitsbereich kann Ihre Kontakte lesen.}
          pt-br: {title: Ler contatos e negócios}
      - name: crm.write
        title: Change deals
        description: Lets the workspace update deal stages.
        access: write
    identity:
      userinfo_url: https://api.acme.example/me
      id_field: data.id
      name_field: data.name
      email_field: data.email
  - key: xero
    name: Xero (EU)
    category: Accounting
    auth_url: https://login.xero.example/authorize
    token_url: https://identity.xero.example/token
    scopes:
      - name: accounting.reports.read
        title: Read your reports
        description: Profit and loss, balance sheet.
        access: read
    identity:
      userinfo_url: https://api.xero.example/connections
      id_field: tenantId
`

func TestSourcesFile(t *testing.T) {
	getenv := envOf(map[string]string{
		"SOURCE_ACME_CRM_CLIENT_ID":     "acme-id",
		"SOURCE_ACME_CRM_CLIENT_SECRET": "acme-secret",
	})
	c := load(t, sources.Options{File: writeFile(t, acmeYAML), Getenv: getenv})

	t.Run("Adds", func(t *testing.T) {
		a := c.Get("acme_crm")
		if a == nil {
			t.Fatal("acme_crm not added")
		}
		if a.Name != "Acme CRM" || a.Category != "CRM" || !a.Configured() || a.UsesPKCE() || a.AuthParams["audience"] != "crm" {
			t.Fatalf("acme_crm = %+v", a)
		}
		if a.Scopes[0].Access != "read" || a.Scopes[1].Access != "write" {
			t.Fatalf("scope access = %q, %q; want read (default), write", a.Scopes[0].Access, a.Scopes[1].Access)
		}
		if a.Identity.IDField != "data.id" || a.Identity.UserinfoURL != "https://api.acme.example/me" {
			t.Fatalf("identity = %+v", a.Identity)
		}
		if a.Logo == "" {
			t.Fatal("a source without a logo gets no default logo")
		}
		if n := len(load(t, sources.Options{}).All()); len(c.All()) != n+1 {
			t.Fatalf("%d sources, want %d (one added, one replaced)", len(c.All()), n+1)
		}
	})

	t.Run("Translations", func(t *testing.T) {
		sc := c.Get("acme_crm").Scopes[0]
		if tr, ok := sc.Translation(language.MustParse("de-AT")); !ok || tr.Title != "Kontakte und Deals lesen" {
			t.Errorf("de-AT: %+v %v, want the de translation", tr, ok)
		}
		if tr, ok := sc.Translation(language.BrazilianPortuguese); !ok || tr.Title != "Ler contatos e negócios" {
			t.Errorf("pt-BR (written pt-br): %+v %v", tr, ok)
		}
		if _, ok := sc.Translation(language.French); ok {
			t.Error("fr has no translation")
		}
		if !c.Get("acme_crm").FromFile || !c.Get("xero").FromFile || c.Get("hubspot").FromFile {
			t.Error("FromFile marks the file's sources, and only them")
		}
	})

	t.Run("Overrides", func(t *testing.T) {
		x := c.Get("xero")
		if x.Name != "Xero (EU)" || x.AuthURL != "https://login.xero.example/authorize" || len(x.Scopes) != 1 {
			t.Fatalf("xero not overridden: %+v", x)
		}
		n := 0
		for _, s := range c.All() {
			if s.Key == "xero" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("xero listed %d times, want once", n)
		}
	})

	t.Run("DefaultCategory", func(t *testing.T) {
		body := strings.Replace(acmeYAML, "    category: CRM\n", "", 1)
		c := load(t, sources.Options{File: writeFile(t, body)})
		if got := c.Get("acme_crm").Category; got != "Other" {
			t.Fatalf("Category = %q, want Other", got)
		}
	})

	t.Run("ErrMissingFile", func(t *testing.T) {
		_, err := sources.Load(sources.Options{File: filepath.Join(t.TempDir(), "nope.yaml"), Getenv: noEnv})
		if err == nil || !strings.Contains(err.Error(), "SOURCES_FILE") {
			t.Fatalf("err = %v, want an error naming SOURCES_FILE", err)
		}
	})
}

func TestSourcesFileInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"ErrBadKey", "key: acme_crm", "key: Acme-CRM", []string{`"Acme-CRM"`, "key must be"}},
		{"ErrHTTPURL", "auth_url: https://login.acme.example", "auth_url: http://login.acme.example", []string{`"acme_crm"`, "auth_url must be an https URL"}},
		{"ErrRelativeURL", "token_url: https://login.acme.example/oauth/token", "token_url: /oauth/token", []string{`"acme_crm"`, "token_url must be an https URL"}},
		{"ErrNoName", "name: Acme CRM", "name: ' '", []string{`"acme_crm"`, "name is required"}},
		{"ErrNoIdentity", "userinfo_url: https://api.acme.example/me", "id_token: false", []string{`"acme_crm"`, "userinfo_url or id_token"}},
		{"ErrBadAccess", "access: write", "access: admin", []string{`"crm.write"`, "read or write"}},
		// Named by its line and field, not by the Go type that lacks it.
		{"ErrUnknownField", "pkce: false", "pkce: false\n    client_secret: leaked", []string{`line 9: unknown field "client_secret"`}},
		{"ErrNoScopes", "", "", []string{`"acme_crm"`, "at least one scope"}},
		{"ErrTranslationTag", "pt-br: {", "not a tag!: {", []string{`"crm.read"`, "not a language tag"}},
		{"ErrTranslationTitle", "pt-br: {title: Ler contatos e negócios}", "pt-br: {description: Só a descrição.}", []string{`"crm.read"`, "needs a title"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(acmeYAML, tc.from, tc.to, 1)
			if tc.name == "ErrNoScopes" {
				start := strings.Index(body, "    scopes:\n")
				end := strings.Index(body, "    identity:\n")
				body = body[:start] + body[end:]
			}
			if body == acmeYAML {
				t.Fatal("test case did not change the file")
			}
			wantLoadError(t, body, tc.want)
		})
	}

	t.Run("ErrEveryEntryReported", func(t *testing.T) {
		body := strings.Replace(acmeYAML, "key: acme_crm", "key: Acme", 1)
		body = strings.Replace(body, "auth_url: https://login.xero.example", "auth_url: http://login.xero.example", 1)
		_, err := sources.Load(sources.Options{File: writeFile(t, body), Getenv: noEnv})
		if err == nil || !strings.Contains(err.Error(), `"Acme"`) || !strings.Contains(err.Error(), `"xero"`) {
			t.Fatalf("err = %v, want both bad entries named", err)
		}
	})

	t.Run("ErrDuplicateKey", func(t *testing.T) {
		// Two entries with one key in SOURCES_FILE: an operator's mistake
		// that must be reported, not settled silently by the last entry.
		i := strings.Index(acmeYAML, "  - key: xero")
		second := strings.Replace(acmeYAML[strings.Index(acmeYAML, "  - key: acme_crm"):i], "name: Acme CRM", "name: Acme CRM (second)", 1)
		body := acmeYAML + second
		c, err := sources.Load(sources.Options{File: writeFile(t, body), Getenv: noEnv})
		if err == nil {
			t.Fatalf("Load succeeded with acme_crm listed twice; kept %q", c.Get("acme_crm").Name)
		}
		if !strings.Contains(err.Error(), "acme_crm") {
			t.Fatalf("error %q does not name the duplicated key", err)
		}
	})

	t.Run("ErrNotYAML", func(t *testing.T) {
		_, err := sources.Load(sources.Options{File: writeFile(t, "sources: [unclosed"), Getenv: noEnv})
		if err == nil || !strings.Contains(err.Error(), "SOURCES_FILE") {
			t.Fatalf("err = %v, want an error naming SOURCES_FILE", err)
		}
	})
}

func TestGroups(t *testing.T) {
	c := load(t, sources.Options{File: writeFile(t, acmeYAML), SandboxURL: sandboxURL})
	groups := c.Groups()
	if len(groups) < 2 {
		t.Fatalf("%d groups, want several", len(groups))
	}
	seen := map[string]bool{}
	total := 0
	for i, g := range groups {
		if seen[g.Category] {
			t.Fatalf("category %q appears in two groups", g.Category)
		}
		seen[g.Category] = true
		if i > 0 && groups[i-1].Category >= g.Category {
			t.Fatalf("groups not sorted: %q before %q", groups[i-1].Category, g.Category)
		}
		if len(g.Sources) == 0 {
			t.Fatalf("group %q is empty", g.Category)
		}
		for j, s := range g.Sources {
			if s.Category != g.Category {
				t.Fatalf("%s (%s) in group %q", s.Key, s.Category, g.Category)
			}
			if j > 0 && g.Sources[j-1].Name > s.Name {
				t.Fatalf("group %q not sorted by name: %q before %q", g.Category, g.Sources[j-1].Name, s.Name)
			}
		}
		total += len(g.Sources)
	}
	if total != len(c.All()) {
		t.Fatalf("groups hold %d sources, catalog %d", total, len(c.All()))
	}
	group := map[string]string{}
	for _, g := range groups {
		for _, s := range g.Sources {
			group[s.Key] = g.Category
		}
	}
	for key, cat := range map[string]string{
		"google_ads": "Advertising", "facebook_ads": "Advertising", "linkedin_ads": "Advertising",
		"google_analytics": "Analytics", "xero": "Accounting", "quickbooks": "Accounting",
		"hubspot": "CRM", "acme_crm": "CRM", "shopify": "E-commerce", "sandbox": "Testing",
	} {
		if group[key] != cat {
			t.Errorf("%s in group %q, want %q", key, group[key], cat)
		}
	}
}

// wantLoadError loads a sources file with body and wants an error that
// mentions each of want.
func wantLoadError(t *testing.T, body string, want []string) {
	t.Helper()
	c, err := sources.Load(sources.Options{File: writeFile(t, body), Getenv: noEnv})
	if err == nil {
		t.Fatalf("Load succeeded (%d sources), want an error", len(c.All()))
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %s", err, w)
		}
	}
}
