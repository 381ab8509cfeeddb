package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Sign-in throttling kept in the database, so that every app process
// behind a load balancer counts the same attempts. A key is what is
// throttled (an address, an email, a user); only its SHA-256 is stored. A
// limit is a sliding window: at most n rows of a key newer than the
// window. Rows past their window are deleted by the next write, so the
// table needs no cron job.

type throttleRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	KeyHash   string    `gorm:"column:key_hash"`
	At        time.Time `gorm:"column:at"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (throttleRow) TableName() string { return "sign_in_throttle" }

func throttleKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// record stores one attempt for key and removes rows whose window ended.
func (s *Service) recordThrottle(ctx context.Context, key string, window time.Duration, now time.Time) (string, error) {
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", now).Delete(&throttleRow{}).Error; err != nil {
		return "", err
	}
	row := throttleRow{ID: rand.Text(), KeyHash: throttleKey(key), At: now, ExpiresAt: now.Add(window)}
	return row.ID, db.Create(&row).Error
}

// ThrottleAllow counts one attempt for key if fewer than limit were counted
// within window, and reports whether it was allowed; if not, it says how
// long until the oldest counted attempt leaves the window. The attempt is
// written first and counted with the others, so replicas racing for the
// last place may both be refused, never both allowed.
func (s *Service) ThrottleAllow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	now := s.now()
	id, err := s.recordThrottle(ctx, key, window, now)
	if err != nil {
		return false, 0, err
	}
	var rows []throttleRow
	err = s.db.WithContext(ctx).Where("key_hash = ? AND at > ?", throttleKey(key), now.Add(-window)).
		Order("at, id").Limit(limit + 1).Find(&rows).Error
	if err != nil {
		return false, 0, err
	}
	if len(rows) <= limit {
		return true, 0, nil
	}
	// Over the limit: this attempt is not counted.
	if err := s.db.WithContext(ctx).Where("id = ?", id).Delete(&throttleRow{}).Error; err != nil {
		return false, 0, err
	}
	wait := rows[0].At.Add(window).Sub(now)
	if wait < time.Second {
		wait = time.Second
	}
	return false, wait, nil
}

// ThrottleRecord counts one event for key (a failed sign-in), without a limit.
func (s *Service) ThrottleRecord(ctx context.Context, key string, window time.Duration) error {
	_, err := s.recordThrottle(ctx, key, window, s.now())
	return err
}

// ThrottleRecent reports whether an event was counted for key within window.
func (s *Service) ThrottleRecent(ctx context.Context, key string, window time.Duration) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&throttleRow{}).
		Where("key_hash = ? AND at > ?", throttleKey(key), s.now().Add(-window)).Limit(1).Count(&n).Error
	return n > 0, err
}

// ThrottleReset forgets every attempt counted for key (after a sign-in).
func (s *Service) ThrottleReset(ctx context.Context, key string) error {
	return s.db.WithContext(ctx).Where("key_hash = ?", throttleKey(key)).Delete(&throttleRow{}).Error
}
