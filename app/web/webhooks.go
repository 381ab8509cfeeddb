package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// The webhooks page (/w/{workspace}/settings/webhooks) and one endpoint's
// page with its delivery log. Workspace admins and organization owners on a
// plan with links (requireWebhookManager). A new signing secret is shown on
// the page the creating POST redirects to, to its creator for a few minutes
// (read from its sealed copy), or in the answer to a rotation; it is never
// stored in the clear nor carried through a redirect.

// requireWebhookManager is requireManager for the webhooks settings: the
// same gate, and a member's 403 says it is webhooks that admins manage.
func (s *Server) requireWebhookManager(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := currentMember(c).CanManageWebhooks(); err != nil {
			return err
		}
		return next(c)
	}
}

// listWebhooks is GET /w/{workspace}/settings/webhooks.
func (s *Server) listWebhooks(c echo.Context) error {
	return s.renderWebhooks(c, http.StatusOK, views.EndpointForm{})
}

func (s *Server) renderWebhooks(c echo.Context, status int, f views.EndpointForm) error {
	eps, err := s.svc.ListWebhookEndpoints(c.Request().Context(), currentMember(c))
	if err != nil {
		return err
	}
	return renderView(s, c, status, views.Text("WebhooksTitle"), "webhooks", views.WebhooksPage, &views.WebhooksView{Endpoints: eps, Form: f})
}

// createWebhook is POST /w/{workspace}/settings/webhooks (url,
// description, events): a redirect to the new endpoint's page, which shows
// its secret (POST, redirect, GET); the form again with its errors.
func (s *Server) createWebhook(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return access.Errorf(access.EBADREQUEST, "The form could not be read.")
	}
	in := access.NewWebhookEndpoint{URL: form.Get("url"), Description: form.Get("description"), Events: form["events"]}
	ep, _, err := s.svc.CreateWebhookEndpoint(c.Request().Context(), currentMember(c), actor(c), in)
	if err != nil {
		var de *access.Error
		if !errors.As(err, &de) || (de.Code != access.EINVALID && de.Code != access.ECONFLICT) {
			return err
		}
		status := http.StatusUnprocessableEntity
		if de.Code == access.ECONFLICT {
			status = http.StatusConflict
		}
		return s.renderWebhooks(c, status, views.EndpointForm{URL: in.URL, Description: in.Description, Events: in.Events, Error: views.ErrorText(de), Fields: views.FieldErrors(de)})
	}
	// The page the redirect opens shows the secret (NewWebhookSecret);
	// the redirect never carries it.
	return c.Redirect(http.StatusSeeOther, "/w/"+currentMember(c).Workspace.ID+"/settings/webhooks/"+ep.ID+"?created=1")
}

func (s *Server) renderSecret(c echo.Context, status int, v *views.SecretView) error {
	p, err := s.page(c, views.Text("WebhookSecretTitle"), "webhooks")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, status, views.WebhookSecretPage(p, v))
}

// showWebhook is GET /w/{workspace}/settings/webhooks/{endpoint}: the
// endpoint and its delivery log.
func (s *Server) showWebhook(c echo.Context) error {
	ctx, m, id := c.Request().Context(), currentMember(c), c.Param("endpoint")
	if c.QueryParam("created") != "" { // after createWebhook's redirect: the new secret, to its creator
		if ep, secret, err := s.svc.NewWebhookSecret(ctx, m, actor(c), id); err == nil {
			return s.renderSecret(c, http.StatusOK, &views.SecretView{Endpoint: *ep, Secret: secret})
		}
	}
	ep, err := s.svc.GetWebhookEndpoint(ctx, m, id)
	if err != nil {
		return err
	}
	log, err := s.svc.WebhookDeliveries(ctx, m, id, 0)
	if err != nil {
		return err
	}
	return renderView(s, c, http.StatusOK, views.Text("WebhooksTitle"), "webhooks", views.WebhookEndpointPage, &views.EndpointView{Endpoint: *ep, Log: log})
}

// rotateWebhook is POST .../{endpoint}/rotate: the new secret, once.
func (s *Server) rotateWebhook(c echo.Context) error {
	ctx, m, id := c.Request().Context(), currentMember(c), c.Param("endpoint")
	secret, err := s.svc.RotateWebhookSecret(ctx, m, id)
	if err != nil {
		return err
	}
	ep, err := s.svc.GetWebhookEndpoint(ctx, m, id)
	if err != nil {
		return err
	}
	return s.renderSecret(c, http.StatusOK, &views.SecretView{Endpoint: *ep, Secret: secret, Rotated: true})
}

// webhookAction runs one action on an endpoint, then goes back to its page
// (or the list, after a delete) with a flash message.
func (s *Server) webhookAction(c echo.Context) error {
	ctx, m, id := c.Request().Context(), currentMember(c), c.Param("endpoint")
	back := "/w/" + m.Workspace.ID + "/settings/webhooks/" + id
	var msg string
	var err error
	action := c.Param("action")
	if c.Param("message") != "" {
		action = "resend"
	}
	switch action {
	case "test":
		_, err = s.svc.SendTestWebhook(ctx, m, actor(c), id)
		msg = views.Text("WebhookTestQueued")
	case "enable":
		err = s.svc.EnableWebhookEndpoint(ctx, m, id)
		msg = views.Text("WebhookEnabled")
	case "delete":
		err = s.svc.DeleteWebhookEndpoint(ctx, m, id)
		msg, back = views.Text("WebhookDeleted"), "/w/"+m.Workspace.ID+"/settings/webhooks"
	case "resend":
		err = s.svc.ResendWebhook(ctx, m, id, c.Param("message"))
		msg = views.Text("WebhookResent")
	default:
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := s.flash(c, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, back)
}
