package views

import (
	"context"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/views/locale"
)

// TestLanguageNavCached: the language switcher written from the cache is
// the template's own output, in every language, at the first use and after.
func TestLanguageNavCached(t *testing.T) {
	render := func(l *locale.Locale, nav bool) string {
		var b strings.Builder
		c := languageNavMarkup(l)
		if nav {
			c = languageNav(l)
		}
		if err := c.Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, tag := range locale.Supported {
		l := locale.Get(tag)
		want := render(l, false)
		if !strings.Contains(want, `aria-current="true" lang="`+tag.String()+`"`) {
			t.Fatalf("%s: the switcher does not mark its own language: %s", tag, want)
		}
		for i := range 2 {
			if got := render(l, true); got != want {
				t.Errorf("%s, use %d:\n%s\nwant\n%s", tag, i+1, got, want)
			}
		}
	}
}
