package access

import (
	"context"
	"database/sql"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access/hotsql"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// Status of a link, derived from its timestamps.
type Status string

// Link statuses.
const (
	StatusActive  Status = "active"
	StatusUsed    Status = "used"
	StatusExpired Status = "expired"
	StatusDeleted Status = "deleted"
)

// StatusOf derives a link's status at now. A link is expired the instant
// now reaches expires_at; no background job is involved. Renewing a link
// sets its expires_at to the moment of renewal (Renew), and a renewed link
// is expired even on a clock that is behind that moment.
func StatusOf(l *models.AccessLink, now time.Time) Status {
	switch {
	case l.DeletedAt != nil:
		return StatusDeleted
	case l.UsedAt != nil:
		return StatusUsed
	case !now.Before(l.ExpiresAt) || l.RenewedToID != nil:
		return StatusExpired
	default:
		return StatusActive
	}
}

// Event types of a link's history.
const (
	EventCreated = "created"
	EventDeleted = "deleted"
)

// Link is an access link as the admin pages show it.
type Link struct {
	models.AccessLink
	Status       Status
	URL          string // the full link, unsealed for copying; empty if it cannot be opened
	CreatorName  string
	CreatorEmail string
	// CreatorKeyName is the API key's name for a link made through the
	// API (CreatorName is then empty).
	CreatorKeyName string
	// WebhookState is how the link's latest webhook fared, "" if none.
	WebhookState LinkWebhookState
}

func tokenAD(linkID string) string { return "access_links/" + linkID + "/token" }

// LinkURL builds the public URL of a token from the configured base URL,
// never from a request's Host header.
func (s *Service) LinkURL(token string) string {
	return strings.TrimRight(s.baseURL, "/") + "/connect/" + token
}

// GenerateLink creates a single-use link for sourceKey in the member's
// workspace and records the event. It returns the link with its URL.
//
// With a LinkMail the link is also emailed to its recipient (validated,
// with the requester's note, cleaned and capped), once the link exists.
// GenerateLinkWith also takes a label and an expiry.
func (s *Service) GenerateLink(ctx context.Context, m *Membership, actor Actor, sourceKey string, send ...LinkMail) (*Link, error) {
	nl := NewLink{Source: sourceKey}
	for _, x := range send {
		nl.Mail = x
	}
	return s.GenerateLinkWith(ctx, m, actor, nl)
}

// GenerateLinkWith creates a single-use link as nl describes in the
// member's workspace and records the event (with its label and lifetime).
// It returns the link with its URL.
func (s *Service) GenerateLinkWith(ctx context.Context, m *Membership, actor Actor, nl NewLink) (*Link, error) {
	return s.generate(ctx, m, actor, nl, nil)
}

// generate makes the link of GenerateLinkWith; with from, the link renews
// from in the same transaction (Renew).
func (s *Service) generate(ctx context.Context, m *Membership, actor Actor, nl NewLink, from func(tx *gorm.DB, l *models.AccessLink) error) (*Link, error) {
	if err := m.CanManageLinks(); err != nil {
		return nil, err
	}
	lm, err := nl.Mail.clean(s.mailOn)
	if err != nil {
		return nil, err
	}
	label, err := CleanLabel(nl.Label)
	if err != nil {
		return nil, err
	}
	lang, err := CleanLanguage(nl.Language)
	if err != nil {
		return nil, err
	}
	lifetime := nl.ExpiresIn
	if lifetime == 0 {
		lifetime = LinkLifetimeOf(m)
	}
	if err := CheckLinkLifetime(lifetime); err != nil {
		return nil, err
	}
	sourceKey := strings.TrimSpace(nl.Source)
	src := s.sources.Get(sourceKey)
	if sourceKey == "" {
		return nil, fieldError(EINVALID, "Choose a source for the link.", "source", fieldf(FieldSourceMissing, nil, "Choose a source.")).because(ReasonSourceMissing, nil)
	}
	if src == nil {
		return nil, fieldError(EINVALID, "That source does not exist.", "source", fieldf(FieldUnknownSource, nil, "Unknown source.")).because(ReasonSourceUnknown, nil)
	}
	if !src.Configured() {
		return nil, &Error{Code: EINVALID, Message: src.Name + " is not configured on this server yet.", Fields: map[string]string{"source": src.NotConfiguredReason()}}
	}

	token := secret.RandomToken(32) // 256 bits
	now := s.now()
	l := models.AccessLink{
		ID:             NewID(),
		WorkspaceID:    m.Workspace.ID,
		SourceKey:      src.Key,
		TokenHash:      secret.HashToken(token),
		CreatedBy:      optional(actor.UserID),
		CreatedByKeyID: optional(actor.APIKeyID),
		CreatedAt:      now,
		ExpiresAt:      now.Add(lifetime),
		RecipientEmail: lm.Recipient,
		Note:           lm.Note,
		Label:          label,
		Language:       lang,
	}
	sealed, err := s.keys.Seal(token, tokenAD(l.ID))
	if err != nil {
		return nil, err
	}
	l.TokenSealed = sealed
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		if from != nil {
			if err := from(tx, &l); err != nil {
				return err
			}
		}
		if err := tx.Create(&l).Error; err != nil {
			return err
		}
		detail := map[string]any{"source": src.Key, "expires_in_hours": int(lifetime / time.Hour)}
		if label != "" {
			detail["label"] = label
		}
		if lang != "" {
			detail["language"] = lang
		}
		if l.RenewedFromID != nil {
			detail["renewed_from"] = *l.RenewedFromID
		}
		if l.ReconnectAccountID != nil {
			detail["reconnect_account_id"] = *l.ReconnectAccountID
		}
		return s.recordEvent(tx, &l, actor, EventCreated, detail)
	})
	if err != nil {
		return nil, err
	}
	return &Link{AccessLink: l, Status: StatusActive, URL: s.LinkURL(token), CreatorName: actor.Name, CreatorKeyName: actor.APIKeyName}, nil
}

// linkWithCreator selects a Link: the link and who made it, a user or an
// API key.
const linkWithCreator = "l.*, u.name AS creator_name, u.email AS creator_email, k.name AS creator_key_name"

// ListFilter selects links for the admin list.
type ListFilter struct {
	Status Status // empty for all statuses except deleted
	Source string // a source key; empty for every source
	// Q is the search box (ParseSearch): every word in the label, source,
	// creator or recipient.
	Q      string
	Sort   Sort   // SortCreated when empty
	Cursor string // from the previous page's NextCursor, made with the same Sort
	Limit  int    // default and maximum 50
}

// PageSize is the number of links per page of the admin list.
const PageSize = 50

// LinkPage is one page of the admin list.
type LinkPage struct {
	Links      []Link
	NextCursor string // empty on the last page
}

// ParseStatusFilter accepts the status names of the list filter; anything
// else is an invalid error.
func ParseStatusFilter(v string) (Status, error) {
	switch Status(v) {
	case "", "all":
		return "", nil
	case StatusActive, StatusUsed, StatusExpired:
		return Status(v), nil
	}
	return "", reasonf(EINVALID, ReasonUnknownStatusFilter, map[string]string{"status": v}, "Unknown status filter %q.", v)
}

func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "|" + id))
}

// statusCond is the condition on access_links AS l that keeps the links
// with status st at now ("" for all statuses). It is the SQL form of
// StatusOf.
func statusCond(st Status, now time.Time) (string, []any) {
	switch st {
	case StatusActive:
		// No link lives longer than MaxLinkLifetime from its creation, so
		// active links are the recent ones: the created_at bound lets the
		// indexes skip older links instead of filtering them.
		return "l.deleted_at IS NULL AND l.used_at IS NULL AND l.expires_at > ? AND l.created_at > ?", []any{now, now.Add(-MaxLinkLifetime)}
	case StatusUsed:
		return "l.deleted_at IS NULL AND l.used_at IS NOT NULL", nil
	case StatusExpired:
		return "l.deleted_at IS NULL AND l.used_at IS NULL AND l.expires_at <= ?", []any{now}
	case StatusDeleted:
		return "l.deleted_at IS NOT NULL", nil
	}
	return "", nil
}

// whereStatus keeps the links of access_links AS l that have status st at
// now (all of them for "").
func whereStatus(q *gorm.DB, st Status, now time.Time) *gorm.DB {
	if cond, args := statusCond(st, now); cond != "" {
		return q.Where(cond, args...)
	}
	return q
}

// cursorCond keeps the links after (created_at, id) in newest-first
// order. The leading created_at <= ? makes the index range start at the
// cursor; the OR alone is evaluated row by row.
const cursorCond = "l.created_at <= ? AND (l.created_at < ? OR (l.created_at = ? AND l.id < ?))"

func afterCursor(q *gorm.DB, t time.Time, id string) *gorm.DB {
	return q.Where(cursorCond, t, t, t, id)
}

// Cursor times are those of stored rows; anything outside these bounds is
// forged and would overflow the databases' timestamp types.
var (
	minCursorTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxCursorTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

func decodeCursor(c string) (time.Time, string, error) {
	bad := &Error{Code: EBADREQUEST, Reason: ReasonCursorInvalid, Message: "The page cursor is not valid; reload the list."}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", bad
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || !ValidID(id) {
		return time.Time{}, "", bad
	}
	micros, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, "", bad
	}
	t := time.UnixMicro(micros).UTC()
	if t.Before(minCursorTime) || t.After(maxCursorTime) {
		return time.Time{}, "", bad
	}
	return t, id, nil
}

// scanLink reads a row that starts with hotsql.LinkColumns into l, and the
// columns after them into extra. Scanning by hand into the fields costs a
// fraction of GORM's reflection over 50 rows.
func scanLink(rows db.Row, l *models.AccessLink, extra ...any) error {
	return rows.Scan(append([]any{&l.ID, &l.WorkspaceID, &l.SourceKey, &l.TokenHash, &l.TokenSealed, &l.CreatedBy,
		&l.CreatedByKeyID, &l.CreatedAt, &l.ExpiresAt, &l.UsedAt, &l.DeletedAt, &l.DeletedBy, &l.ConnectedAccountID,
		&l.LastOutcome, &l.LastOutcomeDetail, &l.LastOutcomeAt, &l.RecipientEmail, &l.Note, &l.ReminderSentAt,
		&l.Label, &l.RenewedFromID, &l.RenewedToID, &l.ReconnectAccountID, &l.FirstOpenedAt, &l.Language}, extra...)...)
}

// eachRow runs the written-out query q and calls scan for each row. It
// goes through GORM (Raw, Rows), so the statement is counted and traced as
// every other, and nothing is built per request.
func (s *Service) eachRow(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// listSelect reads links with their creator's name and email
// (a user), or the API key's name (a link made through the API), and how
// their webhooks fared.
const listSelect = "SELECT " + hotsql.LinkColumns + ", COALESCE(u.name, '') AS creator_name, COALESCE(u.email, '') AS creator_email, COALESCE(k.name, '') AS creator_key_name, " + linkWebhookState +
	" FROM access_links AS l LEFT JOIN users u ON u.id = l.created_by LEFT JOIN api_keys k ON k.id = l.created_by_key_id"

// ListLinks returns one page of the workspace's links, newest first, with
// keyset pagination. It runs one query whatever the number of rows.
func (s *Service) ListLinks(ctx context.Context, workspaceID string, f ListFilter) (*LinkPage, error) {
	if f.Limit <= 0 || f.Limit > PageSize {
		f.Limit = PageSize
	}
	now := s.now()
	q, args, err := s.listQuery(listSelect, workspaceID, f, now)
	if err != nil {
		return nil, err
	}
	// A literal LIMIT, as before: PostgreSQL's cached plans stay
	// index-driven.
	q += " LIMIT " + strconv.Itoa(f.Limit+1)
	rows := make([]Link, 0, f.Limit+1)
	err = s.eachRow(ctx, q, args, func(r *sql.Rows) error {
		rows = append(rows, Link{})
		l := &rows[len(rows)-1]
		return scanLink(r, &l.AccessLink, &l.CreatorName, &l.CreatorEmail, &l.CreatorKeyName, &l.WebhookState)
	})
	if err != nil {
		return nil, err
	}
	page := &LinkPage{}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		page.NextCursor = encodeListCursor(f.Sort, &rows[len(rows)-1])
	}
	for i := range rows {
		s.decorate(&rows[i], now)
	}
	page.Links = rows
	return page, nil
}

// listQuery is the admin list's statement for f, selecting sel, without
// its LIMIT: the
// workspace's links that are not deleted, filtered and in f's order from
// f's cursor. The hottest read of the admin pages, so its SQL is written
// out and sent as is (Raw): no statement to build per request.
func (s *Service) listQuery(sel, workspaceID string, f ListFilter, now time.Time) (string, []any, error) {
	search, err := ParseSearch(f.Q)
	if err != nil {
		return "", nil, err
	}
	if err := checkSourceFilter(f.Source); err != nil {
		return "", nil, err
	}
	if f.Sort == "" {
		f.Sort = SortCreated
	}
	if _, err := ParseSort(string(f.Sort)); err != nil {
		return "", nil, err
	}
	q := sel + " WHERE l.workspace_id = ? AND l.deleted_at IS NULL"
	args := []any{workspaceID}
	if cond, a := statusCond(f.Status, now); cond != "" {
		q += " AND " + cond
		args = append(args, a...)
	}
	if f.Source != "" {
		q += " AND l.source_key = ?"
		args = append(args, f.Source)
	}
	if search != "" {
		cond, a := s.searchCond(search)
		// Planned with its patterns at each call (db.PlanEachCall).
		q = db.PlanEachCall(q) + " AND " + cond
		args = append(args, a...)
	}
	if f.Cursor != "" {
		cond, a, err := listCursorCond(f.Sort, f.Cursor)
		if err != nil {
			return "", nil, err
		}
		q += " AND " + cond
		args = append(args, a...)
	}
	return q + orderBy(f.Sort), args, nil
}

func (s *Service) decorate(l *Link, now time.Time) {
	l.CreatedAt = l.CreatedAt.UTC()
	l.ExpiresAt = l.ExpiresAt.UTC()
	l.Status = StatusOf(&l.AccessLink, now)
	if token, err := s.keys.Open(l.TokenSealed, tokenAD(l.ID)); err == nil {
		l.URL = s.LinkURL(token)
	}
}

// GetLink returns one link of the workspace, deleted ones included. A link
// of another workspace, or a malformed ID, is not found.
func (s *Service) GetLink(ctx context.Context, workspaceID, linkID string) (*Link, error) {
	if !ValidID(linkID) {
		return nil, errLinkNotFound()
	}
	var l Link
	q := s.db.WithContext(ctx).Table("access_links AS l").
		Select(linkWithCreator+", "+linkWebhookState).
		Joins("LEFT JOIN users u ON u.id = l.created_by").
		Joins("LEFT JOIN api_keys k ON k.id = l.created_by_key_id").
		Where("l.id = ? AND l.workspace_id = ?", linkID, workspaceID)
	if err := takeOne(q, &l, errLinkNotFound()); err != nil {
		return nil, err
	}
	s.decorate(&l, s.now())
	return &l, nil
}

// DeleteLink soft-deletes a link of the member's workspace and records who
// did it. Deleting an already deleted link succeeds and changes nothing.
// Accounts connected through the link are not touched.
func (s *Service) DeleteLink(ctx context.Context, m *Membership, actor Actor, linkID string) error {
	if err := m.CanManageLinks(); err != nil {
		return err
	}
	if !ValidID(linkID) {
		return errLinkNotFound()
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var l models.AccessLink
		if err := takeOne(tx.Where("id = ? AND workspace_id = ?", linkID, m.Workspace.ID), &l, errLinkNotFound()); err != nil {
			return err
		}
		now := s.now()
		res := tx.Model(&models.AccessLink{}).
			Where("id = ? AND deleted_at IS NULL", l.ID).
			Updates(map[string]any{"deleted_at": now, "deleted_by": optional(actor.UserID)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil // already deleted: nothing to record
		}
		return s.recordEvent(tx, &l, actor, EventDeleted, nil)
	})
}
