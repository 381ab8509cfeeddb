package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/accessrequests/accessrequests/app/telemetry"
	"github.com/accessrequests/accessrequests/static"
)

// getOrHead are the methods of the public, read-only pages that uptime
// checks, link previews and mail scanners probe with HEAD (RFC 9110,
// 9.3.2: the GET's status and headers, no body; net/http drops what the
// handler writes). Other pages stay GET only: those behind a session, and
// the OAuth callback and the sandbox provider, which act on GET.
var getOrHead = []string{http.MethodGet, http.MethodHead}

// routes declares every route; the gates are middleware on the groups.
func (s *Server) routes() {
	e := s.echo
	// Every request, outermost first (tracing, when on, outside them all).
	every := []echo.MiddlewareFunc{
		s.observe,
		compress,
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}),
		s.securityHeaders,
		s.limitBody,
		s.requestDeadline,
		browserOnly(s.crossOrigin),
		browserOnly(s.loadSession),
	}
	if telemetry.Enabled() {
		every = append([]echo.MiddlewareFunc{s.traced}, every...)
	}
	useOnce(e, every...)

	// Operators.
	e.Match(getOrHead, "/healthz", s.healthz)
	e.Match(getOrHead, "/readyz", s.readyz)
	if s.metricsToken != "" {
		e.GET("/metrics", s.metricsWithToken) // else only on the operators' listener
	}
	e.Match(getOrHead, "/static/*", echo.WrapHandler(static.Handler()))
	// An organization's logo and accent colour (branding.go): public
	// files named by their content, for the consent page.
	e.Match(getOrHead, "/branding/logo/:file", s.brandingLogo)
	e.Match(getOrHead, "/branding/accent/:file", s.brandingAccent)

	// The REST API (app/api): bearer API keys, no session, no CSRF check.
	s.mountAPI(e, s.apiRateLimit)

	// Sign-in.
	e.Match(getOrHead, "/", s.home)
	e.Match(getOrHead, "/login", s.loginForm)
	e.POST("/login", s.login)
	e.POST("/logout", s.logout)
	signedIn := gates(s.requireUser)
	e.POST("/logout/everywhere", signedIn(s.logoutEverywhere))
	e.GET("/account/password", signedIn(s.passwordForm))
	e.POST("/account/password", signedIn(s.changePassword))
	e.GET("/account/notifications", signedIn(s.notifications))
	e.POST("/account/notifications", signedIn(s.saveNotifications))
	e.GET("/no-workspace", signedIn(s.noWorkspace))
	if !s.production {
		// Mail that would have been sent (mail.go); no such page in
		// production.
		e.GET("/dev/mailbox", signedIn(s.mailbox))
		e.GET("/dev/mailbox/:mail", signedIn(s.mailboxMessage))
		e.GET("/dev/mailbox/:mail/html", signedIn(s.mailboxHTML))
	}

	// The invitee (invitee.go): public, rate limited, in the invitee's
	// language (language.go); never cached and no referrer, like every
	// response (securityHeaders). (Middleware is
	// attached per route: an Echo group with middleware also claims every
	// unknown path under its prefix.)
	public := gates(s.inviteeLanguage, s.limitPublic)
	e.Match(getOrHead, "/connect/:token", public(s.consent))
	e.POST("/connect/:token/start", public(s.startFlow))
	e.POST("/connect/:token/decline", public(s.declineLink))
	e.Match(getOrHead, "/connect/:token/declined", public(s.declined))
	e.GET("/oauth/callback", public(s.callback))

	// The sandbox provider, outside production only.
	if s.sandbox != nil {
		e.Any("/sandbox/*", echo.WrapHandler(s.sandbox))
	}

	// Workspace members.
	member := gates(s.requireUser, s.requireWorkspace)
	e.GET("/w/:workspace/sources", member(s.accounts))

	// The links page explains itself to members who cannot manage links;
	// everything else needs the manager gate (role and plan).
	const links = "/w/:workspace/sources/access-requests"
	manager := gates(s.requireUser, s.requireWorkspace, s.requireManager)
	e.GET(links, member(s.listLinks))
	e.POST(links, manager(s.generateLink))
	e.GET(links+"/new", manager(s.newLinkForm))
	// Several links at once (links_bulk.go) and the CSV of the list.
	e.GET(links+"/delete-selected", manager(s.confirmDeleteSelected))
	e.POST(links+"/delete-selected", manager(s.deleteSelected))
	e.GET(links+"/delete-expired", manager(s.confirmDeleteExpired))
	e.POST(links+"/delete-expired", manager(s.deleteExpired))
	e.GET(links+"/export.csv", manager(s.exportLinks))
	e.GET(links+"/:link", manager(s.showLink))
	e.DELETE(links+"/:link", manager(s.deleteLink))
	e.GET(links+"/:link/delete", manager(s.confirmDeleteLink))
	e.POST(links+"/:link/delete", manager(s.deleteLink))
	e.POST(links+"/:link/resend", manager(s.resendLink))
	e.POST(links+"/:link/renew", manager(s.renewLink))
	e.POST(links+"/:link/label", manager(s.relabelLink))

	// A connected account's page, its renaming (accounts.go) and
	// disconnecting it (disconnect.go).
	const account = "/w/:workspace/sources/accounts/:account"
	e.GET(account, member(s.showAccount))
	e.POST(account+"/rename", manager(s.renameAccount))
	e.GET(account+"/disconnect", manager(s.confirmDisconnect))
	e.POST(account+"/disconnect", manager(s.disconnect))
	// A reconnect link for a connected account (reconnect.go).
	e.POST(account+"/reconnect-link", manager(s.reconnectLink))

	// API keys (apikeys.go): the page explains itself like the links page;
	// the rest needs the manager gate.
	const apiKeys = "/w/:workspace/settings/api-keys"
	e.GET(apiKeys, member(s.listAPIKeys))
	e.POST(apiKeys, manager(s.createAPIKey))
	e.GET(apiKeys+"/:key/revoke", manager(s.confirmRevokeAPIKey))
	e.POST(apiKeys+"/:key/revoke", manager(s.revokeAPIKey))

	// Webhook endpoints and their delivery logs (webhooks.go).
	const hooks = "/w/:workspace/settings/webhooks"
	hookManager := gates(s.requireUser, s.requireWorkspace, s.requireWebhookManager)
	e.GET(hooks, hookManager(s.listWebhooks))
	e.POST(hooks, hookManager(s.createWebhook))
	e.GET(hooks+"/:endpoint", hookManager(s.showWebhook))
	e.POST(hooks+"/:endpoint/rotate", hookManager(s.rotateWebhook))
	e.POST(hooks+"/:endpoint/:action", hookManager(s.webhookAction))
	e.POST(hooks+"/:endpoint/deliveries/:message/resend", hookManager(s.webhookAction))

	// Branding (branding.go): organization owners only, checked by the
	// domain (admins and members get 403 with a page that says why).
	e.GET(brandingPath, member(s.brandingPage))
	e.POST(brandingPath, member(s.saveBranding))
	e.POST(brandingLogoPath, member(s.uploadLogo))
	e.POST(brandingLogoPath+"/remove", member(s.removeLogo))

	// The organization's default link lifetime (link_defaults.go): owners
	// only, checked by the domain like branding.
	e.GET(linkDefaultsPath, member(s.linkDefaultsPage))
	e.POST(linkDefaultsPath, member(s.saveLinkDefaults))

	// Support console (support.go): support staff only, read-only. Anyone
	// else gets 404 on every method of every path, as for an unknown page;
	// support staff get 405 on every method but GET. Each read of a link,
	// page or export, is recorded in the link's history.
	support := gates(s.requireSupport)
	e.GET("/support/links", support(s.supportSearch))
	e.GET("/support/links/:link", support(s.supportLink))
	e.GET("/support/links/:link/history.json", support(s.supportExport))
	e.Match(supportOtherMethods, "/support/links", support(s.supportReadOnly))
	e.Match(supportOtherMethods, "/support/links/:link", support(s.supportReadOnly))
	e.Match(supportOtherMethods, "/support/links/:link/history.json", support(s.supportReadOnly))
}

// Echo v4 wraps a handler in its middleware at every request: each
// middleware function is called again and returns a fresh closure (and
// browserOnly(crossOrigin) a fresh CrossOriginProtection), 14 allocations
// per request on the consent page before any of them ran. gates and
// useOnce wrap once, when the routes are declared; the middleware run in
// the same order, with the same code.

// gates returns a function that wraps a route's handler in mws, the first
// outermost, once: the route-level middleware of a group of routes.
func gates(mws ...echo.MiddlewareFunc) func(echo.HandlerFunc) echo.HandlerFunc {
	return func(h echo.HandlerFunc) echo.HandlerFunc {
		for i := len(mws) - 1; i >= 0; i-- {
			h = mws[i](h)
		}
		return h
	}
}

// useOnce installs mws as the middleware of every request, the first
// outermost, like e.Use(mws...), wrapped once around a handler that calls
// whatever the router matched for the request: a route's handler, or
// Echo's 404 or 405. It must be the only e.Use: Echo hands the
// middleware the handler it matched (c.Handler()) with nothing between,
// which is what the chain calls in its place.
func useOnce(e *echo.Echo, mws ...echo.MiddlewareFunc) {
	h := gates(mws...)(func(c echo.Context) error { return c.Handler()(c) })
	e.Use(func(echo.HandlerFunc) echo.HandlerFunc { return h })
}
