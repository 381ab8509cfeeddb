package models

import "time"

// OrganizationBranding is what an organization's owners set for the
// invitee's consent page: an accent colour, privacy and support links, and
// a logo kept as checked bytes (named by LogoHash, their SHA-256 in hex).
type OrganizationBranding struct {
	OrganizationID string `gorm:"primaryKey"`
	AccentColor    string
	PrivacyURL     string `gorm:"column:privacy_url"`
	SupportURL     string `gorm:"column:support_url"`
	LogoHash       string
	LogoType       string
	LogoWidth      int
	LogoHeight     int
	Logo           []byte
	UpdatedAt      time.Time
	UpdatedBy      *string
}

// BrandingChange is one change of an organization's branding, for its
// history: Kind is logo, logo_removed or settings.
type BrandingChange struct {
	ID             string
	OrganizationID string
	UserID         *string
	ActorName      string
	Kind           string
	Detail         string
	CreatedAt      time.Time
}
