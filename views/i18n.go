package views

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/accessrequests/accessrequests/views/locale"
)

// The invitee's pages speak the request's language (views/locale); these
// helpers put its messages into templ.

// tr is the message id in the request's language.
func tr(ctx context.Context, id string, data ...any) string {
	return locale.From(ctx).T(id, data...)
}

// Slot markers stand for marked-up words inside a translated sentence:
// private-use characters no translation contains.
const slotOpen, slotClose = "\uE000", "\uE001"

// sentence renders the message id as one whole sentence whose placeholders
// may be marked up: args are pairs of a placeholder's name and its value,
// a string (written escaped) or a templ.Component (rendered in place). The
// translator moves the marked-up words where the language needs them.
func sentence(id string, args ...any) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		var slots []templ.Component
		data := make([]any, 0, len(args))
		for i := 0; i+1 < len(args); i += 2 {
			v := args[i+1]
			if c, ok := v.(templ.Component); ok {
				v = slotOpen + strconv.Itoa(len(slots)) + slotClose
				slots = append(slots, c)
			}
			data = append(data, args[i], v)
		}
		s := tr(ctx, id, data...)
		for s != "" {
			open := strings.Index(s, slotOpen)
			end := strings.Index(s, slotClose)
			if open < 0 || end < open {
				break
			}
			if _, err := io.WriteString(w, templ.EscapeString(s[:open])); err != nil {
				return err
			}
			n, err := strconv.Atoi(s[open+len(slotOpen) : end])
			if err == nil && n < len(slots) {
				if err := slots[n].Render(ctx, w); err != nil {
					return err
				}
			}
			s = s[end+len(slotClose):]
		}
		_, err := io.WriteString(w, templ.EscapeString(s))
		return err
	})
}

// withLocale renders a page component built from the request's language.
func withLocale(page func(l *locale.Locale) templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return page(locale.From(ctx)).Render(ctx, w)
	})
}
