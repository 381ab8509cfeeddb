package access_test

import (
	"bytes"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

var navy = color.RGBA{15, 76, 129, 255}

func (e *domainEnv) branding(u models.User) *access.Branding {
	e.t.Helper()
	b, err := e.svc.OrganizationBranding(e.ctx, e.member(u, e.f.Reporting))
	if err != nil {
		e.t.Fatalf("branding as %s: %v", u.Email, err)
	}
	return b
}

// TestBranding runs on SQLite and, with DATABASE_URL, on PostgreSQL.
func TestBranding(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	owner := e.member(e.f.Owner, e.f.Reporting)

	t.Run("OwnersOnly", func(t *testing.T) {
		png := testutil.PNG(t, 64, 64, navy)
		for _, u := range []models.User{e.f.Admin, e.f.Member, e.f.Viewer} {
			m := e.member(u, e.f.Reporting)
			_, err := e.svc.OrganizationBranding(e.ctx, m)
			assertCode(t, err, access.EFORBIDDEN)
			assertCode(t, e.svc.SaveBranding(e.ctx, m, e.actor(u), access.BrandingInput{AccentColor: "#0f4c81"}), access.EFORBIDDEN)
			assertCode(t, e.svc.SetBrandingLogo(e.ctx, m, e.actor(u), png), access.EFORBIDDEN)
			assertCode(t, e.svc.RemoveBrandingLogo(e.ctx, m, e.actor(u)), access.EFORBIDDEN)
		}
		if n := e.count(&models.OrganizationBranding{}, "1 = 1"); n != 0 {
			t.Fatalf("%d branding rows after refused changes", n)
		}
	})

	t.Run("SettingsSavedAndShownOnTheLink", func(t *testing.T) {
		err := e.svc.SaveBranding(e.ctx, owner, e.actor(e.f.Owner), access.BrandingInput{AccentColor: " 0F4C81 ",
			PrivacyURL: "https://acme.example/privacy", SupportURL: "https://acme.example/help?x=1"})
		if err != nil {
			t.Fatal(err)
		}
		b := e.branding(e.f.Owner)
		if b.AccentColor != "#0f4c81" || b.PrivacyURL != "https://acme.example/privacy" || b.SupportURL != "https://acme.example/help?x=1" {
			t.Fatalf("branding = %+v", b.PublicBranding)
		}
		l := e.generate(e.f.Admin, e.f.Reporting, "sandbox")
		pl, err := e.svc.PublicLinkByID(e.ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Brand.AccentColor != "#0f4c81" || pl.Brand.SupportURL != b.SupportURL || pl.CreatorDomain != "test.example" {
			t.Fatalf("public link brand = %+v, domain %q", pl.Brand, pl.CreatorDomain)
		}
		if len(b.Changes) != 1 || b.Changes[0].Kind != access.BrandingSettings || b.Changes[0].ActorName != e.f.Owner.Name {
			t.Fatalf("changes = %+v", b.Changes)
		}
	})

	t.Run("ErrContrast", func(t *testing.T) {
		before := e.branding(e.f.Owner).AccentColor
		err := e.svc.SaveBranding(e.ctx, owner, e.actor(e.f.Owner), access.BrandingInput{AccentColor: "#ffcc00"})
		ae := assertCode(t, err, access.EINVALID)
		if msg := ae.Fields["accent_color"]; !strings.Contains(msg, "1.5") || !strings.Contains(msg, "4.5:1") {
			t.Fatalf("message %q does not name the ratio and the threshold", msg)
		}
		if got := e.branding(e.f.Owner).AccentColor; got != before {
			t.Fatalf("colour changed to %q by a refused save", got)
		}
		for _, c := range []string{"red", "#12345", "#gggggg", "javascript:alert(1)"} {
			err := e.svc.SaveBranding(e.ctx, owner, e.actor(e.f.Owner), access.BrandingInput{AccentColor: c})
			if ae := assertCode(t, err, access.EINVALID); ae.Fields["accent_color"] == "" {
				t.Errorf("colour %q: no field message", c)
			}
		}
	})

	t.Run("ErrURLs", func(t *testing.T) {
		for _, u := range []string{"http://acme.example/privacy", "javascript:alert(1)", "acme.example", "https://user:pw@acme.example/", "https://acme.example/a b", "https:///nohost", "https://acme.example/" + strings.Repeat("a", 500)} {
			err := e.svc.SaveBranding(e.ctx, owner, e.actor(e.f.Owner), access.BrandingInput{PrivacyURL: u, SupportURL: u})
			ae := assertCode(t, err, access.EINVALID)
			if ae.Fields["privacy_url"] == "" || ae.Fields["support_url"] == "" {
				t.Errorf("url %q: fields %v", u, ae.Fields)
			}
		}
	})

	t.Run("LogoStoredByHash", func(t *testing.T) {
		png := testutil.PNG(t, 200, 80, navy)
		if err := e.svc.SetBrandingLogo(e.ctx, owner, e.actor(e.f.Owner), png); err != nil {
			t.Fatal(err)
		}
		b := e.branding(e.f.Owner)
		if b.LogoType != access.LogoPNG || b.LogoWidth != 200 || b.LogoHeight != 80 || len(b.LogoHash) != 64 ||
			b.LogoPath() != "/branding/logo/"+b.LogoHash+".png" {
			t.Fatalf("branding = %+v", b.PublicBranding)
		}
		logo, err := e.svc.BrandingLogo(e.ctx, b.LogoHash)
		if err != nil || !bytes.Equal(logo.Data, png) || logo.Type != access.LogoPNG {
			t.Fatalf("logo = %v, %v", logo, err)
		}
		// The colour saved before stays: the logo upload changes only the logo.
		if b.AccentColor != "#0f4c81" {
			t.Fatalf("accent = %q after a logo upload", b.AccentColor)
		}
		e.clock.Advance(time.Minute) // the history lists the newest change first
		if err := e.svc.RemoveBrandingLogo(e.ctx, owner, e.actor(e.f.Owner)); err != nil {
			t.Fatal(err)
		}
		if b := e.branding(e.f.Owner); b.LogoHash != "" || b.AccentColor != "#0f4c81" || b.Changes[0].Kind != access.BrandingLogoRemoved {
			t.Fatalf("after removal: %+v, changes %+v", b.PublicBranding, b.Changes[0])
		}
		_, err = e.svc.BrandingLogo(e.ctx, b.LogoHash)
		assertCode(t, err, access.ENOTFOUND)
		_, err = e.svc.BrandingLogo(e.ctx, "../etc/passwd")
		assertCode(t, err, access.ENOTFOUND)
	})

	t.Run("LogoTypesAndLimits", func(t *testing.T) {
		jpg := testutil.JPEG(t, 300, 100, navy)
		for _, c := range []struct {
			name string
			data []byte
			want string // "" accepted, else a part of the message
		}{
			{"PNG", testutil.PNG(t, 64, 64, navy), ""},
			{"JPEG", jpg, ""},
			{"SVG", []byte(testutil.LogoSVG), ""},
			{"Empty", nil, "Choose a logo"},
			{"TooLarge", append(testutil.PNG(t, 64, 64, navy), make([]byte, access.MaxLogoBytes)...), "256 KB"},
			{"TooSmall", testutil.PNG(t, 16, 16, navy), "too small"},
			{"TooManyPixels", testutil.PNG(t, 2049, 600, navy), "too large"},
			{"TooWide", testutil.PNG(t, 1100, 100, navy), "too narrow or too wide"},
			{"GIFNamedPNG", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "not a PNG, JPEG or SVG"},
			{"HTML", []byte("<html><script>alert(1)</script></html>"), "not an SVG"},
			{"Truncated", jpg[:len(jpg)/2], "could not be read"},
			{"Text", []byte("just some text"), "not a PNG, JPEG or SVG"},
		} {
			t.Run(c.name, func(t *testing.T) {
				err := e.svc.SetBrandingLogo(e.ctx, owner, e.actor(e.f.Owner), c.data)
				if c.want == "" {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				if ae := assertCode(t, err, access.EINVALID); !strings.Contains(ae.Message, c.want) || ae.Fields["logo"] == "" {
					t.Fatalf("message %q, want %q", ae.Message, c.want)
				}
			})
		}
	})
}

// TestCheckLogoSVG: an SVG is rebuilt from the allow-lists; script, event
// handlers and outside references are refused with a message that says so.
func TestCheckLogoSVG(t *testing.T) {
	t.Parallel()
	const open = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 40">`
	refused := map[string]string{
		"Script":         open + `<script>alert(1)</script></svg>`,
		"ScriptCDATA":    open + `<script><![CDATA[alert(1)]]></script></svg>`,
		"OnLoad":         `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40" onload="alert(1)"></svg>`,
		"OnClickDeep":    open + `<g><rect width="10" height="10" onclick="alert(1)"/></g></svg>`,
		"OnUpperCase":    open + `<rect width="10" height="10" ONMOUSEOVER="alert(1)"/></svg>`,
		"ForeignObject":  open + `<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject></svg>`,
		"JavascriptHref": open + `<use href="javascript:alert(1)"/></svg>`,
		"XlinkExternal":  open + `<use xlink:href="https://evil.example/x.svg#a"/></svg>`,
		"Anchor":         open + `<a href="https://evil.example"><rect width="9" height="9"/></a></svg>`,
		"ExternalImage":  open + `<image href="https://evil.example/track.png"/></svg>`,
		"StyleImport":    open + `<style>@import url(https://evil.example/x.css);</style></svg>`,
		"StyleURL":       open + `<rect width="9" height="9" style="fill:url(https://evil.example/p)"/></svg>`,
		"Doctype":        `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]>` + open + `</svg>`,
		"NotWellFormed":  open + `<rect></svg>`,
		"NoSize":         `<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>`,
		"NoNamespace":    `<svg viewBox="0 0 10 10"></svg>`,
		"HTMLRoot":       `<html xmlns="http://www.w3.org/1999/xhtml"><body onload="x()"></body></html>`,
	}
	for name, doc := range refused {
		t.Run("Refused"+name, func(t *testing.T) {
			logo, err := access.CheckLogo([]byte(doc))
			if ae := assertCode(t, err, access.EINVALID); ae.Fields["logo"] == "" {
				t.Fatalf("no field message; logo %v", logo)
			}
		})
	}

	t.Run("SanitisedKeepsShapes", func(t *testing.T) {
		doc := `<?xml version="1.0"?><!-- made by an editor -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="80" viewBox="0 0 100 40" inkscape:version="1.3" data-x="1">
<metadata><rdf>whatever</rdf></metadata>
<inkscape:namedview id="nv"/>
<defs><linearGradient id="g"><stop offset="0" stop-color="#0f4c81"/></linearGradient></defs>
<g id="layer" transform="translate(1 1)" style="fill:url(#g)">
<rect width="10" height="10" fill="url(#g)" class="a"/>
<use xlink:href="#layer"/>
<text x="20" y="20">A &amp; B &lt;script&gt;</text>
<set attributeName="href" to="javascript:alert(1)"/><animate attributeName="fill" values="red"/>
</g>
<?processing instruction?>
</svg>`
		logo, err := access.CheckLogo([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		out := string(logo.Data)
		for _, gone := range []string{"metadata", "rdf", "inkscape", "namedview", "data-x", "<!--", "<?", "xmlns:xlink", "<set", "javascript", "animate"} {
			if strings.Contains(out, gone) {
				t.Errorf("%q kept:\n%s", gone, out)
			}
		}
		for _, kept := range []string{`<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80" viewBox="0 0 100 40">`,
			`<linearGradient id="g">`, `fill="url(#g)"`, `<use href="#layer"></use>`, `A &amp; B &lt;script&gt;`} {
			if !strings.Contains(out, kept) {
				t.Errorf("%q missing:\n%s", kept, out)
			}
		}
		if logo.Type != access.LogoSVG || logo.Width != 100 || logo.Height != 40 {
			t.Fatalf("logo = %s %d × %d", logo.Type, logo.Width, logo.Height)
		}
		// The sanitised document is itself accepted unchanged.
		again, err := access.CheckLogo(logo.Data)
		if err != nil || string(again.Data) != out {
			t.Fatalf("second pass: %v\n%s", err, again.Data)
		}
	})
}

// TestAccentContrast pins the WCAG ratios the page names.
func TestAccentContrast(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
		ok       bool
		ratio    string
	}{
		{"#000000", "#000000", true, "21.00:1"},
		{"#0F4C81", "#0f4c81", true, "8.85:1"},
		{"#4f46e5", "#4f46e5", true, "6.28:1"},
		{"#777777", "", false, "4.47:1"}, // 4.478: rounded down, never up to 4.48 or 4.5
		{"#767676", "#767676", true, "4.54:1"},
		{"#fc0", "", false, "1.51:1"},
		{"#ffffff", "", false, "1.00:1"},
		{"", "", true, ""},
	} {
		got, err := access.ParseAccentColor(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseAccentColor(%q) = %q, %v", c.in, got, err)
		}
		if c.ratio != "" {
			hex := c.want
			if hex == "" {
				hex = map[string]string{"#777777": "#777777", "#fc0": "#ffcc00", "#ffffff": "#ffffff"}[c.in]
			}
			if r := access.FormatRatio(access.ContrastWithWhite(hex)); r != c.ratio {
				t.Errorf("contrast of white on %s = %s, want %s", hex, r, c.ratio)
			}
			if !c.ok && !strings.Contains(err.Error(), c.ratio) {
				t.Errorf("message %q does not name %s", err, c.ratio)
			}
		}
	}
}
