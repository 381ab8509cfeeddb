package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// accounts is GET /w/{workspace}/sources: the connected accounts, newest
// first in keyset pages, narrowed by the search box (q) and the source
// filter, which the address keeps. "Load more" asks for the next page's
// rows (htmx, ?fragment=rows).
func (s *Server) accounts(c echo.Context) error {
	m := currentMember(c)
	v := &views.AccountsView{Catalog: s.svc.Sources(), Query: c.QueryParam("q"), Source: c.QueryParam("source")}
	status := http.StatusOK
	var err error
	v.Accounts, err = s.svc.AccountsPage(c.Request().Context(), m.Workspace.ID,
		access.AccountFilter{Query: v.Query, Source: v.Source, Cursor: c.QueryParam("cursor")})
	if access.ErrorCode(err) == access.EINVALID {
		// A search too long: say so by the box, with no list.
		status, v.Accounts, v.Error = http.StatusUnprocessableEntity, &access.AccountPage{}, fieldOr(err, "q")
		v.Query = access.CleanText(v.Query, 4*(access.MaxAccountQuery+1))
	} else if err != nil {
		return err
	}
	p, err := s.page(c, views.Text("AccountsTitle"), "accounts")
	if err != nil {
		return err
	}
	if isHTMX(c) && c.QueryParam("fragment") == "rows" && status == http.StatusOK {
		return renderFragment(c, status, views.AccountsPage(p, v), views.AccountRowsFragment)
	}
	return render(c, status, views.AccountsPage(p, v))
}

// showAccount is GET /w/{workspace}/sources/accounts/{account}: the
// account's details, and for admins its rename form.
func (s *Server) showAccount(c echo.Context) error {
	a, err := s.svc.Account(c.Request().Context(), currentMember(c).Workspace.ID, c.Param("account"))
	if err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, &views.AccountDetailView{Account: a, Catalog: s.svc.Sources(), Name: a.LocalName})
}

func (s *Server) renderAccount(c echo.Context, status int, v *views.AccountDetailView) error {
	return renderView(s, c, status, views.Text("PageTitleAccount"), "accounts", views.AccountDetailPage, v)
}

// renameAccount is POST /w/{workspace}/sources/accounts/{account}/rename
// (display_name): the account's name in this workspace, then back to its
// page. A name too long comes back with the reason (422).
func (s *Server) renameAccount(c echo.Context) error {
	ctx, m := c.Request().Context(), currentMember(c)
	name := c.FormValue("display_name")
	a, err := s.svc.RenameAccount(ctx, m, actor(c), c.Param("account"), name)
	if access.ErrorCode(err) == access.EINVALID {
		cur, gerr := s.svc.Account(ctx, m.Workspace.ID, c.Param("account"))
		if gerr != nil {
			return gerr
		}
		// Shown back cleaned (no control or bidi characters), to be cut.
		name = access.CleanText(name, 4*(access.MaxAccountName+1))
		return s.renderAccount(c, http.StatusUnprocessableEntity,
			&views.AccountDetailView{Account: cur, Catalog: s.svc.Sources(), Name: name, Error: fieldOr(err, "display_name")})
	}
	if err != nil {
		return err
	}
	if err := s.flash(c, views.RenamedMessage(&a.AccountSummary)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/w/"+m.Workspace.ID+"/sources/accounts/"+a.ID)
}

// fieldOr is err's message for field, or its message for the whole form.
func fieldOr(err error, field string) string {
	if msg := fieldsOf(err)[field]; msg != "" {
		return msg
	}
	return views.ErrorText(err)
}
