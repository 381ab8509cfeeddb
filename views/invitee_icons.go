package views

import (
	"context"
	"io"

	"github.com/a-h/templ"
)

// inviteeIcon is a small outline icon of the invitee's pages, by name, in
// the given classes; an unknown name draws nothing. Written as Go, not
// templ: the consent page draws nine, and a templ component with a class
// expression costs about ten allocations each; as a value, not a closure,
// @inviteeIcon(...) costs none (TestInviteeIconsMarkup pins the markup).
func inviteeIcon(name, class string) icon {
	return icon{svg: inviteeIcons[name], class: class}
}

// icon is an SVG icon's markup before and after its classes, and the
// classes.
type icon struct {
	svg   [2]string
	class string
}

// Render writes the icon.
func (i icon) Render(_ context.Context, w io.Writer) error {
	if i.svg[0] == "" {
		return nil
	}
	return writeAll(w, i.svg[0], templ.EscapeString(i.class), i.svg[1])
}

// inviteeIcons are each icon's markup before and after its classes.
var inviteeIcons = map[string][2]string{
	"check":        {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="m5 10.5 3.2 3L15 6.5"></path></svg>`},
	"check-circle": {`<svg viewBox="0 0 20 20" class="`, `" fill="currentColor" aria-hidden="true"><path fill-rule="evenodd" d="M10 18a8 8 0 1 0 0-16 8 8 0 0 0 0 16zm3.7-9.3a1 1 0 0 0-1.4-1.4L9 10.6 7.7 9.3a1 1 0 0 0-1.4 1.4l2 2a1 1 0 0 0 1.4 0l4-4z" clip-rule="evenodd"></path></svg>`},
	"x":            {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" aria-hidden="true"><path d="m6 6 8 8M14 6l-8 8"></path></svg>`},
	"alert":        {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M10 5.5v5.5"></path><path d="M10 14.5v.01"></path></svg>`},
	"alert-circle": {`<svg viewBox="0 0 20 20" class="`, `" fill="currentColor" aria-hidden="true"><path fill-rule="evenodd" d="M18 10a8 8 0 1 1-16 0 8 8 0 0 1 16 0zm-8-5a1 1 0 0 0-1 1v4a1 1 0 1 0 2 0V6a1 1 0 0 0-1-1zm0 10a1 1 0 1 0 0-2 1 1 0 0 0 0 2z" clip-rule="evenodd"></path></svg>`},
	"question":     {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M7.5 7.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.4v.3"></path><path d="M10 14.5v.01"></path></svg>`},
	"clock":        {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="10" cy="10" r="7"></circle><path d="M10 6.5V10l2.5 1.5"></path></svg>`},
	"key":          {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="4" y="9" width="12" height="8" rx="2"></rect><path d="M7 9V6.5a3 3 0 0 1 6 0V9"></path></svg>`},
	"lock":         {`<svg viewBox="0 0 20 20" class="`, `" fill="currentColor" aria-hidden="true"><path fill-rule="evenodd" d="M10 2a4 4 0 0 0-4 4v2H5a2 2 0 0 0-2 2v6a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-6a2 2 0 0 0-2-2h-1V6a4 4 0 0 0-4-4zm2 6V6a2 2 0 1 0-4 0v2h4z" clip-rule="evenodd"></path></svg>`},
	"revoke":       {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 10a6 6 0 1 0 1.8-4.3"></path><path d="M4 3.5v3h3"></path></svg>`},
	"done":         {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="10" cy="10" r="7"></circle><path d="m7 10.2 2 1.9 4-4.2"></path></svg>`},
	"arrow":        {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 10h12M11 5l5 5-5 5"></path></svg>`},
	"infinity":     {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M6.5 7C4.6 7 3 8.3 3 10s1.6 3 3.5 3c3 0 4-6 7-6 1.9 0 3.5 1.3 3.5 3s-1.6 3-3.5 3c-3 0-4-6-7-6z"></path></svg>`},
	"eye":          {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M2 10s3-5.5 8-5.5S18 10 18 10s-3 5.5-8 5.5S2 10 2 10z"></path><circle cx="10" cy="10" r="2.5"></circle></svg>`},
	"link":         {`<svg viewBox="0 0 24 24" class="`, `" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><path d="M10 14a3.5 3.5 0 0 0 5 0l4-4a3.5 3.5 0 0 0-5-5l-.5.5"></path><path d="M14 10a3.5 3.5 0 0 0-5 0l-4 4a3.5 3.5 0 0 0 5 5l.5-.5"></path></svg>`},
	"chevron":      {`<svg viewBox="0 0 20 20" class="`, `" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="m6 8 4 4 4-4"></path></svg>`},
}
