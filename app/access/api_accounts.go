package access

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
)

// Account is a connected account as the API shows it: what pages show,
// plus the provider details and the access token's expiry. Never tokens.
type Account struct {
	AccountSummary
	// Extra is the provider details, JSON (QuickBooks realm, Shopify shop,
	// Xero tenants).
	Extra          string
	TokenExpiresAt *time.Time
	// RefreshedAt is when the tokens were last refreshed; nil: never since
	// the account was connected.
	RefreshedAt *time.Time
}

// AccountPage is one page of a workspace's connected accounts.
type AccountPage struct {
	Accounts   []Account
	NextCursor string // empty on the last page
}

const apiAccountColumns = accountColumns + ", a.extra, a.token_expires_at, a.refreshed_at"

func (s *Service) accountQuery(ctx context.Context, workspaceID string) *gorm.DB {
	return s.db.WithContext(ctx).Table("connected_accounts AS a").
		Select(apiAccountColumns).
		Joins("LEFT JOIN access_links l ON l.id = a.link_id").
		Joins("LEFT JOIN users u ON u.id = l.created_by").
		Where("a.workspace_id = ?", workspaceID)
}

// AccountFilter selects connected accounts for the accounts page and GET
// /api/v1/accounts.
type AccountFilter struct {
	// Query keeps the accounts whose workspace name, provider name,
	// external ID or email contains it, in any case (ASCII case only on
	// SQLite); at most MaxAccountQuery characters.
	Query  string
	Source string // a source key; empty for every source
	Cursor string // from the previous page's NextCursor
	Limit  int    // default and maximum PageSize
}

// MaxAccountQuery caps the search text of AccountFilter.Query.
const MaxAccountQuery = 100

// AccountsPage returns one page of the workspace's connected accounts that
// match f, newest first, with keyset pagination on (created_at, id) like
// links: one statement, whatever the page, and a cursor that stays right
// while accounts come and go. A malformed cursor is a bad request, a query
// too long or a malformed source invalid.
func (s *Service) AccountsPage(ctx context.Context, workspaceID string, f AccountFilter) (*AccountPage, error) {
	limit := f.Limit
	if limit <= 0 || limit > PageSize {
		limit = PageSize
	}
	q := s.accountQuery(ctx, workspaceID)
	if err := checkSourceFilter(f.Source); err != nil {
		return nil, err
	}
	if f.Source != "" {
		q = q.Where("a.source_key = ?", f.Source)
	}
	if text := strings.TrimSpace(CleanText(f.Query, 4*MaxAccountQuery)); text != "" {
		if len([]rune(text)) > MaxAccountQuery {
			return nil, fieldError(EINVALID, "The search is too long.", "q", fieldf(FieldSearchAtMost, map[string]string{"max": "100"}, "Search for at most 100 characters."))
		}
		q = s.whereAccountMatches(q, text)
	}
	if f.Cursor != "" {
		t, id, err := decodeCursor(f.Cursor)
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

// whereAccountMatches keeps the accounts of connected_accounts AS a one of
// whose names, external ID or email contains text, in any case
// (db.ContainsFold). The workspace's rows are read in
// the page's order (connected_accounts_workspace_idx) and the match is a
// filter on them: a workspace holds thousands of accounts, not millions.
func (s *Service) whereAccountMatches(q *gorm.DB, text string) *gorm.DB {
	p := db.ContainsPattern(text)
	var conds []string
	for _, col := range []string{"a.local_name", "a.display_name", "a.external_id", "a.email"} {
		conds = append(conds, db.ContainsFold(s.db, col))
	}
	return q.Where("("+strings.Join(conds, " OR ")+")", p, p, p, p)
}

// Account returns one connected account of the workspace; one of another
// workspace, or a malformed ID, is not found.
func (s *Service) Account(ctx context.Context, workspaceID, accountID string) (*Account, error) {
	if !ValidID(accountID) {
		return nil, accountNotFound()
	}
	var a Account
	if err := takeOne(s.accountQuery(ctx, workspaceID).Where("a.id = ?", accountID), &a, accountNotFound()); err != nil {
		return nil, err
	}
	a.utc()
	return &a, nil
}

func (a *Account) utc() {
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	a.TokenExpiresAt, a.RefreshedAt = UTCPtr(a.TokenExpiresAt), UTCPtr(a.RefreshedAt)
}
