package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// The organization's link defaults (issue 11): how long new links last
// when their creator picks nothing. Owners only, checked by the domain
// (admins and members get 403 with a page that says why).

const linkDefaultsPath = "/w/:workspace/settings/link-defaults"

// linkDefaultsPage is GET /w/{workspace}/settings/link-defaults.
func (s *Server) linkDefaultsPage(c echo.Context) error {
	return s.renderLinkDefaults(c, http.StatusOK, "")
}

// renderLinkDefaults renders the page, with problem saying why a choice
// was refused.
func (s *Server) renderLinkDefaults(c echo.Context, status int, problem string) error {
	d, err := s.svc.OrganizationLinkDefaults(c.Request().Context(), currentMember(c))
	if err != nil {
		return err
	}
	return renderView(s, c, status, views.Text("LinkDefaultsTitle"), "link-defaults", views.LinkDefaultsPage, &views.LinkDefaultsView{Defaults: d, Error: problem})
}

// saveLinkDefaults is POST /w/{workspace}/settings/link-defaults
// (default_link_days).
func (s *Server) saveLinkDefaults(c echo.Context) error {
	days, err := strconv.Atoi(c.FormValue("default_link_days"))
	if err != nil {
		days = -1 // refused by the domain, with its reason
	}
	err = s.svc.SetDefaultLinkDays(c.Request().Context(), currentMember(c), actor(c), days)
	if access.ErrorCode(err) == access.EINVALID {
		return s.renderLinkDefaults(c, http.StatusUnprocessableEntity, views.ErrorText(err))
	}
	if err != nil {
		return err
	}
	if err := s.flash(c, views.LinkDefaultSaved(days)); err != nil {
		return err
	}
	return redirect(c, "/w/"+currentMember(c).Workspace.ID+"/settings/link-defaults")
}
