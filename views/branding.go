package views

import (
	"fmt"
	"strings"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// BrandingView is the branding settings page (/w/{workspace}/settings/branding).
type BrandingView struct {
	Branding *access.Branding
	// Form is the settings form as entered (after a refused save) or as
	// stored; LogoError is what was wrong with an upload.
	Form      BrandingForm
	LogoError string
}

// BrandingForm is the colour and links form, with per-field errors.
type BrandingForm struct {
	AccentColor, PrivacyURL, SupportURL string
	Error                               string
	Fields                              map[string]string
}

// BrandingURL is the workspace's branding settings page.
func (p *Page) BrandingURL() string { return p.WorkspaceURL("/settings/branding") }

// IsOwner reports whether the user owns the current workspace's
// organization: the branding menu item is theirs.
func (p *Page) IsOwner() bool {
	return p.Member != nil && p.Member.OrgRole == models.OrgRoleOwner && p.Member.Key == nil
}

// accentLabel describes the saved accent colour and its contrast.
func accentLabel(b *access.PublicBranding) string {
	if b.AccentColor == "" {
		return adminText("BrandingAccentDefault", "Color", defaultAccent, "Ratio", access.FormatRatio(access.ContrastWithWhite(defaultAccent)))
	}
	return adminText("BrandingAccentSaved", "Color", b.AccentColor, "Ratio", access.FormatRatio(access.ContrastWithWhite(b.AccentColor)),
		"Min", fmt.Sprintf("%.1f", access.MinAccentContrast))
}

// defaultAccent is brand-600 of tailwind.config.js, the Start button's
// colour without branding.
const defaultAccent = "#4f46e5"

// brandingChange is one line of the branding history.
func brandingChange(c models.BrandingChange) string {
	who := c.ActorName
	if who == "" {
		who = adminText("BrandingSomeone")
	}
	switch c.Kind {
	case access.BrandingLogo:
		return adminText("BrandingChangeLogo", "Who", who, "Detail", c.Detail)
	case access.BrandingLogoRemoved:
		return adminText("BrandingChangeLogoRemoved", "Who", who)
	}
	return adminText("BrandingChangeSettings", "Who", who, "Detail", c.Detail)
}

// logoKind is a logo's type in words.
func logoKind(typ string) string {
	return strings.ToUpper(strings.TrimPrefix(access.LogoExt(typ), "."))
}
