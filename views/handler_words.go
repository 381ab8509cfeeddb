package views

import (
	"net/http"
	"time"
)

// Words the handlers choose (a page's title, a flash message, a form's
// error, an error page) come from the admin catalog like the templates'
// (admin.en.yaml, English by design, issue 12): the handler names the
// message, the catalog holds the sentence. TestAdminKeysUsed reads the
// handlers' Text("Key") calls too.

// Text is the admin message id, its placeholders' values given in pairs
// ("Wait", "5 minutes").
func Text(id string, data ...any) string {
	return adminText(id, data...)
}

// LoginThrottled is the sign-in page's error while sign-in is refused for
// wait: how long, in whole minutes rounded up (at least one), so that it
// never promises less than Retry-After.
func LoginThrottled(wait time.Duration) string {
	return adminCount("LoginTooManyTries", max(1, int((wait+time.Minute-1)/time.Minute)))
}

// ErrorTitle is the heading of the error page for status, "" for a status
// without one of its own (the handler then shows http.StatusText).
func ErrorTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return adminText("ErrorTitleNotFound")
	case http.StatusForbidden, http.StatusMethodNotAllowed:
		return adminText("ErrorTitleNotAllowed")
	case http.StatusUnprocessableEntity:
		return adminText("ErrorTitleCheckInput")
	case http.StatusBadRequest:
		return adminText("ErrorTitleBadRequest")
	case http.StatusConflict:
		return adminText("ErrorTitleAlreadyDone")
	case http.StatusGone:
		return adminText("ErrorTitleGone")
	case http.StatusUnauthorized:
		return adminText("ErrorTitleSignIn")
	case http.StatusRequestEntityTooLarge:
		return adminText("ErrorTitleTooLarge")
	case http.StatusUnsupportedMediaType:
		return adminText("ErrorTitleNotAccepted")
	case http.StatusTooManyRequests:
		return adminText("ErrorTitleTooMany")
	case http.StatusServiceUnavailable:
		return adminText("ErrorTitleUnavailable")
	case http.StatusInternalServerError:
		return adminText("ErrorTitleInternal")
	}
	return ""
}
