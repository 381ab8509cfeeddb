package web

import (
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/telemetry"
)

// traced makes each request a span named by its method and route template
// ("GET /connect/:token": never the path, which can carry a link token),
// continuing the caller's trace. routes installs it, outermost, only when
// tracing is on (telemetry.Enabled): off, requests pay nothing for it.
func (s *Server) traced(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ctx, span := telemetry.StartServer(r.Context(), r.Header, methodLabel(r.Method), s.routeLabel(c))
		c.SetRequest(r.WithContext(ctx))
		if err := next(c); err != nil {
			c.Error(err)
		}
		telemetry.EndServer(span, c.Response().Status)
		return nil
	}
}
