package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// The API keys page (issue 9). A new key is shown once, in the answer to
// the form's POST: it is never put in a URL, a flash message or a log.

// listAPIKeys is GET /w/{workspace}/settings/api-keys. Members who cannot
// manage keys see why instead of the list.
func (s *Server) listAPIKeys(c echo.Context) error {
	m := currentMember(c)
	return s.renderAPIKeys(c, http.StatusOK, &views.APIKeysView{Gate: m.CanManageLinks(), Plan: m.Organization.Plan})
}

// createAPIKey is POST /w/{workspace}/settings/api-keys: the page with the
// new key, once, or with the form's problem.
func (s *Server) createAPIKey(c echo.Context) error {
	m := currentMember(c)
	name := c.FormValue("name")
	k, secret, err := s.svc.CreateAPIKey(c.Request().Context(), m, actor(c), name)
	v := &views.APIKeysView{Plan: m.Organization.Plan}
	status := http.StatusCreated
	switch code := access.ErrorCode(err); {
	case code == access.EINVALID || code == access.ECONFLICT:
		v.Name, v.Error, status = name, keyFormError(err), statusOf[code]
	case err != nil:
		return err
	default:
		v.Created, v.Secret = k, secret
	}
	return s.renderAPIKeys(c, status, v)
}

// keyFormError is the create form's message: the name field's own when
// there is one.
func keyFormError(err error) string {
	if msg := views.FieldErrors(err)["name"]; msg != "" {
		return msg
	}
	return views.ErrorText(err)
}

// renderAPIKeys writes the page; behind the gate it reads no key.
func (s *Server) renderAPIKeys(c echo.Context, status int, v *views.APIKeysView) error {
	if v.Gate == nil {
		list, err := s.svc.APIKeysWithEvents(c.Request().Context(), currentMember(c).Workspace.ID)
		if err != nil {
			return err
		}
		v.List = list
	}
	return renderView(s, c, status, views.Text("APIKeysTitle"), "api-keys", views.APIKeysPage, v)
}

// confirmRevokeAPIKey is GET /w/{workspace}/settings/api-keys/{key}/revoke.
func (s *Server) confirmRevokeAPIKey(c echo.Context) error {
	k, err := s.svc.GetAPIKey(c.Request().Context(), currentMember(c).Workspace.ID, c.Param("key"))
	if err != nil {
		return err
	}
	return s.renderPage(c, views.Text("PageTitleRevokeAPIKey"), "api-keys", func(p *views.Page) templ.Component { return views.RevokeAPIKeyPage(p, k) })
}

// revokeAPIKey is POST /w/{workspace}/settings/api-keys/{key}/revoke.
func (s *Server) revokeAPIKey(c echo.Context) error {
	m := currentMember(c)
	if err := s.svc.RevokeAPIKey(c.Request().Context(), m, actor(c), c.Param("key")); err != nil {
		return err
	}
	if err := s.flash(c, views.Text("APIKeysRevokedFlash")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/w/"+m.Workspace.ID+"/settings/api-keys")
}
