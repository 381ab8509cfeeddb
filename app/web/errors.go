package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/api"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/views"
)

// statusOf is the status code of each domain error code.
var statusOf = map[string]int{
	access.ENOTFOUND:     http.StatusNotFound,
	access.EFORBIDDEN:    http.StatusForbidden,
	access.EINVALID:      http.StatusUnprocessableEntity,
	access.EBADREQUEST:   http.StatusBadRequest,
	access.ECONFLICT:     http.StatusConflict,
	access.EEXPIRED:      http.StatusGone,
	access.ETOOMANY:      http.StatusTooManyRequests,
	access.EUNAUTHORIZED: http.StatusUnauthorized,
	// A failed step of the invitee's sign-in at a provider.
	access.EFLOWSTATE: http.StatusBadRequest,
	access.EPROVIDER:  http.StatusOK, // the provider's answer, shown as such: often the invitee's own choice (access_denied)
	access.ETOKEN:     http.StatusBadGateway,
	access.EIDENTITY:  http.StatusBadGateway,
	access.ESCOPES:    http.StatusUnprocessableEntity,
	access.ENOTSTORED: http.StatusServiceUnavailable,
}

// linkStatusCode is the status of the invitee's page for a link that
// cannot be used: gone for a used or expired link, not found otherwise.
func linkStatusCode(st access.Status) int {
	if st == access.StatusUsed || st == access.StatusExpired {
		return http.StatusGone
	}
	return http.StatusNotFound
}

// flowStatusCode is the status of the invitee's page for a flow's outcome;
// a 503 says when to try again.
func flowStatusCode(c echo.Context, out *access.FlowOutcome) int {
	status := http.StatusOK
	switch out.Kind {
	case access.FlowPending, access.FlowWrongAccount:
		status = http.StatusConflict
	case access.FlowRefused:
		status = linkStatusCode(out.LinkStatus)
	case access.FlowFailed:
		if status = statusOf[out.Err.Code]; status == 0 {
			status = http.StatusBadGateway
		}
	}
	if status == http.StatusServiceUnavailable {
		retryAfter(c, 5*time.Second)
	}
	return status
}

// handleError turns any error into a status code and a friendly page, or
// an htmx fragment. Unknown errors say "Internal error." and are logged. It
// does no database work: the database may be why it was called.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := s.classify(c, err)
	if c.Request().Context().Err() != nil {
		// The request ran out of time (or its client left): the page is
		// still rendered (templ stops on a done context).
		c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
	}
	if api.IsAPIPath(c) {
		api.WriteHTTPError(c, status, msg)
		return
	}
	title := views.ErrorTitle(status)
	if title == "" {
		title = http.StatusText(status)
	}
	if isHTMX(c) {
		toast(c, msg, "error")
		_ = render(c, status, views.ErrorFragment(msg))
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if rerr := render(c, status, views.ErrorPage(s.basePage(c, title, ""), status, title, msg)); rerr != nil {
		_ = c.String(status, msg)
	}
}

func (s *Server) classify(c echo.Context, err error) (int, string) {
	var de *access.Error
	if errors.As(err, &de) {
		if st, ok := statusOf[de.Code]; ok {
			if api.IsAPIPath(c) {
				return st, de.Message // the API's detail
			}
			return st, views.ErrorText(de)
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, views.Text("ErrorNotFound")
		case http.StatusMethodNotAllowed:
			return he.Code, views.Text("ErrorMethodNotAllowed")
		case http.StatusRequestEntityTooLarge:
			return he.Code, views.Text("ErrorTooLarge")
		}
		if he.Code < 500 {
			if m, ok := he.Message.(string); ok {
				return he.Code, m
			}
			return he.Code, http.StatusText(he.Code)
		}
	}
	// Out of time (the request's deadline, a statement timeout, a lock
	// wait): 503 and "try again", never a 500.
	if db.TimedOut(err) || errors.Is(c.Request().Context().Err(), context.DeadlineExceeded) {
		s.log.WarnContext(c.Request().Context(), "request timed out", "route", s.routeLabel(c), "err", err)
		retryAfter(c, 5*time.Second)
		return http.StatusServiceUnavailable, views.Text("ErrorBusy")
	}
	// The database cannot be reached: say so with 503 rather than a wrong
	// answer. Anything else: log and hide the details.
	if db.Unavailable(err) {
		s.log.ErrorContext(c.Request().Context(), "database unavailable", "route", s.routeLabel(c), "err", err)
		retryAfter(c, 5*time.Second)
		return http.StatusServiceUnavailable, views.Text("ErrorUnavailable")
	}
	s.log.ErrorContext(c.Request().Context(), "internal error", "route", s.routeLabel(c), "err", err)
	return http.StatusInternalServerError, views.Text("ErrorInternal")
}
