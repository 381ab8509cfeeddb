package locale

import (
	"time"

	"github.com/accessrequests/accessrequests/app/sources"
)

// ScopeText is a scope's title and description in one language.
type ScopeText struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
}

// Scope is the title and description of a source's scope in this language:
// the source's own translations (SOURCES_FILE), else the built-in catalog's
// for a built-in source, else the source's English words.
func (l *Locale) Scope(src *sources.Source, sc sources.Scope) (title, description string) {
	title, description = sc.Title, sc.Description
	if tr, ok := sc.Translation(l.Tag); ok {
		return pick(tr.Title, title), pick(tr.Description, description)
	}
	if src != nil && !src.FromFile {
		if t, ok := loaded().scopes[l.Tag][src.Key][sc.Name]; ok {
			return pick(t.Title, title), pick(t.Description, description)
		}
	}
	return title, description
}

func pick(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// DateTime writes t in UTC in this language's format ("Dec 8, 2026, 14:30
// UTC", "08.12.2026, 14:30 UTC"): what a page shows before, or without,
// the script that puts it in the reader's own time zone.
func (l *Locale) DateTime(t time.Time) string {
	return t.UTC().Format(l.T("DateTimeLayout"))
}

// Relative says t relative to now the way people say it: "in 7 days", "vor
// 3 Stunden". Each unit is rounded to the nearest whole one, so a link made
// a minute ago expires "in 7 days", not "in 6 days"; hours are used up to
// 48, minutes up to 60.
func (l *Locale) Relative(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	d = d.Abs()
	if d < time.Minute {
		if future {
			return l.T("RelSoon")
		}
		return l.T("RelJustNow")
	}
	unit, n := "Days", roundTo(d, 24*time.Hour)
	if m := roundTo(d, time.Minute); m < 60 {
		unit, n = "Minutes", m
	} else if h := roundTo(d, time.Hour); h < 48 {
		unit, n = "Hours", h
	}
	if future {
		return l.N("RelIn"+unit, n)
	}
	return l.N("Rel"+unit+"Ago", n)
}

// roundTo is d in whole units, halves rounded up.
func roundTo(d, unit time.Duration) int { return int(d.Round(unit) / unit) }
