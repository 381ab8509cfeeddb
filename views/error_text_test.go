package views_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/webhooks"
	"github.com/accessrequests/accessrequests/views"
)

// TestErrorTextEnglish: the sentences of the domain errors the views word
// by their Reason are the English they were before they moved into
// admin.en.yaml: a domain error's sentence is its Message, the API's
// detail, so pages and API say the same.
func TestErrorTextEnglish(t *testing.T) {
	t.Parallel()
	if views.ErrorText(fmt.Errorf("x")) != "Internal error." {
		t.Error("ErrorText of a non-domain error is not \"Internal error.\"")
	}
	for _, e := range []*access.Error{
		{Reason: access.ReasonLinkNotFound, Message: "Link not found."},
		{Reason: access.ReasonBulkNoneSelected, Message: "Select at least one link to delete."},
		{Reason: access.ReasonBulkTooMany, Params: map[string]string{"max": strconv.Itoa(access.BulkDeleteLimit), "count": "501"}, Message: fmt.Sprintf("Select at most %d links at a time (501 were selected).", access.BulkDeleteLimit)},
		{Reason: access.ReasonDefaultDaysChoice, Message: "Choose 1, 3, 7, 14 or 30 days."},
		{Reason: access.ReasonAccountNotFound, Message: "Account not found."},
		{Reason: access.ReasonMailNotFound, Message: "Mail not found."},
		{Reason: access.ReasonCursorInvalid, Message: "The page cursor is not valid; reload the list."},
		{Reason: access.ReasonNotEmailed, Message: "This link was not sent by email."},
		{Reason: access.ReasonResendInactive, Params: map[string]string{"status": "expired"}, Message: fmt.Sprintf("Only an active link can be sent again; this one is %s.", access.Status("expired"))},
		{Reason: access.ReasonMailOff, Message: "Email is not set up on this server: copy the link instead."},
		{Reason: access.ReasonResendLimit, Params: map[string]string{"count": "5"}, Message: fmt.Sprintf("This link was sent again %d times in the last hour; try again later.", int64(5))},
		{Reason: access.ReasonSourceUnavailable, Message: "This account's source is not available on this server, so no link can be made for it."},
		{Reason: access.ReasonSearchNotText, Message: "The search holds characters that cannot be searched (a NUL byte, a control character or bytes that are not UTF-8)."},
		{Reason: access.ReasonSearchTooLong, Message: "The search text is too long."},
		{Reason: access.ReasonUnknownSource, Message: "Unknown source."},
		{Reason: access.ReasonUnknownStatus, Params: map[string]string{"status": "a\"b<\x01"}, Message: fmt.Sprintf("Unknown status %q.", "a\"b<\x01")},
		{Reason: access.ReasonDateOutOfRange, Message: "Dates must fall between 1970 and 9999."},
		{Reason: access.ReasonDateRangeEmpty, Message: "The date range is empty: the start must come before the end."},
		{Reason: access.ReasonTooManyMatches, Params: map[string]string{"count": strconv.Itoa(50), "prefix": "ac\"me"}, Message: fmt.Sprintf("More than %d workspaces match %q. Type more of the name.", 50, "ac\"me")},
		{Reason: access.ReasonAPIKeyNotFound, Message: "API key not found."},
		{Reason: access.ReasonAPIKeyLimit, Params: map[string]string{"count": "50"}, Message: fmt.Sprintf("This workspace already has %d API keys. Revoke one you no longer use first.", 50)},
		{Reason: access.ReasonBrandingOwnersOnly, Params: map[string]string{"org": "Acme & <Co>"}, Message: fmt.Sprintf("Only owners of %s can change its branding. Ask an owner of the organization to change the logo, colour or links.", "Acme & <Co>")},
		{Reason: access.ReasonLogoNotFound, Message: "Logo not found."},
		{Reason: access.ReasonLinkDefaultsOwnersOnly, Params: map[string]string{"org": "Acme"}, Message: fmt.Sprintf("Only owners of %s can change how long its links last by default. Ask an owner of the organization.", "Acme")},
		{Reason: access.ReasonDefaultChanged, Message: "The default was changed meanwhile; reload and try again."},
		{Reason: access.ReasonUnknownStatusFilter, Params: map[string]string{"status": "x\"y"}, Message: fmt.Sprintf("Unknown status filter %q.", "x\"y")},
		{Reason: access.ReasonBulkLinkNotFound, Message: "Link not found: one of the selected links is not in this workspace."},
		{Reason: access.ReasonBulkNothingDeleted, Message: "Link not found: one of the selected links is not in this workspace. Nothing was deleted."},
		{Reason: access.ReasonCursorSortOrder, Message: "The page cursor belongs to another sort order; reload the list."},
		{Reason: access.ReasonLabelChanged, Message: "The label was changed meanwhile; reload and try again."},
		{Reason: access.ReasonAccountRenamed, Message: "The account was renamed meanwhile; reload and try again."},
		{Reason: access.ReasonAlreadyRenewed, Message: "This link was already renewed."},
		{Reason: access.ReasonRenewUsed, Message: "This link was used to connect an account. Only an expired, declined or failed link can be renewed."},
		{Reason: access.ReasonRenewActive, Message: "This link is still active. Only an expired, declined or failed link can be renewed."},
		{Reason: access.ReasonManageLinksAdminsOnly, Params: map[string]string{"workspace": "Client reporting"}, Message: fmt.Sprintf("Only workspace admins and organization owners can manage access links. Ask an admin of %s for help.", "Client reporting")},
		{Reason: access.ReasonPlanWithoutLinks, Params: map[string]string{"plan": access.PlanName("free")}, Message: fmt.Sprintf("Accounts access requests are not included in the %s plan. Upgrade to Pro to send access links.", access.PlanName("free"))},
		{Reason: access.ReasonWorkspaceNotFound, Message: "Workspace not found."},
		{Reason: access.ReasonSessionEnded, Message: "Your session has ended. Please sign in again."},
		{Reason: access.ReasonSignInForHistory, Message: "Sign in to read link histories."},
		{Reason: access.ReasonPasswordTooLong, Message: "Passwords can be at most 72 bytes long."},
		{Reason: access.ReasonBadLogin, Message: "That email and password do not match an account."},
		{Reason: access.ReasonUserNotFound, Message: "User not found."},
		{Reason: access.ReasonEndpointNotFound, Message: "Webhook endpoint not found."},
		{Reason: access.ReasonEndpointLimit, Params: map[string]string{"count": "20"}, Message: fmt.Sprintf("A workspace can have at most %d webhook endpoints. Delete one first.", 20)},
		{Reason: access.ReasonSecretRotated, Message: "The secret was rotated meanwhile. Reload the page and try again."},
		{Reason: access.ReasonWebhooksOff, Message: "Webhooks are not being sent by this server."},
		{Reason: access.ReasonWebhookMessageNotFound, Message: "Webhook message not found."},
		{Reason: access.ReasonEndpointDisabled, Message: "This endpoint is disabled. Enable it first."},
		{Reason: access.ReasonLogoMissing, Message: "Choose a logo file to upload."},
		{Reason: access.ReasonLogoTooBig, Message: "The logo is larger than 256 KB. Export a smaller file, or use SVG."},
		{Reason: access.ReasonLogoNotImage, Message: "The file is not a PNG, JPEG or SVG image."},
		{Reason: access.ReasonLogoUnreadable, Message: "The image could not be read. It may be damaged; export it again."},
		{Reason: access.ReasonLogoTooSmall, Params: map[string]string{"min": "24"}, Message: "The logo is too small: it must be at least 24 × 24 pixels."},
		{Reason: access.ReasonLogoTooLarge, Params: map[string]string{"max": "2048"}, Message: "The logo is too large: at most 2048 × 2048 pixels."},
		{Reason: access.ReasonLogoAspect, Message: "The logo is too narrow or too wide: at most 10 times as wide as it is tall, or the other way round."},
		{Reason: access.ReasonSVGNotXML, Message: "The SVG could not be read: it is not well-formed XML."},
		{Reason: access.ReasonSVGDoctype, Message: "The SVG has a DOCTYPE or entity declarations, which logos may not. Export it again without them."},
		{Reason: access.ReasonSVGTooComplex, Message: "The SVG is too complex. Simplify it, or upload a PNG."},
		{Reason: access.ReasonSVGEventHandler, Params: map[string]string{"name": "onload"}, Message: "The SVG has an event handler (onload), which can run scripts. Export it again without one."},
		{Reason: access.ReasonSVGExternalRef, Message: "The SVG refers to a file outside itself. Logos must be self-contained."},
		{Reason: access.ReasonSVGExternalFile, Params: map[string]string{"file": "http://x/<a>&\"b"}, Message: "The SVG refers to a file outside itself (http://x/<a>&\"b). Logos must be self-contained."},
		{Reason: access.ReasonSVGNotSVG, Message: "The file is not an SVG image (its root is not an <svg> element)."},
		{Reason: access.ReasonSVGNoSize, Message: "The SVG declares no size: give its <svg> element a viewBox, or a width and a height."},
		{Reason: access.ReasonSVGScript, Message: "The SVG contains a script. Logos may not run scripts; export it again without one."},
		{Reason: access.ReasonSVGStyles, Message: "The SVG's styles load or run something. Export it again with plain colours."},
		{Reason: access.ReasonSVGForeignObject, Message: "The SVG embeds HTML (foreignObject), which logos may not. Export it again as plain shapes."},
		{Reason: access.ReasonSVGEmbedsPage, Message: "The SVG embeds another page, which logos may not."},
		{Reason: access.ReasonSVGEmbedsDocument, Message: "The SVG embeds another document, which logos may not."},
		{Reason: access.ReasonSVGEmbedsImage, Message: "The SVG embeds an image. Upload that image itself (PNG or JPEG), or export the SVG as plain shapes."},
		{Reason: access.ReasonSVGLink, Message: "The SVG contains a link, which logos may not."},
		{Reason: access.ReasonLabelTooLong, Message: "The label is too long: at most 80 characters."},
		{Reason: access.ReasonLanguageUnknown, Params: map[string]string{"languages": "de, fr, pt-BR"}, Message: "Choose the mail's language: en, de, fr, pt-BR."},
		{Reason: access.ReasonLifetimeRange, Message: "A link lives from 1 hour to 30 days (720 hours), in whole hours."},
		{Reason: access.ReasonRecipientRequired, Message: "Add the recipient's email address to send the note."},
		{Reason: access.ReasonEmailInvalid, Message: "Enter a valid email address, such as name@example.com."},
		{Reason: access.ReasonSourceMissing, Message: "Choose a source for the link."},
		{Reason: access.ReasonSourceUnknown, Message: "That source does not exist."},
		{Reason: access.ReasonBrandingNotSaved, Message: "The branding was not saved. Check the fields below."},
		{Reason: access.ReasonEndpointInvalid, Message: "Check the webhook endpoint."},
		{Reason: access.ReasonKeyNameMissing, Message: "Name the key."},
		{Reason: access.ReasonNameTooLong, Message: "The name is too long."},
		{Reason: access.ReasonPasswordNotChanged, Message: "Your password was not changed."},
		{Reason: "other", Message: "Other."},
		// A flow's Reason is the provider's own code, whatever it says.
		{Code: access.EPROVIDER, Reason: access.ReasonLinkNotFound, Message: "The provider's description."},
	} {
		if got := views.ErrorText(e); got != e.Message {
			t.Errorf("ErrorText(%s) = %q, want %q", e.Reason, got, e.Message)
		}
	}
}

// fieldErr is a domain error whose field name carries err's message, as
// the domain sets it (the reason and params of an *access.FieldMessage).
func fieldErr(name string, err error) *access.Error {
	e := &access.Error{Code: access.EINVALID, Fields: map[string]string{name: err.Error()}}
	var fm *access.FieldMessage
	if errors.As(err, &fm) {
		e.FieldReasons = map[string]string{name: fm.Reason}
		e.FieldParams = map[string]map[string]string{name: fm.Params}
	}
	return e
}

// TestFieldErrorsEnglish: the per-field sentences the views word by their
// reason are the English the domain sends the API (Fields), and a field
// without a reason shows its own text.
func TestFieldErrorsEnglish(t *testing.T) {
	t.Parallel()
	if views.FieldErrors(fmt.Errorf("x")) != nil || views.FieldErrors(&access.Error{Code: access.EINVALID}) != nil {
		t.Error("FieldErrors of an error without fields is not nil")
	}
	_, label := access.CleanLabel(strings.Repeat("x", access.MaxLabelLen+1))
	_, lang := access.CleanLanguage("xx")
	_, email := access.CleanEmail("not an address")
	_, hex := access.ParseAccentColor("blue")
	_, contrast := access.ParseAccentColor("#ffff00")
	real := []*access.Error{}
	_, sortErr := access.ParseSort("x")
	_, notText := access.ParseSearch("a\x00b")
	_, long := access.ParseSearch(strings.Repeat("x", access.MaxSearchLength+1))
	_, words := access.ParseSearch(strings.Repeat("x ", 20))
	for _, err := range []error{sortErr, long, words} {
		if de := (*access.Error)(nil); !errors.As(err, &de) || de.Reason == "" {
			t.Errorf("%v: no reason, so the page shows the domain's words", err)
		}
	}
	for _, err := range []error{label, lang, access.CheckLinkLifetime(0), email, sortErr, notText, long, words} {
		var de *access.Error
		if !errors.As(err, &de) {
			t.Fatalf("%v is not a domain error", err)
		}
		real = append(real, de)
	}
	real = append(real, fieldErr("accent_color", hex), fieldErr("accent_color", contrast))
	for _, e := range real {
		if got := views.ErrorText(e); got != e.Message {
			t.Errorf("ErrorText(%s) = %q, want %q", e.Reason, got, e.Message)
		}
		for name := range e.Fields {
			if e.FieldReasons[name] == "" {
				t.Errorf("field %s (%q) has no reason", name, e.Fields[name])
			}
		}
	}
	field := func(name, reason string, params map[string]string, text string) *access.Error {
		return &access.Error{Code: access.EINVALID, Fields: map[string]string{name: text},
			FieldReasons: map[string]string{name: reason}, FieldParams: map[string]map[string]string{name: params}}
	}
	made := []*access.Error{
		field("recipient_email", access.FieldRecipientRequired, nil, "Required with a note."),
		field("recipient_email", access.FieldRecipientMailOff, nil, "Email is not set up."),
		field("privacy_url", access.FieldURLTooLong, map[string]string{"max": "500"}, fmt.Sprintf("At most %d characters.", 500)),
		field("privacy_url", access.FieldURLSpaces, nil, "A web address has no spaces or control characters."),
		field("privacy_url", access.FieldURLNotFull, nil, "Enter a full web address, such as https://example.com/privacy."),
		field("support_url", access.FieldURLNotHTTPS, nil, "Use an https:// address, so the invitee's browser can trust it."),
		field("support_url", access.FieldURLUserinfo, nil, "The address may not hold a user name or password."),
		field("url", access.FieldWebhookURLMissing, nil, "Enter the URL that should receive the events."),
		field("events", access.FieldUnknownEventType, map[string]string{"type": "a<b>&\"c"}, "Unknown event type: "+"a<b>&\"c"+"."),
		field("current", access.FieldCurrentMissing, nil, "Enter your current password."),
		field("current", access.FieldCurrentWrong, nil, "That is not your current password."),
		field("new", access.FieldNewMissing, nil, "Enter a new password."),
		field("new", access.FieldPasswordTooShort, map[string]string{"min": strconv.Itoa(access.MinPasswordLength)}, fmt.Sprintf("Use at least %d characters.", access.MinPasswordLength)),
		field("new", access.FieldPasswordTooLong, nil, "Use at most 72 bytes."),
		field("new", access.FieldPasswordUnchanged, nil, "Choose a password different from your current one."),
		field("confirm", access.FieldConfirmMissing, nil, "Enter the new password again."),
		field("confirm", access.FieldConfirmMismatch, nil, "The two new passwords do not match."),
		field("name", access.FieldKeyNameMissing, nil, "Give the key a name, such as the tool that will use it."),
		field("name", access.FieldKeyNameTooLong, map[string]string{"max": "80"}, "At most 80 characters."),
		field("url", access.FieldWebhookURLTooLong, nil, webhooks.ErrURLTooLong.Error()),
		field("url", access.FieldWebhookURLNotFull, nil, webhooks.ErrURLNotFull.Error()),
		field("url", access.FieldWebhookURLUserinfo, nil, webhooks.ErrURLUserinfo.Error()),
		field("url", access.FieldWebhookURLNotHTTPS, nil, webhooks.ErrURLNotHTTPS.Error()),
		field("url", access.FieldWebhookURLNotPublic, nil, webhooks.ErrURLNotPublic.Error()),
		field("source", access.FieldSourceMissing, nil, "Choose a source."),
		field("source", access.FieldUnknownSource, nil, "Unknown source."),
		field("q", access.FieldNotText, nil, "Remove the characters that are not text."),
		field("q", access.FieldAtMostChars, map[string]string{"max": "500"}, "At most 500 characters."),
		field("q", access.FieldSearchAtMost, map[string]string{"max": "100"}, "Search for at most 100 characters."),
		field("from", access.FieldDateOutOfRange, nil, "Use a date between 1970 and 9999."),
		field("to", access.FieldDateBeforeStart, nil, "Must not be before the start."),
		field("q", access.FieldTooManyMatches, nil, "Too many matches."),
		field("id", access.FieldSelectLink, nil, "Select at least one link."),
		field("id", access.FieldAtMostLinks, map[string]string{"max": strconv.Itoa(access.BulkDeleteLimit)}, "At most "+strconv.Itoa(access.BulkDeleteLimit)+" links."),
		field("default_link_days", access.FieldDefaultDays, nil, "Choose 1, 3, 7, 14 or 30 days."),
		field("display_name", access.FieldDisplayNameTooLong, map[string]string{"max": "80"}, "Use at most 80 characters."),
		// A field without a reason (or one the views do not know) shows its text.
		{Code: access.EINVALID, Fields: map[string]string{"source": "Choose a source."}},
		field("x", "other", nil, "Other."),
	}
	for _, e := range append(real, made...) {
		got := views.FieldErrors(e)
		for name, want := range e.Fields {
			if got[name] != want {
				t.Errorf("FieldErrors(%s)[%s] = %q, want %q", e.FieldReasons[name], name, got[name], want)
			}
		}
		if len(got) != len(e.Fields) {
			t.Errorf("FieldErrors(%v) = %v, want the fields %v", e, got, e.Fields)
		}
	}
}

// TestLogoErrorsEnglish: a refused logo's sentence, on the page and in
// its field, is the English of the API's detail.
func TestLogoErrorsEnglish(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		"",
		"not an image",
		"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><script>x</script></svg>",
		"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10' onload='x'></svg>",
		"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><rect fill='url(http://x/a&amp;&quot;b)'/></svg>",
		"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><rect fill='javascript:x'/></svg>",
		"<svg xmlns='http://www.w3.org/2000/svg'><rect/></svg>",
		"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><a/></svg>",
	} {
		_, err := access.CheckLogo([]byte(data))
		var de *access.Error
		if !errors.As(err, &de) {
			t.Fatalf("CheckLogo(%q) = %v, want a domain error", data, err)
		}
		if de.Reason == "" {
			t.Errorf("CheckLogo(%q): %q has no reason", data, de.Message)
		}
		if got := views.ErrorText(de); got != de.Message {
			t.Errorf("ErrorText(%s) = %q, want %q", de.Reason, got, de.Message)
		}
		if got := views.FieldErrors(de)["logo"]; got != de.Message {
			t.Errorf("FieldErrors(%s)[logo] = %q, want %q", de.Reason, got, de.Message)
		}
	}
}
