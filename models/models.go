// Package models holds the GORM structs that mirror the tables in
// migrations/, and the constants stored in their columns (plans, roles).
// It holds no queries: those live in app/access, the one package that
// reads and writes these tables, next to the rules they serve. It imports
// nothing but the standard library.
package models

import "time"

// Plans an organization can be on.
const (
	PlanFree       = "free"
	PlanActive     = "active"
	PlanPro        = "pro"
	PlanAgency     = "agency"
	PlanEnterprise = "enterprise"
)

// Organization roles.
const (
	OrgRoleOwner  = "owner"
	OrgRoleMember = "member"
)

// Workspace roles.
const (
	WorkspaceRoleAdmin  = "admin"
	WorkspaceRoleEditor = "editor"
	WorkspaceRoleViewer = "viewer"
)

// Organization is a customer account; its plan gates features.
type Organization struct {
	ID        string
	Name      string
	Plan      string
	CreatedAt time.Time
	// DefaultLinkDays is how long a new link lives, in days, when its
	// creator does not choose (the owner sets it; 7 unless changed).
	DefaultLinkDays int
}

// User signs in with an email and password. Support staff have IsSupport.
type User struct {
	ID           string
	Email        string
	Name         string
	PasswordHash string
	IsSupport    bool
	CreatedAt    time.Time
	// MailOff lists the notification kinds the user turned off, space
	// separated.
	MailOff string
}

// OrganizationMember gives a user a role in an organization.
type OrganizationMember struct {
	OrganizationID string `gorm:"primaryKey"`
	UserID         string `gorm:"primaryKey"`
	Role           string
	CreatedAt      time.Time
}

// Workspace belongs to an organization and holds links and accounts.
type Workspace struct {
	ID             string
	OrganizationID string
	Name           string
	CreatedAt      time.Time
}

// WorkspaceMember gives a user a role in a workspace.
type WorkspaceMember struct {
	WorkspaceID string `gorm:"primaryKey"`
	UserID      string `gorm:"primaryKey"`
	Role        string
	CreatedAt   time.Time
}

// AccessLink is a single-use invitation to connect one source. Its status is
// derived from the timestamps, never stored.
type AccessLink struct {
	ID          string
	WorkspaceID string
	SourceKey   string
	TokenHash   string
	TokenSealed string
	// CreatedBy is the user who generated the link; nil when an API key
	// did (CreatedByKeyID names it).
	CreatedBy          *string
	CreatedByKeyID     *string
	CreatedAt          time.Time
	ExpiresAt          time.Time
	UsedAt             *time.Time
	DeletedAt          *time.Time
	DeletedBy          *string
	ConnectedAccountID *string
	// LastOutcome is how the invitee's last attempt ended while the link
	// stayed usable: "declined", "failed", or "" (none, or the link was
	// used since). LastOutcomeDetail is the reason or what failed.
	LastOutcome       string
	LastOutcomeDetail string
	LastOutcomeAt     *time.Time
	// RecipientEmail is who the link was sent to by email ("" if nobody);
	// Note is the requester's short note in that mail. ReminderSentAt is
	// set when the "expires tomorrow" reminder was queued.
	RecipientEmail string
	Note           string
	ReminderSentAt *time.Time
	// Label names the link for its admins and its invitee ("Acme
	// Bakery"); "" for none.
	Label string
	// RenewedFromID is the link this one renewed; RenewedToID the fresh
	// link that renewed this one (nil when none).
	RenewedFromID *string
	RenewedToID   *string
	// ReconnectAccountID pins a reconnect link to one connected account
	// of its workspace: its callback must sign in as that account, whose
	// tokens it then replaces in place. Nil for every other link.
	ReconnectAccountID *string
	// FirstOpenedAt is when the link's consent page was first viewed with
	// webhooks on (link.opened is sent once, by whoever sets it).
	FirstOpenedAt *time.Time
	// Language is the language of the link's invitation mail ("de",
	// "pt-BR", ...; access.MailLanguages), "" for English.
	Language string
}

// MailMessage is one mail: queued when an event fans out, sent once by a
// job. Its body is rendered when it is sent, never stored.
type MailMessage struct {
	ID          string
	DedupeKey   string
	Kind        string
	WorkspaceID string
	LinkID      *string
	ToAddr      string
	Detail      string
	CreatedAt   time.Time
	SentAt      *time.Time
	Transport   string
	Attempts    int
	LastError   string
}

// ConnectedAccount is an external account authorized into a workspace.
type ConnectedAccount struct {
	ID                 string
	WorkspaceID        string
	SourceKey          string
	ExternalID         string
	DisplayName        string
	Email              string
	Scopes             string
	Extra              string
	AccessTokenSealed  string
	RefreshTokenSealed string
	TokenExpiresAt     *time.Time
	LinkID             *string
	Status             string
	CreatedAt          time.Time
	UpdatedAt          time.Time
	// RefreshLeaseUntil is set while one process refreshes the account's
	// tokens (until the lease's end); nil when no refresh is under way.
	RefreshLeaseUntil *time.Time
	// LocalName is the name an admin gave the account in its workspace
	// (empty: none); unlike DisplayName, the provider's, a reconnection
	// keeps it.
	LocalName string
	// RefreshedAt is when the tokens were last refreshed (nil: never).
	RefreshedAt *time.Time
}

// LinkEvent is one step in a link's history.
type LinkEvent struct {
	ID          string
	LinkID      string
	WorkspaceID string
	Type        string
	ActorID     *string
	Actor       string
	IP          string
	UserAgent   string
	Detail      string
	CreatedAt   time.Time
	// Count is how many times the event happened: repeated views and
	// declines from one client are one event. LastAt is when it last
	// happened (nil: only once, at CreatedAt).
	Count  int `gorm:"default:1"`
	LastAt *time.Time
	// ClientKey identifies a collapsible event (type, actor, client,
	// detail); nil for events that are never merged.
	ClientKey *string
}

// OAuthCallback records the first outcome of one flow's callback, so the
// code is exchanged at most once and a repeated callback shows the first
// result.
type OAuthCallback struct {
	StateHash    string `gorm:"primaryKey"`
	LinkID       string
	Outcome      string // "" (pending), "connected" or "failed"
	AccountLabel string
	// ErrorKind, ErrorCode and ErrorDescription say why a failed flow
	// failed (the code, reason and message of access.Error), cleaned and capped.
	ErrorKind        string
	ErrorCode        string
	ErrorDescription string
	CreatedAt        time.Time
}

// TableName keeps GORM from naming the table o_auth_callbacks.
func (OAuthCallback) TableName() string { return "oauth_callbacks" }

// Session is one signed-in browser. The cookie holds a random ID; the row
// is keyed by its SHA-256 hash. Deleting the row signs the browser out.
type Session struct {
	IDHash     string `gorm:"primaryKey"`
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the end of the absolute lifetime, whatever the activity.
	ExpiresAt time.Time
	// Flash is a one-time message for the next page of this session.
	Flash string
}

// APIKey lets a program use the API for one workspace. Only the SHA-256 of
// the key is stored (KeyHash); Prefix is its first characters, shown in
// lists so people can tell keys apart.
type APIKey struct {
	ID          string
	WorkspaceID string
	Name        string
	Prefix      string
	KeyHash     string
	CreatedBy   *string // nil when made from the command line
	CreatedAt   time.Time
	LastUsedAt  *time.Time
	LastUsedIP  string
	RevokedAt   *time.Time
	RevokedBy   *string
}

// TableName keeps GORM from naming the table a_p_i_keys.
func (APIKey) TableName() string { return "api_keys" }

// APIKeyEvent records a key's creation, its first use from each address,
// and its revocation.
type APIKeyEvent struct {
	ID        string
	APIKeyID  string
	Kind      string
	ActorID   *string
	IP        string
	UserAgent string
	CreatedAt time.Time
}

// TableName keeps GORM from naming the table a_p_i_key_events.
func (APIKeyEvent) TableName() string { return "api_key_events" }
