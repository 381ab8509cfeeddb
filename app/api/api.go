// Package api is the REST API under /api/v1 (issue 9): workspace API keys
// as bearer tokens, links, connected accounts and their access tokens, as
// JSON, with RFC 9457 problems. It is declared with huma, so the OpenAPI
// document it serves is made from the same declarations as the handlers
// and cannot drift from them. Handlers parse, call one domain function and
// shape its answer; the rules are in app/access.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humaecho"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Options configure the API.
type Options struct {
	Service *access.Service
	// Refresher refreshes connected accounts' tokens at their providers.
	Refresher access.Refresher
	// Revoker revokes a disconnected account's tokens at its provider.
	Revoker access.Revoker
	Log     *slog.Logger
	// Allow spends one request of a key's rate limit, and says how long to
	// wait when none is left; nil means no limit.
	Allow func(keyID string) (bool, time.Duration)
}

// API is the mounted API.
type API struct {
	svc     *access.Service
	refresh access.Refresher
	revoke  access.Revoker
	log     *slog.Logger
	allow   func(keyID string) (bool, time.Duration)
	// api builds the huma API once, at the first request or document that
	// needs it: declaring the operations (their schemas, by reflection) was
	// a quarter of a start's own work, for a server that may never be asked.
	api func() *declaredAPI
	// pending are the operations routes() declares, each with the
	// huma.Register call that api makes.
	pending []pendingOp
	// specs renders the OpenAPI documents, 3.1 and 3.0, once, when first
	// asked: rendering them is most of a start's work otherwise.
	specs func() (v31, v30 []byte)
	// declared lists operation IDs in the order routes() declares them.
	declared []string
}

// pendingOp is an operation declared by routes, registered with huma when
// the API is first used.
type pendingOp struct {
	op       huma.Operation
	register func(huma.API)
}

// declaredAPI is the huma API with every operation registered, and the
// private Echo router its adapter registered them on.
type declaredAPI struct {
	huma   huma.API
	router *echo.Echo
}

// Config is the huma configuration of the API: its OpenAPI description,
// without huma's own documentation routes (Mount serves them) and without
// the $schema links huma adds to bodies.
func Config() huma.Config {
	c := huma.DefaultConfig("Accounts access requests API", "1.0.0")
	c.CreateHooks = nil
	c.OpenAPIPath, c.DocsPath, c.SchemasPath = "", "", ""
	c.Info.Description = "Create single-use access links, read the accounts connected through them, and get their access tokens. " +
		"Authenticate with a workspace API key: Authorization: Bearer ar_..."
	c.Servers = []*huma.Server{{URL: Prefix}}
	c.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"apiKey": {Type: "http", Scheme: "bearer", Description: "A workspace API key (ar_...), made under Settings → API keys or with app api-key create."},
	}
	c.Security = []map[string][]string{{"apiKey": {}}}
	return c
}

// Mount registers the API's routes on e under Prefix.
func Mount(e *echo.Echo, o Options) *API {
	a := &API{svc: o.Service, refresh: o.Refresher, revoke: o.Revoker, log: o.Log, allow: o.Allow}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	g := e.Group(Prefix)
	a.routes()
	a.api = sync.OnceValue(func() *declaredAPI {
		// The operations' handlers live on a private router with e's way of
		// reading the client's address; e routes each request to them.
		private := echo.New()
		private.IPExtractor = e.IPExtractor
		h := humaecho.NewWithGroup(private, private.Group(Prefix), Config())
		h.UseMiddleware(a.authenticate, a.idempotent)
		for _, p := range a.pending {
			p.register(h)
		}
		return &declaredAPI{huma: h, router: private}
	})
	for _, p := range a.pending {
		// The same routes huma's Echo adapter would add ({id} is :id), so
		// e's routing (404, 405, route labels) is what it always was.
		path := strings.ReplaceAll(strings.ReplaceAll(p.op.Path, "{", ":"), "}", "")
		g.Add(p.op.Method, path, a.handle)
	}
	a.specs = sync.OnceValues(func() ([]byte, []byte) { return mustSpecs(a.api().huma.OpenAPI()) })

	g.GET("/openapi.json", a.serveSpec(func() []byte { v31, _ := a.specs(); return v31 }))
	g.GET("/openapi-3.0.json", a.serveSpec(func() []byte { _, v30 := a.specs(); return v30 }))
	g.GET("/docs", a.docs)
	g.Any("/*", a.unknownRoute)
	return a
}

// routes declares every operation, read top to bottom. A resource is one
// file of handlers and one block here.
func (a *API) routes() {
	register(a, huma.Operation{OperationID: "listSources", Method: http.MethodGet, Path: "/sources", Tags: []string{"Sources"},
		Summary: "List the usable sources", Description: "The sources links can be made for (configured on this server), with the scopes each asks for."}, a.listSources)

	register(a, huma.Operation{OperationID: "createLink", Method: http.MethodPost, Path: "/links", Tags: []string{"Links"}, DefaultStatus: http.StatusCreated,
		Summary: "Create a link", Description: "Generates a single-use link for one source, valid 7 days. Send its url to the account's owner."}, a.createLink)
	register(a, huma.Operation{OperationID: "listLinks", Method: http.MethodGet, Path: "/links", Tags: []string{"Links"},
		Summary: "List links", Description: "The workspace's links, newest first (deleted ones are not listed)."}, a.listLinks)
	register(a, huma.Operation{OperationID: "getLink", Method: http.MethodGet, Path: "/links/{id}", Tags: []string{"Links"},
		Summary: "Get a link", Description: "One link; url is present while it is active."}, a.getLink)
	register(a, huma.Operation{OperationID: "relabelLink", Method: http.MethodPatch, Path: "/links/{id}", Tags: []string{"Links"},
		Summary:     "Change a link's label",
		Description: "Sets label, whatever the link's status (a deleted link is not found); the link's history records the old and the new label and who changed it (relabeled)."}, a.relabelLink)
	register(a, huma.Operation{OperationID: "deleteLink", Method: http.MethodDelete, Path: "/links/{id}", Tags: []string{"Links"}, DefaultStatus: http.StatusNoContent,
		Summary: "Delete a link", Description: "The link stops working at once; an account already connected through it stays connected."}, a.deleteLink)
	register(a, huma.Operation{OperationID: "renewLink", Method: http.MethodPost, Path: "/links/{id}/renew", Tags: []string{"Links"}, DefaultStatus: http.StatusCreated,
		Summary: "Renew a link",
		Description: "For an expired, declined or failed link: a fresh link with the same source, label, recipient (emailed again when mail is on), lifetime and pinned account, " +
			"answered like POST /links, with renewed_from; the old link gets renewed_by. A link is renewed once; an active, used or already renewed link answers 409."}, a.renewLink)
	register(a, huma.Operation{OperationID: "listLinkEvents", Method: http.MethodGet, Path: "/links/{id}/events", Tags: []string{"Links"},
		Summary: "A link's history", Description: "What happened to the link, newest first."}, a.listLinkEvents)

	register(a, huma.Operation{OperationID: "listAccounts", Method: http.MethodGet, Path: "/accounts", Tags: []string{"Accounts"},
		Summary: "List connected accounts", Description: "The workspace's connected accounts, newest first; q searches their names, external IDs and emails, source keeps one source."}, a.listAccounts)
	register(a, huma.Operation{OperationID: "getAccount", Method: http.MethodGet, Path: "/accounts/{id}", Tags: []string{"Accounts"},
		Summary: "Get a connected account"}, a.getAccount)
	register(a, huma.Operation{OperationID: "renameAccount", Method: http.MethodPatch, Path: "/accounts/{id}", Tags: []string{"Accounts"},
		Summary:     "Rename a connected account",
		Description: "Sets display_name, the workspace's own name for the account (the provider's stays in name); the history of the link it came through records the change."}, a.renameAccount)
	register(a, huma.Operation{OperationID: "getAccountToken", Method: http.MethodPost, Path: "/accounts/{id}/token", Tags: []string{"Accounts"},
		Summary: "Get an access token",
		Description: "A valid access token of the account, for calling its provider's API. A token close to expiry is refreshed first " +
			"(one refresh at a time per account); when the provider refuses the refresh, the answer is a needs_reconnect problem and the account's status becomes needs_reconnect."}, a.accountToken)
	register(a, huma.Operation{OperationID: "createReconnectLink", Method: http.MethodPost, Path: "/accounts/{id}/reconnect-link", Tags: []string{"Accounts"}, DefaultStatus: http.StatusCreated,
		Summary: "Create a reconnect link",
		Description: "A link pinned to the account, valid 7 days, answered like POST /links. Send its url to the account's owner when the account needs_reconnect: " +
			"they must sign in as this same account (another one is refused and the link stays usable); its tokens and scopes are then replaced in place, " +
			"its id stays the same, its status becomes connected, and account.reconnected is sent to webhooks (with link.used)."}, a.reconnectLink)
	register(a, huma.Operation{OperationID: "disconnectAccount", Method: http.MethodDelete, Path: "/accounts/{id}", Tags: []string{"Accounts"}, DefaultStatus: http.StatusNoContent,
		Summary: "Disconnect an account",
		Description: "The account's tokens are deleted and the provider is asked to revoke them (best effort); the links it came through keep their history, " +
			"and account.disconnected is sent to webhooks. Its owner can connect it again through a new link."}, a.disconnectAccount)

	register(a, huma.Operation{OperationID: "createWebhook", Method: http.MethodPost, Path: "/webhooks", Tags: []string{"Webhooks"}, DefaultStatus: http.StatusCreated,
		Summary: "Add a webhook endpoint", Description: "Events of the workspace are POSTed to url, signed per the Standard Webhooks specification with the secret in this answer, which is never shown again."}, a.createWebhook)
	register(a, huma.Operation{OperationID: "listWebhooks", Method: http.MethodGet, Path: "/webhooks", Tags: []string{"Webhooks"},
		Summary: "List webhook endpoints", Description: "The workspace's webhook endpoints, oldest first, without their secrets."}, a.listWebhooks)
	register(a, huma.Operation{OperationID: "getWebhook", Method: http.MethodGet, Path: "/webhooks/{id}", Tags: []string{"Webhooks"},
		Summary: "Get a webhook endpoint"}, a.getWebhook)
	register(a, huma.Operation{OperationID: "deleteWebhook", Method: http.MethodDelete, Path: "/webhooks/{id}", Tags: []string{"Webhooks"}, DefaultStatus: http.StatusNoContent,
		Summary: "Delete a webhook endpoint", Description: "No more events are sent to it, including those still pending."}, a.deleteWebhook)
}

// register adds an operation whose errors become problems.
func register[I, O any](a *API, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	a.declared = append(a.declared, op.OperationID)
	// Every operation may answer these; the problems section of the
	// reference says when.
	op.Errors = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity,
		http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable}
	if strings.Contains(op.Path, "{id}") {
		op.Errors = append(op.Errors, http.StatusNotFound)
	}
	if op.Method == http.MethodPost {
		op.Errors = append(op.Errors, http.StatusConflict)
	}
	a.pending = append(a.pending, pendingOp{op: op, register: func(api huma.API) {
		huma.Register(api, op, func(ctx context.Context, in *I) (*O, error) {
			out, err := h(ctx, in)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			return out, nil
		})
	}})
}

// handle serves a request e routed to one of the operations: by the
// handler huma registered for it on the private router, with the same
// Echo context (its middleware's work, its response) and the same route.
func (a *API) handle(c echo.Context) error {
	a.api().router.Router().Find(c.Request().Method, echo.GetPath(c.Request()), c)
	return c.Handler()(c)
}

// Specs are the API's OpenAPI documents, 3.1 and 3.0, without a server:
// the routes alone make them.
func Specs() (v31, v30 []byte) {
	return Mount(echo.New(), Options{}).specs()
}

func mustSpecs(o *huma.OpenAPI) ([]byte, []byte) {
	v31, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		panic(err)
	}
	v30, err := o.Downgrade()
	if err != nil {
		panic(err)
	}
	var pretty any
	if err := json.Unmarshal(v30, &pretty); err != nil {
		panic(err)
	}
	if v30, err = json.MarshalIndent(pretty, "", "  "); err != nil {
		panic(err)
	}
	return append(v31, '\n'), append(v30, '\n')
}

// serveSpec is GET /api/v1/openapi.json and /api/v1/openapi-3.0.json:
// public, like any API reference.
func (a *API) serveSpec(doc func() []byte) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, "application/json", doc())
	}
}

// unknownRoute answers any other path under /api/v1 with a problem.
func (a *API) unknownRoute(c echo.Context) error {
	return writeProblem(c, newProblem(access.ENOTFOUND, "There is no such route in this API. See "+Prefix+"/docs."))
}

// WriteHTTPError answers an error the web layer met before the API's
// handlers (a body over the limit, a method the route lacks, a timeout) as
// a problem, for a request under Prefix.
func WriteHTTPError(c echo.Context, status int, detail string) {
	p := newProblem(codeOfStatus(status), detail)
	p.Status = status
	if h := c.Response().Header().Get("Retry-After"); h != "" {
		p.headers = http.Header{"Retry-After": {h}}
	}
	_ = writeProblem(c, p)
}

// IsAPIPath reports whether the request's route is the API's.
func IsAPIPath(c echo.Context) bool {
	return strings.HasPrefix(c.Path(), Prefix+"/") || c.Path() == Prefix
}

// writeProblem writes p outside huma (routes huma does not serve).
func writeProblem(c echo.Context, p *Problem) error {
	for k, v := range p.headers {
		c.Response().Header()[k] = v
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return c.Blob(p.Status, "application/problem+json", b)
}
