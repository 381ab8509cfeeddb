package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// listFilters reads the filters of the links list (status, q, sort) from
// the query or the form. Values that do not parse are dropped: they only
// decide where a confirmation returns to.
func listFilters(c echo.Context) url.Values {
	q := url.Values{}
	if st, err := access.ParseStatusFilter(c.FormValue("status")); err == nil && st != "" {
		q.Set("status", string(st))
	}
	if search, err := access.ParseSearch(c.FormValue("q")); err == nil && search != "" {
		q.Set("q", search)
	}
	if o, err := access.ParseSort(c.FormValue("sort")); err == nil && o != access.SortCreated {
		q.Set("sort", string(o))
	}
	return q
}

// listURLWith is the links list of the current workspace with filters.
func listURLWith(c echo.Context, filters url.Values) string {
	u := "/w/" + currentMember(c).Workspace.ID + "/sources/access-requests"
	if len(filters) > 0 {
		u += "?" + filters.Encode()
	}
	return u
}

// formIDs are the id values of the query or the form.
func formIDs(c echo.Context) []string {
	if err := c.Request().ParseForm(); err != nil {
		return nil
	}
	return c.Request().Form["id"]
}

// confirmDeleteSelected is GET /w/{workspace}/sources/access-requests/delete-selected:
// the links checked on the list (?id=...), listed for confirmation.
func (s *Server) confirmDeleteSelected(c echo.Context) error {
	m := currentMember(c)
	filters := listFilters(c)
	ids := formIDs(c)
	if len(ids) == 0 {
		if err := s.flash(c, views.Text("LinksBulkFlashNoneSelected")); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, listURLWith(c, filters))
	}
	links, err := s.svc.SelectedLinks(c.Request().Context(), m, ids)
	if err != nil {
		return err
	}
	if len(links) == 0 {
		if err := s.flash(c, views.Text("LinksBulkFlashAlreadyDeleted")); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, listURLWith(c, filters))
	}
	p, err := s.page(c, views.Text("PageTitleDeleteLinks"), "links")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.BulkDeletePage(p, &views.BulkDeleteView{
		Links: links, Catalog: s.svc.Sources(), Back: listURLWith(c, filters), Filters: filters}))
}

// deleteSelected is POST /w/{workspace}/sources/access-requests/delete-selected
// (id=..., repeated): deletes them all, or none if one is not the
// workspace's, and goes back to the list as it was filtered.
func (s *Server) deleteSelected(c echo.Context) error {
	n, err := s.svc.DeleteLinks(c.Request().Context(), currentMember(c), actor(c), formIDs(c))
	if err != nil {
		return err
	}
	msg := countText(n, "link") + " deleted. Accounts already connected through them stay connected."
	if err := s.flash(c, msg); err != nil {
		return err
	}
	return redirect(c, listURLWith(c, listFilters(c)))
}

// confirmDeleteExpired is GET /w/{workspace}/sources/access-requests/delete-expired:
// how many expired links there are, for confirmation.
func (s *Server) confirmDeleteExpired(c echo.Context) error {
	n, err := s.svc.CountExpired(c.Request().Context(), currentMember(c))
	if err != nil {
		return err
	}
	return renderView(s, c, http.StatusOK, views.Text("PageTitleDeleteExpired"), "links", views.ExpiredDeletePage, &views.ExpiredDeleteView{Count: n, Limit: access.ExpiredDeleteLimit})
}

// deleteExpired is POST /w/{workspace}/sources/access-requests/delete-expired.
func (s *Server) deleteExpired(c echo.Context) error {
	n, remaining, err := s.svc.DeleteExpired(c.Request().Context(), currentMember(c), actor(c))
	if err != nil {
		return err
	}
	msg := countText(n, "expired link") + " deleted."
	if remaining > 0 {
		verb := " remain"
		if remaining == 1 {
			verb = " remains"
		}
		msg += " " + countText(remaining, "expired link") + verb + ": use Delete all expired again."
	}
	if err := s.flash(c, msg); err != nil {
		return err
	}
	return redirect(c, listURLWith(c, nil))
}

// countText is "1 link" or "3 links".
func countText(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// exportLinks is GET /w/{workspace}/sources/access-requests/export.csv: the
// list with the page's filters (status, q, sort) as CSV, streamed.
func (s *Server) exportLinks(c echo.Context) error {
	m := currentMember(c)
	status, err := access.ParseStatusFilter(c.QueryParam("status"))
	if err != nil {
		return err
	}
	order, err := access.ParseSort(c.QueryParam("sort"))
	if err != nil {
		return err
	}
	q, err := access.ParseSearch(c.QueryParam("q"))
	if err != nil {
		return err
	}
	f := access.ListFilter{Status: status, Q: q, Sort: order}
	name := "access-links-" + s.svc.Clock().UTC().Format("2006-01-02")
	if status != "" {
		name += "-" + string(status)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// Errors before the first byte (a bad filter, the role) come back
	// from WriteLinksCSV before it writes anything; the status is sent
	// with the first batch.
	w := &lazyStatus{c: c}
	err = s.svc.WriteLinksCSV(c.Request().Context(), m, f, w, func() { c.Response().Flush() })
	if err != nil && !c.Response().Committed {
		for _, k := range []string{echo.HeaderContentType, echo.HeaderContentDisposition} {
			h.Del(k)
		}
		return err
	}
	if err != nil {
		// Half a file has gone out: cut the connection short, so the
		// download fails instead of looking complete.
		s.log.ErrorContext(c.Request().Context(), "links export cut short", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// lazyStatus writes the 200 status line with the first bytes.
type lazyStatus struct{ c echo.Context }

func (w *lazyStatus) Write(b []byte) (int, error) {
	if !w.c.Response().Committed {
		w.c.Response().WriteHeader(http.StatusOK)
	}
	return w.c.Response().Write(b)
}
