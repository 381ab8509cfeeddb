package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// listLinks is GET /w/{workspace}/sources/access-requests. Members who
// cannot manage links see why instead of the list.
func (s *Server) listLinks(c echo.Context) error {
	m := currentMember(c)
	v := &views.LinksView{Catalog: s.svc.Sources(), Gate: m.CanManageLinks(), Plan: m.Organization.Plan}
	p, err := s.page(c, views.Text("LinksTitle"), "links")
	if err != nil {
		return err
	}
	if v.Gate != nil {
		return render(c, http.StatusOK, views.LinksPage(p, v))
	}
	status, err := access.ParseStatusFilter(c.QueryParam("status"))
	if err != nil {
		return err
	}
	v.Status = status
	order, err := access.ParseSort(c.QueryParam("sort"))
	if err != nil {
		return err
	}
	v.Sort = order
	code := http.StatusOK
	v.Q, err = access.ParseSearch(c.QueryParam("q"))
	if err != nil {
		// The page with the box and the reason, not an error page: the
		// search is typed, and is corrected there.
		code = statusOf[access.ErrorCode(err)]
		v.Q, v.SearchError = access.CleanText(c.QueryParam("q"), 4*access.MaxSearchLength), views.ErrorText(err)
		v.Links = &access.LinkPage{}
	} else {
		v.Links, err = s.svc.ListLinks(c.Request().Context(), m.Workspace.ID, access.ListFilter{
			Status: status, Q: v.Q, Sort: order, Cursor: c.QueryParam("cursor")})
		if err != nil {
			return err
		}
	}
	if isHTMX(c) {
		switch c.QueryParam("fragment") {
		case "rows":
			// "Load more": the rows of this page, cut from the page itself.
			return renderFragment(c, code, views.LinksPage(p, v), views.RowsFragment)
		case "region":
			// A status tab, or the refresh after a new link: the tabs and
			// the table, and the Generate button out of band.
			v.Region = true
			return renderFragment(c, code, views.LinksPage(p, v), views.ActionsFragment, views.RegionFragment)
		}
	}
	return render(c, code, views.LinksPage(p, v))
}

// newLinkForm is GET /w/{workspace}/sources/access-requests/new: the
// generate form as a page, or its dialog fragment (htmx).
func (s *Server) newLinkForm(c echo.Context) error {
	p, err := s.page(c, views.Text("GenerateTitle"), "links")
	if err != nil {
		return err
	}
	f := views.GenerateForm{Catalog: s.svc.Sources(), Selected: c.QueryParam("source"), MailOn: s.svc.MailOn()}
	return s.renderGenerateForm(c, http.StatusOK, p, f)
}

// renderGenerateForm writes the generate form: in the dialog for htmx (a
// fragment of the page), as a page otherwise.
func (s *Server) renderGenerateForm(c echo.Context, status int, p *views.Page, f views.GenerateForm) error {
	if isHTMX(c) {
		return renderFragment(c, status, views.GeneratePage(p, f), views.GenerateFragment)
	}
	return render(c, status, views.GeneratePage(p, f))
}

// generateLink is POST /w/{workspace}/sources/access-requests.
func (s *Server) generateLink(c echo.Context) error {
	m := currentMember(c)
	source := c.FormValue("source")
	send := access.LinkMail{Recipient: c.FormValue("recipient_email"), Note: c.FormValue("note")}
	label, days, lang := c.FormValue("label"), c.FormValue("expires_in_days"), c.FormValue("language")
	expiresIn, err := parseExpiresInDays(days)
	if err == nil {
		var l *access.Link
		l, err = s.svc.GenerateLinkWith(c.Request().Context(), m, actor(c), access.NewLink{Source: source, Label: label, ExpiresIn: expiresIn, Mail: send, Language: lang})
		if err == nil {
			return s.linkGenerated(c, l)
		}
	}
	if access.ErrorCode(err) == access.EINVALID {
		p, perr := s.page(c, views.Text("GenerateTitle"), "links")
		if perr != nil {
			return perr
		}
		f := views.GenerateForm{Catalog: s.svc.Sources(), Selected: source, Error: views.ErrorText(err),
			MailOn: s.svc.MailOn(), Recipient: send.Recipient, Note: send.Note, Fields: fieldsOf(err),
			Label: label, ExpiresInDays: days, Language: lang}
		return s.renderGenerateForm(c, http.StatusUnprocessableEntity, p, f)
	}
	return err
}

// parseExpiresInDays reads the generate form's expires_in_days: a whole
// number of days from 1 to 30, or "" for the organization's default.
func parseExpiresInDays(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > int(access.MaxLinkLifetime/(24*time.Hour)) {
		return 0, &access.Error{Code: access.EINVALID, Message: views.Text("GenerateDaysInvalid"),
			Fields: map[string]string{"expires_in_days": views.Text("GenerateDaysField")}}
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

// linkGenerated answers a generated link: the dialog that shows it (htmx),
// or its page.
func (s *Server) linkGenerated(c echo.Context, l *access.Link) error {
	p, err := s.page(c, views.Text("PageTitleLinkReady"), "links")
	if err != nil {
		return err
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Trigger", "links-changed")
		return render(c, http.StatusCreated, views.GeneratedDialog(p, s.svc.Sources(), l))
	}
	return c.Redirect(http.StatusSeeOther, p.LinksURL()+"/"+l.ID+"?created=1")
}

// showLink is GET /w/{workspace}/sources/access-requests/{link}.
func (s *Server) showLink(c echo.Context) error {
	v, err := s.linkDetail(c, c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	v.Created = c.QueryParam("created") == "1" && v.Link.Status == access.StatusActive
	return s.renderLinkDetail(c, http.StatusOK, v)
}

// linkDetail reads what a link's page shows: the link of the route, a page
// of its history from cursor, the account it connected.
func (s *Server) linkDetail(c echo.Context, cursor string) (*views.LinkDetailView, error) {
	ctx := c.Request().Context()
	l, err := s.svc.GetLink(ctx, currentMember(c).Workspace.ID, c.Param("link"))
	if err != nil {
		return nil, err
	}
	history, err := s.svc.EventsPage(ctx, l.ID, cursor)
	if err != nil {
		return nil, err
	}
	account, err := s.svc.LinkAccount(ctx, l)
	if err != nil {
		return nil, err
	}
	return &views.LinkDetailView{Link: l, Catalog: s.svc.Sources(), History: history, Account: account, Label: l.Label}, nil
}

// renderLinkDetail writes a link's page.
func (s *Server) renderLinkDetail(c echo.Context, status int, v *views.LinkDetailView) error {
	return renderView(s, c, status, views.Text("PageTitleLink"), "links", views.LinkDetailPage, v)
}

// relabelLink is POST /w/{workspace}/sources/access-requests/{link}/label:
// "Save label" on the link's page. A refused label (too long) shows the
// page again with the reason, 422.
func (s *Server) relabelLink(c echo.Context) error {
	m := currentMember(c)
	label := c.FormValue("label")
	l, err := s.svc.RelabelLink(c.Request().Context(), m, actor(c), c.Param("link"), label)
	if access.ErrorCode(err) == access.EINVALID {
		v, gerr := s.linkDetail(c, "")
		if gerr != nil {
			return gerr
		}
		// Shown back cleaned (no control or bidi characters), to be cut.
		v.Label, v.LabelError = access.CleanText(label, 4*access.MaxLabelLen+4), fieldOr(err, "label")
		return s.renderLinkDetail(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	if err := s.flash(c, views.RelabeledMessage(l)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/w/"+m.Workspace.ID+"/sources/access-requests/"+l.ID)
}

// renewLink is POST /w/{workspace}/sources/access-requests/{link}/renew:
// "Send a new link" for an expired, declined or failed link. It opens the
// new link, ready to copy.
func (s *Server) renewLink(c echo.Context) error {
	m := currentMember(c)
	l, err := s.svc.Renew(c.Request().Context(), m, actor(c), c.Param("link"))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/w/"+m.Workspace.ID+"/sources/access-requests/"+l.ID+"?created=1")
}

// confirmDeleteLink is GET /w/{workspace}/sources/access-requests/{link}/delete,
// the confirmation page for browsers without JavaScript.
func (s *Server) confirmDeleteLink(c echo.Context) error {
	l, err := s.svc.GetLink(c.Request().Context(), currentMember(c).Workspace.ID, c.Param("link"))
	if err != nil {
		return err
	}
	return s.renderPage(c, views.Text("PageTitleDeleteLink"), "links", func(p *views.Page) templ.Component {
		return views.DeletePage(p, s.svc.Sources(), l)
	})
}

// deleteLink is DELETE /w/{workspace}/sources/access-requests/{link} (htmx
// removes the row) and POST .../{link}/delete (redirects back).
func (s *Server) deleteLink(c echo.Context) error {
	m := currentMember(c)
	if err := s.svc.DeleteLink(c.Request().Context(), m, actor(c), c.Param("link")); err != nil {
		return err
	}
	if isHTMX(c) {
		toast(c, views.Text("LinkDeletedFlash"), "success")
		return c.HTML(http.StatusOK, "")
	}
	if err := s.flash(c, views.Text("LinkDeletedFlash")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/w/"+m.Workspace.ID+"/sources/access-requests")
}

// renderPage renders, with status 200, the page of body for the page data
// of title and the active navigation item.
func (s *Server) renderPage(c echo.Context, title, active string, body func(*views.Page) templ.Component) error {
	p, err := s.page(c, title, active)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, body(p))
}
