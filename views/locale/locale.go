// Package locale holds the invitee's languages: the message catalogs
// (go-i18n, CLDR plurals), the choice of language from a cookie or
// Accept-Language (golang.org/x/text/language matching), the scope texts of
// the built-in sources in every language, and dates and durations in words.
//
// To add a language: its tag in Supported and its own name in names,
// messages/active.<tag>.yaml with every key of the English file (plural
// messages with each CLDR form the language has), and scopes/<tag>.yaml
// with every built-in scope. TestCatalogsComplete and
// TestScopeCatalogsComplete list what is missing.
//
// The admin side is English only for now, but its words go through the same
// bundle: messages/admin.en.yaml, one file whose tag (en) go-i18n reads
// from its name, with keys of its own (no invitee key repeats there). A
// language added to the admin side later gets admin.<tag>.yaml; until then
// a page asking for an admin key in another language gets the English.
package locale

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed messages/*.yaml scopes/*.yaml
var files embed.FS

// Supported are the languages of the invitee's pages, English first (the
// default and the fallback).
var Supported = []language.Tag{
	language.English,
	language.German,
	language.French,
	language.Spanish,
	language.BrazilianPortuguese,
	language.Dutch,
}

// names are the languages in their own words, for the switcher.
var names = map[language.Tag]string{
	language.English:             "English",
	language.German:              "Deutsch",
	language.French:              "Français",
	language.Spanish:             "Español",
	language.BrazilianPortuguese: "Português (Brasil)",
	language.Dutch:               "Nederlands",
}

// CookieName is the cookie that keeps a visitor's choice of language.
const CookieName = "lang"

var matcher = language.NewMatcher(Supported)

// supportedNames are Supported's tags as text ("de", "pt-BR"), in the same
// order: Tag.String builds its text at every call.
var supportedNames = func() []string {
	out := make([]string, len(Supported))
	for i, t := range Supported {
		out[i] = t.String()
	}
	return out
}()

// messages is every language's messages and scope words.
type messages struct {
	locales map[language.Tag]*Locale
	scopes  map[language.Tag]map[string]map[string]ScopeText
}

// loaded parses the message files once, when a page first needs them, not
// at package init: no command but serve uses them, and parsing them was
// the largest part of a start (tests load every language, so a broken file
// still fails the build, not a request).
var loaded = sync.OnceValue(load)

func load() *messages {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	msgs, _ := fs.Glob(files, "messages/*.yaml")
	simple := map[language.Tag]map[string]simpleMessage{}
	for _, name := range msgs {
		f, err := bundle.LoadMessageFileFS(files, name)
		if err != nil {
			panic("locale: " + name + ": " + err.Error())
		}
		if simple[f.Tag] == nil {
			simple[f.Tag] = map[string]simpleMessage{}
		}
		maps.Copy(simple[f.Tag], simpleMessages(f.Messages)) // active.en and admin.en share a tag
	}
	c := &messages{locales: map[language.Tag]*Locale{}, scopes: map[language.Tag]map[string]map[string]ScopeText{}}
	for _, t := range Supported {
		l := &Locale{Tag: t, lang: t.String(), loc: i18n.NewLocalizer(bundle, t.String()), simple: simple[t]}
		l.req = [2]reqLocale{{Locale: l}, {Locale: l, switchable: true}}
		c.locales[t] = l
		raw, err := files.ReadFile("scopes/" + t.String() + ".yaml")
		if err != nil {
			continue // English: the catalog's own words
		}
		m := map[string]map[string]ScopeText{}
		if err := yaml.Unmarshal(raw, &m); err != nil {
			panic("locale: scopes/" + t.String() + ".yaml: " + err.Error())
		}
		c.scopes[t] = m
	}
	return c
}

// simpleMessage is a message without plural forms whose only template
// actions are placeholders, {{.Name}}: text[0], the value of names[0],
// text[1], ..., text[len(names)].
type simpleMessage struct {
	text, names []string
}

// placeholder is the one template action a simple message may hold.
var placeholder = regexp.MustCompile(`\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// simpleMessages are the messages of one file that T can fill itself: no
// plural forms and no template action but {{.Name}}. go-i18n runs a
// text/template for every message on every call, which was the largest
// part of rendering a consent page; TestSimpleMessages checks that the two
// read the same.
func simpleMessages(msgs []*i18n.Message) map[string]simpleMessage {
	out := make(map[string]simpleMessage, len(msgs))
	for _, m := range msgs {
		if m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != "" || m.Other == "" ||
			(m.LeftDelim != "" && m.LeftDelim != "{{") || (m.RightDelim != "" && m.RightDelim != "}}") {
			continue
		}
		var sm simpleMessage
		rest := 0
		for _, loc := range placeholder.FindAllStringSubmatchIndex(m.Other, -1) {
			sm.text = append(sm.text, m.Other[rest:loc[0]])
			sm.names = append(sm.names, m.Other[loc[2]:loc[3]])
			rest = loc[1]
		}
		sm.text = append(sm.text, m.Other[rest:])
		if !slices.ContainsFunc(sm.text, func(t string) bool { return strings.Contains(t, "{{") || strings.Contains(t, "}}") }) {
			out[m.ID] = sm
		}
	}
	return out
}

// fill is the message with data's values (pairs of name and value), or
// false when data lacks one of its names.
func (sm simpleMessage) fill(data []any) (string, bool) {
	if len(sm.names) == 0 {
		return sm.text[0], true
	}
	// Sized once when every value is a string (the common case): one
	// allocation for the message.
	n := 0
	for _, t := range sm.text {
		n += len(t)
	}
	for _, name := range sm.names {
		v, _ := lookup(data, name)
		if s, isString := v.(string); isString {
			n += len(s)
		}
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(sm.text[0])
	for i, name := range sm.names {
		v, ok := lookup(data, name)
		if !ok {
			return "", false
		}
		s, isString := v.(string)
		if !isString {
			s = fmt.Sprint(v) // not fmt.Fprint(&b, v): b would move to the heap
		}
		b.WriteString(s)
		b.WriteString(sm.text[i+1])
	}
	return b.String(), true
}

func lookup(data []any, name string) (any, bool) {
	for i := 0; i+1 < len(data); i += 2 {
		if k, ok := data[i].(string); ok && k == name {
			return data[i+1], true
		}
	}
	return nil, false
}

// Locale is one language of the invitee's pages.
type Locale struct {
	Tag    language.Tag
	lang   string // Tag.String()
	loc    *i18n.Localizer
	simple map[string]simpleMessage // see simpleMessages
	counts sync.Map                 // countKey → string, see N
	// req is what With puts in a request's context, not switchable and
	// switchable: the same two values for every request.
	req [2]reqLocale
}

// Get is the Locale of a supported tag; anything else gets English.
func Get(t language.Tag) *Locale {
	c := loaded()
	if l, ok := c.locales[t]; ok {
		return l
	}
	return c.locales[language.English]
}

// Parse is the supported language a cookie or query value names exactly
// ("de", "pt-BR"), or false.
func Parse(s string) (language.Tag, bool) {
	if s == "" {
		return language.Und, false
	}
	for i, name := range supportedNames {
		if strings.EqualFold(s, name) {
			return Supported[i], true
		}
	}
	return language.Und, false
}

// Match picks the page's language: the cookie's choice when it names a
// supported language, else the best match of Accept-Language (pt → pt-BR,
// de-AT → de, nl-BE → nl), else English.
func Match(cookie, acceptLanguage string) language.Tag {
	if t, ok := Parse(cookie); ok {
		return t
	}
	if acceptLanguage == "" {
		return language.English // what parsing "" leads to, without the parser's work
	}
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return language.English
	}
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return language.English
	}
	return Supported[i]
}

// FromRequest is the language of a request: its lang cookie, else its
// Accept-Language.
func FromRequest(r *http.Request) language.Tag {
	v := ""
	if c, err := r.Cookie(CookieName); err == nil {
		v = c.Value
	}
	return Match(v, r.Header.Get("Accept-Language"))
}

// Lang is the page's lang attribute ("de", "pt-BR").
func (l *Locale) Lang() string { return l.lang }

// T is the message id in this language, its {{.Name}} placeholders filled
// from data (pairs of name and value). A message missing here falls back to
// English (TestCatalogsComplete keeps that from happening), and an unknown
// id is shown as itself so that a mistake is visible, never a blank.
func (l *Locale) T(id string, data ...any) string {
	if sm, ok := l.simple[id]; ok {
		if s, ok := sm.fill(data); ok {
			return s
		}
	}
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: pairs(data)})
	if err != nil && s == "" {
		return id
	}
	return s
}

// N is the plural message id for count n, in this language's CLDR plural
// form; {{.Count}} is n.
func (l *Locale) N(id string, n int, data ...any) string {
	cacheable := len(data) == 0 && n >= 0 && n < maxCachedCount
	if cacheable {
		if s, ok := l.counts.Load(countKey{id, n}); ok {
			return s.(string)
		}
	}
	s := l.localizeCount(id, n, data)
	if cacheable {
		l.counts.Store(countKey{id, n}, s)
	}
	return s
}

// maxCachedCount bounds the counts whose words N keeps: a relative time
// or a number of scopes is small, and the cache must stay small too.
const maxCachedCount = 1000

// countKey is a plural message for one count, without other data: its
// words never change, so N asks go-i18n (CLDR rules, a text/template) once
// (a list page says "in 3 days" fifty times).
type countKey struct {
	id string
	n  int
}

func (l *Locale) localizeCount(id string, n int, data []any) string {
	td := pairs(data)
	td["Count"] = n
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: td})
	if err != nil && s == "" {
		return id
	}
	return s
}

func pairs(data []any) map[string]any {
	m := make(map[string]any, len(data)/2+1)
	for i := 0; i+1 < len(data); i += 2 {
		if k, ok := data[i].(string); ok {
			m[k] = data[i+1]
		}
	}
	return m
}

// Choice is one entry of the language switcher.
type Choice struct {
	Lang, Name string
	Current    bool
}

// Choices are the supported languages, this one marked current.
func (l *Locale) Choices() []Choice {
	out := make([]Choice, len(Supported))
	for i, t := range Supported {
		out[i] = Choice{Lang: t.String(), Name: names[t], Current: t == l.Tag}
	}
	return out
}

// Languages are the supported languages in their own names, English
// first, none current: the generate dialog's choice of a link's mail
// language.
func Languages() []Choice {
	out := make([]Choice, len(Supported))
	for i, t := range Supported {
		out[i] = Choice{Lang: t.String(), Name: names[t]}
	}
	return out
}

type ctxKey struct{}

// With returns ctx carrying the request's language. switchable shows the
// language switcher: the page is safe to load again with ?lang=.
func With(ctx context.Context, t language.Tag, switchable bool) context.Context {
	l := Get(t)
	if switchable {
		return context.WithValue(ctx, ctxKey{}, &l.req[1])
	}
	return context.WithValue(ctx, ctxKey{}, &l.req[0])
}

type reqLocale struct {
	*Locale
	switchable bool
}

// From is the language of a request's context; English when none was set
// (the admin side and tests).
func From(ctx context.Context) *Locale {
	if r, ok := ctx.Value(ctxKey{}).(*reqLocale); ok {
		return r.Locale
	}
	return Get(language.English)
}

// Switchable reports whether the page shows the language switcher.
func Switchable(ctx context.Context) bool {
	r, ok := ctx.Value(ctxKey{}).(*reqLocale)
	return ok && r.switchable
}
