package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/views"
)

var statusOf = map[string]int{
	access.ENOTFOUND:     http.StatusNotFound,
	access.EFORBIDDEN:    http.StatusForbidden,
	access.EINVALID:      http.StatusUnprocessableEntity,
	access.EBADREQUEST:   http.StatusBadRequest,
	access.ECONFLICT:     http.StatusConflict,
	access.EEXPIRED:      http.StatusGone,
	access.EUNAUTHORIZED: http.StatusUnauthorized,
}

var titleOf = map[int]string{
	http.StatusNotFound:              "Page not found",
	http.StatusForbidden:             "Not allowed",
	http.StatusUnprocessableEntity:   "Please check your input",
	http.StatusBadRequest:            "Bad request",
	http.StatusConflict:              "Already done",
	http.StatusGone:                  "No longer available",
	http.StatusUnauthorized:          "Please sign in",
	http.StatusMethodNotAllowed:      "Not allowed",
	http.StatusRequestEntityTooLarge: "Too large",
	http.StatusUnsupportedMediaType:  "Not accepted",
	http.StatusTooManyRequests:       "Too many requests",
	http.StatusServiceUnavailable:    "Temporarily unavailable",
	http.StatusInternalServerError:   "Something went wrong",
}

// handleError turns any error into a status code and a friendly page, or
// an htmx fragment. Unknown errors say "Internal error." and are logged.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := s.classify(c, err)
	timedOut := c.Request().Context().Err() != nil
	if timedOut {
		// The request ran out of time (or its client left): the page is
		// still rendered (templ stops on a done context), without asking
		// the database again.
		c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
	}
	title := titleOf[status]
	if title == "" {
		title = http.StatusText(status)
	}
	if isHTMX(c) {
		h := c.Response().Header()
		b, _ := json.Marshal(map[string]any{"toast": map[string]string{"message": msg, "kind": "error"}})
		h.Set("HX-Trigger", string(b))
		_ = render(c, status, views.ErrorFragment(msg))
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	var p *views.Page
	var perr error
	if !timedOut {
		p, perr = s.page(c, title, "")
	}
	if timedOut || perr != nil {
		p = &views.Page{Title: title}
	}
	if rerr := render(c, status, views.ErrorPage(p, status, title, msg)); rerr != nil {
		_ = c.String(status, msg)
	}
}

func (s *Server) classify(c echo.Context, err error) (int, string) {
	var de *access.Error
	if errors.As(err, &de) {
		if st, ok := statusOf[de.Code]; ok {
			return st, de.Message
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, "We could not find that page. It may have moved, or the address may be mistyped."
		case http.StatusMethodNotAllowed:
			return he.Code, "That action is not available here."
		case http.StatusRequestEntityTooLarge:
			return he.Code, "The request was too large."
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
		s.log.Warn("request timed out", "route", s.routeLabel(c), "err", err)
		retryAfter(c, 5*time.Second)
		return http.StatusServiceUnavailable, "The service is busy and could not answer in time. Please try again in a moment."
	}
	// Unknown: if the database is unreachable, say so with 503 rather than
	// a wrong answer; otherwise log and hide the details.
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if s.ready(ctx) != nil {
			s.log.Error("database unavailable", "route", s.routeLabel(c), "err", err)
			retryAfter(c, 5*time.Second)
			return http.StatusServiceUnavailable, "The service is temporarily unavailable. Please try again in a moment."
		}
	}
	s.log.Error("internal error", "route", s.routeLabel(c), "err", err)
	return http.StatusInternalServerError, "Internal error."
}
