package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/accessrequests/accessrequests/models"
)

// Branding (issue 12): an organization's owners give the invitee's consent
// page their logo, an accent colour for its Start button, and links to
// their privacy policy and support. Only owners may change it (admins and
// members are refused with EFORBIDDEN); every change is recorded in
// branding_changes.

// Kinds of BrandingChange.
const (
	BrandingLogo        = "logo"
	BrandingLogoRemoved = "logo_removed"
	BrandingSettings    = "settings"
)

// MinAccentContrast is the contrast the Start button's white text needs
// against the accent colour: WCAG 2.x AA for normal text.
const MinAccentContrast = 4.5

// maxBrandingURL is the longest privacy or support URL, in bytes.
const maxBrandingURL = 500

// PublicBranding is what the consent page shows of an organization's
// branding: read with the link, in the page's one lookup.
type PublicBranding struct {
	AccentColor           string // "#rrggbb" or ""
	LogoHash, LogoType    string // "" without a logo
	LogoWidth, LogoHeight int
	PrivacyURL            string
	SupportURL            string
}

// LogoPath is the logo's immutable URL path ("" without a logo): its
// content's hash names it, so it may be cached for ever.
func (b *PublicBranding) LogoPath() string {
	if b.LogoHash == "" {
		return ""
	}
	return "/branding/logo/" + b.LogoHash + LogoExt(b.LogoType)
}

// AccentPath is the style sheet of the accent colour ("" without one),
// named by the colour itself: it needs no lookup and never changes.
func (b *PublicBranding) AccentPath() string {
	if b.AccentColor == "" {
		return ""
	}
	return "/branding/accent/" + strings.TrimPrefix(b.AccentColor, "#") + ".css"
}

// Branding is an organization's branding as its settings page shows it.
type Branding struct {
	PublicBranding
	OrganizationName string
	// Changes are the latest changes, newest first.
	Changes []models.BrandingChange
}

// BrandingInput is the settings form: colour and links ("" for none).
type BrandingInput struct {
	AccentColor string
	PrivacyURL  string
	SupportURL  string
}

// CanManageBranding returns nil when the member owns the workspace's
// organization, or a forbidden error that says who can.
func (m *Membership) CanManageBranding() error {
	return m.ownerOnly(ReasonBrandingOwnersOnly, "Only owners of %s can change its branding. Ask an owner of the organization to change the logo, colour or links.")
}

// OrganizationBranding loads the branding of the member's organization
// with its latest changes (owners only).
func (s *Service) OrganizationBranding(ctx context.Context, m *Membership) (*Branding, error) {
	if err := m.CanManageBranding(); err != nil {
		return nil, err
	}
	b := &Branding{OrganizationName: m.Organization.Name}
	var row models.OrganizationBranding
	err := s.db.WithContext(ctx).Omit("logo").Where("organization_id = ?", m.Organization.ID).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return nil, err
	default:
		b.PublicBranding = publicBranding(&row)
	}
	if err := s.db.WithContext(ctx).Where("organization_id = ? AND kind IN ?", m.Organization.ID, brandingKinds).
		Order("created_at DESC, id DESC").Limit(10).Find(&b.Changes).Error; err != nil {
		return nil, err
	}
	return b, nil
}

func publicBranding(r *models.OrganizationBranding) PublicBranding {
	return PublicBranding{AccentColor: r.AccentColor, LogoHash: r.LogoHash, LogoType: r.LogoType,
		LogoWidth: r.LogoWidth, LogoHeight: r.LogoHeight, PrivacyURL: r.PrivacyURL, SupportURL: r.SupportURL}
}

// SaveBranding stores the colour and links of the member's organization
// (owners only). Every problem is reported at once, per field.
func (s *Service) SaveBranding(ctx context.Context, m *Membership, actor Actor, in BrandingInput) error {
	if err := m.CanManageBranding(); err != nil {
		return err
	}
	fields := map[string]error{}
	color, err := ParseAccentColor(in.AccentColor)
	if err != nil {
		fields["accent_color"] = err
	}
	privacy, err := checkBrandingURL(in.PrivacyURL)
	if err != nil {
		fields["privacy_url"] = err
	}
	support, err := checkBrandingURL(in.SupportURL)
	if err != nil {
		fields["support_url"] = err
	}
	if len(fields) > 0 {
		return fieldsError(EINVALID, "The branding was not saved. Check the fields below.", fields).because(ReasonBrandingNotSaved, nil)
	}
	row := models.OrganizationBranding{OrganizationID: m.Organization.ID, AccentColor: color, PrivacyURL: privacy,
		SupportURL: support, UpdatedAt: s.now(), UpdatedBy: optional(actor.UserID)}
	detail := fmt.Sprintf("colour %s, privacy %s, support %s", orNone(color), orNone(privacy), orNone(support))
	return s.saveBranding(ctx, &row, []string{"accent_color", "privacy_url", "support_url"}, actor, BrandingSettings, detail)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// SetBrandingLogo checks an uploaded file (CheckLogo) and makes it the
// organization's logo (owners only).
func (s *Service) SetBrandingLogo(ctx context.Context, m *Membership, actor Actor, data []byte) error {
	if err := m.CanManageBranding(); err != nil {
		return err
	}
	logo, err := CheckLogo(data)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(logo.Data)
	row := models.OrganizationBranding{OrganizationID: m.Organization.ID, Logo: logo.Data, LogoHash: hex.EncodeToString(sum[:]),
		LogoType: logo.Type, LogoWidth: logo.Width, LogoHeight: logo.Height, UpdatedAt: s.now(), UpdatedBy: optional(actor.UserID)}
	detail := fmt.Sprintf("%s, %d × %d, %d bytes", strings.TrimPrefix(LogoExt(logo.Type), "."), logo.Width, logo.Height, len(logo.Data))
	return s.saveBranding(ctx, &row, []string{"logo", "logo_hash", "logo_type", "logo_width", "logo_height"}, actor, BrandingLogo, detail)
}

// RemoveBrandingLogo removes the organization's logo (owners only); the
// consent page shows the organization's initials again.
func (s *Service) RemoveBrandingLogo(ctx context.Context, m *Membership, actor Actor) error {
	if err := m.CanManageBranding(); err != nil {
		return err
	}
	row := models.OrganizationBranding{OrganizationID: m.Organization.ID, UpdatedAt: s.now(), UpdatedBy: optional(actor.UserID)}
	return s.saveBranding(ctx, &row, []string{"logo", "logo_hash", "logo_type", "logo_width", "logo_height"}, actor, BrandingLogoRemoved, "")
}

// saveBranding upserts row's columns (and who changed them, when) and
// records the change, in one transaction.
func (s *Service) saveBranding(ctx context.Context, row *models.OrganizationBranding, columns []string, actor Actor, kind, detail string) error {
	return s.transaction(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "organization_id"}},
			DoUpdates: clause.AssignmentColumns(append(columns, "updated_at", "updated_by")),
		}).Create(row).Error
		if err != nil {
			return err
		}
		return tx.Create(&models.BrandingChange{ID: NewID(), OrganizationID: row.OrganizationID, UserID: optional(actor.UserID),
			ActorName: actor.Name, Kind: kind, Detail: detail, CreatedAt: s.now()}).Error
	})
}

// Logo is a stored logo, as served.
type Logo struct {
	Data []byte
	Type string
	Hash string
}

// BrandingLogo finds a logo by its hash (public: the consent page shows
// it). An unknown or removed logo is not found.
func (s *Service) BrandingLogo(ctx context.Context, hash string) (*Logo, error) {
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return nil, Errorf(ENOTFOUND, "Logo not found.")
	}
	var row models.OrganizationBranding
	q := s.db.WithContext(ctx).Select("logo", "logo_type", "logo_hash").Where("logo_hash = ?", hash).Limit(1)
	if err := takeOne(q, &row, Errorf(ENOTFOUND, "Logo not found.")); err != nil {
		return nil, err
	}
	return &Logo{Data: row.Logo, Type: row.LogoType, Hash: row.LogoHash}, nil
}

// ParseAccentColor reads a hex colour ("#1d4ed8", "1D4ED8" or "#14d") as
// "#rrggbb"; "" stays "" (the product's own colour). A colour on which the
// Start button's white text would have less than MinAccentContrast is
// refused, naming the ratio it has.
func ParseAccentColor(v string) (string, error) {
	v = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(v), "#"))
	if v == "" {
		return "", nil
	}
	if len(v) == 3 {
		v = string([]byte{v[0], v[0], v[1], v[1], v[2], v[2]})
	}
	if len(v) != 6 || strings.Trim(v, "0123456789abcdef") != "" {
		return "", fieldf(FieldAccentNotHex, nil, "Enter a colour as a hex code, such as #1d4ed8.")
	}
	c := "#" + v
	if r := ContrastWithWhite(c); r < MinAccentContrast {
		return "", fieldf(FieldAccentContrast, map[string]string{"color": c, "ratio": FormatRatio(r), "min": fmt.Sprintf("%.1f", MinAccentContrast)},
			"White text on %s has a contrast of %s, below the %.1f:1 that WCAG AA needs for the Start button. Choose a darker colour.", c, FormatRatio(r), MinAccentContrast)
	}
	return c, nil
}

// ContrastWithWhite is the WCAG 2.x contrast ratio of white on the colour
// "#rrggbb", from 1 to 21.
func ContrastWithWhite(hexColor string) float64 {
	return (1 + 0.05) / (relativeLuminance(hexColor) + 0.05)
}

// FormatRatio writes a contrast ratio as "4.48:1", rounded down, so a
// ratio just under a threshold never reads as meeting it.
func FormatRatio(r float64) string {
	return fmt.Sprintf("%.2f:1", math.Floor(r*100)/100)
}

// relativeLuminance is WCAG's relative luminance of "#rrggbb".
func relativeLuminance(hexColor string) float64 {
	b, err := hex.DecodeString(strings.TrimPrefix(hexColor, "#"))
	if err != nil || len(b) != 3 {
		return 1
	}
	lin := func(v byte) float64 {
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(b[0]) + 0.7152*lin(b[1]) + 0.0722*lin(b[2])
}

// checkBrandingURL checks a privacy or support link: https, a host, no
// user name or password, no spaces or control characters.
func checkBrandingURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if len(v) > maxBrandingURL {
		return "", fieldf(FieldURLTooLong, map[string]string{"max": strconv.Itoa(maxBrandingURL)}, "At most %d characters.", maxBrandingURL)
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || isBidiControl(r) }) >= 0 {
		return "", fieldf(FieldURLSpaces, nil, "A web address has no spaces or control characters.")
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || u.Hostname() == "":
		return "", fieldf(FieldURLNotFull, nil, "Enter a full web address, such as https://example.com/privacy.")
	case u.Scheme != "https":
		return "", fieldf(FieldURLNotHTTPS, nil, "Use an https:// address, so the invitee's browser can trust it.")
	case u.User != nil:
		return "", fieldf(FieldURLUserinfo, nil, "The address may not hold a user name or password.")
	}
	return u.String(), nil
}
