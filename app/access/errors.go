package access

import (
	"errors"
	"fmt"
)

// Error codes. The web layer maps each to a status code.
const (
	ENOTFOUND     = "not_found"    // 404
	EFORBIDDEN    = "forbidden"    // 403
	EINVALID      = "invalid"      // 422
	EBADREQUEST   = "bad_request"  // 400: a malformed request (a page cursor, bytes that are not text)
	ECONFLICT     = "conflict"     // 409
	EEXPIRED      = "expired"      // 410
	EUNAUTHORIZED = "unauthorized" // 401
	EINTERNAL     = "internal"     // 500
)

// Error is a domain error with a code and a message fit for users.
type Error struct {
	Code    string
	Message string
	// Fields holds per-field messages for forms.
	Fields map[string]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a domain error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a domain error, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of a domain error, or a
// generic one for anything else, so internal details never reach a page.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
