package access

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// Session durations used when the Service leaves them zero.
const (
	DefaultSessionIdleTimeout = 2 * time.Hour
	DefaultSessionLifetime    = 12 * time.Hour
)

// sessionTouchInterval is how stale a session's last_seen_at may get before
// a request writes it again: reading a session costs one SELECT, and at
// most one UPDATE a minute per session is added to that.
const sessionTouchInterval = time.Minute

// maxFlashLength caps a flash message stored in a session.
const maxFlashLength = 500

// Session is one signed-in browser, as loaded for a request.
type Session struct {
	// Token is the random ID held in the browser's cookie. Only its hash is
	// stored.
	Token     string
	User      *models.User
	Flash     string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionDurations returns the idle timeout and the absolute lifetime of a
// session, with the defaults filled in.
func (s *Service) SessionDurations() (idle, lifetime time.Duration) {
	idle, lifetime = s.sessionIdleTimeout, s.sessionLifetime
	if idle <= 0 {
		idle = DefaultSessionIdleTimeout
	}
	if lifetime <= 0 {
		lifetime = DefaultSessionLifetime
	}
	return idle, lifetime
}

// errSessionEnded is what every unusable session token gives: unknown,
// signed out, idle too long or past its lifetime.
func errSessionEnded() error {
	return reasonf(EUNAUTHORIZED, ReasonSessionEnded, nil, "Your session has ended. Please sign in again.")
}

// StartSession signs userID in: it stores a new session and returns it with
// its random token, for the cookie. Sessions that have ended, of any user,
// are deleted on the way, so the table needs no cron job to stay small.
func (s *Service) StartSession(ctx context.Context, userID string) (*Session, error) {
	now := s.now()
	idle, _ := s.SessionDurations()
	if err := s.db.WithContext(ctx).
		Where("expires_at <= ? OR last_seen_at <= ?", now, now.Add(-idle)).
		Delete(&models.Session{}).Error; err != nil {
		return nil, err
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.newSession(s.db.WithContext(ctx), u)
}

// newSession stores a new session of u on tx and returns it with its token.
func (s *Service) newSession(tx *gorm.DB, u *models.User) (*Session, error) {
	now := s.now()
	_, lifetime := s.SessionDurations()
	token := secret.RandomToken(32)
	row := models.Session{IDHash: secret.HashToken(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(lifetime)}
	if err := tx.Create(&row).Error; err != nil {
		return nil, err
	}
	return &Session{Token: token, User: u, CreatedAt: now, ExpiresAt: row.ExpiresAt}, nil
}

// Session returns the live session of token with its user. A token that is
// unknown, signed out, idle for longer than the idle timeout or past the
// absolute lifetime gives an unauthorized error, and an ended session's row
// is deleted. The last-seen time is written at most once a minute.
func (s *Service) Session(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, errSessionEnded()
	}
	hash := secret.HashToken(token)
	var row struct {
		models.User
		SessionCreatedAt time.Time
		LastSeenAt       time.Time
		ExpiresAt        time.Time
		Flash            string
	}
	err := s.db.WithContext(ctx).Table("sessions AS s").
		Select(`u.id, u.email, u.name, u.password_hash, u.is_support, u.created_at,
			s.created_at AS session_created_at, s.last_seen_at, s.expires_at, s.flash`).
		Joins("JOIN users u ON u.id = s.user_id").
		Where("s.id_hash = ?", hash).
		Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errSessionEnded()
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	idle, _ := s.SessionDurations()
	if !now.Before(row.ExpiresAt) || now.Sub(row.LastSeenAt) >= idle {
		if err := s.db.WithContext(ctx).Where("id_hash = ?", hash).Delete(&models.Session{}).Error; err != nil {
			return nil, err
		}
		return nil, errSessionEnded()
	}
	if now.Sub(row.LastSeenAt) >= sessionTouchInterval {
		// Best effort: a failed write only lets the idle timeout end the
		// session up to a minute early; the next request tries again.
		_ = s.db.WithContext(ctx).Model(&models.Session{}).
			Where("id_hash = ? AND last_seen_at < ?", hash, now).
			Update("last_seen_at", now).Error
	}
	u := row.User
	return &Session{Token: token, User: &u, Flash: row.Flash, CreatedAt: row.SessionCreatedAt, ExpiresAt: row.ExpiresAt}, nil
}

// EndSession signs out the session of token (a no-op for an unknown one).
func (s *Service) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.db.WithContext(ctx).Where("id_hash = ?", secret.HashToken(token)).Delete(&models.Session{}).Error
}

// EndUserSessions signs userID out everywhere, except the session of
// keepToken when it is not empty. It returns how many sessions ended.
func (s *Service) EndUserSessions(ctx context.Context, userID, keepToken string) (int64, error) {
	return endUserSessions(s.db.WithContext(ctx), userID, keepToken)
}

func endUserSessions(tx *gorm.DB, userID, keepToken string) (int64, error) {
	q := tx.Where("user_id = ?", userID)
	if keepToken != "" {
		q = q.Where("id_hash <> ?", secret.HashToken(keepToken))
	}
	res := q.Delete(&models.Session{})
	return res.RowsAffected, res.Error
}

// SignOutEverywhere ends every session of the user with email, for an
// operator (`app user signout`). It returns how many sessions ended.
func (s *Service) SignOutEverywhere(ctx context.Context, email string) (int64, error) {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return 0, err
	}
	return s.EndUserSessions(ctx, u.ID, "")
}

// SetSessionFlash keeps a one-time message for the next page of the
// session. It changes nothing else: the session's lifetime stays as it was.
func (s *Service) SetSessionFlash(ctx context.Context, token, msg string) error {
	return s.db.WithContext(ctx).Model(&models.Session{}).
		Where("id_hash = ?", secret.HashToken(token)).
		Update("flash", CleanText(msg, maxFlashLength)).Error
}

// ClearSessionFlash removes the session's flash message once shown.
func (s *Service) ClearSessionFlash(ctx context.Context, token string) error {
	return s.db.WithContext(ctx).Model(&models.Session{}).
		Where("id_hash = ? AND flash <> ''", secret.HashToken(token)).
		Update("flash", "").Error
}
