package access

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Idempotency keys of the API (issue 9): a POST that carries an
// Idempotency-Key is done once per key and API key for IdempotencyWindow;
// a repeat with the same body gets the first answer again.
const (
	// IdempotencyWindow is how long a key is honoured.
	IdempotencyWindow = 24 * time.Hour
	// MaxIdempotencyKey is the longest Idempotency-Key accepted, in bytes.
	MaxIdempotencyKey = 255
	// idemPending is the status of a request still in progress.
	idemPending = 0
)

// Reasons of the idempotency errors (Error.Reason), which the API turns
// into their own problem types.
const (
	ReasonIdempotencyMismatch   = "idempotency_key_reused"
	ReasonIdempotencyInProgress = "idempotency_in_progress"
)

// idempotencyRecord is a row of api_idempotency.
type idempotencyRecord struct {
	APIKeyID       string `gorm:"primaryKey"`
	IdemKey        string `gorm:"primaryKey"`
	RequestHash    string
	Status         int
	ResponseSealed string
	CreatedAt      time.Time
}

func (idempotencyRecord) TableName() string { return "api_idempotency" }

// StoredResponse is the first answer to an idempotent request.
type StoredResponse struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header,omitempty"`
	Body   []byte            `json:"body"`
}

func idemAD(keyID, idemKey string) string { return "api_idempotency/" + keyID + "/" + idemKey }

// BeginIdempotent claims idemKey for one request of the API key whose body
// hashes to requestHash. It returns nil when the caller is to do the
// request (and then FinishIdempotent or AbandonIdempotent), the stored
// answer when the same request was done within the window, and an error
// while the first request with the key still runs (conflict, with
// ReasonIdempotencyInProgress), or when the key was used for another
// request (invalid, with ReasonIdempotencyMismatch).
func (s *Service) BeginIdempotent(ctx context.Context, keyID, idemKey, requestHash string) (*StoredResponse, error) {
	if idemKey == "" || len(idemKey) > MaxIdempotencyKey || CleanText(idemKey, MaxIdempotencyKey) != idemKey {
		return nil, Errorf(EINVALID, "The Idempotency-Key header must be 1 to %d printable characters, such as a UUID.", MaxIdempotencyKey)
	}
	now := s.now()
	db := s.db.WithContext(ctx)
	// A key past its window is forgotten; so is every expired key (one
	// range of the created_at index), so the table holds one day of keys.
	if err := db.Where("created_at <= ?", now.Add(-IdempotencyWindow)).Delete(&idempotencyRecord{}).Error; err != nil {
		return nil, err
	}
	rec := idempotencyRecord{APIKeyID: keyID, IdemKey: idemKey, RequestHash: requestHash, Status: idemPending, CreatedAt: now}
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&rec)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var cur idempotencyRecord
	err := db.Where("api_key_id = ? AND idem_key = ?", keyID, idemKey).Take(&cur).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Abandoned between the insert and the read: the client retries.
		return nil, idemInProgress()
	}
	if err != nil {
		return nil, err
	}
	if cur.Status == idemPending {
		return nil, idemInProgress()
	}
	if cur.RequestHash != requestHash {
		return nil, &Error{Code: EINVALID, Reason: ReasonIdempotencyMismatch,
			Message: "This Idempotency-Key was already used for a different request. Use a new key for a new request."}
	}
	plain, err := s.keys.Open(cur.ResponseSealed, idemAD(keyID, idemKey))
	if err != nil {
		return nil, err
	}
	var out StoredResponse
	if err := json.Unmarshal([]byte(plain), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func idemInProgress() error {
	return &Error{Code: ECONFLICT, Reason: ReasonIdempotencyInProgress,
		Message: "A request with this Idempotency-Key is still in progress. Try again in a moment."}
}

// FinishIdempotent stores the answer to the request that claimed idemKey,
// sealed: it may hold a secret (a link's URL).
func (s *Service) FinishIdempotent(ctx context.Context, keyID, idemKey string, r StoredResponse) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sealed, err := s.keys.Seal(string(b), idemAD(keyID, idemKey))
	if err != nil {
		return err
	}
	return s.db.WithContext(context.WithoutCancel(ctx)).Model(&idempotencyRecord{}).
		Where("api_key_id = ? AND idem_key = ? AND status = ?", keyID, idemKey, idemPending).
		Updates(map[string]any{"status": r.Status, "response_sealed": sealed}).Error
}

// AbandonIdempotent forgets a claimed key whose request failed for a
// reason a retry may not meet (a server error), so the retry runs again.
func (s *Service) AbandonIdempotent(ctx context.Context, keyID, idemKey string) error {
	return s.db.WithContext(context.WithoutCancel(ctx)).
		Where("api_key_id = ? AND idem_key = ? AND status = ?", keyID, idemKey, idemPending).
		Delete(&idempotencyRecord{}).Error
}
