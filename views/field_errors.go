package views

import (
	"errors"

	"github.com/accessrequests/accessrequests/app/access"
)

// FieldErrors are the per-field messages a form shows for err: the
// catalog's Field* sentence of each field whose reason it knows
// (access.Error.FieldReasons), or ErrorText's when the field's reason is
// the error's own, else the field's own text (Fields, the
// API's detail); nil when err is not a domain error or has no fields.
func FieldErrors(err error) map[string]string {
	var de *access.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return nil
	}
	out := make(map[string]string, len(de.Fields))
	for name, text := range de.Fields {
		if s := fieldText(de.FieldReasons[name], de.FieldParams[name]); s != "" {
			text = s
		} else if r := de.FieldReasons[name]; r != "" && r == de.Reason {
			text = ErrorText(de) // the field says what the error does (a refused logo)
		}
		out[name] = text
	}
	return out
}

// fieldText is the catalog's sentence of a field's reason with params p,
// "" for a reason it does not know.
func fieldText(reason string, p map[string]string) string {
	switch reason {
	case access.FieldLabelTooLong:
		return adminText("FieldLabelTooLong", "Max", p["max"])
	case access.FieldLanguageUnknown:
		return adminText("FieldLanguageUnknown")
	case access.FieldLifetimeRange:
		return adminText("FieldLifetimeRange")
	case access.FieldRecipientRequired:
		return adminText("FieldRecipientRequired")
	case access.FieldRecipientMailOff:
		return adminText("FieldRecipientMailOff")
	case access.FieldEmailInvalid:
		return adminText("FieldEmailInvalid")
	case access.FieldAccentNotHex:
		return adminText("FieldAccentNotHex")
	case access.FieldAccentContrast:
		return adminText("FieldAccentContrast", "Color", p["color"], "Ratio", p["ratio"], "Min", p["min"])
	case access.FieldURLTooLong:
		return adminText("FieldURLTooLong", "Max", p["max"])
	case access.FieldURLSpaces:
		return adminText("FieldURLSpaces")
	case access.FieldURLNotFull:
		return adminText("FieldURLNotFull")
	case access.FieldURLNotHTTPS:
		return adminText("FieldURLNotHTTPS")
	case access.FieldURLUserinfo:
		return adminText("FieldURLUserinfo")
	case access.FieldWebhookURLMissing:
		return adminText("FieldWebhookURLMissing")
	case access.FieldWebhookURLDuplicate:
		return adminText("FieldWebhookURLDuplicate")
	case access.FieldWebhookURLTooLong:
		return adminText("FieldWebhookURLTooLong")
	case access.FieldWebhookURLNotFull:
		return adminText("FieldWebhookURLNotFull")
	case access.FieldWebhookURLUserinfo:
		return adminText("FieldWebhookURLUserinfo")
	case access.FieldWebhookURLNotHTTPS:
		return adminText("FieldWebhookURLNotHTTPS")
	case access.FieldWebhookURLNotPublic:
		return adminText("FieldWebhookURLNotPublic")
	case access.FieldUnknownEventType:
		return adminText("FieldUnknownEventType", "Type", p["type"])
	case access.FieldCurrentMissing:
		return adminText("FieldCurrentMissing")
	case access.FieldCurrentWrong:
		return adminText("FieldCurrentWrong")
	case access.FieldNewMissing:
		return adminText("FieldNewMissing")
	case access.FieldPasswordTooShort:
		return adminText("FieldPasswordTooShort", "Min", p["min"])
	case access.FieldPasswordTooLong:
		return adminText("FieldPasswordTooLong")
	case access.FieldPasswordUnchanged:
		return adminText("FieldPasswordUnchanged")
	case access.FieldConfirmMissing:
		return adminText("FieldConfirmMissing")
	case access.FieldConfirmMismatch:
		return adminText("FieldConfirmMismatch")
	case access.FieldKeyNameMissing:
		return adminText("FieldKeyNameMissing")
	case access.FieldKeyNameTooLong:
		return adminText("FieldKeyNameTooLong", "Max", p["max"])
	case access.FieldSourceMissing:
		return adminText("FieldSourceMissing")
	case access.FieldUnknownSource:
		return adminText("FieldUnknownSource")
	case access.FieldNotText:
		return adminText("FieldNotText")
	case access.FieldAtMostChars:
		return adminText("FieldAtMostChars", "Max", p["max"])
	case access.FieldAtMostWords:
		return adminText("FieldAtMostWords", "Max", p["max"])
	case access.FieldSearchAtMost:
		return adminText("FieldSearchAtMost", "Max", p["max"])
	case access.FieldDateOutOfRange:
		return adminText("FieldDateOutOfRange")
	case access.FieldDateBeforeStart:
		return adminText("FieldDateBeforeStart")
	case access.FieldTooManyMatches:
		return adminText("FieldTooManyMatches")
	case access.FieldSortUnknown:
		return adminText("FieldSortUnknown")
	case access.FieldSelectLink:
		return adminText("FieldSelectLink")
	case access.FieldAtMostLinks:
		return adminText("FieldAtMostLinks", "Max", p["max"])
	case access.FieldDefaultDays:
		return adminText("FieldDefaultDays")
	case access.FieldDisplayNameTooLong:
		return adminText("FieldDisplayNameTooLong", "Max", p["max"])
	}
	return ""
}
