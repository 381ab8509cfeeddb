package access

import (
	"errors"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/webhooks"
)

// TestFieldReasons: the validations whose messages pages word by reason
// (views.FieldErrors) name one for each field they refuse, and keep the
// field's text, the API's detail.
func TestFieldReasons(t *testing.T) {
	t.Parallel()
	var errs []error
	for _, v := range []string{strings.Repeat("a", maxBrandingURL+1), "https://a b", "example.com", "http://example.com", "https://u:p@example.com"} {
		_, err := checkBrandingURL(v)
		errs = append(errs, err)
	}
	for _, v := range []string{"https://" + strings.Repeat("a", 2001), "ftp://x", "https://u@x.com", "http://x.com", "https://127.0.0.1/"} {
		err := webhooks.CheckURL(v, true)
		if err == nil {
			t.Fatalf("CheckURL(%q) passed", v)
		}
		errs = append(errs, webhookURLProblem(err))
	}
	errs = append(errs, passwordProblemOf("short"), passwordProblemOf(strings.Repeat("x", 73)))
	for _, err := range errs {
		var fm *FieldMessage
		if !errors.As(err, &fm) || fm.Reason == "" || fm.Text == "" {
			t.Errorf("%v: not a field message with a reason", err)
		}
	}
	e := fieldsError(EINVALID, "m", map[string]error{"a": fieldf(FieldURLTooLong, map[string]string{"max": "5"}, "At most %d characters.", 5), "b": errors.New("Other.")})
	if e.Fields["a"] != "At most 5 characters." || e.Fields["b"] != "Other." || e.FieldReasons["a"] != FieldURLTooLong ||
		e.FieldReasons["b"] != "" || e.FieldParams["a"]["max"] != "5" {
		t.Errorf("fieldsError = %+v", e)
	}
	w := (&Error{Code: EINVALID, Reason: ReasonSearchTooLong, Message: "m"}).withField("q", fieldf(FieldAtMostChars, nil, "x"))
	if w.Reason != ReasonSearchTooLong || w.Fields["q"] != "x" || w.FieldReasons["q"] != FieldAtMostChars {
		t.Errorf("withField = %+v", w)
	}
}
