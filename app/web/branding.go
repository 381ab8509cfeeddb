package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// Branding (issue 12): the settings page of an organization's owners
// (/w/{workspace}/settings/branding; admins and members get 403 from the
// domain's owner check), and the two public files the consent page loads:
// the logo, by its content's hash, and the accent colour's style sheet, by
// the colour itself. Both names say what they hold, so both are cached for
// good and no replica needs to know what another served.

const (
	brandingPath     = "/w/:workspace/settings/branding"
	brandingLogoPath = brandingPath + "/logo"
	// logoBodyBytes is the body limit of the logo upload: the largest
	// logo and the multipart form around it.
	logoBodyBytes = access.MaxLogoBytes + 16<<10
	// immutable is the Cache-Control of files named by their content.
	immutable = "public, max-age=31536000, immutable"
	// logoCSP is the policy of a logo opened on its own: an SVG may style
	// itself but runs nothing and loads nothing (sandbox: no scripts, an
	// opaque origin).
	logoCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
)

// brandingPage is GET /w/{workspace}/settings/branding.
func (s *Server) brandingPage(c echo.Context) error {
	return s.renderBranding(c, http.StatusOK, nil, "")
}

// renderBranding renders the page; form is the settings form as entered
// after a refused save (nil: as stored).
func (s *Server) renderBranding(c echo.Context, status int, form *views.BrandingForm, logoError string) error {
	b, err := s.svc.OrganizationBranding(c.Request().Context(), currentMember(c))
	if err != nil {
		return err
	}
	p, err := s.page(c, views.Text("BrandingTitle"), "branding")
	if err != nil {
		return err
	}
	v := &views.BrandingView{Branding: b, LogoError: logoError,
		Form: views.BrandingForm{AccentColor: b.AccentColor, PrivacyURL: b.PrivacyURL, SupportURL: b.SupportURL}}
	if form != nil {
		v.Form = *form
	}
	return render(c, status, views.BrandingPage(p, v))
}

// saveBranding is POST /w/{workspace}/settings/branding (accent_color,
// privacy_url, support_url).
func (s *Server) saveBranding(c echo.Context) error {
	in := access.BrandingInput{AccentColor: c.FormValue("accent_color"), PrivacyURL: c.FormValue("privacy_url"), SupportURL: c.FormValue("support_url")}
	err := s.svc.SaveBranding(c.Request().Context(), currentMember(c), actor(c), in)
	var de *access.Error
	if errors.As(err, &de) && de.Code == access.EINVALID {
		return s.renderBranding(c, http.StatusUnprocessableEntity, &views.BrandingForm{AccentColor: in.AccentColor,
			PrivacyURL: in.PrivacyURL, SupportURL: in.SupportURL, Error: views.ErrorText(de), Fields: views.FieldErrors(de)}, "")
	}
	if err != nil {
		return err
	}
	return s.brandingDone(c, views.Text("BrandingSaved"))
}

// uploadLogo is POST /w/{workspace}/settings/branding/logo, a multipart
// form with one file, logo: the one route that takes a file (limitBody).
// The form is read in memory (it is at most logoBodyBytes), so no
// temporary file is written.
func (s *Server) uploadLogo(c echo.Context) error {
	m := currentMember(c)
	if err := m.CanManageBranding(); err != nil {
		return err // before reading the file
	}
	r := c.Request()
	err := r.ParseMultipartForm(2 * logoBodyBytes)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return s.renderBranding(c, http.StatusRequestEntityTooLarge, nil, views.Text("BrandingLogoTooLarge"))
	case err != nil:
		return s.renderBranding(c, http.StatusBadRequest, nil, views.Text("BrandingUploadUnreadable"))
	}
	f, _, err := r.FormFile("logo")
	if err != nil {
		return s.renderBranding(c, http.StatusUnprocessableEntity, nil, views.Text("BrandingChooseLogo"))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, access.MaxLogoBytes+1))
	if err != nil {
		return s.renderBranding(c, http.StatusBadRequest, nil, views.Text("BrandingUploadUnreadable"))
	}
	err = s.svc.SetBrandingLogo(r.Context(), m, actor(c), data)
	var de *access.Error
	if errors.As(err, &de) && de.Code == access.EINVALID {
		return s.renderBranding(c, http.StatusUnprocessableEntity, nil, views.ErrorText(de))
	}
	if err != nil {
		return err
	}
	return s.brandingDone(c, views.Text("BrandingLogoUploaded"))
}

// removeLogo is POST /w/{workspace}/settings/branding/logo/remove.
func (s *Server) removeLogo(c echo.Context) error {
	if err := s.svc.RemoveBrandingLogo(c.Request().Context(), currentMember(c), actor(c)); err != nil {
		return err
	}
	return s.brandingDone(c, views.Text("BrandingLogoRemoved"))
}

func (s *Server) brandingDone(c echo.Context, msg string) error {
	if err := s.flash(c, msg); err != nil {
		return err
	}
	return redirect(c, "/w/"+currentMember(c).Workspace.ID+"/settings/branding")
}

// brandingLogo is GET /branding/logo/{sha256}.{png,jpg,svg}: public, named
// by its content, so cached for good; an SVG opened on its own runs
// nothing (logoCSP).
func (s *Server) brandingLogo(c echo.Context) error {
	file := c.Param("file")
	dot := strings.LastIndexByte(file, '.')
	if dot < 0 {
		return access.Errorf(access.ENOTFOUND, "Logo not found.")
	}
	logo, err := s.svc.BrandingLogo(c.Request().Context(), file[:dot])
	if err != nil {
		return err
	}
	if access.LogoExt(logo.Type) != file[dot:] {
		return access.Errorf(access.ENOTFOUND, "Logo not found.")
	}
	return sendImmutable(c, logo.Type, `"`+logo.Hash+`"`, logo.Data)
}

// brandingAccent is GET /branding/accent/{rrggbb}.css: the consent page's
// accent colour as a style sheet, made from the name alone (no lookup).
// Only a colour that passes the contrast check is served, so no URL
// makes a page with unreadable text.
func (s *Server) brandingAccent(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("file"), ".css")
	color, err := access.ParseAccentColor(name)
	if !ok || err != nil || color == "" || color != "#"+name {
		return access.Errorf(access.ENOTFOUND, "Not found.")
	}
	return sendImmutable(c, "text/css; charset=utf-8", `"`+name+`"`, []byte(accentCSS(color)))
}

// accentCSS colours the Start button (and the primary buttons of a
// preview) inside a .branded element: the colour, darker on hover and
// press (more contrast, never less), its focus ring, and the small icons
// the page draws in the product's colour.
func accentCSS(color string) string {
	return fmt.Sprintf(`.branded .btn-primary{background-color:%[1]s;color:#fff}`+
		`.branded .btn-primary:hover{background-color:%[2]s;color:#fff}`+
		`.branded .btn-primary:active{background-color:%[3]s}`+
		`.branded .btn:focus-visible{--tw-ring-color:%[1]s}`+
		`.branded .text-brand-600{color:%[1]s}`+"\n", color, shade(color, 0.85), shade(color, 0.72))
}

// shade darkens "#rrggbb" by factor f (0 to 1).
func shade(color string, f float64) string {
	var r, g, b int
	if _, err := fmt.Sscanf(color, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return color
	}
	return fmt.Sprintf("#%02x%02x%02x", int(float64(r)*f), int(float64(g)*f), int(float64(b)*f))
}

// sendImmutable answers a file named by its content: 304 to a browser
// that has it, else the bytes, with a year's cache, nosniff and a policy
// under which it runs nothing.
func sendImmutable(c echo.Context, contentType, etag string, data []byte) error {
	h := c.Response().Header()
	h.Set("Cache-Control", immutable)
	h.Set("ETag", etag)
	h.Set("Content-Security-Policy", logoCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if match := c.Request().Header.Get("If-None-Match"); match != "" && (match == etag || match == "W/"+etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, contentType, data)
}
