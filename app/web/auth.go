package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// SessionLifetime is how long a sign-in lasts.
const SessionLifetime = 12 * time.Hour

func (s *Server) initSessions() {
	keys := s.svc.Keys
	store := sessions.NewCookieStore(keys.Derive("session hash", 64), keys.Derive("session block", 32))
	secure := s.baseURL != nil && s.baseURL.Scheme == "https"
	store.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(SessionLifetime.Seconds()),
		HttpOnly: true,
		Secure:   secure || s.production,
		SameSite: http.SameSiteLaxMode,
	}
	store.MaxAge(store.Options.MaxAge)
	s.sessions = store
	s.cookieName = "ar_session"
	if store.Options.Secure {
		// __Host- cookies are bound to this exact host, HTTPS and path /.
		s.cookieName = "__Host-ar_session"
	}
}

// SessionCookieName is the session cookie's name, for tests.
func (s *Server) SessionCookieName() string { return s.cookieName }

func (s *Server) popFlash(c echo.Context) string {
	sess, err := s.sessions.Get(c.Request(), s.cookieName)
	if err != nil {
		return ""
	}
	flashes := sess.Flashes()
	if len(flashes) == 0 {
		return ""
	}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		s.log.Warn("save session", "err", err)
	}
	msg, _ := flashes[0].(string)
	return msg
}

func (s *Server) flash(c echo.Context, msg string) error {
	sess, _ := s.sessions.Get(c.Request(), s.cookieName)
	sess.AddFlash(msg)
	return sess.Save(c.Request(), c.Response())
}

// home is GET /: the first workspace, or the sign-in page.
func (s *Server) home(c echo.Context) error {
	u := currentUser(c)
	if u == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return c.Redirect(http.StatusSeeOther, s.landing(c))
}

// landing is where a user goes after signing in.
func (s *Server) landing(c echo.Context) string {
	u := currentUser(c)
	ws, err := s.svc.Workspaces(c.Request().Context(), u.ID)
	if err == nil && len(ws) > 0 {
		return "/w/" + ws[0].ID + "/sources"
	}
	if u.IsSupport {
		return "/support/links"
	}
	return "/no-workspace"
}

// loginForm is GET /login.
func (s *Server) loginForm(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, s.landing(c))
	}
	return render(c, http.StatusOK, views.Login(views.LoginForm{Demo: !s.production}))
}

// login is POST /login. The error never says which of email or password
// was wrong; attempts are throttled per client address and per email.
func (s *Server) login(c echo.Context) error {
	email := access.NormalizeEmail(c.FormValue("email"))
	password := c.FormValue("password")
	form := views.LoginForm{Email: email, Demo: !s.production}
	if len(email) > 254 || len(password) > 1024 {
		form.Error = "That email and password do not match an account."
		return render(c, http.StatusUnauthorized, views.Login(form))
	}
	if ok, wait := s.loginIP.allow(c.RealIP()); !ok {
		return s.tooManyLogins(c, form, wait)
	}
	if ok, wait := s.loginEmail.allow(email); !ok {
		return s.tooManyLogins(c, form, wait)
	}
	u, err := s.svc.Authenticate(c.Request().Context(), email, password)
	if access.ErrorCode(err) == access.EUNAUTHORIZED {
		form.Error = access.ErrorMessage(err)
		return render(c, http.StatusUnauthorized, views.Login(form))
	}
	if err != nil {
		return err
	}
	// A new session: nothing from before sign-in carries over.
	sess, _ := s.sessions.New(c.Request(), s.cookieName)
	sess.Values = map[any]any{"uid": u.ID, "at": time.Now().Unix()}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	s.loginEmail.reset(email)
	withValue(c, userKey, u)
	s.log.Info("signed in", "user", u.ID)
	return c.Redirect(http.StatusSeeOther, s.landing(c))
}

func (s *Server) tooManyLogins(c echo.Context, form views.LoginForm, wait time.Duration) error {
	retryAfter(c, wait)
	mins := int(wait.Minutes()) + 1
	form.Error = "Too many sign-in attempts. Please wait " + strings.TrimSpace(views.Relative(time.Now().Add(time.Duration(mins)*time.Minute), time.Now())) + " and try again."
	return render(c, http.StatusTooManyRequests, views.Login(form))
}

// logout is POST /logout: the cookie is cleared.
func (s *Server) logout(c echo.Context) error {
	sess, _ := s.sessions.Get(c.Request(), s.cookieName)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// noWorkspace is GET /no-workspace, for users without any workspace.
func (s *Server) noWorkspace(c echo.Context) error {
	p, err := s.page(c, "No workspace yet", "")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ErrorPage(p, http.StatusOK, "No workspace yet",
		"Your account is not a member of any workspace. Ask an admin of your organization to add you."))
}
