package access

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// The support console: support staff find any link, deleted ones included,
// and read its whole history. Everything here only reads, except
// RecordSupportView, which adds the support_viewed event that makes each
// read visible in the link's own history. Who counts as support staff is
// decided by the web layer's gate; these methods trust their caller.

// QueryKind is how the free-text field of a support search was read.
type QueryKind string

// Query kinds, decided by the shape of the text alone.
const (
	QueryNone   QueryKind = ""        // no text: the other filters only
	QueryToken  QueryKind = "token"   // a link URL or a bare token, looked up by its hash
	QueryLinkID QueryKind = "link_id" // a link ID
	QueryEmail  QueryKind = "email"   // the creator's email, exact, any case
	QueryName   QueryKind = "name"    // the start of an organization or workspace name, any case
)

// SupportQuery selects links for the support console. Every field is
// optional; set fields combine with AND.
type SupportQuery struct {
	// Q is free text: a pasted link URL ("https://host/connect/<token>") or
	// bare token, a link ID, a creator email, or the start of an
	// organization or workspace name. A token is hashed before the lookup
	// and kept nowhere.
	Q      string
	Source string // source key
	Status Status // active, used, expired or deleted; empty for all
	// From and To bound created_at: From <= created_at < To. A zero time
	// is no bound.
	From, To time.Time
	Cursor   string // from the previous page's NextCursor
}

// SupportLink is a link as the support console shows it: never its token,
// in any form. URL, TokenHash and TokenSealed are always empty.
type SupportLink struct {
	Link
	WorkspaceName    string
	OrganizationID   string
	OrganizationName string
	OrganizationPlan string
	DeletedByName    string
}

// SupportPage is one page of support search results, newest first.
type SupportPage struct {
	Links      []SupportLink
	NextCursor string    // empty on the last page
	Kind       QueryKind // how Q was read
}

// SupportLinkView is one link with what support needs to answer a
// customer: its organization, plan, workspace, creator and the account it
// connected (identity and scopes, never tokens).
type SupportLinkView struct {
	SupportLink
	Account *AccountSummary
}

const maxSupportQuery = 500

// ParseSupportStatus accepts the status names of the support filter,
// deleted included; anything else is an invalid error.
func ParseSupportStatus(v string) (Status, error) {
	switch Status(v) {
	case "", "all":
		return "", nil
	case StatusActive, StatusUsed, StatusExpired, StatusDeleted:
		return Status(v), nil
	}
	return "", &Error{Code: EINVALID, Reason: ReasonUnknownStatus, Params: map[string]string{"status": v}, Message: fmt.Sprintf("Unknown status %q.", v)}
}

// ClassifyQuery reads the free text of a support search: what kind of key
// it is and the value to look up (the token itself for QueryToken, the
// lower-case email, the trimmed name prefix).
func ClassifyQuery(q string) (QueryKind, string) {
	q = strings.TrimSpace(q)
	if q == "" {
		return QueryNone, ""
	}
	// A pasted link: whatever comes before /connect/ (scheme, host, a
	// prefix), the token is the next path segment.
	if i := strings.LastIndex(q, "/connect/"); i >= 0 {
		tok := q[i+len("/connect/"):]
		if j := strings.IndexAny(tok, "/?# \t"); j >= 0 {
			tok = tok[:j]
		}
		return QueryToken, tok
	}
	if id := strings.ToLower(q); ValidID(id) {
		return QueryLinkID, id
	}
	if looksLikeToken(q) {
		return QueryToken, q
	}
	if strings.Contains(q, "@") {
		return QueryEmail, NormalizeEmail(q)
	}
	return QueryName, q
}

// searchable reports whether s can be compared with stored text: valid
// UTF-8 without NUL or other control characters. PostgreSQL refuses the
// others with an error, which must not become a 500.
func searchable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// looksLikeToken reports whether s has the shape of a link token: 32 bytes
// in unpadded base64url.
func looksLikeToken(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// likePrefix escapes LIKE's wildcards in s (backslash is the escape
// character) and appends %.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// linkColumns are every column of a link except its token hash and sealed
// token.
const linkColumns = `l.id, l.workspace_id, l.source_key, l.created_by, l.created_by_key_id, l.created_at, l.expires_at,
	l.used_at, l.deleted_at, l.deleted_by, l.connected_account_id`

// supportColumns are the columns of a SupportLink: linkColumns and the
// names around the link.
const supportColumns = linkColumns + `,
	w.name AS workspace_name, o.id AS organization_id, o.name AS organization_name, o.plan AS organization_plan,
	u.name AS creator_name, u.email AS creator_email, k.name AS creator_key_name, d.name AS deleted_by_name`

func (s *Service) supportBase(ctx context.Context) *gorm.DB {
	return s.supportJoins(s.db.WithContext(ctx).Table("access_links AS l"))
}

// supportJoins selects the columns of a SupportLink from links named l.
func (s *Service) supportJoins(tx *gorm.DB) *gorm.DB {
	return tx.Select(supportColumns).
		Joins("JOIN workspaces w ON w.id = l.workspace_id").
		Joins("JOIN organizations o ON o.id = w.organization_id").
		Joins("LEFT JOIN users u ON u.id = l.created_by").
		Joins("LEFT JOIN api_keys k ON k.id = l.created_by_key_id").
		Joins("LEFT JOIN users d ON d.id = l.deleted_by")
}

// SearchLinks returns one page of every link matching q, deleted ones
// included, newest first, with keyset pagination. Each kind of query reads
// access_links through its own index (migrations/*/00005_support_indexes.sql).
func (s *Service) SearchLinks(ctx context.Context, q SupportQuery) (*SupportPage, error) {
	for field, v := range map[string]string{"q": q.Q, "source": q.Source} {
		if !searchable(v) {
			return nil, (&Error{Code: EBADREQUEST, Reason: ReasonSearchNotText, Message: "The search holds characters that cannot be searched (a NUL byte, a control character or bytes that are not UTF-8)."}).
				withField(field, fieldf(FieldNotText, nil, "Remove the characters that are not text."))
		}
	}
	if len(q.Q) > maxSupportQuery {
		return nil, (&Error{Code: EINVALID, Reason: ReasonSearchTooLong, Message: "The search text is too long."}).
			withField("q", fieldf(FieldAtMostChars, map[string]string{"max": "500"}, "At most 500 characters."))
	}
	if err := checkSourceFilter(q.Source); err != nil {
		return nil, err
	}
	if _, err := ParseSupportStatus(string(q.Status)); err != nil {
		return nil, err
	}
	for field, t := range map[string]time.Time{"from": q.From, "to": q.To} {
		if !t.IsZero() && (t.Before(minCursorTime) || t.After(maxCursorTime)) {
			return nil, (&Error{Code: EINVALID, Reason: ReasonDateOutOfRange, Message: "Dates must fall between 1970 and 9999."}).
				withField(field, fieldf(FieldDateOutOfRange, nil, "Use a date between 1970 and 9999."))
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return nil, (&Error{Code: EINVALID, Reason: ReasonDateRangeEmpty, Message: "The date range is empty: the start must come before the end."}).
			withField("to", fieldf(FieldDateBeforeStart, nil, "Must not be before the start."))
	}
	now := s.now()
	var cursorAt time.Time
	var cursorID string
	if q.Cursor != "" {
		var err error
		if cursorAt, cursorID, err = decodeCursor(q.Cursor); err != nil {
			return nil, err
		}
	}
	kind, key := ClassifyQuery(q.Q)
	var workspaceIDs []string
	if kind == QueryName {
		// The workspaces first, in their own statement: the links query
		// then names them, so PostgreSQL plans it for that many workspaces
		// even with a cached generic plan (it cannot guess how many names
		// LIKE $1 matches).
		ids, err := s.workspacesNamed(ctx, key)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return &SupportPage{Kind: kind}, nil
		}
		workspaceIDs = ids
	}
	// filter adds every condition of q to one SELECT on access_links AS l.
	filter := func(tx *gorm.DB) *gorm.DB {
		switch kind {
		case QueryToken:
			tx = tx.Where("l.token_hash = ?", secret.HashToken(key))
		case QueryLinkID:
			tx = tx.Where("l.id = ?", key)
		case QueryEmail:
			// Emails are stored in lower case (users_email_key); a scalar
			// subquery keeps the creator index's order.
			tx = tx.Where("l.created_by = (SELECT id FROM users WHERE email = ?)", key)
		case QueryName:
			tx = tx.Where("l.workspace_id IN ?", workspaceIDs)
		}
		if q.Source != "" {
			tx = tx.Where("l.source_key = ?", q.Source)
		}
		tx = whereStatus(tx, q.Status, now)
		if !q.From.IsZero() {
			tx = tx.Where("l.created_at >= ?", q.From.UTC())
		}
		if !q.To.IsZero() {
			tx = tx.Where("l.created_at < ?", q.To.UTC())
		}
		if q.Cursor != "" {
			tx = afterCursor(tx, cursorAt, cursorID)
		}
		return s.limitPage(tx.Order("l.created_at DESC, l.id DESC"))
	}
	var rows []SupportLink
	var err error
	if kind == QueryName && q.Status == "" {
		// The links of the matching workspaces are in two indexes: the
		// admin list's (not deleted) and access_links_workspace_deleted_idx.
		// Each side gives its newest page; the newest of both make the
		// page. The sides read access_links alone and the names are joined
		// once, to the page, which keeps planning short.
		side := func(cond string) *gorm.DB {
			return filter(s.db.Table("access_links AS l").Select(linkColumns).Where(cond))
		}
		both := s.db.WithContext(ctx).Table("(SELECT * FROM (?) AS live UNION ALL SELECT * FROM (?) AS gone) AS l",
			side("l.deleted_at IS NULL"), side("l.deleted_at IS NOT NULL"))
		err = s.limitPage(s.supportJoins(both).Order("l.created_at DESC, l.id DESC")).Scan(&rows).Error
	} else {
		err = filter(s.supportBase(ctx)).Scan(&rows).Error
	}
	if err != nil {
		return nil, err
	}
	page := &SupportPage{Kind: kind}
	if len(rows) > PageSize {
		rows = rows[:PageSize]
		last := rows[len(rows)-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	for i := range rows {
		supportDecorate(&rows[i], now)
	}
	page.Links = rows
	return page, nil
}

// pageLimit is a LIMIT written into the SQL instead of bound. PostgreSQL
// plans a cached statement once for any value (a generic plan), and a bound
// LIMIT reads there as "a tenth of the rows": walking the created_at index
// then looks cheaper than reading the few links of the workspaces named,
// and reads most of the table (the benchmark's generic plans fail on it,
// with GORM's Limit). A literal LIMIT keeps the estimate right.
type pageLimit int

// Name is the clause GORM replaces.
func (pageLimit) Name() string { return "LIMIT" }

// Build writes the clause.
func (l pageLimit) Build(b clause.Builder) { b.WriteString("LIMIT " + strconv.Itoa(int(l))) }

// MergeClause makes the literal limit the statement's only limit.
func (l pageLimit) MergeClause(c *clause.Clause) {
	c.Name = ""
	c.Expression = l
}

// limitPage limits tx to a page and one row more, with the number in the
// SQL on both databases: SQLite's dialect writes GORM's Limit there by
// itself (and knows no other LIMIT clause).
func (s *Service) limitPage(tx *gorm.DB) *gorm.DB {
	if db.Dialect(s.db) == db.Postgres {
		return tx.Clauses(pageLimit(PageSize + 1))
	}
	return tx.Limit(PageSize + 1)
}

// maxNameMatches bounds how many workspaces a name search may match.
const maxNameMatches = 1000

// workspacesNamed returns the IDs of the workspaces whose name, or whose
// organization's name, starts with prefix, in any case. Each side of the
// UNION uses its own name index.
func (s *Service) workspacesNamed(ctx context.Context, prefix string) ([]string, error) {
	// SQLite's LIKE ignores ASCII case and uses the NOCASE name indexes (the
	// LIKE optimization) when the column is compared as is; PostgreSQL's
	// indexes are on lower(name) (text_pattern_ops).
	workspaceName, orgName, p := "sw.name LIKE ? ESCAPE '\\'", "so.name LIKE ? ESCAPE '\\'", likePrefix(prefix)
	if db.Dialect(s.db) == db.Postgres {
		workspaceName, orgName, p = "lower(sw.name) LIKE ?", "lower(so.name) LIKE ?", likePrefix(strings.ToLower(prefix))
	}
	tx := s.db.WithContext(ctx)
	byWorkspace := tx.Table("workspaces sw").Select("sw.id").Where(workspaceName, p)
	byOrganization := tx.Table("organizations so").Select("ow.id").
		Joins("JOIN workspaces ow ON ow.organization_id = so.id").Where(orgName, p)
	var ids []string
	if err := tx.Raw("? UNION ? LIMIT ?", byWorkspace, byOrganization, maxNameMatches+1).Scan(&ids).Error; err != nil {
		return nil, err
	}
	if len(ids) > maxNameMatches {
		return nil, (&Error{Code: EINVALID, Reason: ReasonTooManyMatches, Params: map[string]string{"count": strconv.Itoa(maxNameMatches), "prefix": prefix},
			Message: fmt.Sprintf("More than %d workspaces match %q. Type more of the name.", maxNameMatches, prefix)}).
			withField("q", fieldf(FieldTooManyMatches, nil, "Too many matches."))
	}
	return ids, nil
}

// supportDecorate sets the status and makes sure nothing of the token
// leaves the domain.
func supportDecorate(l *SupportLink, now time.Time) {
	l.CreatedAt = l.CreatedAt.UTC()
	l.ExpiresAt = l.ExpiresAt.UTC()
	l.Status = StatusOf(&l.AccessLink, now)
	l.TokenHash, l.TokenSealed, l.URL = "", "", ""
}

// SupportLink returns any link, deleted ones included, with its
// organization, workspace, creator and connected account.
func (s *Service) SupportLink(ctx context.Context, linkID string) (*SupportLinkView, error) {
	if !ValidID(linkID) {
		return nil, errLinkNotFound()
	}
	var v SupportLinkView
	err := takeOne(s.supportBase(ctx).Where("l.id = ?", linkID), &v.SupportLink, errLinkNotFound())
	if err != nil {
		return nil, err
	}
	supportDecorate(&v.SupportLink, s.now())
	if v.Account, err = s.LinkAccount(ctx, &v.Link); err != nil {
		return nil, err
	}
	return &v, nil
}

// RecordSupportView adds a support_viewed event to the link's history:
// actor, a support user, read it through view (SupportViewPage or
// SupportViewExport).
func (s *Service) RecordSupportView(ctx context.Context, l *SupportLink, actor Actor, view string) error {
	if actor.UserID == "" {
		return reasonf(EUNAUTHORIZED, ReasonSignInForHistory, nil, "Sign in to read link histories.")
	}
	if view != SupportViewPage && view != SupportViewExport {
		return Errorf(EINVALID, "Unknown support view %q.", view)
	}
	return s.RecordEvent(ctx, &l.AccessLink, actor, EventSupportViewed, map[string]any{"view": view})
}

// ExpiredOn returns when a link expired, if it did: it was never used and
// its lifetime ran out before now and before any deletion. Expiry is not
// an event; histories show it from this timestamp.
func ExpiredOn(l *models.AccessLink, now time.Time) (time.Time, bool) {
	if l.UsedAt != nil || now.Before(l.ExpiresAt) {
		return time.Time{}, false
	}
	if l.DeletedAt != nil && l.DeletedAt.Before(l.ExpiresAt) {
		return time.Time{}, false
	}
	return l.ExpiresAt.UTC(), true
}
