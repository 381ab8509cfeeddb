package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

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
	e.Use(s.observe)
	e.Use(compress)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}))
	e.Use(s.securityHeaders)
	e.Use(s.limitBody)
	e.Use(s.requestDeadline)
	e.Use(browserOnly(s.crossOrigin))
	e.Use(browserOnly(s.loadSession))

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
	e.POST("/logout/everywhere", s.logoutEverywhere, s.requireUser)
	e.GET("/account/password", s.passwordForm, s.requireUser)
	e.POST("/account/password", s.changePassword, s.requireUser)
	e.GET("/account/notifications", s.notifications, s.requireUser)
	e.POST("/account/notifications", s.saveNotifications, s.requireUser)
	e.GET("/no-workspace", s.noWorkspace, s.requireUser)
	if !s.production {
		// Mail that would have been sent (mail.go); no such page in
		// production.
		e.GET("/dev/mailbox", s.mailbox, s.requireUser)
		e.GET("/dev/mailbox/:mail", s.mailboxMessage, s.requireUser)
		e.GET("/dev/mailbox/:mail/html", s.mailboxHTML, s.requireUser)
	}

	// The invitee (invitee.go): public, rate limited, in the invitee's
	// language (language.go); never cached and no referrer, like every
	// response (securityHeaders). (Middleware is
	// attached per route: an Echo group with middleware also claims every
	// unknown path under its prefix.)
	public := []echo.MiddlewareFunc{s.inviteeLanguage, s.limitPublic}
	e.Match(getOrHead, "/connect/:token", s.consent, public...)
	e.POST("/connect/:token/start", s.startFlow, public...)
	e.POST("/connect/:token/decline", s.declineLink, public...)
	e.GET("/oauth/callback", s.callback, public...)

	// The sandbox provider, outside production only.
	if s.sandbox != nil {
		e.Any("/sandbox/*", echo.WrapHandler(s.sandbox))
	}

	// Workspace members.
	member := []echo.MiddlewareFunc{s.requireUser, s.requireWorkspace}
	e.GET("/w/:workspace/sources", s.accounts, member...)

	// The links page explains itself to members who cannot manage links;
	// everything else needs the manager gate (role and plan).
	const links = "/w/:workspace/sources/access-requests"
	manager := []echo.MiddlewareFunc{s.requireUser, s.requireWorkspace, s.requireManager}
	e.GET(links, s.listLinks, member...)
	e.POST(links, s.generateLink, manager...)
	e.GET(links+"/new", s.newLinkForm, manager...)
	// Several links at once (links_bulk.go) and the CSV of the list.
	e.GET(links+"/delete-selected", s.confirmDeleteSelected, manager...)
	e.POST(links+"/delete-selected", s.deleteSelected, manager...)
	e.GET(links+"/delete-expired", s.confirmDeleteExpired, manager...)
	e.POST(links+"/delete-expired", s.deleteExpired, manager...)
	e.GET(links+"/export.csv", s.exportLinks, manager...)
	e.GET(links+"/:link", s.showLink, manager...)
	e.DELETE(links+"/:link", s.deleteLink, manager...)
	e.GET(links+"/:link/delete", s.confirmDeleteLink, manager...)
	e.POST(links+"/:link/delete", s.deleteLink, manager...)
	e.POST(links+"/:link/resend", s.resendLink, manager...)
	e.POST(links+"/:link/renew", s.renewLink, manager...)
	e.POST(links+"/:link/label", s.relabelLink, manager...)

	// A connected account's page, its renaming (accounts.go) and
	// disconnecting it (disconnect.go).
	const account = "/w/:workspace/sources/accounts/:account"
	e.GET(account, s.showAccount, member...)
	e.POST(account+"/rename", s.renameAccount, manager...)
	e.GET(account+"/disconnect", s.confirmDisconnect, manager...)
	e.POST(account+"/disconnect", s.disconnect, manager...)
	// A reconnect link for a connected account (reconnect.go).
	e.POST(account+"/reconnect-link", s.reconnectLink, manager...)

	// API keys (apikeys.go): the page explains itself like the links page;
	// the rest needs the manager gate.
	const apiKeys = "/w/:workspace/settings/api-keys"
	e.GET(apiKeys, s.listAPIKeys, member...)
	e.POST(apiKeys, s.createAPIKey, manager...)
	e.GET(apiKeys+"/:key/revoke", s.confirmRevokeAPIKey, manager...)
	e.POST(apiKeys+"/:key/revoke", s.revokeAPIKey, manager...)

	// Webhook endpoints and their delivery logs (webhooks.go).
	const hooks = "/w/:workspace/settings/webhooks"
	hookManager := []echo.MiddlewareFunc{s.requireUser, s.requireWorkspace, s.requireWebhookManager}
	e.GET(hooks, s.listWebhooks, hookManager...)
	e.POST(hooks, s.createWebhook, hookManager...)
	e.GET(hooks+"/:endpoint", s.showWebhook, hookManager...)
	e.POST(hooks+"/:endpoint/rotate", s.rotateWebhook, hookManager...)
	e.POST(hooks+"/:endpoint/:action", s.webhookAction, hookManager...)
	e.POST(hooks+"/:endpoint/deliveries/:message/resend", s.webhookAction, hookManager...)

	// Branding (branding.go): organization owners only, checked by the
	// domain (admins and members get 403 with a page that says why).
	e.GET(brandingPath, s.brandingPage, member...)
	e.POST(brandingPath, s.saveBranding, member...)
	e.POST(brandingLogoPath, s.uploadLogo, member...)
	e.POST(brandingLogoPath+"/remove", s.removeLogo, member...)

	// The organization's default link lifetime (link_defaults.go): owners
	// only, checked by the domain like branding.
	e.GET(linkDefaultsPath, s.linkDefaultsPage, member...)
	e.POST(linkDefaultsPath, s.saveLinkDefaults, member...)

	// Support console (support.go): support staff only, read-only. Anyone
	// else gets 404 on every method of every path, as for an unknown page;
	// support staff get 405 on every method but GET. Each read of a link,
	// page or export, is recorded in the link's history.
	support := []echo.MiddlewareFunc{s.requireSupport}
	e.GET("/support/links", s.supportSearch, support...)
	e.GET("/support/links/:link", s.supportLink, support...)
	e.GET("/support/links/:link/history.json", s.supportExport, support...)
	e.Match(supportOtherMethods, "/support/links", s.supportReadOnly, support...)
	e.Match(supportOtherMethods, "/support/links/:link", s.supportReadOnly, support...)
	e.Match(supportOtherMethods, "/support/links/:link/history.json", s.supportReadOnly, support...)
}
