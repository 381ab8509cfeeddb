package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/views"
)

// reconnectLink is POST /w/{workspace}/sources/accounts/{account}/reconnect-link:
// a link pinned to the account (GenerateReconnectLink checks the role, the
// plan and the workspace), shown ready to copy on the link's page.
func (s *Server) reconnectLink(c echo.Context) error {
	ctx, m := c.Request().Context(), currentMember(c)
	a, err := s.svc.Account(ctx, m.Workspace.ID, c.Param("account"))
	if err != nil {
		return err
	}
	l, err := s.svc.GenerateReconnectLink(ctx, m, actor(c), a.ID)
	if err != nil {
		return err
	}
	if err := s.flash(c, views.ReconnectLinkMessage(&a.AccountSummary)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/w/"+m.Workspace.ID+"/sources/access-requests/"+l.ID+"?created=1")
}
