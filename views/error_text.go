package views

import (
	"errors"
	"strconv"

	"github.com/accessrequests/accessrequests/app/access"
)

// The sentences of errors as pages show them (the error page, a toast, a
// form's message). The domain says which error it is (access.Error's Code,
// and its Reason where a page words it); the words are the admin
// catalog's Error* keys. A domain error without a known Reason still shows
// its own Message, the API's detail.

// ErrorText is the sentence a page shows for err: the catalog's for a
// domain error whose Reason it knows, else the error's own message, and
// "Internal error." for anything that is not a domain error (its details
// never reach a page).
func ErrorText(err error) string {
	var de *access.Error
	if !errors.As(err, &de) {
		return adminText("ErrorInternal")
	}
	switch de.Code {
	case access.EFLOWSTATE, access.EPROVIDER, access.ETOKEN, access.EIDENTITY, access.ESCOPES, access.ENOTSTORED, access.EACCOUNT:
		return de.Message // a flow's Reason is the provider's code, not one of ours
	}
	p := de.Params
	switch de.Reason {
	case access.ReasonLinkNotFound:
		return adminText("ErrorLinkNotFound")
	case access.ReasonSortUnknown:
		return adminText("ErrorSortUnknown")
	case access.ReasonSearchTooManyChars:
		return adminText("ErrorSearchTooManyChars", "Max", p["max"], "Count", p["count"])
	case access.ReasonSearchTooManyWords:
		return adminText("ErrorSearchTooManyWords", "Max", p["max"])
	case access.ReasonBulkNoneSelected:
		return adminText("ErrorBulkNoneSelected")
	case access.ReasonBulkTooMany:
		return adminText("ErrorBulkTooMany", "Max", p["max"], "Count", p["count"])
	case access.ReasonDefaultDaysChoice:
		return adminText("ErrorDefaultDaysChoice")
	case access.ReasonAccountNotFound:
		return adminText("ErrorAccountNotFound")
	case access.ReasonMailNotFound:
		return adminText("ErrorMailNotFound")
	case access.ReasonCursorInvalid:
		return adminText("ErrorCursorInvalid")
	case access.ReasonNotEmailed:
		return adminText("ErrorNotEmailed")
	case access.ReasonResendInactive:
		return adminText("ErrorResendInactive", "Status", p["status"])
	case access.ReasonMailOff:
		return adminText("ErrorMailOff")
	case access.ReasonResendLimit:
		if n, err := strconv.Atoi(p["count"]); err == nil {
			return adminCount("ErrorResendLimit", n)
		}
	case access.ReasonSourceUnavailable:
		return adminText("ErrorSourceUnavailable")
	case access.ReasonSearchNotText:
		return adminText("ErrorSearchNotText")
	case access.ReasonSearchTooLong:
		return adminText("ErrorSearchTooLong")
	case access.ReasonUnknownSource:
		return adminText("ErrorUnknownSource")
	case access.ReasonUnknownStatus:
		return adminText("ErrorUnknownStatus", "Status", strconv.Quote(p["status"]))
	case access.ReasonDateOutOfRange:
		return adminText("ErrorDateOutOfRange")
	case access.ReasonDateRangeEmpty:
		return adminText("ErrorDateRangeEmpty")
	case access.ReasonTooManyMatches:
		if n, err := strconv.Atoi(p["count"]); err == nil {
			return adminCount("ErrorTooManyMatches", n, "Prefix", strconv.Quote(p["prefix"]))
		}
	case access.ReasonAPIKeyNotFound:
		return adminText("ErrorAPIKeyNotFound")
	case access.ReasonAPIKeyLimit:
		if n, err := strconv.Atoi(p["count"]); err == nil {
			return adminCount("ErrorAPIKeyLimit", n)
		}
	case access.ReasonBrandingOwnersOnly:
		return adminText("ErrorBrandingOwnersOnly", "Org", p["org"])
	case access.ReasonLogoNotFound:
		return adminText("ErrorLogoNotFound")
	case access.ReasonLinkDefaultsOwnersOnly:
		return adminText("ErrorLinkDefaultsOwnersOnly", "Org", p["org"])
	case access.ReasonDefaultChanged:
		return adminText("ErrorDefaultChanged")
	case access.ReasonUnknownStatusFilter:
		return adminText("ErrorUnknownStatusFilter", "Status", strconv.Quote(p["status"]))
	case access.ReasonBulkLinkNotFound:
		return adminText("ErrorBulkLinkNotFound")
	case access.ReasonBulkNothingDeleted:
		return adminText("ErrorBulkNothingDeleted")
	case access.ReasonCursorSortOrder:
		return adminText("ErrorCursorSortOrder")
	case access.ReasonLabelChanged:
		return adminText("ErrorLabelChanged")
	case access.ReasonAccountRenamed:
		return adminText("ErrorAccountRenamed")
	case access.ReasonAlreadyRenewed:
		return adminText("ErrorAlreadyRenewed")
	case access.ReasonRenewUsed:
		return adminText("ErrorRenewUsed")
	case access.ReasonRenewActive:
		return adminText("ErrorRenewActive")
	case access.ReasonManageLinksAdminsOnly:
		return adminText("ErrorManageLinksAdminsOnly", "Workspace", p["workspace"])
	case access.ReasonManageWebhooksAdminsOnly:
		return adminText("ErrorManageWebhooksAdminsOnly", "Workspace", p["workspace"])
	case access.ReasonPlanWithoutLinks:
		return adminText("ErrorPlanWithoutLinks", "Plan", p["plan"])
	case access.ReasonWorkspaceNotFound:
		return adminText("ErrorWorkspaceNotFound")
	case access.ReasonSessionEnded:
		return adminText("ErrorSessionEnded")
	case access.ReasonSignInForHistory:
		return adminText("ErrorSignInForHistory")
	case access.ReasonPasswordTooLong:
		return adminText("ErrorPasswordTooLong")
	case access.ReasonBadLogin:
		return adminText("ErrorBadLogin")
	case access.ReasonUserNotFound:
		return adminText("ErrorUserNotFound")
	case access.ReasonEndpointNotFound:
		return adminText("ErrorEndpointNotFound")
	case access.ReasonEndpointDuplicate:
		return adminText("ErrorEndpointDuplicate")
	case access.ReasonEndpointLimit:
		if n, err := strconv.Atoi(p["count"]); err == nil {
			return adminCount("ErrorEndpointLimit", n)
		}
	case access.ReasonSecretRotated:
		return adminText("ErrorSecretRotated")
	case access.ReasonWebhooksOff:
		return adminText("ErrorWebhooksOff")
	case access.ReasonWebhookMessageNotFound:
		return adminText("ErrorWebhookMessageNotFound")
	case access.ReasonEndpointDisabled:
		return adminText("ErrorEndpointDisabled")
	case access.ReasonLabelTooLong:
		return adminText("ErrorLabelTooLong")
	case access.ReasonLanguageUnknown:
		return adminText("ErrorLanguageUnknown", "Languages", p["languages"])
	case access.ReasonLifetimeRange:
		return adminText("ErrorLifetimeRange")
	case access.ReasonRecipientRequired:
		return adminText("ErrorRecipientRequired")
	case access.ReasonEmailInvalid:
		return adminText("ErrorEmailInvalid")
	case access.ReasonSourceMissing:
		return adminText("ErrorSourceMissing")
	case access.ReasonSourceUnknown:
		return adminText("ErrorSourceUnknown")
	case access.ReasonBrandingNotSaved:
		return adminText("ErrorBrandingNotSaved")
	case access.ReasonEndpointInvalid:
		return adminText("ErrorEndpointInvalid")
	case access.ReasonKeyNameMissing:
		return adminText("ErrorKeyNameMissing")
	case access.ReasonNameTooLong:
		return adminText("ErrorNameTooLong")
	case access.ReasonPasswordNotChanged:
		return adminText("PasswordNotChanged")
	case access.ReasonLogoMissing:
		return adminText("ErrorLogoMissing")
	case access.ReasonLogoTooBig:
		return adminText("ErrorLogoTooBig")
	case access.ReasonLogoNotImage:
		return adminText("ErrorLogoNotImage")
	case access.ReasonLogoUnreadable:
		return adminText("ErrorLogoUnreadable")
	case access.ReasonLogoTooSmall:
		return adminText("ErrorLogoTooSmall", "Min", p["min"])
	case access.ReasonLogoTooLarge:
		return adminText("ErrorLogoTooLarge", "Max", p["max"])
	case access.ReasonLogoAspect:
		return adminText("ErrorLogoAspect")
	case access.ReasonSVGNotXML:
		return adminText("ErrorSVGNotXML")
	case access.ReasonSVGDoctype:
		return adminText("ErrorSVGDoctype")
	case access.ReasonSVGTooComplex:
		return adminText("ErrorSVGTooComplex")
	case access.ReasonSVGEventHandler:
		return adminText("ErrorSVGEventHandler", "Name", p["name"])
	case access.ReasonSVGExternalRef:
		return adminText("ErrorSVGExternalRef")
	case access.ReasonSVGExternalFile:
		return adminText("ErrorSVGExternalFile", "File", p["file"])
	case access.ReasonSVGNotSVG:
		return adminText("ErrorSVGNotSVG")
	case access.ReasonSVGNoSize:
		return adminText("ErrorSVGNoSize")
	case access.ReasonSVGScript:
		return adminText("ErrorSVGScript")
	case access.ReasonSVGStyles:
		return adminText("ErrorSVGStyles")
	case access.ReasonSVGForeignObject:
		return adminText("ErrorSVGForeignObject")
	case access.ReasonSVGEmbedsPage:
		return adminText("ErrorSVGEmbedsPage")
	case access.ReasonSVGEmbedsDocument:
		return adminText("ErrorSVGEmbedsDocument")
	case access.ReasonSVGEmbedsImage:
		return adminText("ErrorSVGEmbedsImage")
	case access.ReasonSVGLink:
		return adminText("ErrorSVGLink")
	}
	return de.Message
}
