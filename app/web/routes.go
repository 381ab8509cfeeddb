package web

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accessrequests/accessrequests/static"
)

// routes declares every route; the gates are middleware on the groups.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.observe)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}))
	e.Use(s.securityHeaders)
	e.Use(s.crossOrigin)
	e.Use(s.loadSession)

	// Operators.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})))
	e.GET("/static/*", echo.WrapHandler(static.Handler()))

	// Sign-in.
	e.GET("/", s.home)
	e.GET("/login", s.loginForm)
	e.POST("/login", s.login)
	e.POST("/logout", s.logout)
	e.GET("/no-workspace", s.noWorkspace, s.requireUser)

	// The invitee: public, rate limited, never cached, no referrer.
	pub := e.Group("", s.limitPublic, noStore)
	pub.GET("/connect/:token", s.consent)
	pub.POST("/connect/:token/start", s.startFlow)
	pub.POST("/connect/:token/decline", s.declineLink)
	pub.GET("/oauth/callback", s.callback)

	// The sandbox provider, outside production only.
	if s.sandbox != nil {
		e.Any("/sandbox/*", echo.WrapHandler(s.sandbox))
	}

	// Workspace members.
	w := e.Group("/w/:workspace", s.requireUser, s.requireWorkspace)
	w.GET("/sources", s.accounts)

	// The links page explains itself to members who cannot manage links;
	// everything else needs the manager gate (role and plan).
	w.GET("/sources/access-requests", s.listLinks)
	m := w.Group("/sources/access-requests", s.requireManager)
	m.POST("", s.generateLink)
	m.GET("/new", s.newLinkForm)
	m.GET("/:link", s.showLink)
	m.DELETE("/:link", s.deleteLink)
	m.GET("/:link/delete", s.confirmDeleteLink)
	m.POST("/:link/delete", s.deleteLink)
}
