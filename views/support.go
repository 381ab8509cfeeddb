package views

import (
	"net/url"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
)

// SupportURL is the path of the support console.
const SupportURL = "/support/links"

// SupportForm is the support search form as the user filled it in. Q never
// holds a token: the handler swaps a pasted link for its link ID.
type SupportForm struct {
	Q, Source, Status, From, To string
}

// Empty reports whether no filter is set.
func (f SupportForm) Empty() bool {
	return f.Q == "" && f.Source == "" && f.Status == "" && f.From == "" && f.To == ""
}

// Values are the form's filters as URL parameters.
func (f SupportForm) Values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", f.Q}, {"source", f.Source}, {"status", f.Status}, {"from", f.From}, {"to", f.To}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// SupportSearchView is the data of the support console's search page.
type SupportSearchView struct {
	Form    SupportForm
	Catalog *sources.Catalog
	// Results is nil before any search.
	Results *access.SupportPage
	// Notice explains how the text was read (a pasted link, or one that
	// matches nothing).
	Notice string
	// Error is why the search could not run, with per-field messages.
	Error  string
	Fields map[string]string
}

// moreURL is the next page with the same filters.
func (v *SupportSearchView) moreURL() string {
	q := v.Form.Values()
	q.Set("cursor", v.Results.NextCursor)
	return SupportURL + "?" + q.Encode()
}

// SupportLinkURL is the support page of one link.
func SupportLinkURL(id string) string { return SupportURL + "/" + id }

// SupportLinkDetail is the data of the support page of one link.
type SupportLinkDetail struct {
	Link    *access.SupportLinkView
	Catalog *sources.Catalog
	History *access.EventPage // one page, newest first
}

// supportStatuses are the status filter's choices.
var supportStatuses = []access.Status{access.StatusActive, access.StatusUsed, access.StatusExpired, access.StatusDeleted}

// PlanClass is the badge style of a plan: plans with access links stand out.
func PlanClass(plan string) string {
	if access.PlanAllowsLinks(plan) {
		return "badge badge-brand"
	}
	return "badge badge-gray"
}

// supportSourceName is the catalog name of a source key, or the key.
func supportSourceName(c *sources.Catalog, key string) string {
	if s := c.Get(key); s != nil {
		return s.Name
	}
	return key
}

// shortID is the start of an ID, enough to tell rows apart; the full ID is
// in the row's title and on the link's page.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}
