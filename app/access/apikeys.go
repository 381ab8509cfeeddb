package access

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// API keys (issue 9). A key is "ar_" and 43 characters of base64url (256
// random bits): the fixed prefix lets secret scanners find leaked keys.
// It is shown once; only its SHA-256 is stored.
const (
	APIKeyPrefix = "ar_"
	// apiKeyLen is the length of a whole key.
	apiKeyLen = len(APIKeyPrefix) + 43
	// apiKeyShown is how many characters of a key its list shows.
	apiKeyShown = len(APIKeyPrefix) + 6
	// MaxAPIKeyName is the longest key name, in characters.
	MaxAPIKeyName = 80
	// MaxAPIKeys is how many unrevoked keys a workspace may hold.
	MaxAPIKeys = 50
	// apiKeyTouchEvery: a key's last use is written at most this often
	// (and whenever the address changes), not on every request.
	apiKeyTouchEvery = time.Minute
)

// Kinds of APIKeyEvent.
const (
	APIKeyCreated = "created"
	APIKeyUsed    = "used" // first use from an address
	APIKeyRevoked = "revoked"
)

// APIKey is a key as its list shows it.
type APIKey struct {
	models.APIKey
	CreatorName string // "" when made from the command line
}

// Revoked reports whether the key no longer works.
func (k *APIKey) Revoked() bool { return k.RevokedAt != nil }

// APIPrincipal is who calls the API: a key, acting for its workspace.
type APIPrincipal struct {
	Key models.APIKey
	// Membership is the key's workspace, with a manager's rights: a key
	// is made by a manager and belongs to the workspace, not to its
	// maker. Its organization's plan is checked on every request.
	Membership *Membership
}

// Actor is who the history names for the key's actions.
func (p *APIPrincipal) Actor(ip, userAgent string) Actor {
	return Actor{APIKeyID: p.Key.ID, APIKeyName: p.Key.Name, IP: ip, UserAgent: userAgent}
}

var errAPIKeyUnknown = &Error{Code: EUNAUTHORIZED, Message: "The API key is missing, malformed, unknown or revoked."}

// CreateAPIKey makes a key for the member's workspace (the same role and
// plan gate as links) and returns it with the key itself, shown once.
func (s *Service) CreateAPIKey(ctx context.Context, m *Membership, actor Actor, name string) (*APIKey, string, error) {
	if err := m.CanManageLinks(); err != nil {
		return nil, "", err
	}
	return s.createAPIKey(ctx, m.Workspace.ID, actor, name)
}

// CreateAPIKeyForWorkspace makes a key from the command line: an operator
// needs no role, but the organization's plan must include links.
func (s *Service) CreateAPIKeyForWorkspace(ctx context.Context, workspaceID, name string) (*APIKey, string, error) {
	m, err := s.workspaceAsManager(ctx, workspaceID)
	if err != nil {
		return nil, "", err
	}
	if err := m.CanManageLinks(); err != nil {
		return nil, "", err
	}
	return s.createAPIKey(ctx, workspaceID, Actor{Name: "command line"}, name)
}

func (s *Service) createAPIKey(ctx context.Context, workspaceID string, actor Actor, name string) (*APIKey, string, error) {
	name = CleanText(name, 4*(MaxAPIKeyName+1)) // bytes: room for one rune too many
	switch {
	case name == "":
		return nil, "", fieldError(EINVALID, "Name the key.", "name", fieldf(FieldKeyNameMissing, nil, "Give the key a name, such as the tool that will use it.")).because(ReasonKeyNameMissing, nil)
	case len([]rune(name)) > MaxAPIKeyName:
		return nil, "", fieldError(EINVALID, "The name is too long.", "name", fieldf(FieldKeyNameTooLong, map[string]string{"max": "80"}, "At most 80 characters.")).because(ReasonNameTooLong, nil)
	}
	raw := APIKeyPrefix + secret.RandomToken(32)
	now := s.now()
	k := models.APIKey{
		ID:          NewID(),
		WorkspaceID: workspaceID,
		Name:        name,
		Prefix:      raw[:apiKeyShown],
		KeyHash:     secret.HashToken(raw),
		CreatedBy:   optional(actor.UserID),
		CreatedAt:   now,
	}
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.APIKey{}).Where("workspace_id = ? AND revoked_at IS NULL", workspaceID).Count(&n).Error; err != nil {
			return err
		}
		if n >= MaxAPIKeys {
			return reasonf(ECONFLICT, ReasonAPIKeyLimit, map[string]string{"count": strconv.Itoa(MaxAPIKeys)}, "This workspace already has %d API keys. Revoke one you no longer use first.", MaxAPIKeys)
		}
		if err := tx.Create(&k).Error; err != nil {
			return err
		}
		return s.recordKeyEvent(tx, k.ID, APIKeyCreated, actor)
	})
	if err != nil {
		return nil, "", err
	}
	return &APIKey{APIKey: k, CreatorName: actor.Name}, raw, nil
}

// ListAPIKeys lists the workspace's keys, newest first, revoked ones too.
func (s *Service) ListAPIKeys(ctx context.Context, workspaceID string) ([]APIKey, error) {
	var out []APIKey
	err := s.keysWithCreator(ctx).
		Where("k.workspace_id = ?", workspaceID).
		Order("k.created_at DESC, k.id DESC").
		Scan(&out).Error
	return out, err
}

// RevokeAPIKey revokes a key of the member's workspace; at once, the key
// answers 401 on every replica. Revoking a revoked key changes nothing.
func (s *Service) RevokeAPIKey(ctx context.Context, m *Membership, actor Actor, keyID string) error {
	if err := m.CanManageLinks(); err != nil {
		return err
	}
	return s.revokeAPIKey(ctx, m.Workspace.ID, keyID, actor)
}

// RevokeAPIKeyByID revokes any key, from the command line.
func (s *Service) RevokeAPIKeyByID(ctx context.Context, keyID string) error {
	return s.revokeAPIKey(ctx, "", keyID, Actor{Name: "command line"})
}

func (s *Service) revokeAPIKey(ctx context.Context, workspaceID, keyID string, actor Actor) error {
	if !ValidID(keyID) {
		return reasonf(ENOTFOUND, ReasonAPIKeyNotFound, nil, "API key not found.")
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&models.APIKey{}).Where("id = ?", keyID)
		if workspaceID != "" {
			q = q.Where("workspace_id = ?", workspaceID)
		}
		var k models.APIKey
		if err := takeOne(q, &k, reasonf(ENOTFOUND, ReasonAPIKeyNotFound, nil, "API key not found.")); err != nil {
			return err
		}
		res := tx.Model(&models.APIKey{}).Where("id = ? AND revoked_at IS NULL", k.ID).
			Updates(map[string]any{"revoked_at": s.now(), "revoked_by": optional(actor.UserID)})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return s.recordKeyEvent(tx, k.ID, APIKeyRevoked, actor)
	})
}

// AuthenticateAPIKey returns the principal of a bearer key: an
// unauthorized error for a missing, malformed, unknown or revoked key, a
// forbidden one when the organization's plan no longer includes links.
// It records the key's first use from each address, and its last use at
// most once a minute.
func (s *Service) AuthenticateAPIKey(ctx context.Context, raw, ip, userAgent string) (*APIPrincipal, error) {
	if len(raw) != apiKeyLen || !strings.HasPrefix(raw, APIKeyPrefix) {
		return nil, errAPIKeyUnknown
	}
	var k models.APIKey
	if err := takeOne(s.db.WithContext(ctx).Where("key_hash = ?", secret.HashToken(raw)), &k, errAPIKeyUnknown); err != nil {
		return nil, err
	}
	if k.RevokedAt != nil {
		return nil, errAPIKeyUnknown
	}
	m, err := s.workspaceAsManager(ctx, k.WorkspaceID)
	if err != nil {
		return nil, err
	}
	if !PlanAllowsLinks(m.Organization.Plan) {
		return nil, m.CanManageLinks()
	}
	m.Key = &k
	if err := s.touchAPIKey(ctx, &k, ip, userAgent); err != nil {
		return nil, err
	}
	return &APIPrincipal{Key: k, Membership: m}, nil
}

// touchAPIKey records a use: a new address gets an event (once, whatever
// the number of replicas), and last_used_at moves at most once a minute.
func (s *Service) touchAPIKey(ctx context.Context, k *models.APIKey, ip, userAgent string) error {
	now := s.now()
	ip = CleanText(ip, maxIP)
	if k.LastUsedAt != nil && k.LastUsedIP == ip && now.Sub(*k.LastUsedAt) < apiKeyTouchEvery {
		return nil
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		if k.LastUsedIP != ip {
			if err := s.recordKeyEvent(tx, k.ID, APIKeyUsed, Actor{IP: ip, UserAgent: userAgent}); err != nil {
				return err
			}
		}
		k.LastUsedAt, k.LastUsedIP = &now, ip
		return tx.Model(&models.APIKey{}).Where("id = ?", k.ID).
			Updates(map[string]any{"last_used_at": now, "last_used_ip": ip}).Error
	})
}

// recordKeyEvent writes one event of a key; an address's first use is
// written once (the unique index drops repeats).
func (s *Service) recordKeyEvent(tx *gorm.DB, keyID, kind string, actor Actor) error {
	ev := models.APIKeyEvent{
		ID:        NewID(),
		APIKeyID:  keyID,
		Kind:      kind,
		ActorID:   optional(actor.UserID),
		IP:        CleanText(actor.IP, maxIP),
		UserAgent: CleanText(actor.UserAgent, maxUserAgent),
		CreatedAt: s.now(),
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ev).Error
}

// APIKeyEvents lists a key's events of the workspace, oldest first.
func (s *Service) APIKeyEvents(ctx context.Context, workspaceID, keyID string) ([]models.APIKeyEvent, error) {
	if !ValidID(keyID) {
		return nil, reasonf(ENOTFOUND, ReasonAPIKeyNotFound, nil, "API key not found.")
	}
	var out []models.APIKeyEvent
	err := s.db.WithContext(ctx).Table("api_key_events AS e").Select("e.*").
		Joins("JOIN api_keys k ON k.id = e.api_key_id").
		Where("k.id = ? AND k.workspace_id = ?", keyID, workspaceID).
		Order("e.created_at, e.id").Scan(&out).Error
	return out, err
}

// workspaceAsManager loads a workspace and its organization with a
// manager's role: for keys and operators, who act for the workspace.
func (s *Service) workspaceAsManager(ctx context.Context, workspaceID string) (*Membership, error) {
	m, err := s.loadMembership(ctx, "", workspaceID)
	if err != nil {
		return nil, err
	}
	m.WorkspaceRole = models.WorkspaceRoleAdmin
	return m, nil
}

// optional is nil for "", else a pointer to s: for nullable ID columns.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
