package access

import (
	"context"
	"database/sql"
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/accessrequests/accessrequests/app/access/hotsql"
)

// The CSV export of the admin links list (issue 11): the same filters and
// order as the page, read in batches with the list's keyset cursor and
// written as they are read, so memory stays the same for ten links or a
// hundred thousand.

// csvBatch is how many links one statement of the export reads.
const csvBatch = 500

// csvHeader are the export's columns.
var csvHeader = []string{"id", "label", "source", "status", "created_at", "expires_at", "used_at", "created_by", "recipient", "connected_account"}

// exportSelect is listSelect's links and creators with the account each
// link connected, without the webhook state the page shows.
const exportSelect = "SELECT " + hotsql.LinkColumns + ", COALESCE(u.name, '') AS creator_name, COALESCE(u.email, '') AS creator_email, COALESCE(k.name, '') AS creator_key_name," +
	" COALESCE(a.display_name, ''), COALESCE(a.email, ''), COALESCE(a.external_id, '')" +
	" FROM access_links AS l LEFT JOIN users u ON u.id = l.created_by LEFT JOIN api_keys k ON k.id = l.created_by_key_id" +
	" LEFT JOIN connected_accounts a ON a.id = l.connected_account_id"

// WriteLinksCSV writes the workspace's links that f selects (its cursor and
// limit are ignored) as CSV to w, in f's order, and calls flush after each
// batch so that the reader gets them while the rest is read. Every cell
// that a spreadsheet would read as a formula is made plain text.
func (s *Service) WriteLinksCSV(ctx context.Context, m *Membership, f ListFilter, w io.Writer, flush func()) error {
	if err := m.CanManageLinks(); err != nil {
		return err
	}
	f.Cursor, f.Limit = "", 0
	if f.Sort == "" {
		f.Sort = SortCreated
	}
	now := s.now()
	// Checked before the first byte, so a bad filter is an error page and
	// not half a file.
	if _, _, err := s.listQuery(exportSelect, m.Workspace.ID, f, now); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	row := make([]string, len(csvHeader))
	for {
		q, args, err := s.listQuery(exportSelect, m.Workspace.ID, f, now)
		if err != nil {
			return err
		}
		q += " LIMIT " + strconv.Itoa(csvBatch)
		n := 0
		var last Link
		err = s.eachRow(ctx, q, args, func(r *sql.Rows) error {
			var l Link
			var accName, accEmail, accID string
			if err := scanLink(r, &l.AccessLink, &l.CreatorName, &l.CreatorEmail, &l.CreatorKeyName, &accName, &accEmail, &accID); err != nil {
				return err
			}
			l.Status = StatusOf(&l.AccessLink, now)
			row[0], row[1], row[2], row[3] = l.ID, l.Label, l.SourceKey, string(l.Status)
			row[4], row[5], row[6] = csvTime(&l.CreatedAt), csvTime(&l.ExpiresAt), csvTime(l.UsedAt)
			row[7], row[8], row[9] = csvCreator(&l), l.RecipientEmail, csvAccount(accName, accEmail, accID)
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			n++
			last = l
			return cw.Write(row)
		})
		if err != nil {
			return err
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if flush != nil {
			flush()
		}
		if n < csvBatch {
			return nil
		}
		f.Cursor = encodeListCursor(f.Sort, &last)
	}
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvCreator names who made a link: "Name <email>", or the API key.
func csvCreator(l *Link) string {
	switch {
	case l.CreatedByKeyID != nil:
		return "API key " + l.CreatorKeyName
	case l.CreatorEmail != "":
		return l.CreatorName + " <" + l.CreatorEmail + ">"
	}
	return l.CreatorName
}

// csvAccount names the account a link connected: its name and email, or
// its ID at the provider.
func csvAccount(name, email, id string) string {
	switch {
	case name != "" && email != "" && name != email:
		return name + " <" + email + ">"
	case name != "":
		return name
	case email != "":
		return email
	}
	return id
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (CSV
// injection, OWASP): a cell that starts with =, +, -, @, a tab or a
// carriage return gets a leading apostrophe, which the spreadsheet shows
// as text.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
