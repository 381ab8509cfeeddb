package web

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/accessrequests/accessrequests/views"
	"github.com/labstack/echo/v4"
)

// maxBodyBytes is the body limit of every route but the logo upload
// (logoBodyBytes, branding.go). The largest form (a 500-character decline
// reason, every byte percent-encoded) fits.
const maxBodyBytes = 8 << 10

// limitBody bounds every request body and parses urlencoded forms here,
// before any handler or throttle: a form over the limit answers 413 and a
// multipart body 415, except on the one route that takes a file (the
// logo upload), whose handler reads its form in memory. Whatever happens further
// in, the temporary files of a multipart form parsed on the request as the
// handler last saw it are removed: net/http cleans up only the request it
// created, and middleware here replaces it (r.WithContext).
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		defer func() {
			if f := c.Request().MultipartForm; f != nil {
				_ = f.RemoveAll()
			}
		}()
		r := c.Request()
		limit, upload := int64(maxBodyBytes), c.Path() == brandingLogoPath && r.Method == http.MethodPost
		if upload {
			limit = logoBodyBytes
		}
		if r.ContentLength > limit && !upload { // the upload's page says what was too large
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		if r.Body != http.NoBody { // net/http's body of a request without one: nothing to bound
			r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, limit)
		}
		ct := r.Header.Get(echo.HeaderContentType)
		if ct == "" {
			return next(c)
		}
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, views.Text("ErrorContentType"))
		}
		switch {
		case mt == "multipart/form-data" && upload:
			return next(c)
		case mt == "multipart/form-data":
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, views.Text("ErrorNoUploads"))
		case mt == "application/x-www-form-urlencoded":
			if err := r.ParseForm(); err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
				}
				return echo.NewHTTPError(http.StatusBadRequest, views.Text("ErrorFormUnreadable"))
			}
		}
		return next(c)
	}
}

// requestDeadline gives every handler's context the request timeout: a
// stalled database or provider ends in a 503 with Retry-After (see
// classify), never a request hanging for ever.
func (s *Server) requestDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ctx, cancel := context.WithTimeout(r.Context(), s.requestTimeout)
		defer cancel()
		c.SetRequest(r.WithContext(ctx))
		if err := next(c); err != nil {
			c.Error(err) // before cancel: the error page renders in this context
		}
		return nil
	}
}

// DefaultRequestTimeout is the request deadline when Options sets none.
const DefaultRequestTimeout = 15 * time.Second
