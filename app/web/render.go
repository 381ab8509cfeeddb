package web

import (
	"time"

	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// Render buffers come from a pool, already grown to a page's size: a fresh
// buffer per page grew by doubling and was most of the bytes a list page
// allocated. Buffers that grew past maxPooledBuffer (an unusually big page)
// are left to the garbage collector so one such page does not pin memory.
const (
	initialBuffer   = 32 << 10
	maxPooledBuffer = 1 << 20
)

var buffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, initialBuffer)) }}

// send renders into a pooled buffer with fn and writes it with status, so a
// render error never sends half a page.
func send(c echo.Context, status int, fn func(*bytes.Buffer) error) error {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buffers.Put(buf)
		}
	}()
	if err := fn(buf); err != nil {
		return err
	}
	// With its length known, the page goes out in one piece instead of
	// chunked in 2 KB parts. Both values from one array, capped (see
	// securityHeaders); HTMLBlob keeps a Content-Type already set.
	h := c.Response().Header()
	v := &[2]string{strconv.Itoa(buf.Len()), echo.MIMETextHTMLCharsetUTF8}
	h[echo.HeaderContentLength] = v[0:1:1]
	if h.Get(echo.HeaderContentType) == "" {
		h[echo.HeaderContentType] = v[1:2:2]
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// render writes a component after rendering it into a buffer, so a render
// error never sends half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	return send(c, status, func(buf *bytes.Buffer) error { return comp.Render(c.Request().Context(), buf) })
}

// renderView renders, with status, the full page that component draws
// from the page data for title (active: the menu's current item) and v:
// Server.renderPage for the views that take one value beside the page.
func renderView[V any](s *Server, c echo.Context, status int, title, active string, component func(*views.Page, V) templ.Component, v V) error {
	p, err := s.page(c, title, active)
	if err != nil {
		return err
	}
	return render(c, status, component(p, v))
}

// renderFragment writes only the templ.Fragments named ids of a page, in
// page order, so an htmx partial comes from the same component as the full
// page: no second template, no hx-select.
func renderFragment(c echo.Context, status int, page templ.Component, ids ...any) error {
	return send(c, status, func(buf *bytes.Buffer) error {
		return templ.RenderFragments(c.Request().Context(), buf, page, ids...)
	})
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

		LinkLifetime: linkLifetime(currentMember(c)),
	}
}

// linkLifetime is how long the member's new links live by default (the
// organization's choice), LinkLifetime without a workspace.
func linkLifetime(m *access.Membership) time.Duration {
	if m == nil {
		return access.LinkLifetime
	}
	return access.LinkLifetimeOf(m)
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
