package access

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// Account is a connected account as the API shows it: what pages show,
// plus the provider details and the access token's expiry. Never tokens.
type Account struct {
	AccountSummary
	// Extra is the provider details, JSON (QuickBooks realm, Shopify shop,
	// Xero tenants).
	Extra          string
	TokenExpiresAt *time.Time
}

// AccountPage is one page of a workspace's connected accounts.
type AccountPage struct {
	Accounts   []Account
	NextCursor string // empty on the last page
}

const apiAccountColumns = accountColumns + ", a.extra, a.token_expires_at"

func (s *Service) accountQuery(ctx context.Context, workspaceID string) *gorm.DB {
	return s.db.WithContext(ctx).Table("connected_accounts AS a").
		Select(apiAccountColumns).
		Joins("LEFT JOIN access_links l ON l.id = a.link_id").
		Joins("LEFT JOIN users u ON u.id = l.created_by").
		Where("a.workspace_id = ?", workspaceID)
}

// AccountsPage returns one page of the workspace's connected accounts,
// newest first, with keyset pagination on (created_at, id) like links.
func (s *Service) AccountsPage(ctx context.Context, workspaceID, cursor string, limit int) (*AccountPage, error) {
	if limit <= 0 || limit > PageSize {
		limit = PageSize
	}
	q := s.accountQuery(ctx, workspaceID)
	if cursor != "" {
		t, id, err := decodeCursor(cursor)
		if err != nil {
			return nil, err
		}
		q = q.Where("a.created_at <= ? AND (a.created_at < ? OR (a.created_at = ? AND a.id < ?))", t, t, t, id)
	}
	var rows []Account
	if err := q.Order("a.created_at DESC, a.id DESC").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, err
	}
	page := &AccountPage{}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	for i := range rows {
		rows[i].utc()
	}
	page.Accounts = rows
	return page, nil
}

// Account returns one connected account of the workspace; one of another
// workspace, or a malformed ID, is not found.
func (s *Service) Account(ctx context.Context, workspaceID, accountID string) (*Account, error) {
	if !ValidID(accountID) {
		return nil, accountNotFound()
	}
	var a Account
	err := s.accountQuery(ctx, workspaceID).Where("a.id = ?", accountID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, accountNotFound()
	}
	if err != nil {
		return nil, err
	}
	a.utc()
	return &a, nil
}

func (a *Account) utc() {
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	if a.TokenExpiresAt != nil {
		t := a.TokenExpiresAt.UTC()
		a.TokenExpiresAt = &t
	}
}
