package access

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/accessrequests/accessrequests/app/secret"
)

// sealedTables are the tables whose columns hold values sealed with the
// app's keys, with the associated data each value is sealed with (field is
// the column without "_sealed"). A new sealed column belongs here:
// checkSealedKeyIDs and Reseal read this list.
var sealedTables = []struct {
	table   string
	columns []string
	ad      func(id, field string) string
}{
	{"access_links", []string{"token_sealed"}, func(id, _ string) string { return tokenAD(id) }},
	{"connected_accounts", []string{"access_token_sealed", "refresh_token_sealed"}, accountAD},
	// Both secrets are sealed with the same associated data.
	{"webhook_endpoints", []string{"secret_sealed", "previous_secret_sealed"}, func(id, _ string) string { return endpointAD(id) }},
}

// checkSealedKeyIDs refuses a key ring that lacks a key some stored value
// was sealed with. It reads the distinct key-ID prefixes of each sealed
// column one at a time, each the next one above the last on the column's
// prefix index (migration 00022): one index probe per key ever used, so
// the check costs the same on ten rows and ten million. Rows are counted
// only for a missing key, for the message.
func (s *Service) checkSealedKeyIDs(ctx context.Context) error {
	missing := map[string]int64{}
	for _, t := range sealedTables {
		for _, column := range t.columns {
			expr := fmt.Sprintf("SUBSTR(%s, 1, %d)", column, secret.KeyIDPrefixLen)
			for prefix := ""; ; {
				var next []string
				err := s.db.WithContext(ctx).Table(t.table).Where(expr+" > ?", prefix).
					Order(expr).Limit(1).Pluck(expr, &next).Error
				if err != nil {
					return fmt.Errorf("read the key IDs of %s.%s: %w", t.table, column, err)
				}
				if len(next) == 0 {
					break
				}
				prefix = next[0]
				id, ok := secret.SealedKeyID(prefix)
				if ok && s.keys.Has(id) {
					continue
				}
				if !ok {
					id = "(unreadable)"
				}
				var n int64
				if err := s.db.WithContext(ctx).Table(t.table).Where(expr+" = ?", prefix).Count(&n).Error; err != nil {
					return fmt.Errorf("count the values of %s.%s sealed with %s: %w", t.table, column, id, err)
				}
				missing[id] += n
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var list []string
	for id, n := range missing {
		list = append(list, fmt.Sprintf("%s (%d values)", id, n))
	}
	sort.Strings(list)
	return fmt.Errorf("APP_SECRET_KEY cannot open the data in this database: values are sealed with keys that are not configured: "+
		"missing key IDs %s; configured key IDs: %s (the first is APP_SECRET_KEY). "+
		"Fix: add the keys with these IDs to APP_OLD_SECRET_KEYS (the current key stays in APP_SECRET_KEY), start, "+
		"and run `app reseal` to re-seal everything with the current key; then the old keys can be removed",
		strings.Join(list, ", "), strings.Join(s.keys.KeyIDs(), ", "))
}

// Reseal re-encrypts every sealed value made with an older key (link
// tokens, OAuth tokens, webhook secrets) with the current key, in batches,
// and returns how many values it changed. After it, the old key can leave
// APP_OLD_SECRET_KEYS. It is safe to run while the app serves.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	changed := 0
	for _, t := range sealedTables {
		n, err := s.resealTable(ctx, t.table, t.columns, t.ad)
		changed += n
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// resealBatch is how many rows Reseal reads at a time (a variable for
// the tests, which page through a few rows).
var resealBatch = 500

// resealTable is Reseal for one table: its rows read in batches in the
// order of their IDs, each batch read to the end before its rows are
// written (SQLite has one connection).
func (s *Service) resealTable(ctx context.Context, table string, columns []string, ad func(id, field string) string) (int, error) {
	changed, after := 0, ""
	for {
		var batch [][]string // id, then the columns' values
		rows, err := s.db.WithContext(ctx).Table(table).Select(append([]string{"id"}, columns...)).
			Where("id > ?", after).Order("id").Limit(resealBatch).Rows()
		if err != nil {
			return changed, err
		}
		for rows.Next() {
			vals := make([]string, 1+len(columns))
			dest := make([]any, len(vals))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err = rows.Scan(dest...); err != nil {
				break
			}
			batch = append(batch, vals)
		}
		if err == nil {
			err = rows.Err()
		}
		rows.Close()
		if err != nil {
			return changed, err
		}
		for _, vals := range batch {
			id, cols := vals[0], map[string]string{}
			for i, c := range columns {
				cols[c] = vals[1+i]
			}
			n, err := s.resealRow(ctx, table, id, cols, func(field string) string { return ad(id, field) })
			if err != nil {
				return changed, fmt.Errorf("%s %s %w", table, id, err)
			}
			changed += n
		}
		if len(batch) < resealBatch {
			return changed, nil
		}
		after = batch[len(batch)-1][0]
	}
}

func (s *Service) reseal(sealed, associated string) (string, error) {
	plain, err := s.keys.Open(sealed, associated)
	if err != nil {
		return "", err
	}
	return s.keys.Seal(plain, associated)
}

// resealRow re-seals those of one row's sealed values (column → value)
// that an older key sealed, and returns how many it changed. ad gives the
// associated data of a field (the column without "_sealed"). The update
// is conditional on every value read, so a row whose values changed
// meanwhile (a token refreshed, a secret rotated) is left as it is: its
// new values are sealed with the current key already.
func (s *Service) resealRow(ctx context.Context, table, id string, cols map[string]string, ad func(field string) string) (int, error) {
	updates := map[string]any{}
	q := s.db.WithContext(ctx).Table(table).Where("id = ?", id)
	for _, col := range slices.Sorted(maps.Keys(cols)) {
		sealed := cols[col]
		q = q.Where(col+" = ?", sealed)
		if sealed == "" || !s.keys.NeedsReseal(sealed) {
			continue
		}
		field := strings.TrimSuffix(col, "_sealed")
		v, err := s.reseal(sealed, ad(field))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", field, err)
		}
		updates[col] = v
	}
	if len(updates) == 0 {
		return 0, nil
	}
	res := q.Updates(updates)
	return int(res.RowsAffected) * len(updates), res.Error
}
