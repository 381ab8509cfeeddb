package views

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/text/language"

	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/views/locale"
)

// TestInviteeIconsMarkup: each invitee icon is one SVG element, hidden
// from screen readers, in exactly the classes given (escaped); an unknown
// name draws nothing, and every name the templates ask for exists.
func TestInviteeIconsMarkup(t *testing.T) {
	render := func(name, class string) string {
		var b strings.Builder
		if err := inviteeIcon(name, class).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for name := range inviteeIcons {
		svg := render(name, `h-4 w-4 "x"`)
		if !strings.HasPrefix(svg, "<svg ") || !strings.HasSuffix(svg, "</svg>") || strings.Count(svg, "<svg") != 1 {
			t.Errorf("%s: not one SVG element: %s", name, svg)
		}
		if strings.Count(svg, ` class="h-4 w-4 &#34;x&#34;"`) != 1 || strings.Count(svg, "class=") != 1 {
			t.Errorf("%s: classes not given once, escaped: %s", name, svg)
		}
		if !strings.Contains(svg, ` aria-hidden="true"`) {
			t.Errorf("%s: not hidden from screen readers: %s", name, svg)
		}
	}
	if svg := render("no-such-icon", "h-4"); svg != "" {
		t.Errorf("unknown icon drew %q", svg)
	}
	files, err := filepath.Glob("*.templ")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`inviteeIcon\("([^"]+)"`)
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			n++
			if _, ok := inviteeIcons[m[1]]; !ok {
				t.Errorf("%s asks for icon %q, which does not exist", f, m[1])
			}
		}
	}
	if n < 10 {
		t.Fatalf("found %d uses of inviteeIcon in the templates, want the consent page's at least", n)
	}
}

// TestInlineTextMarkup: the words marked inside a sentence are escaped,
// attribute and text alike, and strongText names its test id only when
// it has one.
func TestInlineTextMarkup(t *testing.T) {
	render := func(c templ.Component) string {
		var b strings.Builder
		if err := c.Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, c := range []struct{ got, want string }{
		{render(testidText("consent-org", "Acme & Co")), `<span data-testid="consent-org">Acme &amp; Co</span>`},
		{render(testidText(`x"y`, `<script>"'`)), `<span data-testid="x&#34;y">&lt;script&gt;&#34;&#39;</span>`},
		{render(strongText("", "Shopify")), `<strong class="font-semibold text-slate-900">Shopify</strong>`},
		{render(strongText("consent-domain", "a<b.example")), `<strong class="font-semibold text-slate-900" data-testid="consent-domain">a&lt;b.example</strong>`},
	} {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
}

// TestConsentScopeMarkup: a scope of the consent page is one list item
// with its name, title, badge and description, every value escaped.
func TestConsentScopeMarkup(t *testing.T) {
	ctx := locale.With(context.Background(), language.English, false)
	src := &sources.Source{Key: "x", Name: "X"}
	for _, c := range []struct {
		sc   sources.Scope
		want string
	}{
		{sources.Scope{Name: `a"b`, Title: "Read <reports>", Description: "Tom & Jerry", Access: "read"},
			`<li class="py-3.5 sm:px-4" data-testid="consent-scope" data-scope="a&#34;b"><div class="flex items-start justify-between gap-3"><p class="text-[0.9375rem] font-medium leading-snug text-slate-900">Read &lt;reports&gt;</p><span class="badge badge-green shrink-0">Read only</span></div><p class="mt-1 text-sm leading-relaxed text-slate-600">Tom &amp; Jerry</p></li>`},
		{sources.Scope{Name: "w", Title: "Write", Access: "write"},
			`<li class="py-3.5 sm:px-4" data-testid="consent-scope" data-scope="w"><div class="flex items-start justify-between gap-3"><p class="text-[0.9375rem] font-medium leading-snug text-slate-900">Write</p><span class="badge badge-amber shrink-0">Read &amp; write</span></div></li>`},
	} {
		var b strings.Builder
		if err := consentScope(src, c.sc).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("got  %s\nwant %s", b.String(), c.want)
		}
	}
}
