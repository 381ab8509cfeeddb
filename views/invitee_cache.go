package views

import (
	"context"
	"strings"
	"sync"

	"github.com/a-h/templ"

	"github.com/accessrequests/accessrequests/views/locale"
)

// languageNavs holds the language switcher's markup per language
// (*locale.Locale, one per language, → templ.Component): it depends on nothing but the
// language, and as a template it cost about forty allocations per page.
var languageNavs sync.Map

// languageNav is the language switcher in l's language, rendered by
// languageNavMarkup at its first use and written as is afterwards. The
// markup is the template's own output, escaped by it: nothing in it comes
// from a request.
func languageNav(l *locale.Locale) templ.Component {
	if c, ok := languageNavs.Load(l); ok {
		return c.(templ.Component)
	}
	var b strings.Builder
	if err := languageNavMarkup(l).Render(context.Background(), &b); err != nil {
		return languageNavMarkup(l) // not kept: rendered again next time
	}
	c, _ := languageNavs.LoadOrStore(l, templ.Raw(b.String()))
	return c.(templ.Component)
}
