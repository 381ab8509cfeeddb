package access

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// sealedColumns are the columns that hold values sealed with the app's keys.
// A new sealed column belongs here and in Reseal.
var sealedColumns = []struct{ table, column string }{
	{"access_links", "token_sealed"},
	{"connected_accounts", "access_token_sealed"},
	{"connected_accounts", "refresh_token_sealed"},
	{"webhook_endpoints", "secret_sealed"},
	{"webhook_endpoints", "previous_secret_sealed"},
}

// checkSealedKeyIDs refuses a key ring that lacks a key some stored value
// was sealed with. It reads only the key-ID prefix of each value, one
// grouped scan per sealed column.
func (s *Service) checkSealedKeyIDs(ctx context.Context) error {
	prefix := "SUBSTR(%s, 1, " + strconv.Itoa(secret.KeyIDPrefixLen) + ")"
	missing := map[string]int64{}
	for _, sc := range sealedColumns {
		var rows []struct {
			Prefix string
			N      int64
		}
		expr := fmt.Sprintf(prefix, sc.column)
		err := s.db.WithContext(ctx).Table(sc.table).Select(expr + " AS prefix, COUNT(*) AS n").
			Where(sc.column + " <> ''").Group(expr).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("read the key IDs of %s.%s: %w", sc.table, sc.column, err)
		}
		for _, r := range rows {
			id, ok := secret.SealedKeyID(r.Prefix)
			if !ok {
				id = "(unreadable)"
			}
			if !ok || !s.keys.Has(id) {
				missing[id] += r.N
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
// tokens, OAuth tokens) with the current key, in batches, and returns how
// many values it changed. After it, the old key can leave
// APP_OLD_SECRET_KEYS. It is safe to run while the app serves.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	changed := 0
	var links []models.AccessLink
	err := s.db.WithContext(ctx).Select("id, token_sealed").FindInBatches(&links, 500, func(tx *gorm.DB, _ int) error {
		for _, l := range links {
			n, err := s.resealRow(ctx, &models.AccessLink{}, l.ID, map[string]string{"token_sealed": l.TokenSealed},
				func(string) string { return tokenAD(l.ID) })
			if err != nil {
				return fmt.Errorf("link %s %w", l.ID, err)
			}
			changed += n
		}
		return nil
	}).Error
	if err != nil {
		return changed, err
	}
	var accounts []models.ConnectedAccount
	err = s.db.WithContext(ctx).Select("id, access_token_sealed, refresh_token_sealed").FindInBatches(&accounts, 500, func(tx *gorm.DB, _ int) error {
		for _, a := range accounts {
			n, err := s.resealRow(ctx, &models.ConnectedAccount{}, a.ID,
				map[string]string{"access_token_sealed": a.AccessTokenSealed, "refresh_token_sealed": a.RefreshTokenSealed},
				func(field string) string { return accountAD(a.ID, field) })
			if err != nil {
				return fmt.Errorf("account %s %w", a.ID, err)
			}
			changed += n
		}
		return nil
	}).Error
	if err != nil {
		return changed, err
	}
	n, err := s.resealWebhookSecrets(ctx)
	return changed + n, err
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
func (s *Service) resealRow(ctx context.Context, model any, id string, cols map[string]string, ad func(field string) string) (int, error) {
	updates := map[string]any{}
	q := s.db.WithContext(ctx).Model(model).Where("id = ?", id)
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
