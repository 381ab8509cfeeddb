package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/views/locale"
)

// langCookieAge is how long a visitor's choice of language is kept.
const langCookieAge = 365 * 24 * 60 * 60

// inviteeLanguage picks the language of the invitee's pages: ?lang= (the
// switcher's links, kept in a cookie so that the next pages follow it),
// else the cookie, else Accept-Language, else English. The switcher is
// shown on GET /connect/{token}, a page that can be loaded again; never on
// the callback, which must not run twice.
func (s *Server) inviteeLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		tag := locale.FromRequest(r)
		// Without a query there is no ?lang= (and no query to parse).
		if t, ok := locale.Parse(queryParam(c, r, "lang")); ok {
			tag = t
			c.SetCookie(&http.Cookie{Name: locale.CookieName, Value: t.String(), Path: "/", MaxAge: langCookieAge,
				HttpOnly: true, Secure: s.sessions.Options.Secure, SameSite: http.SameSiteLaxMode})
		}
		switchable := r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/connect/")
		c.Response().Header().Set("Content-Language", locale.Get(tag).Lang())
		c.SetRequest(r.WithContext(locale.With(r.Context(), tag, switchable)))
		return next(c)
	}
}

// queryParam is c.QueryParam(name), without parsing an empty query.
func queryParam(c echo.Context, r *http.Request, name string) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return c.QueryParam(name)
}
