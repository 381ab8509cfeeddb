// Package views holds the templ components of every page: the layout, the
// pages, and small parts (badge, button, dialog, toast).
package views

import (
	"strings"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/static"
	"github.com/accessrequests/accessrequests/views/locale"
	"golang.org/x/text/language"
)

// Page is the per-request data every page needs.
type Page struct {
	Title      string
	User       *models.User
	Workspaces []access.WorkspaceChoice
	Member     *access.Membership // the current workspace, nil outside one
	Flash      string
	Active     string    // menu item: "accounts", "links", "support"
	Now        time.Time // for relative times
	Production bool
	// LinkLifetime is how long a generated link stays usable
	// (access.LinkLifetime), for the sentences that say it.
	LinkLifetime time.Duration
}

// Lifetime is how long a link stays usable: LinkLifetime, or
// access.LinkLifetime on a page built without it.
func (p *Page) Lifetime() time.Duration {
	if p == nil || p.LinkLifetime <= 0 {
		return access.LinkLifetime
	}
	return p.LinkLifetime
}

// Days writes a whole number of days in words: "1 day", "7 days". A
// lifetime that is not whole days is rounded up.
func Days(d time.Duration) string {
	return adminCount("CommonDays", int((d+24*time.Hour-1)/(24*time.Hour)))
}

// WorkspaceURL returns a path inside the current workspace.
func (p *Page) WorkspaceURL(rest string) string {
	if p.Member == nil {
		return "/"
	}
	return "/w/" + p.Member.Workspace.ID + rest
}

// LinksURL is the path of the access requests page.
func (p *Page) LinksURL() string { return p.WorkspaceURL("/sources/access-requests") }

// Asset is the hashed URL of a static file.
func Asset(name string) string { return static.Path(name) }

// LogoURL is the URL of a source's logo: a static file or an https URL.
func LogoURL(src *sources.Source) string {
	if src == nil {
		return static.Path("logos/generic.svg")
	}
	if len(src.Logo) > 8 && src.Logo[:8] == "https://" {
		return src.Logo
	}
	if static.Has(src.Logo) {
		return static.Path(src.Logo)
	}
	return static.Path("logos/generic.svg")
}

// Date formats a time as "Dec 4, 2026".
func Date(t time.Time) string { return t.UTC().Format("Jan 2, 2006") }

// DateTime formats a time as "Dec 4, 2026, 14:05 UTC".
func DateTime(t time.Time) string { return t.UTC().Format("Jan 2, 2006, 15:04 UTC") }

// ISO formats a time for <time datetime>.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Relative describes t relative to now the way people say it, in English
// (the admin side): "in 7 days", "3 hours ago"; see locale.Relative for the
// rounding.
func Relative(t, now time.Time) string { return locale.Get(language.English).Relative(t, now) }

// statusBadges is the badge style of each status.
var statusBadges = map[access.Status]string{
	access.StatusActive:  "badge badge-dot badge-green",
	access.StatusUsed:    "badge badge-dot badge-blue",
	access.StatusExpired: "badge badge-dot badge-amber",
	access.StatusDeleted: "badge badge-dot badge-gray",
}

// StatusLabel is the badge text of a status.
func StatusLabel(s access.Status) string {
	switch s {
	case access.StatusActive:
		return adminText("StatusActive")
	case access.StatusUsed:
		return adminText("StatusUsed")
	case access.StatusExpired:
		return adminText("StatusExpired")
	case access.StatusDeleted:
		return adminText("StatusDeleted")
	}
	return string(s)
}

// StatusClass is the badge style of a status.
func StatusClass(s access.Status) string {
	if class, ok := statusBadges[s]; ok {
		return class
	}
	return "badge badge-dot badge-gray"
}

// Initials are up to two letters of a name, upper case, for avatars.
func Initials(name string) string {
	out := []rune{}
	prevSpace := true
	for _, r := range name {
		if r == ' ' {
			prevSpace = true
			continue
		}
		if prevSpace && len(out) < 2 {
			out = append(out, r)
		}
		prevSpace = false
	}
	return strings.ToUpper(string(out))
}

// PlanName is a plan's name as the admin pages show it ("Pro").
func PlanName(plan string) string {
	switch plan {
	case models.PlanFree:
		return adminText("PlanFree")
	case models.PlanActive:
		return adminText("PlanActive")
	case models.PlanPro:
		return adminText("PlanPro")
	case models.PlanAgency:
		return adminText("PlanAgency")
	case models.PlanEnterprise:
		return adminText("PlanEnterprise")
	case "":
		return adminText("PlanCurrent")
	}
	return access.PlanName(plan)
}
