package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/views"
)

// confirmDisconnect is GET /w/{workspace}/sources/accounts/{account}/disconnect:
// the confirmation that names the account.
func (s *Server) confirmDisconnect(c echo.Context) error {
	a, err := s.svc.Account(c.Request().Context(), currentMember(c).Workspace.ID, c.Param("account"))
	if err != nil {
		return err
	}
	return s.renderPage(c, views.Text("PageTitleDisconnect"), "accounts", func(p *views.Page) templ.Component {
		return views.DisconnectPage(p, s.svc.Sources(), &a.AccountSummary)
	})
}

// disconnect is POST .../{account}/disconnect: the account's tokens are
// deleted and revoked at the provider, then back to the accounts page.
func (s *Server) disconnect(c echo.Context) error {
	ctx, m := c.Request().Context(), currentMember(c)
	a, err := s.svc.Account(ctx, m.Workspace.ID, c.Param("account"))
	if err != nil {
		return err
	}
	if err := s.svc.DisconnectAccount(ctx, m, actor(c), a.ID, Revoker(s.oauth, s.svc.Sources())); err != nil {
		return err
	}
	if err := s.flash(c, views.DisconnectedMessage(&a.AccountSummary)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/w/"+m.Workspace.ID+"/sources")
}
