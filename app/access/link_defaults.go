package access

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// An organization's default link lifetime (issue 11): its owners choose
// how long new links live when their creator picks nothing (the generate
// dialog preselects it; the API uses it without expires_in_hours).

// LinkDayChoices are the lifetimes, in days, an organization's default
// may take (the generate dialog offers the same ones).
var LinkDayChoices = []int{1, 3, 7, 14, 30}

// BrandingLinkDefault is the kind of BrandingChange that records a new
// default link lifetime, in the organization's settings history.
const BrandingLinkDefault = "link_default"

// brandingKinds are the kinds the branding page's history shows.
var brandingKinds = []string{BrandingLogo, BrandingLogoRemoved, BrandingSettings}

// LinkDefaults is the organization's link settings as their page shows
// them.
type LinkDefaults struct {
	OrganizationName string
	// Days is how long new links live by default.
	Days int
	// Changes are the latest changes of the default, newest first.
	Changes []models.BrandingChange
}

// CanManageOrganizationSettings returns nil when the member owns the
// workspace's organization, or a forbidden error that says who can.
func (m *Membership) CanManageOrganizationSettings() error {
	return m.ownerOnly(ReasonLinkDefaultsOwnersOnly, "Only owners of %s can change how long its links last by default. Ask an owner of the organization.")
}

// ownerOnly returns nil when a person (not an API key) who owns the
// workspace's organization acts, or a forbidden error (reason) that says
// refusal with the organization's name for its %s.
func (m *Membership) ownerOnly(reason, refusal string) error {
	if m.Key != nil || m.OrgRole != models.OrgRoleOwner {
		return reasonf(EFORBIDDEN, reason, map[string]string{"org": m.Organization.Name}, refusal, m.Organization.Name)
	}
	return nil
}

// OrganizationLinkDefaults reads the default link lifetime of the
// member's organization, as stored now, with its latest changes (owners
// only).
func (s *Service) OrganizationLinkDefaults(ctx context.Context, m *Membership) (*LinkDefaults, error) {
	if err := m.CanManageOrganizationSettings(); err != nil {
		return nil, err
	}
	var org models.Organization
	if err := s.db.WithContext(ctx).Select("id", "name", "default_link_days").Where("id = ?", m.Organization.ID).Take(&org).Error; err != nil {
		return nil, err
	}
	d := &LinkDefaults{OrganizationName: org.Name, Days: org.DefaultLinkDays}
	if d.Days <= 0 {
		d.Days = int(LinkLifetime.Hours() / 24)
	}
	if err := s.db.WithContext(ctx).Where("organization_id = ? AND kind = ?", m.Organization.ID, BrandingLinkDefault).
		Order("created_at DESC, id DESC").Limit(10).Find(&d.Changes).Error; err != nil {
		return nil, err
	}
	return d, nil
}

// SetDefaultLinkDays sets how long the new links of the member's
// organization live by default, in days: one of LinkDayChoices (owners
// only). Links already made keep their expiry. The change is recorded
// with the old and the new value, in the same transaction; an unchanged
// value records nothing.
func (s *Service) SetDefaultLinkDays(ctx context.Context, m *Membership, actor Actor, days int) error {
	if err := m.CanManageOrganizationSettings(); err != nil {
		return err
	}
	if !slices.Contains(LinkDayChoices, days) {
		return fieldError(EINVALID, "Choose 1, 3, 7, 14 or 30 days.",
			"default_link_days", fieldf(FieldDefaultDays, nil, "Choose 1, 3, 7, 14 or 30 days.")).because(ReasonDefaultDaysChoice, nil)
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		var org models.Organization
		if err := tx.Select("id", "default_link_days").Where("id = ?", m.Organization.ID).Take(&org).Error; err != nil {
			return err
		}
		if org.DefaultLinkDays == days {
			return nil
		}
		res := tx.Model(&models.Organization{}).Where("id = ? AND default_link_days = ?", org.ID, org.DefaultLinkDays).
			UpdateColumn("default_link_days", days)
		if err := changedOrConflict(res, ReasonDefaultChanged, "The default was changed meanwhile; reload and try again."); err != nil {
			return err
		}
		return tx.Create(&models.BrandingChange{ID: NewID(), OrganizationID: org.ID, UserID: optional(actor.UserID),
			ActorName: CleanText(actor.Name, maxActorName), Kind: BrandingLinkDefault,
			Detail: fmt.Sprintf("%d→%d", org.DefaultLinkDays, days), CreatedAt: s.now()}).Error
	})
}
