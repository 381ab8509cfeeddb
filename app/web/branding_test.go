package web_test

// Branding (issue 12): the owners' settings page, the logo upload (the one
// multipart route), and the public logo and accent files the consent page
// loads; on SQLite and, with DATABASE_URL, on PostgreSQL.

import (
	"bytes"
	"image/color"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// uploadLogo posts data as the logo form's file, as who.
func (e *env) uploadLogo(t *testing.T, who string, data []byte, filename string) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("logo", filename)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/w/"+e.f.Reporting.ID+"/settings/branding/logo", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return testutil.Send(t, e.client(t, who), req)
}

func TestBrandingPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	page := e.srv.URL + "/w/" + e.f.Reporting.ID + "/settings/branding"

	t.Run("ErrNotOwner", func(t *testing.T) {
		for _, who := range []string{"admin", "member"} {
			res, body := testutil.Do(t, e.client(t, who), http.MethodGet, page, nil)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only owners of Acme Agency can change its branding") {
				t.Fatalf("%s: status %d\n%s", who, res.StatusCode, excerpt(body))
			}
			res, _ = testutil.Do(t, e.client(t, who), http.MethodPost, page, url.Values{"accent_color": {"#000000"}})
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("%s: save answered %d", who, res.StatusCode)
			}
			res, _ = e.uploadLogo(t, who, testutil.PNG(t, 64, 64, navyRGBA), "logo.png")
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("%s: upload answered %d", who, res.StatusCode)
			}
			res, _ = testutil.Do(t, e.client(t, who), http.MethodPost, page+"/logo/remove", url.Values{})
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("%s: remove answered %d", who, res.StatusCode)
			}
			_, body = testutil.Do(t, e.client(t, who), http.MethodGet, e.srv.URL+"/w/"+e.f.Reporting.ID+"/sources", nil)
			if strings.Contains(body, "/settings/branding") {
				t.Errorf("%s sees the branding menu item", who)
			}
		}
		b, err := e.svc.OrganizationBranding(t.Context(), testutil.Member(t, e.svc, e.f.Owner.ID, e.f.Reporting.ID))
		if err != nil || b.AccentColor != "" || b.LogoHash != "" || len(b.Changes) != 0 {
			t.Fatalf("branding changed by refused requests: %+v %v", b, err)
		}
	})

	t.Run("OwnerSavesColourAndLinks", func(t *testing.T) {
		_, body := testutil.Do(t, e.client(t, "owner"), http.MethodGet, e.srv.URL+"/w/"+e.f.Reporting.ID+"/sources", nil)
		if !strings.Contains(body, `href="/w/`+e.f.Reporting.ID+`/settings/branding"`) {
			t.Error("the owner's menu has no branding item")
		}
		res, _ := testutil.Do(t, e.client(t, "owner"), http.MethodPost, page, url.Values{"accent_color": {"#0F4C81"},
			"privacy_url": {"https://acme.example/privacy"}, "support_url": {""}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/w/"+e.f.Reporting.ID+"/settings/branding" {
			t.Fatalf("save answered %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		res, body = testutil.Do(t, e.client(t, "owner"), http.MethodGet, page, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Branding saved.") || testutil.TestIDText(t, body, "accent-contrast") != "White text on #0f4c81: 8.85:1, meets WCAG AA (at least 4.5:1)." {
			t.Fatalf("status %d\n%s", res.StatusCode, excerpt(body))
		}
		if !strings.Contains(body, `href="/branding/accent/0f4c81.css"`) || !strings.Contains(body, "saved the colour and links") {
			t.Errorf("the page does not preview the colour or list the change\n%s", excerpt(body))
		}
	})

	t.Run("ErrContrastNamesTheRatio", func(t *testing.T) {
		res, body := testutil.Do(t, e.client(t, "owner"), http.MethodPost, page, url.Values{"accent_color": {"#ffcc00"}, "privacy_url": {"http://acme.example/privacy"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", res.StatusCode)
		}
		if msg := testutil.TestIDText(t, body, "accent-color-error"); !strings.Contains(msg, "1.51:1") || !strings.Contains(msg, "4.5:1") {
			t.Errorf("colour error %q", msg)
		}
		if msg := testutil.TestIDText(t, body, "privacy-url-error"); !strings.Contains(msg, "https://") {
			t.Errorf("URL error %q", msg)
		}
		if !strings.Contains(body, `value="#ffcc00"`) {
			t.Error("the form lost what was entered")
		}
	})

	t.Run("LogoUploadServedAndRemoved", func(t *testing.T) {
		res, _ := e.uploadLogo(t, "owner", []byte(testutil.LogoSVG), "logo.png") // the name says PNG; the bytes say SVG
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload answered %d", res.StatusCode)
		}
		res, body := testutil.Do(t, e.client(t, "owner"), http.MethodGet, page, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Logo uploaded.") {
			t.Fatalf("status %d\n%s", res.StatusCode, excerpt(body))
		}
		doc := testutil.ParseHTML(t, body)
		src := testutil.Attr(testutil.ByTestID(doc, "current-logo")[0], "src")
		if !strings.HasPrefix(src, "/branding/logo/") || !strings.HasSuffix(src, ".svg") {
			t.Fatalf("logo src %q", src)
		}
		res, logo := testutil.Do(t, e.srv.Client(), http.MethodGet, e.srv.URL+src, nil)
		h := res.Header
		if res.StatusCode != http.StatusOK || h.Get("Content-Type") != "image/svg+xml" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || h.Get("ETag") == "" || !strings.Contains(logo, "Northwind") {
			t.Fatalf("logo: %d %v\n%s", res.StatusCode, h, logo)
		}
		res, _ = testutil.Do(t, e.srv.Client(), http.MethodGet, e.srv.URL+src, nil, "If-None-Match", h.Get("ETag"))
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match answered %d", res.StatusCode)
		}
		res, _ = testutil.Do(t, e.srv.Client(), http.MethodGet, e.srv.URL+strings.TrimSuffix(src, ".svg")+".png", nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("the logo under another type answered %d", res.StatusCode)
		}

		if res, _ = testutil.Do(t, e.client(t, "owner"), http.MethodPost, page+"/logo/remove", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("remove answered %d", res.StatusCode)
		}
		res, body = testutil.Do(t, e.client(t, "owner"), http.MethodGet, page, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Logo removed.") || strings.Contains(body, `data-testid="current-logo"`) {
			t.Fatalf("remove: %d\n%s", res.StatusCode, excerpt(body))
		}
		if res, _ := testutil.Do(t, e.srv.Client(), http.MethodGet, e.srv.URL+src, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("a removed logo answered %d", res.StatusCode)
		}
	})

	t.Run("ErrLogoRefused", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			data   []byte
			status int
			want   string
		}{
			{"Script", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script></svg>`), http.StatusUnprocessableEntity, "contains a script"},
			{"OnLoad", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)"></svg>`), http.StatusUnprocessableEntity, "event handler"},
			{"TooLarge", append(testutil.PNG(t, 64, 64, navyRGBA), make([]byte, access.MaxLogoBytes)...), http.StatusUnprocessableEntity, "larger than 256 KB"},
			{"TooLargeForTheBody", make([]byte, 2*access.MaxLogoBytes), http.StatusRequestEntityTooLarge, "larger than 256 KB"},
			{"NotAnImage", []byte("%PDF-1.7"), http.StatusUnprocessableEntity, "not a PNG, JPEG or SVG"},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, body := e.uploadLogo(t, "owner", c.data, "logo.svg")
				if res.StatusCode != c.status || !strings.Contains(testutil.TestIDText(t, body, "logo-error"), c.want) {
					t.Fatalf("status %d, want %d with %q\n%s", res.StatusCode, c.status, c.want, excerpt(body))
				}
			})
		}
		if entries, _ := os.ReadDir(os.TempDir()); len(entries) > 0 {
			for _, en := range entries {
				if strings.HasPrefix(en.Name(), "multipart-") {
					t.Errorf("temporary file %s left", en.Name())
				}
			}
		}
	})

	t.Run("MultipartElsewhereRefused", func(t *testing.T) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField("accent_color", "#000000")
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, page, &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		res, err := e.client(t, "owner").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("multipart on the settings form answered %d", res.StatusCode)
		}
	})
}

var navyRGBA = color.RGBA{15, 76, 129, 255}

// TestAccentStyleSheet: the accent file is made from its name, only for
// colours that pass the contrast check, and cached for good.
func TestAccentStyleSheet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, css := testutil.Do(t, e.srv.Client(), http.MethodGet, e.srv.URL+"/branding/accent/0f4c81.css", nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(css, ".branded .btn-primary{background-color:#0f4c81;color:#fff}") || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("%d %v\n%s", res.StatusCode, res.Header, css)
	}
	for _, bad := range []string{"ffcc00.css", "0F4C81.css", "0f4c81", "0f4c81.css;x", "fff.css", "zzzzzz.css"} {
		if res, _ := testutil.Do(t, e.srv.Client(), http.MethodGet, e.srv.URL+"/branding/accent/"+bad, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s answered %d", bad, res.StatusCode)
		}
	}
}

// TestConsentPageBranded: the consent page shows the organization's logo,
// colour, requester's email domain and links, in its 2 statements
// (TestHotPagesStatements counts them with branding too).
func TestConsentPageBranded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := testutil.Member(t, e.svc, e.f.Owner.ID, e.f.Reporting.ID)
	act := access.Actor{UserID: e.f.Owner.ID, Name: e.f.Owner.Name}
	link := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	target := e.srv.URL + strings.TrimPrefix(link.URL, testutil.BaseURL)

	_, body := testutil.Do(t, e.srv.Client(), http.MethodGet, target, nil)
	for _, id := range []string{"org-logo", "brand-links"} {
		if strings.Contains(body, `data-testid="`+id+`"`) {
			t.Errorf("unbranded page shows %s", id)
		}
	}
	if strings.Contains(body, "/branding/accent/") || strings.Contains(body, `class="card mx-auto w-full max-w-xl overflow-hidden shadow-md shadow-slate-900/5 lg:grid lg:max-w-5xl lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)] lg:grid-rows-[auto_auto_1fr] branded"`) {
		t.Error("unbranded page loads an accent")
	}

	if err := e.svc.SaveBranding(t.Context(), owner, act, access.BrandingInput{AccentColor: "#0f4c81", PrivacyURL: "https://acme.example/privacy", SupportURL: "https://acme.example/help"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetBrandingLogo(t.Context(), owner, act, testutil.PNG(t, 240, 80, navyRGBA)); err != nil {
		t.Fatal(err)
	}
	res, body := testutil.Do(t, e.srv.Client(), http.MethodGet, target, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	doc := testutil.ParseHTML(t, body)
	logo := testutil.ByTestID(doc, "org-logo")
	if len(logo) != 1 || !strings.HasSuffix(testutil.Attr(logo[0], "src"), ".png") || testutil.Attr(logo[0], "alt") != "Acme Agency" ||
		testutil.Attr(logo[0], "width") != "240" || testutil.Attr(logo[0], "height") != "80" {
		t.Fatalf("logo %v", logo)
	}
	if !strings.Contains(body, `<link rel="stylesheet" href="/branding/accent/0f4c81.css">`) || !strings.Contains(body, " branded\"") {
		t.Error("the page does not load the accent colour")
	}
	if got := testutil.TestIDText(t, body, "consent-domain"); got != "test.example" {
		t.Errorf("requester's domain %q", got)
	}
	if got := testutil.TestIDText(t, body, "consent-requester"); got != "Adam Admin" {
		t.Errorf("requester %q", got)
	}
	if strings.Contains(body, e.f.Admin.Email) {
		t.Error("the page shows the requester's whole email address")
	}
	for id, want := range map[string]string{"brand-privacy": "https://acme.example/privacy", "brand-support": "https://acme.example/help"} {
		a := testutil.ByTestID(doc, id)
		if len(a) != 1 || testutil.Attr(a[0], "href") != want || !strings.Contains(testutil.Attr(a[0], "rel"), "noopener") {
			t.Errorf("%s = %v", id, a)
		}
	}
	// The policy of the page allows the logo and the style sheet as they
	// are: same origin, no inline style.
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self';") || !strings.Contains(csp, "img-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}
