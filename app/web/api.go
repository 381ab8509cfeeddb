package web

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/api"
)

// DefaultAPIRateLimit is how many requests an API key may make per minute
// (a burst of that many, refilled evenly), on each replica: the limiter
// lives in the process (docs/api.md has its sizing).
const DefaultAPIRateLimit = 600

// mountAPI mounts the REST API (app/api) under /api/v1, with a per-key
// rate limit and the web layer's token refresher.
func (s *Server) mountAPI(e *echo.Echo, perMinute int) {
	if perMinute <= 0 {
		perMinute = DefaultAPIRateLimit
	}
	lim := newLimiter(perMinute, time.Minute)
	api.Mount(e, api.Options{Service: s.svc, Refresher: Refresher(s.oauth, s.svc.Sources()), Revoker: Revoker(s.oauth, s.svc.Sources()), Log: s.log, Allow: lim.allow})
}

// browserOnly runs mw on every route but the API's: API clients carry a
// bearer key, never a session cookie, so neither sessions nor the
// cross-site checks of forms apply to them.
func browserOnly(mw echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		wrapped := mw(next)
		return func(c echo.Context) error {
			if api.IsAPIPath(c) {
				return next(c)
			}
			return wrapped(c)
		}
	}
}
