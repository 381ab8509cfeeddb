package access

import (
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/sources"
)

// Error codes. The web layer maps each to a status code and a page, once
// (app/web/errors.go).
const (
	ENOTFOUND     = "not_found"    // 404
	EFORBIDDEN    = "forbidden"    // 403
	EINVALID      = "invalid"      // 422
	EBADREQUEST   = "bad_request"  // 400: a malformed request (a page cursor, bytes that are not text)
	ECONFLICT     = "conflict"     // 409
	EEXPIRED      = "expired"      // 410
	EUNAUTHORIZED = "unauthorized" // 401
	EINTERNAL     = "internal"     // 500
	ETOOMANY      = "too_many"     // 429: done too often (a link's mail resent)
)

// Codes of a failed step of the invitee's sign-in at a provider (the OAuth
// flow). Their values are also what oauth_callbacks.error_kind stores, so a
// repeated callback reads back the same code. Error.Reason holds the
// provider's own code (access_denied, invalid_grant, scopes_missing, ...).
const (
	EFLOWSTATE = "state"    // 400: the callback is not the flow this browser started (state, age, issuer, shop, signature)
	EPROVIDER  = "provider" // the provider answered with an error instead of a code: denied, or failed
	ETOKEN     = "token"    // 502: the code could not be exchanged (provider error, timeout, unreadable answer)
	EIDENTITY  = "identity" // 502: the account's identity could not be read
	ESCOPES    = "scopes"   // 422: required permissions were not granted
	ENOTSTORED = "store"    // 503: the account could not be stored (the database failed); nothing was connected
)

// Error is a domain error with a code and a message fit for users.
type Error struct {
	Code    string
	Message string
	// Fields holds per-field messages for forms.
	Fields map[string]string
	// Reason is the machine-readable cause within a flow code: the
	// provider's error code (shown small for support), or the flow's own
	// (state_mismatch, scopes_missing, not_stored); or, for an error a page
	// shows, which one it is (the Reason* constants), so that the views
	// write its sentence (views.ErrorText) while Message stays the API's
	// detail.
	Reason string
	// Params are the values the sentence of a Reason names ("status",
	// "count"), by name.
	Params map[string]string
	// FieldReasons says, per field of Fields, which message it is (the
	// Field* constants), so that pages word it (views.FieldErrors) while
	// Fields stays the API's detail; a field without one shows its Fields
	// text. FieldParams are the values each field's sentence names.
	FieldReasons map[string]string
	FieldParams  map[string]map[string]string
}

// Reasons of per-field messages (Error.FieldReasons) whose sentences the
// pages write themselves (views.FieldErrors).
const (
	FieldLabelTooLong        = "label_too_long" // Params: max
	FieldLanguageUnknown     = "language_unknown"
	FieldLifetimeRange       = "lifetime_range"
	FieldRecipientRequired   = "recipient_required" // with a note
	FieldRecipientMailOff    = "recipient_mail_off"
	FieldEmailInvalid        = "email_invalid"
	FieldAccentNotHex        = "accent_not_hex"
	FieldAccentContrast      = "accent_contrast" // Params: color, ratio, min
	FieldURLTooLong          = "url_too_long"    // Params: max
	FieldURLSpaces           = "url_spaces"
	FieldURLNotFull          = "url_not_full"
	FieldURLNotHTTPS         = "url_not_https"
	FieldURLUserinfo         = "url_userinfo"
	FieldWebhookURLMissing   = "webhook_url_missing"
	FieldWebhookURLDuplicate = "webhook_url_duplicate"
	FieldUnknownEventType    = "unknown_event_type" // Params: type
	FieldWebhookURLTooLong   = "webhook_url_too_long"
	FieldWebhookURLNotFull   = "webhook_url_not_full"
	FieldWebhookURLUserinfo  = "webhook_url_userinfo"
	FieldWebhookURLNotHTTPS  = "webhook_url_not_https"
	FieldWebhookURLNotPublic = "webhook_url_not_public"
	FieldCurrentMissing      = "current_missing"
	FieldCurrentWrong        = "current_wrong"
	FieldNewMissing          = "new_missing"
	FieldPasswordTooShort    = "password_too_short" // Params: min
	FieldPasswordTooLong     = "password_too_long"
	FieldPasswordUnchanged   = "password_unchanged"
	FieldConfirmMissing      = "confirm_missing"
	FieldConfirmMismatch     = "confirm_mismatch"
	FieldKeyNameMissing      = "key_name_missing"
	FieldKeyNameTooLong      = "key_name_too_long" // Params: max

	FieldSourceMissing      = "source_missing"
	FieldUnknownSource      = "unknown_source"
	FieldNotText            = "not_text"
	FieldAtMostChars        = "at_most_chars"  // Params: max
	FieldAtMostWords        = "at_most_words"  // Params: max
	FieldSearchAtMost       = "search_at_most" // Params: max
	FieldDateOutOfRange     = "date_out_of_range"
	FieldDateBeforeStart    = "date_before_start"
	FieldTooManyMatches     = "too_many_matches"
	FieldSortUnknown        = "sort_unknown"
	FieldSelectLink         = "select_link"
	FieldAtMostLinks        = "at_most_links" // Params: max
	FieldDefaultDays        = "default_days"
	FieldDisplayNameTooLong = "display_name_too_long" // Params: max
)

// FieldMessage is one field's message with its reason (a Field*
// constant), so that pages word it; its Error is the English the API
// sends.
type FieldMessage struct {
	Reason string
	Params map[string]string
	Text   string
}

func (f *FieldMessage) Error() string { return f.Text }

// fieldf is a field's message with reason and the params its sentence
// names; its text is formatted as Errorf's.
func fieldf(reason string, params map[string]string, format string, args ...any) *FieldMessage {
	return &FieldMessage{Reason: reason, Params: params, Text: fmt.Sprintf(format, args...)}
}

// fieldsError is a domain error with per-field messages: each field's
// error text in Fields and, for a *FieldMessage, its reason and params.
func fieldsError(code, msg string, fields map[string]error) *Error {
	e := &Error{Code: code, Message: msg, Fields: make(map[string]string, len(fields))}
	for name, err := range fields {
		if fm := (*FieldMessage)(nil); errors.As(err, &fm) && fm.Reason != "" {
			e.withField(name, fm)
		}
		e.Fields[name] = err.Error() // a wrapped message's whole text
	}
	return e
}

// withField adds field name's message fm to e and returns e.
func (e *Error) withField(name string, fm *FieldMessage) *Error {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	e.Fields[name] = fm.Text
	if e.FieldReasons == nil {
		e.FieldReasons = map[string]string{}
	}
	e.FieldReasons[name] = fm.Reason
	if fm.Params != nil {
		if e.FieldParams == nil {
			e.FieldParams = map[string]map[string]string{}
		}
		e.FieldParams[name] = fm.Params
	}
	return e
}

// because sets e's Reason (so that pages word it) and returns e.
func (e *Error) because(reason string, params map[string]string) *Error {
	e.Reason, e.Params = reason, params
	return e
}

// fieldError is fieldsError of the one field name.
func fieldError(code, msg, name string, err error) *Error {
	return fieldsError(code, msg, map[string]error{name: err})
}

// Reasons of the domain errors whose sentences the pages write themselves
// (views.ErrorText); none is an API problem code, so the API still answers
// with the error's Code and Message.
const (
	ReasonLinkNotFound       = "link_not_found"
	ReasonSortUnknown        = "sort_unknown"
	ReasonSearchTooManyChars = "search_too_many_chars" // Params: max, count
	ReasonSearchTooManyWords = "search_too_many_words" // Params: max
	ReasonBulkNoneSelected   = "bulk_none_selected"
	ReasonBulkTooMany        = "bulk_too_many" // Params: max, count
	ReasonDefaultDaysChoice  = "default_days_choice"
	ReasonAccountNotFound    = "account_not_found"
	ReasonMailNotFound       = "mail_not_found"
	ReasonCursorInvalid      = "cursor_invalid"
	ReasonNotEmailed         = "not_emailed"
	ReasonResendInactive     = "resend_inactive" // Params: status
	ReasonMailOff            = "mail_off"
	ReasonResendLimit        = "resend_limit" // Params: count
	ReasonSourceUnavailable  = "source_unavailable"
	ReasonSearchNotText      = "search_not_text"
	ReasonSearchTooLong      = "search_too_long"
	ReasonUnknownSource      = "unknown_source"
	ReasonUnknownStatus      = "unknown_status" // Params: status
	ReasonDateOutOfRange     = "date_out_of_range"
	ReasonDateRangeEmpty     = "date_range_empty"
	ReasonTooManyMatches     = "too_many_matches" // Params: count, prefix

	ReasonAPIKeyNotFound           = "api_key_not_found"
	ReasonAPIKeyLimit              = "api_key_limit"        // Params: count
	ReasonBrandingOwnersOnly       = "branding_owners_only" // Params: org
	ReasonLogoNotFound             = "logo_not_found"
	ReasonLinkDefaultsOwnersOnly   = "link_defaults_owners_only" // Params: org
	ReasonDefaultChanged           = "default_changed"
	ReasonUnknownStatusFilter      = "unknown_status_filter" // Params: status
	ReasonBulkLinkNotFound         = "bulk_link_not_found"
	ReasonBulkNothingDeleted       = "bulk_nothing_deleted"
	ReasonCursorSortOrder          = "cursor_sort_order"
	ReasonLabelChanged             = "label_changed"
	ReasonAccountRenamed           = "account_renamed"
	ReasonAlreadyRenewed           = "already_renewed"
	ReasonRenewUsed                = "renew_used"
	ReasonRenewActive              = "renew_active"
	ReasonManageLinksAdminsOnly    = "manage_links_admins_only"    // Params: workspace
	ReasonManageWebhooksAdminsOnly = "manage_webhooks_admins_only" // Params: workspace
	ReasonPlanWithoutLinks         = "plan_without_links"          // Params: plan
	ReasonWorkspaceNotFound        = "workspace_not_found"
	ReasonSessionEnded             = "session_ended"
	ReasonSignInForHistory         = "sign_in_for_history"
	ReasonPasswordTooLong          = "password_too_long"
	ReasonBadLogin                 = "bad_login"
	ReasonUserNotFound             = "user_not_found"
	ReasonEndpointNotFound         = "endpoint_not_found"
	ReasonEndpointLimit            = "endpoint_limit" // Params: count
	ReasonEndpointDuplicate        = "endpoint_duplicate"
	ReasonSecretRotated            = "secret_rotated"
	ReasonWebhooksOff              = "webhooks_off"
	ReasonWebhookMessageNotFound   = "webhook_message_not_found"
	ReasonEndpointDisabled         = "endpoint_disabled"

	// Refused form input whose fields say more (Error.FieldReasons).
	ReasonLabelTooLong       = "label_too_long"
	ReasonLanguageUnknown    = "language_unknown" // Params: languages
	ReasonLifetimeRange      = "lifetime_range"
	ReasonRecipientRequired  = "recipient_required"
	ReasonEmailInvalid       = "email_invalid"
	ReasonSourceMissing      = "source_missing"
	ReasonSourceUnknown      = "source_unknown"
	ReasonBrandingNotSaved   = "branding_not_saved"
	ReasonEndpointInvalid    = "endpoint_invalid"
	ReasonPasswordNotChanged = "password_not_changed"
	ReasonKeyNameMissing     = "key_name_missing"
	ReasonNameTooLong        = "name_too_long"

	// A refused logo (CheckLogo); the logo field's reason too.
	ReasonLogoMissing       = "logo_missing"
	ReasonLogoTooBig        = "logo_too_big"
	ReasonLogoNotImage      = "logo_not_image"
	ReasonLogoUnreadable    = "logo_unreadable"
	ReasonLogoTooSmall      = "logo_too_small" // Params: min
	ReasonLogoTooLarge      = "logo_too_large" // Params: max
	ReasonLogoAspect        = "logo_aspect"
	ReasonSVGNotXML         = "svg_not_xml"
	ReasonSVGDoctype        = "svg_doctype"
	ReasonSVGTooComplex     = "svg_too_complex"
	ReasonSVGEventHandler   = "svg_event_handler" // Params: name
	ReasonSVGExternalRef    = "svg_external_ref"
	ReasonSVGExternalFile   = "svg_external_file" // Params: file
	ReasonSVGNotSVG         = "svg_not_svg"
	ReasonSVGNoSize         = "svg_no_size"
	ReasonSVGScript         = "svg_script"
	ReasonSVGStyles         = "svg_styles"
	ReasonSVGForeignObject  = "svg_foreign_object"
	ReasonSVGEmbedsPage     = "svg_embeds_page"
	ReasonSVGEmbedsDocument = "svg_embeds_document"
	ReasonSVGEmbedsImage    = "svg_embeds_image"
	ReasonSVGLink           = "svg_link"
)

// reasonf is a domain error with a Reason, so that pages word it
// (views.ErrorText), and the Params its sentence names; its Message, the
// API's detail, is formatted as Errorf's.
func reasonf(code, reason string, params map[string]string, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Params: params, Message: fmt.Sprintf(format, args...)}
}

// checkSourceFilter refuses a filter on a source that no source can be
// called (not of a key's form: too long, other characters, bytes that are
// not text) as an unknown source, before it reaches a statement (where
// PostgreSQL refuses a NUL byte or invalid UTF-8 with an error of its
// own). An empty filter, or a key of a source no longer offered, passes.
func checkSourceFilter(source string) error {
	if source == "" || sources.IsKey(source) {
		return nil
	}
	return (&Error{Code: EINVALID, Reason: ReasonUnknownSource, Message: "Unknown source."}).
		withField("source", fieldf(FieldUnknownSource, nil, "Unknown source."))
}

// errLinkNotFound is the error of a link that does not exist, or not in
// the workspace asked.
func errLinkNotFound() *Error {
	return &Error{Code: ENOTFOUND, Reason: ReasonLinkNotFound, Message: "Link not found."}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a domain error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// takeOne reads the row q selects into dst; when there is none, the error
// is notFound (this domain's word for the missing thing).
func takeOne(q *gorm.DB, dst any, notFound error) error {
	err := q.Take(dst).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return notFound
	}
	return err
}

// changedOrConflict is the outcome of an update conditional on the values
// read before it: its error, or a conflict (reason, msg) when it matched
// no row because another request changed the row meanwhile.
func changedOrConflict(res *gorm.DB, reason, msg string) error {
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return &Error{Code: ECONFLICT, Reason: reason, Message: msg}
	}
	return nil
}

// ErrorCode returns the code of a domain error, "" for nil, or EINTERNAL.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
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
