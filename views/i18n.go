package views

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"golang.org/x/text/language"

	"github.com/accessrequests/accessrequests/views/locale"
)

// The invitee's pages speak the request's language (views/locale); these
// helpers put its messages into templ.
//
// The admin side (issue 12: "may stay English for now, but its strings go
// through the same catalog") reads its words from locale/messages/
// admin.en.yaml, in the same go-i18n bundle, English only by design:
//   - keys are named by page, then part: LoginTitle, LayoutSkipToContent,
//     AccountsEmptyTitle; a word shared by many pages is Common*;
//   - values are whole sentences with {{.Name}} placeholders, plurals with
//     one/other and {{.Count}} (trn); never a sentence built by
//     concatenating messages;
//   - a text node is @msg("Key", "Name", value, ...): whole sentences whose
//     placeholders may be marked up (a templ.Component), escaped as templ
//     escapes literal text, so the English page is byte for byte what the
//     literal wrote; an attribute or a Go string is tr(ctx, "Key", ...),
//     or adminText("Key", ...) where there is no ctx (a flash message);
//   - TestAdminKeysUsed (views) fails on a key a view asks for that no file
//     has, or an admin key no view uses; TestAdminCatalogEnglishOnly
//     (locale) on an admin key that repeats an invitee key.
// Admin requests carry no language (locale.From is English), so a later
// admin.<tag>.yaml would need only the admin middleware to set one.

// tr is the message id in the request's language.
func tr(ctx context.Context, id string, data ...any) string {
	return locale.From(ctx).T(id, data...)
}

// adminText is an admin message id where no request is at hand (a flash
// message made by a handler): the admin side is English.
func adminText(id string, data ...any) string {
	return locale.Get(language.English).T(id, data...)
}

// adminCount is an admin plural message id for count n where no request
// is at hand, {{.Count}} being n.
func adminCount(id string, n int, data ...any) string {
	return locale.Get(language.English).N(id, n, data...)
}

// trn is the plural message id for count n in the request's language,
// {{.Count}} being n.
func trn(ctx context.Context, id string, n int, data ...any) string {
	return locale.From(ctx).N(id, n, data...)
}

// Slot markers stand for marked-up words inside a translated sentence:
// private-use characters no translation contains.
const slotOpen, slotClose = "\uE000", "\uE001"

// slotMarks are the first slots' markers, written once.
var slotMarks = [...]any{slotOpen + "0" + slotClose, slotOpen + "1" + slotClose, slotOpen + "2" + slotClose, slotOpen + "3" + slotClose}

// sentence renders the message id as one whole sentence whose placeholders
// may be marked up: args are pairs of a placeholder's name and its value,
// a string (written escaped) or a templ.Component (rendered in place). The
// translator moves the marked-up words where the language needs them.
func sentence(id string, args ...any) templ.Component {
	return marked(id, templ.EscapeString, args)
}

// msg is an admin page's message id as text, like sentence, but its words
// escaped as templ writes a template's literal text (only &, < and >) and
// its values as templ writes { value }, so that moving the words into the
// catalog leaves the page's bytes unchanged. A value, not a closure:
// @msg("Key") allocates nothing of its own (a links page has a few a row).
func msg(id string, args ...any) words {
	return words{id: id, args: args}
}

// words is msg's message.
type words struct {
	id   string
	args []any
}

// Render writes the message.
func (m words) Render(ctx context.Context, w io.Writer) error {
	if len(m.args) == 0 {
		_, err := io.WriteString(w, escapeText(tr(ctx, m.id)))
		return err
	}
	vals := make([]any, len(m.args))
	copy(vals, m.args)
	for i := 1; i < len(vals); i += 2 {
		if _, ok := vals[i].(templ.Component); !ok {
			vals[i] = escaped(fmt.Sprint(vals[i]))
		}
	}
	return marked(m.id, escapeText, vals).Render(ctx, w)
}

// escaped is s written as templ writes { s }.
func escaped(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, templ.EscapeString(s))
		return err
	})
}

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeText escapes s for an element's text (never an attribute).
func escapeText(s string) string { return textEscaper.Replace(s) }

// marked renders the message id whose placeholders args fill, strings
// escaped by escape and components rendered in place.
func marked(id string, escape func(string) string, args []any) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		var slotArray [len(slotMarks)]templ.Component
		slots := slotArray[:0]
		data := make([]any, 0, len(args))
		for i := 0; i+1 < len(args); i += 2 {
			v := args[i+1]
			if c, ok := v.(templ.Component); ok {
				if len(slots) < len(slotMarks) {
					v = slotMarks[len(slots)]
				} else {
					v = slotOpen + strconv.Itoa(len(slots)) + slotClose
				}
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
			if _, err := io.WriteString(w, escape(s[:open])); err != nil {
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
		_, err := io.WriteString(w, escape(s))
		return err
	})
}

// withLocale renders a page component built from the request's language.
func withLocale(page func(l *locale.Locale) templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return page(locale.From(ctx)).Render(ctx, w)
	})
}
