package access

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/accessrequests/accessrequests/app/db"
)

// Search and sort of the admin links list (issue 11): one search box
// matched against the link's source, creator and recipient, and an order
// by creation (newest first) or expiry (soonest first). Both stay inside the
// list's one statement, and the page cursor carries the order.

// Sort is the order of the admin list.
type Sort string

// Orders of the admin list.
const (
	SortCreated Sort = "created" // newest first (the default)
	SortExpires Sort = "expires" // soonest expiry first
)

// ParseSort accepts the sort names of the list; "" is SortCreated.
func ParseSort(v string) (Sort, error) {
	switch Sort(v) {
	case "", SortCreated:
		return SortCreated, nil
	case SortExpires:
		return SortExpires, nil
	}
	return "", fieldError(EINVALID, "Unknown sort order: choose created or expires.", "sort", fieldf(FieldSortUnknown, nil, "Choose created or expires.")).because(ReasonSortUnknown, nil)
}

// MaxSearchLength is the longest search of the links list, in characters.
const MaxSearchLength = 100

// maxSearchTerms bounds the words of one search; each is one more
// condition of the list's statement.
const maxSearchTerms = 8

// ParseSearch checks the text of the links list's search box and returns
// it trimmed. Too long, or holding what is not text, is an error that says
// so; never a 500.
func ParseSearch(q string) (string, error) {
	q = strings.TrimSpace(q)
	if !searchable(q) {
		return "", fieldError(EBADREQUEST, "The search holds characters that cannot be searched (a control character or bytes that are not UTF-8).",
			"q", fieldf(FieldNotText, nil, "Remove the characters that are not text."))
	}
	if n := utf8.RuneCountInString(q); n > MaxSearchLength {
		return "", fieldError(EINVALID, "The search is too long: at most "+strconv.Itoa(MaxSearchLength)+" characters (it has "+strconv.Itoa(n)+").",
			"q", fieldf(FieldAtMostChars, map[string]string{"max": strconv.Itoa(MaxSearchLength)}, "At most %d characters.", MaxSearchLength)).
			because(ReasonSearchTooManyChars, map[string]string{"max": strconv.Itoa(MaxSearchLength), "count": strconv.Itoa(n)})
	}
	if len(strings.Fields(q)) > maxSearchTerms {
		return "", fieldError(EINVALID, "The search has too many words: at most "+strconv.Itoa(maxSearchTerms)+".",
			"q", fieldf(FieldAtMostWords, map[string]string{"max": strconv.Itoa(maxSearchTerms)}, "At most %d words.", maxSearchTerms)).
			because(ReasonSearchTooManyWords, map[string]string{"max": strconv.Itoa(maxSearchTerms)})
	}
	return q, nil
}

// searchFields are the text columns of the list's statement (access_links
// AS l, its creator u, its API key k) that a search term is looked for in.
var searchFields = []string{"l.label", "l.recipient_email", "u.name", "u.email", "k.name"}

// searchCond is the condition on the list's statement that keeps the links
// matching every word of q: each word is in the label, the recipient's
// address, the creator's name or email, the API key's name, or the
// source's key or name (from the catalog, which lives in memory).
// Matching ignores case, of any letter (db.ContainsFold).
func (s *Service) searchCond(q string) (string, []any) {
	var conds []string
	var args []any
	for _, term := range strings.Fields(q) {
		p := db.ContainsPattern(term)
		var or []string
		for _, f := range searchFields {
			or = append(or, db.ContainsFold(s.db, f))
			args = append(args, p)
		}
		if keys := s.sourcesMatching(term); len(keys) > 0 {
			or = append(or, "l.source_key IN ?")
			args = append(args, keys)
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	return strings.Join(conds, " AND "), args
}

// sourcesMatching lists the keys of the catalog's sources whose key or
// name holds term, in any case.
func (s *Service) sourcesMatching(term string) []string {
	if s.sources == nil {
		return nil
	}
	t := strings.ToLower(term)
	var keys []string
	for _, src := range s.sources.All() {
		if strings.Contains(strings.ToLower(src.Key), t) || strings.Contains(strings.ToLower(src.Name), t) {
			keys = append(keys, src.Key)
		}
	}
	return keys
}

// Keyset pagination by expiry: soonest first, then by id. The leading
// bound makes the index range start at the cursor, as cursorCond does.
const expiresCursorCond = "l.expires_at >= ? AND (l.expires_at > ? OR (l.expires_at = ? AND l.id > ?))"

// orderBy is the ORDER BY of the list in sort order.
func orderBy(o Sort) string {
	if o == SortExpires {
		return " ORDER BY l.expires_at ASC, l.id ASC"
	}
	return " ORDER BY l.created_at DESC, l.id DESC"
}

// expiresCursorMark starts the cursors of the expiry order, so that a
// cursor of one order is refused by the other instead of skipping links.
const expiresCursorMark = "e"

// encodeListCursor is the cursor after l in sort order o.
func encodeListCursor(o Sort, l *Link) string {
	if o == SortExpires {
		return base64.RawURLEncoding.EncodeToString([]byte(expiresCursorMark + strconv.FormatInt(l.ExpiresAt.UnixMicro(), 10) + "|" + l.ID))
	}
	return encodeCursor(l.CreatedAt, l.ID)
}

// listCursorCond is the condition that keeps the links after cursor c in
// sort order o. A cursor of the other order, or a forged one, is a bad
// request.
func listCursorCond(o Sort, c string) (string, []any, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", nil, &Error{Code: EBADREQUEST, Reason: ReasonCursorInvalid, Message: "The page cursor is not valid; reload the list."}
	}
	expires := strings.HasPrefix(string(raw), expiresCursorMark)
	if expires != (o == SortExpires) {
		return "", nil, reasonf(EBADREQUEST, ReasonCursorSortOrder, nil, "The page cursor belongs to another sort order; reload the list.")
	}
	if expires {
		c = base64.RawURLEncoding.EncodeToString(raw[len(expiresCursorMark):])
	}
	t, id, err := decodeCursor(c)
	if err != nil {
		return "", nil, err
	}
	if expires {
		return expiresCursorCond, []any{t, t, t, id}, nil
	}
	return cursorCond, []any{t, t, t, id}, nil
}
