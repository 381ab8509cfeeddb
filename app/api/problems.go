package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
)

// ProblemTypeBase starts the type URI of every problem: the problem's code
// follows, and the reference page (/api/v1/docs) has a section of that
// name. A relative URI (RFC 9457 section 3.1.1), so it is the same on
// every deployment and opens on each.
const ProblemTypeBase = "/api/v1/docs#problem-"

// Problem codes beyond the domain's error codes (app/access/errors.go).
const (
	CodeNeedsReconnect        = "needs_reconnect"
	CodeIdempotencyMismatch   = access.ReasonIdempotencyMismatch
	CodeIdempotencyInProgress = access.ReasonIdempotencyInProgress
	CodeRateLimited           = "rate_limited"
	CodeUnavailable           = "unavailable"
	CodeTooLarge              = "too_large"
)

// ProblemType is one kind of problem the API answers with.
type ProblemType struct {
	Code   string
	Status int
	Title  string
	// When says when the API answers with it, for the reference page.
	When string
}

// ProblemTypes lists every problem, in the order the reference shows them.
// The domain's codes are mapped here, once.
var ProblemTypes = []ProblemType{
	{access.EBADREQUEST, http.StatusBadRequest, "Bad request", "The request could not be read: malformed JSON, a page cursor that was not given by the API, a parameter of the wrong type."},
	{access.EUNAUTHORIZED, http.StatusUnauthorized, "Unauthorized", "The Authorization header is missing, or its key is malformed, unknown or revoked."},
	{access.EFORBIDDEN, http.StatusForbidden, "Forbidden", "The workspace's organization is on a plan without access links."},
	{access.ENOTFOUND, http.StatusNotFound, "Not found", "No such resource in the key's workspace (a resource of another workspace is not found either)."},
	{access.ECONFLICT, http.StatusConflict, "Conflict", "The request conflicts with the resource's state."},
	{CodeNeedsReconnect, http.StatusConflict, "Account needs to be reconnected", "The provider refused the account's refresh token, or its access token expired with nothing to refresh it: send its owner a new link. The account's status is needs_reconnect."},
	{CodeIdempotencyInProgress, http.StatusConflict, "Request in progress", "A request with the same Idempotency-Key is still running; retry later."},
	{access.EEXPIRED, http.StatusGone, "Gone", "The resource expired."},
	{CodeTooLarge, http.StatusRequestEntityTooLarge, "Request too large", "The request body is over the limit (8 KiB)."},
	{access.EINVALID, http.StatusUnprocessableEntity, "Invalid request", "A field is missing or invalid; errors lists each."},
	{CodeIdempotencyMismatch, http.StatusUnprocessableEntity, "Idempotency-Key reused", "The Idempotency-Key was used in the last 24 hours for a request with another body or path."},
	{CodeRateLimited, http.StatusTooManyRequests, "Too many requests", "The key is over its rate limit; Retry-After says when to try again."},
	{access.EINTERNAL, http.StatusInternalServerError, "Internal error", "Something went wrong on our side; it was logged."},
	{CodeUnavailable, http.StatusServiceUnavailable, "Temporarily unavailable", "The database or the provider did not answer in time; Retry-After says when to try again."},
}

var problemByCode = func() map[string]ProblemType {
	m := map[string]ProblemType{}
	for _, p := range ProblemTypes {
		m[p.Code] = p
	}
	return m
}()

// codeOfStatus is the code of a status huma answers with by itself
// (validation, body size, unknown content type).
func codeOfStatus(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusNotAcceptable:
		return access.EBADREQUEST
	case http.StatusUnauthorized:
		return access.EUNAUTHORIZED
	case http.StatusForbidden:
		return access.EFORBIDDEN
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return access.ENOTFOUND
	case http.StatusConflict:
		return access.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	case http.StatusUnprocessableEntity:
		return access.EINVALID
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusServiceUnavailable:
		return CodeUnavailable
	}
	return access.EINTERNAL
}

// Problem is an RFC 9457 problem document (application/problem+json).
type Problem struct {
	Type   string `json:"type" doc:"URI of the problem type; stable, one per code." example:"/api/v1/docs#problem-not_found"`
	Title  string `json:"title" doc:"Short summary of the problem type."`
	Status int    `json:"status" doc:"HTTP status code."`
	Detail string `json:"detail,omitempty" doc:"What happened, for a person."`
	Code   string `json:"code" doc:"The problem's code: the last part of type."`
	// Errors lists invalid fields.
	Errors []FieldError `json:"errors,omitempty" doc:"Each invalid field, for invalid requests."`

	headers http.Header
}

// FieldError is one invalid part of a request.
type FieldError struct {
	Location string `json:"location,omitempty" doc:"Where the error is: body.source, query.limit, header.Idempotency-Key."`
	Message  string `json:"message"`
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus is the status code (huma.StatusError).
func (p *Problem) GetStatus() int { return p.Status }

// ContentType is application/problem+json (huma.ContentTypeFilter).
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// GetHeaders are the problem's headers (huma.HeadersError).
func (p *Problem) GetHeaders() http.Header { return p.headers }

// newProblem makes the problem of code with detail.
func newProblem(code, detail string) *Problem {
	pt, ok := problemByCode[code]
	if !ok {
		pt = problemByCode[access.EINTERNAL]
	}
	return &Problem{Type: ProblemTypeBase + pt.Code, Title: pt.Title, Status: pt.Status, Detail: detail, Code: pt.Code}
}

// retryAfter adds Retry-After, in whole seconds.
func (p *Problem) retryAfter(d time.Duration) *Problem {
	p.headers = http.Header{"Retry-After": {strconv.Itoa(max(1, int(d.Seconds()+0.999)))}}
	return p
}

func init() {
	// Huma's own errors (validation, unreadable bodies) are problems too.
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		for _, err := range errs {
			var pe problemError
			if errors.As(err, &pe) {
				return pe.p
			}
		}
		p := newProblem(codeOfStatus(status), msg)
		p.Status = status
		for _, err := range errs {
			var d huma.ErrorDetailer
			if errors.As(err, &d) {
				ed := d.ErrorDetail()
				p.Errors = append(p.Errors, FieldError{Location: ed.Location, Message: ed.Message})
			} else if err != nil && status < 500 {
				p.Errors = append(p.Errors, FieldError{Message: err.Error()})
			}
		}
		return p
	}
}

// problem turns a handler's error into a problem: a domain error by its
// code, a timeout or an unreachable database as unavailable, anything else
// as an internal error, logged and never shown.
func (a *API) problem(ctx context.Context, err error) error {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var de *access.Error
	switch {
	case errors.Is(err, access.ErrReauthorizationRequired):
		return newProblem(CodeNeedsReconnect, access.ErrorMessage(err))
	case errors.As(err, &de):
		code := de.Code
		if _, ok := problemByCode[de.Reason]; ok && de.Reason != "" {
			code = de.Reason
		}
		if _, ok := problemByCode[code]; !ok {
			break
		}
		p := newProblem(code, de.Message)
		for field, msg := range de.Fields {
			p.Errors = append(p.Errors, FieldError{Location: "body." + field, Message: msg})
		}
		return p
	case errors.Is(err, access.ErrRefreshFailed):
		a.log.Warn("api: token refresh failed", "err", err)
		return newProblem(CodeUnavailable, "The account's provider did not refresh its token. Try again later.").retryAfter(30 * time.Second)
	case db.TimedOut(err) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		a.log.Warn("api: request timed out", "err", err)
		return newProblem(CodeUnavailable, "The service is busy and could not answer in time.").retryAfter(5 * time.Second)
	case db.Unavailable(err):
		a.log.Error("api: database unavailable", "err", err)
		return newProblem(CodeUnavailable, "The service is temporarily unavailable.").retryAfter(5 * time.Second)
	}
	a.log.Error("api: internal error", "err", err)
	return newProblem(access.EINTERNAL, "Internal error.")
}
