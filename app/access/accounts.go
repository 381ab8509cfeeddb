package access

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// AccountSummary is a connected account as pages show it: identity and
// scopes, never tokens.
type AccountSummary struct {
	ID         string
	SourceKey  string
	ExternalID string
	// LocalName is the workspace's own name for the account (RenameAccount);
	// DisplayName is the provider's.
	LocalName   string
	DisplayName string
	Email       string
	Scopes      string
	Status      string
	LinkID      *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CreatorName string // who generated the link it came through
}

// Label names the account: its name (the workspace's, else the
// provider's) with its email, or the email, or the external ID.
func (a *AccountSummary) Label() string {
	name := a.Name()
	switch {
	case name != "" && a.Email != "":
		return name + " (" + a.Email + ")"
	case name != "":
		return name
	case a.Email != "":
		return a.Email
	}
	return a.ExternalID
}

// Name is the account's name: the one the workspace gave it, else the
// provider's ("" when neither is known).
func (a *AccountSummary) Name() string {
	if a.LocalName != "" {
		return a.LocalName
	}
	return a.DisplayName
}

const accountColumns = `a.id, a.source_key, a.external_id, a.local_name, a.display_name, a.email, a.scopes,
	a.status, a.link_id, a.created_at, a.updated_at, u.name AS creator_name`

// Accounts lists the workspace's connected accounts, newest first.
func (s *Service) Accounts(ctx context.Context, workspaceID string) ([]AccountSummary, error) {
	var out []AccountSummary
	err := s.db.WithContext(ctx).Table("connected_accounts AS a").
		Select(accountColumns).
		Joins("LEFT JOIN access_links l ON l.id = a.link_id").
		Joins("LEFT JOIN users u ON u.id = l.created_by").
		Where("a.workspace_id = ?", workspaceID).
		Order("a.created_at DESC, a.id DESC").
		Limit(500).
		Scan(&out).Error
	return out, err
}

// LinkAccount returns the account a used link connected, or nil.
func (s *Service) LinkAccount(ctx context.Context, l *Link) (*AccountSummary, error) {
	if l.ConnectedAccountID == nil {
		return nil, nil
	}
	var a AccountSummary
	err := s.db.WithContext(ctx).Table("connected_accounts AS a").
		Select(accountColumns).
		Joins("LEFT JOIN access_links l ON l.id = a.link_id").
		Joins("LEFT JOIN users u ON u.id = l.created_by").
		Where("a.id = ? AND a.workspace_id = ?", *l.ConnectedAccountID, l.WorkspaceID).
		Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}
