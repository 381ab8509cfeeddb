package web

import "github.com/labstack/echo/v4"

// Routes lists every route the server declares, for tests that walk them
// all (support_test.go).
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }
