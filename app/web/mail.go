package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/views"
)

// The mail pages: "Resend" of a link's mail, the notification preferences,
// and the development mailbox (outside production only: in production its
// routes do not exist, so they answer 404).

// resendLink is POST /w/{workspace}/sources/access-requests/{link}/resend.
func (s *Server) resendLink(c echo.Context) error {
	m := currentMember(c)
	l, err := s.svc.GetLink(c.Request().Context(), m.Workspace.ID, c.Param("link"))
	if err != nil {
		return err
	}
	if err := s.svc.ResendLinkMail(c.Request().Context(), m, actor(c), l.ID); err != nil {
		return err
	}
	msg := views.ResentMessage(l.RecipientEmail)
	if isHTMX(c) {
		toast(c, msg, "success")
		return c.NoContent(http.StatusNoContent)
	}
	if err := s.flash(c, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/w/"+m.Workspace.ID+"/sources/access-requests/"+l.ID)
}

// notifications is GET /account/notifications.
func (s *Server) notifications(c echo.Context) error {
	on, err := s.svc.NotificationsOn(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	saved := c.QueryParam("saved") == "1"
	return s.renderPage(c, views.Text("NotificationsTitle"), "", func(p *views.Page) templ.Component {
		return views.NotificationsPage(p, on, saved)
	})
}

// saveNotifications is POST /account/notifications: the kinds kept on.
func (s *Server) saveNotifications(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	if err := s.svc.SetNotifications(c.Request().Context(), currentUser(c).ID, form["on"]); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account/notifications?saved=1")
}

// mailbox is GET /dev/mailbox.
func (s *Server) mailbox(c echo.Context) error {
	mails, err := s.svc.Mailbox(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return s.renderPage(c, views.Text("MailboxTitle"), "", func(p *views.Page) templ.Component {
		return views.MailboxPage(p, mails)
	})
}

// mailboxMessage is GET /dev/mailbox/{mail}.
func (s *Server) mailboxMessage(c echo.Context) error {
	m, err := s.svc.MailboxMail(c.Request().Context(), currentUser(c).ID, c.Param("mail"))
	if err != nil {
		return err
	}
	mc := views.MailContentOf(m, s.svc.Sources(), s.baseURL.String())
	replyTo := ""
	if m.Kind == access.MailLink {
		replyTo = m.RequesterEmail
	}
	return s.renderPage(c, mc.Subject, "", func(p *views.Page) templ.Component {
		return views.MailboxMessage(p, m, mc, replyTo)
	})
}

// mailboxHTML is GET /dev/mailbox/{mail}/html: the mail's HTML part as a
// mail app would show it, framed by mailboxMessage. Its inline styles
// need a policy of its own: styles only, nothing that loads or runs.
func (s *Server) mailboxHTML(c echo.Context) error {
	m, err := s.svc.MailboxMail(c.Request().Context(), currentUser(c).ID, c.Param("mail"))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox allow-popups allow-top-navigation-by-user-activation")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	return render(c, http.StatusOK, views.MailHTML(views.MailContentOf(m, s.svc.Sources(), s.baseURL.String())))
}

// fieldsOf is the per-field messages of a domain error, if any, in the
// catalog's words (views.FieldErrors).
func fieldsOf(err error) map[string]string {
	return views.FieldErrors(err)
}
