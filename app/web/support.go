package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// The support console: read-only pages for support staff. Every route
// answers 404 to anyone else, as an unknown page would; every method but
// GET answers 405 to support staff. Each read of a link is recorded in the
// link's history.

// requireSupport lets support staff through. Everyone else, signed in or
// not, gets the same 404 as an unknown page, so the console does not show
// that it exists.
func (s *Server) requireSupport(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := currentUser(c); u == nil || !u.IsSupport {
			return echo.ErrNotFound
		}
		return next(c)
	}
}

// supportReadOnly answers every method but GET on a support route: the
// console changes nothing.
func (s *Server) supportReadOnly(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderAllow, http.MethodGet)
	return echo.ErrMethodNotAllowed
}

// supportOtherMethods are the methods a support route refuses with 405
// (after requireSupport, so that others still get 404).
var supportOtherMethods = []string{
	http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
	http.MethodOptions, http.MethodConnect, http.MethodTrace, echo.PROPFIND, echo.REPORT,
}

const dateLayout = "2006-01-02"

// supportQuery turns the search form into a domain query, with a message
// per field it cannot read.
func supportQuery(f views.SupportForm) (access.SupportQuery, map[string]string) {
	q := access.SupportQuery{Q: f.Q, Source: f.Source}
	fields := map[string]string{}
	st, err := access.ParseSupportStatus(f.Status)
	if err != nil {
		fields["status"] = views.Text("SupportUnknownStatus")
	}
	q.Status = st
	if f.From != "" {
		t, err := time.Parse(dateLayout, f.From)
		if err != nil {
			fields["from"] = views.Text("SupportDateFrom")
		}
		q.From = t
	}
	if f.To != "" {
		t, err := time.Parse(dateLayout, f.To)
		if err != nil {
			fields["to"] = views.Text("SupportDateTo")
		} else {
			q.To = t.Add(24 * time.Hour) // the whole day
		}
	}
	return q, fields
}

// supportSearch is GET /support/links: the search form, and its results
// when a filter is set. A pasted link or token is never shown back: the
// answer redirects to the same search by link ID.
func (s *Server) supportSearch(c echo.Context) error {
	ctx := c.Request().Context()
	form := views.SupportForm{
		Q:      strings.TrimSpace(c.QueryParam("q")),
		Source: strings.TrimSpace(c.QueryParam("source")),
		Status: c.QueryParam("status"),
		From:   strings.TrimSpace(c.QueryParam("from")),
		To:     strings.TrimSpace(c.QueryParam("to")),
	}
	p, err := s.page(c, views.Text("PageTitleSupport"), "support")
	if err != nil {
		return err
	}
	v := &views.SupportSearchView{Form: form, Catalog: s.svc.Sources()}
	if c.QueryParam("notfound") == "token" && form.Q == "" {
		v.Notice = views.Text("SupportTokenNoMatch")
		if filtered(form) {
			v.Notice = views.Text("SupportTokenNoMatchFiltered")
		}
		v.Results = &access.SupportPage{}
		return render(c, http.StatusOK, views.SupportSearchPage(p, v))
	}
	if form.Empty() {
		return render(c, http.StatusOK, views.SupportSearchPage(p, v))
	}
	q, fields := supportQuery(form)
	if len(fields) > 0 {
		v.Error, v.Fields = views.Text("SupportCheckFilters"), fields
		return render(c, http.StatusUnprocessableEntity, views.SupportSearchPage(p, v))
	}
	q.Cursor = c.QueryParam("cursor")
	res, err := s.svc.SearchLinks(ctx, q)
	if code := access.ErrorCode(err); code == access.EINVALID || code == access.EBADREQUEST {
		v.Error = views.ErrorText(err)
		// Shown back in the form as text, whatever bytes came in.
		v.Form.Q, v.Form.Source = access.CleanText(form.Q, 500), access.CleanText(form.Source, 64)
		v.Fields = views.FieldErrors(err)
		return render(c, statusOf[code], views.SupportSearchPage(p, v))
	}
	if err != nil {
		return err
	}
	if res.Kind == access.QueryToken {
		// The token was hashed for the lookup; answer with a URL that holds
		// the link ID instead, so the token is not shown on the page, kept
		// in the browser's history or sent on with "Load more".
		form.Q = ""
		to := form.Values()
		if len(res.Links) == 1 {
			to.Set("q", res.Links[0].ID)
			to.Set("found", "token")
		} else {
			to.Set("notfound", "token")
		}
		return c.Redirect(http.StatusSeeOther, views.SupportURL+"?"+to.Encode())
	}
	if res.Kind == access.QueryLinkID && c.QueryParam("found") == "token" {
		v.Notice = views.Text("SupportTokenFound")
	}
	v.Results = res
	if isHTMX(c) && c.QueryParam("fragment") == "rows" {
		// "Load more": the next rows, cut from the page itself.
		return renderFragment(c, http.StatusOK, views.SupportSearchPage(p, v), views.SupportRowsFragment)
	}
	return render(c, http.StatusOK, views.SupportSearchPage(p, v))
}

// filtered says that other filters narrowed a token search.
func filtered(f views.SupportForm) bool {
	return f.Source != "" || f.Status != "" || f.From != "" || f.To != ""
}

// supportLink is GET /support/links/{link}: any link, deleted ones too,
// with its history, newest first, one page at a time (?cursor= for older
// events). The visit is recorded first, so the first page starts with it.
func (s *Server) supportLink(c echo.Context) error {
	ctx := c.Request().Context()
	l, err := s.svc.SupportLink(ctx, c.Param("link"))
	if err != nil {
		return err
	}
	cursor := c.QueryParam("cursor")
	if err := access.CheckCursor(cursor); err != nil {
		return err // before recording: a bad request is not a visit
	}
	if err := s.svc.RecordSupportView(ctx, &l.SupportLink, actor(c), access.SupportViewPage); err != nil {
		return err
	}
	history, err := s.svc.EventsPage(ctx, l.ID, cursor)
	if err != nil {
		return err
	}
	return renderView(s, c, http.StatusOK, views.Text("PageTitleLinkHistory"), "support", views.SupportLinkPage, &views.SupportLinkDetail{Link: l, Catalog: s.svc.Sources(), History: history})
}

// supportExport is GET /support/links/{link}/history.json: the link's facts
// and history as a JSON attachment for a support ticket, written while the
// events are read. The download is recorded like a visit, and only for a
// navigation from the console itself or typed in (Sec-Fetch-Site
// same-origin or none; clients that send no Fetch Metadata count as none):
// another site cannot make a support user's browser download it and
// record a view in the customer's history.
func (s *Server) supportExport(c echo.Context) error {
	ctx := c.Request().Context()
	if site := c.Request().Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return echo.NewHTTPError(http.StatusForbidden, views.Text("SupportDownloadFromPage"))
	}
	l, err := s.svc.SupportLink(ctx, c.Param("link"))
	if err != nil {
		return err
	}
	if err := s.svc.RecordSupportView(ctx, &l.SupportLink, actor(c), access.SupportViewExport); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	h.Set("Content-Disposition", `attachment; filename="link-`+l.ID+`-history.json"`)
	c.Response().WriteHeader(http.StatusOK)
	if err := s.svc.WriteHistory(ctx, l, c.Response(), views.EventWords); err != nil {
		// The status and part of the document are sent: the download ends
		// truncated (invalid JSON), and the cause goes to the log.
		s.log.ErrorContext(c.Request().Context(), "history export failed", "link", l.ID, "err", err)
	}
	return nil
}
