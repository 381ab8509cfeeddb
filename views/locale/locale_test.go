package locale

import (
	"io/fs"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"

	"github.com/accessrequests/accessrequests/app/sources"
)

// TestMatch: Accept-Language picks the nearest supported language; a
// region we do not have falls to its language, an unknown one to English.
func TestMatch(t *testing.T) {
	tests := []struct{ header, want string }{
		{"pt-BR,pt;q=0.9,en;q=0.5", "pt-BR"},
		{"pt", "pt-BR"},
		{"pt-PT", "pt-BR"},
		{"de-AT", "de"},
		{"de-DE,de;q=0.9", "de"},
		{"nl-BE", "nl"},
		{"fr-CA", "fr"},
		{"es-MX", "es"},
		{"ja-JP", "en"},
		{"", "en"},
		{"%%%", "en"},
		{"ja, nl;q=0.5", "nl"},
	}
	for _, tc := range tests {
		if got := Match("", tc.header).String(); got != tc.want {
			t.Errorf("Match(%q) = %s, want %s", tc.header, got, tc.want)
		}
	}
}

// TestCookieOverridesHeader: a language chosen on the page wins over the
// browser's; a cookie naming no supported language is ignored.
func TestCookieOverridesHeader(t *testing.T) {
	r := httptest.NewRequest("GET", "/connect/x", nil)
	r.Header.Set("Accept-Language", "de-DE")
	if got := FromRequest(r); got != language.German {
		t.Fatalf("without cookie: %s", got)
	}
	r.Header.Set("Cookie", "lang=fr")
	if got := FromRequest(r); got != language.French {
		t.Errorf("cookie fr, header de: %s", got)
	}
	r.Header.Set("Cookie", "lang=klingon")
	if got := FromRequest(r); got != language.German {
		t.Errorf("unknown cookie: %s, want the header's de", got)
	}
}

// catalog reads one message file as id → plural (a map value) or not.
func catalog(t *testing.T, name string) map[string]bool {
	t.Helper()
	raw, err := files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for k, v := range m {
		_, isPlural := v.(map[string]any)
		out[k] = isPlural
	}
	return out
}

// TestCatalogsComplete: every language has every English message and no
// other; a plural message has each form its language's CLDR rule needs
// (one, many, other: 0, 1, 2, 1000000 all resolve in that language), and
// every message renders without falling back to English.
func TestCatalogsComplete(t *testing.T) {
	en := catalog(t, "messages/active.en.yaml")
	names, _ := fs.Glob(files, "messages/active.*.yaml")
	if len(names) != len(Supported) {
		t.Fatalf("%d catalogs for %d languages", len(names), len(Supported))
	}
	for _, tag := range Supported[1:] {
		name := "messages/active." + tag.String() + ".yaml"
		got := catalog(t, name)
		var missing, extra []string
		for k := range en {
			if _, ok := got[k]; !ok {
				missing = append(missing, k)
			} else if got[k] != en[k] {
				t.Errorf("%s: %s is plural in one language and not the other", name, k)
			}
		}
		for k := range got {
			if _, ok := en[k]; !ok {
				extra = append(extra, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing) > 0 {
			t.Errorf("%s lacks %s", name, strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			t.Errorf("%s has keys English lacks: %s", name, strings.Join(extra, ", "))
		}
		loc := Get(tag).loc
		for id, isPlural := range got {
			counts := []any{nil}
			if isPlural {
				counts = []any{0, 1, 2, 7, 1000000}
			}
			for _, n := range counts {
				_, used, err := loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: map[string]any{"Count": n}})
				if err != nil || used != tag {
					t.Errorf("%s %s (count %v): rendered in %s, %v", tag, id, n, used, err)
				}
			}
		}
	}
}

// TestAdminCatalogEnglishOnly: the admin side's words are one English file
// by design (issue 12: the admin side may stay English), in the same bundle
// as the invitee's, so none of its keys may repeat an invitee key (one
// would silently replace the other). views.TestAdminKeysUsed checks that
// every admin key a view asks for is here and every key here is used.
func TestAdminCatalogEnglishOnly(t *testing.T) {
	names, _ := fs.Glob(files, "messages/admin.*.yaml")
	if len(names) != 1 || names[0] != "messages/admin.en.yaml" {
		t.Fatalf("admin catalogs %v, want only messages/admin.en.yaml", names)
	}
	all, _ := fs.Glob(files, "messages/*.yaml")
	if len(all) != len(Supported)+1 {
		t.Errorf("message files %v: only active.<tag>.yaml and admin.en.yaml belong there", all)
	}
	invitee := catalog(t, "messages/active.en.yaml")
	admin := catalog(t, "messages/admin.en.yaml")
	if len(admin) == 0 {
		t.Fatal("admin.en.yaml is empty")
	}
	en := Get(language.English)
	for id, isPlural := range admin {
		if _, dup := invitee[id]; dup {
			t.Errorf("%s is both an invitee and an admin key", id)
		}
		counts := []any{nil}
		if isPlural {
			counts = []any{0, 1, 2, 1000000}
		}
		for _, n := range counts {
			s, used, err := en.loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: map[string]any{"Count": n}})
			if err != nil || used != language.English || s == "" {
				t.Errorf("admin %s (count %v): %q in %s, %v", id, n, s, used, err)
			}
		}
	}
	// The invitee's English is still filled without go-i18n after the
	// admin file joined its tag.
	if _, ok := en.simple["Brand"]; !ok {
		t.Error("active.en.yaml's simple messages were replaced by admin.en.yaml's")
	}
}

// TestScopeCatalogsComplete: each language has the title and description
// of every scope of every built-in source, and nothing for a scope the
// catalog does not have.
func TestScopeCatalogsComplete(t *testing.T) {
	c, err := sources.Load(sources.Options{Getenv: func(string) string { return "" }, SandboxURL: "http://127.0.0.1:8080/sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range Supported[1:] {
		have := loaded().scopes[tag]
		if have == nil {
			t.Fatalf("no scopes/%s.yaml", tag)
		}
		seen := map[string]bool{}
		for _, src := range c.All() {
			for _, sc := range src.Scopes {
				key := src.Key + " " + sc.Name
				seen[key] = true
				tr, ok := have[src.Key][sc.Name]
				switch {
				case !ok:
					t.Errorf("%s: %s has no translation", tag, key)
				case tr.Title == "" || (sc.Description != "") != (tr.Description != ""):
					t.Errorf("%s: %s: title %q, description %q", tag, key, tr.Title, tr.Description)
				}
				title, _ := Get(tag).Scope(src, sc)
				if ok && title != tr.Title {
					t.Errorf("%s: %s shows %q", tag, key, title)
				}
			}
		}
		for k, scopes := range have {
			for name := range scopes {
				if !seen[k+" "+name] {
					t.Errorf("%s: %s %s is not a built-in scope", tag, k, name)
				}
			}
		}
	}
}

// TestScopeFromFile: a SOURCES_FILE source's own translations win, by
// exact tag or by base language; a source overriding a built-in one does
// not get the built-in words, which may say something else.
func TestScopeFromFile(t *testing.T) {
	sc := sources.Scope{Name: "crm.read", Title: "Read contacts", Description: "Contacts.",
		Translations: map[string]sources.ScopeTranslation{"pt": {Title: "Ler contatos"}, "de": {Title: "Kontakte lesen", Description: "Kontakte."}}}
	src := &sources.Source{Key: "google_ads", FromFile: true}
	if title, desc := Get(language.German).Scope(src, sc); title != "Kontakte lesen" || desc != "Kontakte." {
		t.Errorf("de: %q %q", title, desc)
	}
	if title, desc := Get(language.BrazilianPortuguese).Scope(src, sc); title != "Ler contatos" || desc != "Contacts." {
		t.Errorf("pt-BR from pt: %q %q (a missing description falls back to English)", title, desc)
	}
	if title, _ := Get(language.French).Scope(src, sources.Scope{Name: "openid", Title: "Who"}); title != "Who" {
		t.Errorf("fr for an overridden built-in: %q", title)
	}
	src.FromFile = false
	if title, _ := Get(language.French).Scope(src, sources.Scope{Name: "openid", Title: "Who"}); title != "Savoir qui vous êtes" {
		t.Errorf("fr built-in: %q", title)
	}
}

// TestRelative: durations round the way people read them, in each
// language, with the language's plural forms.
func TestRelative(t *testing.T) {
	now := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		tag  language.Tag
		at   time.Time
		want string
	}{
		{language.English, now.Add(7*24*time.Hour - time.Minute), "in 7 days"},
		{language.English, now.Add(7*24*time.Hour - 11*time.Hour), "in 7 days"},
		{language.English, now.Add(7*24*time.Hour - 13*time.Hour), "in 6 days"},
		{language.English, now.Add(47 * time.Hour), "in 47 hours"},
		{language.English, now.Add(90 * time.Second), "in 2 minutes"},
		{language.English, now.Add(20 * time.Second), "in less than a minute"},
		{language.English, now.Add(-time.Hour), "1 hour ago"},
		{language.German, now.Add(7*24*time.Hour - time.Minute), "in 7 Tagen"},
		{language.German, now.Add(time.Hour), "in 1 Stunde"},
		{language.French, now.Add(7*24*time.Hour - time.Minute), "dans 7 jours"},
		{language.French, now.Add(-24 * time.Hour * 3), "il y a 3 jours"},
		{language.Spanish, now.Add(7*24*time.Hour - time.Minute), "en 7 días"},
		{language.BrazilianPortuguese, now.Add(7*24*time.Hour - time.Minute), "em 7 dias"},
		{language.BrazilianPortuguese, now.Add(-time.Minute), "há 1 minuto"},
		{language.Dutch, now.Add(7*24*time.Hour - time.Minute), "over 7 dagen"},
		{language.Dutch, now.Add(3 * time.Hour), "over 3 uur"},
	}
	for _, tc := range tests {
		if got := Get(tc.tag).Relative(tc.at, now); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.tag, tc.at.Sub(now), got, tc.want)
		}
	}
}

// TestDateTime: the UTC fallback of a time in each language's numeric
// format.
func TestDateTime(t *testing.T) {
	at := time.Date(2026, 12, 8, 14, 30, 0, 0, time.FixedZone("x", 3600))
	want := map[language.Tag]string{language.English: "Dec 8, 2026, 13:30 UTC", language.German: "08.12.2026, 13:30 UTC",
		language.French: "08/12/2026 13:30 UTC", language.Dutch: "08-12-2026 13:30 UTC"}
	for tag, w := range want {
		if got := Get(tag).DateTime(at); got != w {
			t.Errorf("%s: %q, want %q", tag, got, w)
		}
	}
}

// TestSimpleMessages: a message T fills itself reads exactly as go-i18n
// renders it, in every language, with strings and numbers for its
// placeholders; plural messages are left to go-i18n, most others are
// simple, and a placeholder missing from the data is left to go-i18n too.
func TestSimpleMessages(t *testing.T) {
	for _, tag := range Supported {
		l := Get(tag)
		if len(l.simple) < 80 {
			t.Errorf("%s: %d simple messages: the map is not filled", tag, len(l.simple))
		}
		for id, sm := range l.simple {
			for _, value := range []any{"«x»", 42} {
				var data []any
				td := map[string]any{}
				for _, name := range sm.names {
					data = append(data, name, value)
					td[name] = value
				}
				want, used, err := l.loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: id, TemplateData: td})
				if got := l.T(id, data...); err != nil || used != tag || got != want {
					t.Errorf("%s %s: T %q, go-i18n %q (%s, %v)", tag, id, got, want, used, err)
				}
			}
		}
		if _, ok := l.simple["RelInDays"]; ok {
			t.Errorf("%s: the plural RelInDays is a simple message", tag)
		}
		if sm, ok := l.simple["LinkExpires"]; !ok || len(sm.names) != 2 {
			t.Errorf("%s: LinkExpires: %+v, want a simple message with two placeholders", tag, sm)
		}
		if got := l.T("LinkExpires", "In", "x"); strings.Contains(got, "{{") || got == "LinkExpires" {
			t.Errorf("%s: LinkExpires without Date = %q, want go-i18n's rendering", tag, got)
		}
	}
}

// TestCountsCached: N answers a count it has seen from its cache with the
// words go-i18n gives, in every language and plural form, and a count out
// of the cache's bounds the same way.
func TestCountsCached(t *testing.T) {
	for _, tag := range Supported {
		l := Get(tag)
		for _, id := range []string{"RelInDays", "RelHoursAgo", "RelInMinutes"} {
			for _, n := range []int{0, 1, 2, 3, 5, 11, 21, 22, 101, maxCachedCount - 1, maxCachedCount, 1000000} {
				want := l.localizeCount(id, n, nil)
				for range 2 {
					if got := l.N(id, n); got != want || !strings.Contains(got, strconv.Itoa(n)) {
						t.Errorf("%s %s %d: N %q, go-i18n %q", tag, id, n, got, want)
					}
				}
			}
		}
		if _, cached := l.counts.Load(countKey{"RelInDays", maxCachedCount}); cached {
			t.Errorf("%s: a count out of bounds was cached", tag)
		}
		if _, cached := l.counts.Load(countKey{"RelInDays", 3}); !cached {
			t.Errorf("%s: a count in bounds was not cached", tag)
		}
	}
}
