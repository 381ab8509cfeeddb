package web

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// render writes a component after rendering it into a buffer, so a render
// error never sends half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// renderFragment writes only the templ.Fragments named ids of a page, in
// page order, so an htmx partial comes from the same component as the full
// page: no second template, no hx-select.
func renderFragment(c echo.Context, status int, page templ.Component, ids ...any) error {
	var buf bytes.Buffer
	if err := templ.RenderFragments(c.Request().Context(), &buf, page, ids...); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// isHTMX reports whether the request came from htmx (and not a boosted
// full-page navigation).
func isHTMX(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") != "true"
}

// page builds the per-request page data.
func (s *Server) page(c echo.Context, title, active string) (*views.Page, error) {
	p := s.basePage(c, title, active)
	if p.User != nil && !isHTMX(c) {
		ws, err := s.svc.Workspaces(c.Request().Context(), p.User.ID)
		if err != nil {
			return nil, err
		}
		p.Workspaces = ws
		p.Flash = s.popFlash(c)
	}
	return p, nil
}

// basePage is the page data that needs no database: an error page's.
func (s *Server) basePage(c echo.Context, title, active string) *views.Page {
	return &views.Page{
		Title:      title,
		User:       currentUser(c),
		Member:     currentMember(c),
		Active:     active,
		Now:        s.svc.Clock(),
		Production: s.production,

		LinkLifetime: access.LinkLifetime,
	}
}

// redirect answers a form post: 303 for browsers, HX-Redirect for htmx.
func redirect(c echo.Context, to string) error {
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// toast asks the page (htmx) to show msg in a toast of kind success or
// error.
func toast(c echo.Context, msg, kind string) {
	b, _ := json.Marshal(map[string]any{"toast": map[string]string{"message": msg, "kind": kind}})
	c.Response().Header().Set("HX-Trigger", string(b))
}
