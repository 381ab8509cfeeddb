package views

// The support console's notices and form messages, as its handler
// (app/web/support.go) sets them: the admin catalog's Support* words.

// SupportNoticeTokenNotFound says that no link matches a pasted link or
// token, with or without other filters set.
func SupportNoticeTokenNotFound(f SupportForm) string {
	if f.Source != "" || f.Status != "" || f.From != "" || f.To != "" {
		return adminText("SupportNoticeTokenNotFoundFiltered")
	}
	return adminText("SupportNoticeTokenNotFound")
}

// SupportNoticePasted says that the link shown is the one pasted, found by
// its ID.
func SupportNoticePasted() string { return adminText("SupportNoticePasted") }

// SupportFiltersInvalid is the message over a search whose filters cannot
// be read.
func SupportFiltersInvalid() string { return adminText("SupportFiltersInvalid") }

// SupportFieldStatus, SupportFieldFrom and SupportFieldTo are the messages
// of the filters that cannot be read.
func SupportFieldStatus() string { return adminText("SupportFieldStatus") }

// SupportFieldFrom: see SupportFieldStatus.
func SupportFieldFrom() string { return adminText("SupportFieldFrom") }

// SupportFieldTo: see SupportFieldStatus.
func SupportFieldTo() string { return adminText("SupportFieldTo") }

// SupportExportCrossSite refuses a history download another site asked
// for.
func SupportExportCrossSite() string { return adminText("SupportExportCrossSite") }
