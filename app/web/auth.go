package web

import (
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// sessionIDKey is the one value the session cookie holds: the random ID of
// a server-side session (access.Session). Everything else lives in the
// sessions table.
const sessionIDKey = "sid"

func (s *Server) initSessions() {
	keys := s.keys
	store := sessions.NewCookieStore(keys.Derive("session hash", 64), keys.Derive("session block", 32))
	secure := s.baseURL != nil && s.baseURL.Scheme == "https"
	_, lifetime := s.svc.SessionDurations()
	store.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(lifetime.Seconds()),
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

// sessionToken is the session ID the request's cookie holds, or "".
func (s *Server) sessionToken(c echo.Context) string {
	if !hasCookie(c.Request(), s.cookieName) {
		return "" // what the store answers, without making a session
	}
	sess, err := s.sessions.Get(c.Request(), s.cookieName)
	if err != nil {
		return ""
	}
	token, _ := sess.Values[sessionIDKey].(string)
	return token
}

// hasCookie reports whether r carries a cookie named name, without
// parsing every cookie into a value (http.Request.Cookie does).
func hasCookie(r *http.Request, name string) bool {
	for _, line := range r.Header["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			k, _, _ := strings.Cut(part, "=")
			if textproto.TrimString(k) == name {
				return true
			}
		}
	}
	return false
}

// setSessionCookie starts the browser's cookie for a new session: nothing
// from before sign-in carries over.
func (s *Server) setSessionCookie(c echo.Context, token string) error {
	sess, _ := s.sessions.New(c.Request(), s.cookieName)
	sess.Values = map[any]any{sessionIDKey: token}
	return sess.Save(c.Request(), c.Response())
}

// clearSessionCookie deletes the browser's session cookie.
func (s *Server) clearSessionCookie(c echo.Context) error {
	sess, _ := s.sessions.Get(c.Request(), s.cookieName)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}

// popFlash returns the session's flash message, once.
func (s *Server) popFlash(c echo.Context) string {
	sess := currentSession(c)
	if sess == nil || sess.Flash == "" {
		return ""
	}
	if err := s.svc.ClearSessionFlash(c.Request().Context(), sess.Token); err != nil {
		s.log.WarnContext(c.Request().Context(), "clear flash", "err", err)
	}
	return sess.Flash
}

// flash keeps msg for the next page of the session; the session's
// lifetime is not extended by it.
func (s *Server) flash(c echo.Context, msg string) error {
	sess := currentSession(c)
	if sess == nil {
		return nil
	}
	return s.svc.SetSessionFlash(c.Request().Context(), sess.Token, msg)
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
	next := safeNext(c.QueryParam("next"))
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, s.afterSignIn(c, next))
	}
	return render(c, http.StatusOK, views.Login(views.LoginForm{Next: next, Demo: !s.production}))
}

// afterSignIn is where a signed-in user goes: next (already checked by
// safeNext) when set, else the landing page.
func (s *Server) afterSignIn(c echo.Context, next string) string {
	if next != "" {
		return next
	}
	return s.landing(c)
}

// login is POST /login. The error never says which of email or password
// was wrong; attempts are throttled per client address and per email (see
// throttle.go for how the right password still gets through).
func (s *Server) login(c echo.Context) error {
	email := access.NormalizeEmail(c.FormValue("email"))
	password := c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	form := views.LoginForm{Email: access.CleanText(email, 254), Next: next, Demo: !s.production}
	if len(email) > 254 || len(password) > 1024 {
		form.Error = views.Text("LoginNoMatch")
		return render(c, http.StatusUnauthorized, views.Login(form))
	}
	ctx := c.Request().Context()
	ip := c.RealIP()
	ipOK, wait, err := s.loginIP.allow(ctx, ip)
	if err != nil {
		return err
	}
	if !ipOK {
		return s.tooManyLogins(c, form, wait)
	}
	emailOK, wait, err := s.loginEmail.allow(ctx, email)
	if err != nil {
		return err
	}
	if !emailOK {
		failing, err := s.loginFailures.recent(ctx, email, ip)
		if err != nil {
			return err
		}
		if failing {
			// This address has been failing for this email: no more tries.
			return s.tooManyLogins(c, form, wait)
		}
	}
	u, err := s.svc.Authenticate(ctx, email, password)
	if access.ErrorCode(err) == access.EUNAUTHORIZED {
		if err := s.loginFailures.add(ctx, email, ip); err != nil {
			return err
		}
		if !emailOK {
			return s.tooManyLogins(c, form, wait)
		}
		form.Error = views.ErrorText(err)
		return render(c, http.StatusUnauthorized, views.Login(form))
	}
	if err != nil {
		return err
	}
	// A session this browser still held ends: one browser, one session.
	if err := s.svc.EndSession(c.Request().Context(), s.sessionToken(c)); err != nil {
		return err
	}
	sess, err := s.svc.StartSession(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	if err := s.setSessionCookie(c, sess.Token); err != nil {
		return err
	}
	if emailOK {
		// Past the limit the count stays, so the addresses that were
		// guessing earn nothing from the owner's sign-in.
		if err := s.loginEmail.reset(ctx, email); err != nil {
			return err
		}
	}
	if err := s.loginFailures.forget(ctx, email, ip); err != nil {
		return err
	}
	withValue(c, userKey, u)
	s.log.InfoContext(c.Request().Context(), "signed in", "user", u.ID)
	return c.Redirect(http.StatusSeeOther, s.afterSignIn(c, next))
}

func (s *Server) tooManyLogins(c echo.Context, form views.LoginForm, wait time.Duration) error {
	retryAfter(c, wait)
	form.Error = views.LoginThrottled(wait)
	return render(c, http.StatusTooManyRequests, views.Login(form))
}

// logout is POST /logout: the session ends on the server at once, and the
// cookie is cleared.
func (s *Server) logout(c echo.Context) error {
	if err := s.svc.EndSession(c.Request().Context(), s.sessionToken(c)); err != nil {
		return err
	}
	if err := s.clearSessionCookie(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// logoutEverywhere is POST /logout/everywhere: every session of the user
// ends, this one included.
func (s *Server) logoutEverywhere(c echo.Context) error {
	u := currentUser(c)
	n, err := s.svc.EndUserSessions(c.Request().Context(), u.ID, "")
	if err != nil {
		return err
	}
	if err := s.clearSessionCookie(c); err != nil {
		return err
	}
	s.log.InfoContext(c.Request().Context(), "signed out everywhere", "user", u.ID, "sessions", n)
	return redirect(c, "/login")
}

// noWorkspace is GET /no-workspace, for users without any workspace.
func (s *Server) noWorkspace(c echo.Context) error {
	p, err := s.page(c, views.Text("PageTitleNoWorkspace"), "")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ErrorPage(p, http.StatusOK, views.Text("PageTitleNoWorkspace"), views.Text("NoWorkspaceText")))
}
