package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// safeNext returns next when it is a path on this site to return to after
// signing in, else "". Only a local path qualifies: one leading slash (not
// "//" or "/\", raw or percent-encoded), no scheme, host, backslash or
// control character, and not the sign-in or sign-out pages themselves.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if b := next[i]; b < 0x20 || b == 0x7f || b == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		return ""
	}
	p := u.Path
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\x00") ||
		strings.HasPrefix(next, "//") {
		return ""
	}
	switch {
	case p == "/", p == "/login", p == "/logout", strings.HasPrefix(p, "/logout/"):
		return ""
	}
	return next
}

// returnPath is the page a visitor who must sign in first was on, to come
// back to afterwards, or "". For htmx requests it is the page in the
// browser (HX-Current-URL, when it is on this site); otherwise the
// request's own path, which for a form post is the page that shows the same
// resource: signing in never repeats the action, the user does it again.
func (s *Server) returnPath(c echo.Context) string {
	r := c.Request()
	if r.Header.Get("HX-Request") == "true" {
		if cur, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil && s.sameOrigin(r, cur) {
			return safeNext(cur.EscapedPath())
		}
	}
	return safeNext(r.URL.EscapedPath())
}

// sameOrigin reports whether u is an absolute URL of this site: the
// configured base URL's origin, or the host the request came to.
func (s *Server) sameOrigin(r *http.Request, u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil {
		return false
	}
	if s.baseURL != nil && u.Scheme == s.baseURL.Scheme && strings.EqualFold(u.Host, s.baseURL.Host) {
		return true
	}
	return strings.EqualFold(u.Host, r.Host)
}

// loginURL is the sign-in page that returns to next afterwards.
func loginURL(next string) string {
	if next == "" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// passwordForm is GET /account/password.
func (s *Server) passwordForm(c echo.Context) error {
	return s.renderPassword(c, http.StatusOK, views.PasswordForm{})
}

func (s *Server) renderPassword(c echo.Context, status int, f views.PasswordForm) error {
	return renderView(s, c, status, views.Text("PasswordTitle"), "", views.PasswordPage, f)
}

// changePassword is POST /account/password: the current password and the
// new one twice. Every session of the user ends; this browser stays signed
// in with a new session.
func (s *Server) changePassword(c echo.Context) error {
	u := currentUser(c)
	ok, wait, err := s.passwordTries.allow(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	if !ok {
		retryAfter(c, wait)
		return s.renderPassword(c, http.StatusTooManyRequests, views.PasswordForm{
			Error: views.Text("PasswordTooManyTries")})
	}
	f := access.PasswordChange{Current: c.FormValue("current"), New: c.FormValue("new"), Confirm: c.FormValue("confirm")}
	if len(f.Current) > 1024 || len(f.New) > 1024 || len(f.Confirm) > 1024 {
		return s.renderPassword(c, http.StatusUnprocessableEntity, views.PasswordForm{
			Error: views.Text("PasswordNotChanged"), Fields: map[string]string{"new": views.Text("PasswordAtMost72")}})
	}
	sess, err := s.svc.ChangePassword(c.Request().Context(), u.ID, f)
	if de := (*access.Error)(nil); errors.As(err, &de) && de.Code == access.EINVALID {
		return s.renderPassword(c, http.StatusUnprocessableEntity, views.PasswordForm{Error: views.ErrorText(de), Fields: views.FieldErrors(de)})
	}
	if err != nil {
		return err
	}
	// Every session ended, this one too: this browser continues in a new
	// one, so a copy of its old cookie is worthless as well.
	if err := s.setSessionCookie(c, sess.Token); err != nil {
		return err
	}
	if err := s.passwordTries.reset(c.Request().Context(), u.ID); err != nil {
		return err
	}
	s.log.InfoContext(c.Request().Context(), "password changed", "user", u.ID)
	if err := s.svc.SetSessionFlash(c.Request().Context(), sess.Token, views.Text("PasswordChanged")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account/password")
}
