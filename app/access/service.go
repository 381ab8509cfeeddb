// Package access holds the business rules of accounts access requests:
// who may manage links, generating, listing and deleting links, their
// status, and the link history. Every method takes ctx first and opens its
// own transaction where it writes more than one row.
package access

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/models"
)

// LinkLifetime is how long a generated link stays usable when neither its
// creator nor the organization chose otherwise.
const LinkLifetime = 7 * 24 * time.Hour

// defaultLinkDays is LinkLifetime in days, a new organization's default.
const defaultLinkDays = int(LinkLifetime / (24 * time.Hour))

// Bounds of a link's lifetime, chosen per link (whole hours) or as an
// organization's default (whole days). MaxLinkLifetime also bounds the
// created_at of active links in the list's SQL (statusCond).
const (
	MinLinkLifetime = time.Hour
	MaxLinkLifetime = 30 * 24 * time.Hour
)

// Service implements the domain on one database. Its dependencies are
// set once, by New and its options, and never reached from outside.
type Service struct {
	db      *gorm.DB
	keys    *secret.Keyring
	sources *sources.Catalog
	// baseURL builds the links shown to admins ("https://host/prefix").
	baseURL string
	// clock is the time; tests inject their own.
	clock func() time.Time
	// sessionIdleTimeout ends a session not used for this long;
	// sessionLifetime ends it this long after sign-in whatever its use.
	// Zero means DefaultSessionIdleTimeout and DefaultSessionLifetime.
	sessionIdleTimeout time.Duration
	sessionLifetime    time.Duration
	// maxClientsPerLink overrides the package's MaxClientsPerLink (tests);
	// zero keeps it.
	maxClientsPerLink int64
	// hooks hands out events (webhooks_events.go).
	hooks hookSettings
	// mailOn is set when mail can be sent (mail.go).
	mailOn bool
}

// Option configures a Service in New.
type Option func(*Service)

// WithSources sets the catalog of sources links are generated for.
func WithSources(c *sources.Catalog) Option { return func(s *Service) { s.sources = c } }

// WithBaseURL sets the address links are built on ("https://host/prefix").
func WithBaseURL(u string) Option { return func(s *Service) { s.baseURL = u } }

// WithClock replaces the real time (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.clock = now } }

// WithSessionTimeouts sets how long a session may stay idle and how long it
// lives at most; zero keeps the defaults.
func WithSessionTimeouts(idle, lifetime time.Duration) Option {
	return func(s *Service) { s.sessionIdleTimeout, s.sessionLifetime = idle, lifetime }
}

// WithMaxClientsPerLink overrides MaxClientsPerLink (tests); zero keeps it.
func WithMaxClientsPerLink(n int64) Option { return func(s *Service) { s.maxClientsPerLink = n } }

// New returns the domain on gdb, sealing secrets with keys.
func New(gdb *gorm.DB, keys *secret.Keyring, opts ...Option) *Service {
	s := &Service{db: gdb, keys: keys}
	for _, o := range opts {
		o(s)
	}
	return s
}

// WithDB is a copy of s working on gdb: for a caller that runs the
// service's methods inside a transaction of its own (seeding).
func (s *Service) WithDB(gdb *gorm.DB) *Service {
	c := *s
	c.db = gdb
	return &c
}

// Sources is the catalog of sources the service generates links for.
func (s *Service) Sources() *sources.Catalog { return s.sources }

// Ping reports whether the database answers, for readiness checks.
func (s *Service) Ping(ctx context.Context) error { return db.Ping(ctx, s.db) }

func (s *Service) now() time.Time {
	if s.clock != nil {
		return s.clock().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// NewID returns a random, non-sequential identifier for a row.
func NewID() string { return uuid.NewString() }

// ValidID reports whether s has the shape of an ID made by NewID, so that
// malformed IDs answer 404 without reaching the database.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// Actor is who performs an action, with the client's address and user
// agent for the link history.
type Actor struct {
	UserID string // empty for the invitee and for API keys
	Name   string
	// APIKeyID and APIKeyName name the key, for actions through the API;
	// the history shows "API key <name>".
	APIKeyID   string
	APIKeyName string
	IP         string
	UserAgent  string
}

// Membership is what one user may do in one workspace.
type Membership struct {
	Workspace     models.Workspace
	Organization  models.Organization
	WorkspaceRole string // admin, editor, viewer, or "" for an organization owner without one
	OrgRole       string // owner, member or ""
	// Key is the API key acting for the workspace; nil for a person.
	Key *models.APIKey
}

// PlanAllowsLinks reports whether the organization's plan includes access
// links.
func PlanAllowsLinks(plan string) bool {
	switch plan {
	case models.PlanActive, models.PlanPro, models.PlanAgency, models.PlanEnterprise:
		return true
	}
	return false
}

// IsManager reports whether the role allows managing links: workspace admin
// or organization owner.
func (m *Membership) IsManager() bool {
	return m.WorkspaceRole == models.WorkspaceRoleAdmin || m.OrgRole == models.OrgRoleOwner
}

// CanManageLinks returns nil when the user may generate and delete links,
// or a forbidden error saying why not: the role first (a member learns to
// ask an admin), then the plan (an owner learns to upgrade).
func (m *Membership) CanManageLinks() error {
	if !m.IsManager() {
		return reasonf(EFORBIDDEN, ReasonManageLinksAdminsOnly, map[string]string{"workspace": m.Workspace.Name},
			"Only workspace admins and organization owners can manage access links. Ask an admin of %s for help.", m.Workspace.Name)
	}
	if !PlanAllowsLinks(m.Organization.Plan) {
		return reasonf(EFORBIDDEN, ReasonPlanWithoutLinks, map[string]string{"plan": PlanName(m.Organization.Plan)},
			"Accounts access requests are not included in the %s plan. Upgrade to Pro to send access links.", PlanName(m.Organization.Plan))
	}
	return nil
}

// CanManageWebhooks is CanManageLinks for the webhooks settings: the same
// gate (role, then plan), and a member is told it is webhooks that only
// admins manage.
func (m *Membership) CanManageWebhooks() error {
	if !m.IsManager() {
		return reasonf(EFORBIDDEN, ReasonManageWebhooksAdminsOnly, map[string]string{"workspace": m.Workspace.Name},
			"Only workspace admins and organization owners can manage webhooks. Ask an admin of %s for help.", m.Workspace.Name)
	}
	return m.CanManageLinks()
}

// PlanName is the display name of a plan.
func PlanName(plan string) string {
	if plan == "" {
		return "current"
	}
	return strings.ToUpper(plan[:1]) + plan[1:]
}

// Membership loads what userID may do in workspaceID. A workspace the user
// has no role in answers not found, never forbidden, so IDs of other
// customers' workspaces reveal nothing.
func (s *Service) Membership(ctx context.Context, userID, workspaceID string) (*Membership, error) {
	m, err := s.loadMembership(ctx, userID, workspaceID)
	if err != nil {
		return nil, err
	}
	// Organization owners see every workspace of their organization;
	// everyone else needs a role in the workspace itself.
	if m.WorkspaceRole == "" && m.OrgRole != models.OrgRoleOwner {
		return nil, reasonf(ENOTFOUND, ReasonWorkspaceNotFound, nil, "Workspace not found.")
	}
	return m, nil
}

// loadMembership loads workspaceID with its organization and userID's
// roles in both (none for a userID of ""), whatever they are.
func (s *Service) loadMembership(ctx context.Context, userID, workspaceID string) (*Membership, error) {
	if !ValidID(workspaceID) {
		return nil, reasonf(ENOTFOUND, ReasonWorkspaceNotFound, nil, "Workspace not found.")
	}
	var row struct {
		models.Workspace
		OrgName            string
		OrgPlan            string
		OrgCreatedAt       time.Time
		OrgDefaultLinkDays int
		WorkspaceRole      *string
		OrgRole            *string
	}
	q := s.db.WithContext(ctx).Table("workspaces AS w").
		Select(`w.id, w.organization_id, w.name, w.created_at,
			o.name AS org_name, o.plan AS org_plan, o.created_at AS org_created_at, o.default_link_days AS org_default_link_days,
			wm.role AS workspace_role, om.role AS org_role`).
		Joins("JOIN organizations o ON o.id = w.organization_id").
		Joins("LEFT JOIN workspace_members wm ON wm.workspace_id = w.id AND wm.user_id = ?", userID).
		Joins("LEFT JOIN organization_members om ON om.organization_id = w.organization_id AND om.user_id = ?", userID).
		Where("w.id = ?", workspaceID)
	if err := takeOne(q, &row, reasonf(ENOTFOUND, ReasonWorkspaceNotFound, nil, "Workspace not found.")); err != nil {
		return nil, err
	}
	m := &Membership{
		Workspace:    row.Workspace,
		Organization: models.Organization{ID: row.OrganizationID, Name: row.OrgName, Plan: row.OrgPlan, CreatedAt: row.OrgCreatedAt, DefaultLinkDays: row.OrgDefaultLinkDays},
	}
	if row.WorkspaceRole != nil {
		m.WorkspaceRole = *row.WorkspaceRole
	}
	if row.OrgRole != nil {
		m.OrgRole = *row.OrgRole
	}
	return m, nil
}

// WorkspaceChoice is one entry of the workspace switcher.
type WorkspaceChoice struct {
	ID               string
	Name             string
	OrganizationName string
}

// Workspaces lists the workspaces a user can open, by organization then
// name. The first one is where the user lands after signing in.
func (s *Service) Workspaces(ctx context.Context, userID string) ([]WorkspaceChoice, error) {
	var out []WorkspaceChoice
	err := s.db.WithContext(ctx).Table("workspaces AS w").
		Select("w.id, w.name, o.name AS organization_name").
		Joins("JOIN organizations o ON o.id = w.organization_id").
		Where(`EXISTS (SELECT 1 FROM workspace_members wm WHERE wm.workspace_id = w.id AND wm.user_id = ?)
			OR EXISTS (SELECT 1 FROM organization_members om WHERE om.organization_id = w.organization_id AND om.user_id = ? AND om.role = ?)`, userID, userID, models.OrgRoleOwner).
		Order("o.name, w.name").
		Scan(&out).Error
	return out, err
}

// Clock returns the service's current time (the injected clock in tests).
func (s *Service) Clock() time.Time { return s.now() }

// VerifyKey refuses a key ring that cannot open the data already stored:
// every key ID found in a sealed column must be in the ring, and the newest
// sealed link token, if any, must open.
func (s *Service) VerifyKey(ctx context.Context) error {
	if err := s.checkSealedKeyIDs(ctx); err != nil {
		return err
	}
	var l models.AccessLink
	err := s.db.WithContext(ctx).Select("id, token_sealed").Order("created_at DESC").Limit(1).Find(&l).Error
	if err != nil {
		return err
	}
	if l.ID == "" {
		return nil
	}
	if _, err := s.keys.Open(l.TokenSealed, tokenAD(l.ID)); err != nil {
		return errors.New("APP_SECRET_KEY cannot open the data in this database: start with the key it was sealed with (a rotated-out key goes in APP_OLD_SECRET_KEYS)")
	}
	return nil
}
