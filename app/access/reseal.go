package access

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// Reseal re-encrypts every sealed value made with an older key (link
// tokens, OAuth tokens) with the current key, in batches, and returns how
// many values it changed. After it, the old key can leave
// APP_OLD_SECRET_KEYS. It is safe to run while the app serves.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	changed := 0
	var links []models.AccessLink
	err := s.DB.WithContext(ctx).Select("id, token_sealed").FindInBatches(&links, 500, func(tx *gorm.DB, _ int) error {
		for _, l := range links {
			if !s.Keys.NeedsReseal(l.TokenSealed) {
				continue
			}
			v, err := s.reseal(l.TokenSealed, tokenAD(l.ID))
			if err != nil {
				return fmt.Errorf("link %s: %w", l.ID, err)
			}
			if err := s.DB.WithContext(ctx).Model(&models.AccessLink{}).Where("id = ? AND token_sealed = ?", l.ID, l.TokenSealed).
				Update("token_sealed", v).Error; err != nil {
				return err
			}
			changed++
		}
		return nil
	}).Error
	if err != nil {
		return changed, err
	}
	var accounts []models.ConnectedAccount
	err = s.DB.WithContext(ctx).Select("id, access_token_sealed, refresh_token_sealed").FindInBatches(&accounts, 500, func(tx *gorm.DB, _ int) error {
		for _, a := range accounts {
			updates := map[string]any{}
			for col, sealed := range map[string]string{"access_token_sealed": a.AccessTokenSealed, "refresh_token_sealed": a.RefreshTokenSealed} {
				if sealed == "" || !s.Keys.NeedsReseal(sealed) {
					continue
				}
				field := "access_token"
				if col == "refresh_token_sealed" {
					field = "refresh_token"
				}
				v, err := s.reseal(sealed, accountAD(a.ID, field))
				if err != nil {
					return fmt.Errorf("account %s %s: %w", a.ID, field, err)
				}
				updates[col] = v
			}
			if len(updates) == 0 {
				continue
			}
			// Only if the row was not refreshed meanwhile.
			res := s.DB.WithContext(ctx).Model(&models.ConnectedAccount{}).
				Where("id = ? AND access_token_sealed = ? AND refresh_token_sealed = ?", a.ID, a.AccessTokenSealed, a.RefreshTokenSealed).
				Updates(updates)
			if res.Error != nil {
				return res.Error
			}
			changed += int(res.RowsAffected) * len(updates)
		}
		return nil
	}).Error
	return changed, err
}

func (s *Service) reseal(sealed, associated string) (string, error) {
	plain, err := s.Keys.Open(sealed, associated)
	if err != nil {
		return "", err
	}
	return s.Keys.Seal(plain, associated)
}
