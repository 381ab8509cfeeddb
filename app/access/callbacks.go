package access

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// A flow's callback ends on the server at its first outcome. The first
// callback of a state reserves it (a row in oauth_callbacks, pending); the
// request then settles the row once, as connected or failed with why.
// Every later callback with that state reads the row and shows the same
// result, recording nothing. A pending row whose request died (the process
// crashed during the exchange) is given up after ExchangeTimeout.

// ExchangeTimeout bounds the work of the callback that reserved a flow: the
// code exchange, reading the identity, storing the account. A callback
// still pending after it is given up: nothing was connected.
const ExchangeTimeout = time.Minute

// Outcomes of a callback.
const (
	CallbackPending   = ""
	CallbackConnected = "connected"
	CallbackFailed    = "failed"
)

// CallbackAbandoned is the error code of a callback given up after
// ExchangeTimeout.
const CallbackAbandoned = "abandoned"

// abandoned is the failure recorded for a callback given up.
var abandoned = CallbackFailure{Kind: "token", Code: CallbackAbandoned, Description: "The sign-in did not finish in time."}

// Limits of the failure text stored for a callback (and shown again).
const (
	maxFailureKind        = 16
	maxFailureCode        = 64
	maxFailureDescription = 200
)

// ErrFlowSettled refuses to connect a flow whose callback was settled by
// another request meanwhile (given up after ExchangeTimeout): the
// transaction is rolled back and nothing is connected.
var ErrFlowSettled = errors.New("the flow's callback was already settled")

// CallbackFailure is why a flow failed: the kind of step, a short code and
// a description, as oauth_callbacks stores them: Kind is the code of the
// flow's *Error (EPROVIDER, ETOKEN, ...) or "refused", Code its Reason.
type CallbackFailure struct {
	Kind        string
	Code        string
	Description string
}

// CallbackRecord is the recorded state of a flow's callback (a row of
// oauth_callbacks).
type CallbackRecord struct {
	Outcome      string
	AccountLabel string
	// Failure is set for a failed outcome.
	Failure CallbackFailure
}

// Abandoned reports a callback given up after ExchangeTimeout.
func (c *CallbackRecord) Abandoned() bool {
	return c.Outcome == CallbackFailed && c.Failure.Code == CallbackAbandoned
}

func recordOf(row *models.OAuthCallback) *CallbackRecord {
	return &CallbackRecord{Outcome: row.Outcome, AccountLabel: row.AccountLabel,
		Failure: CallbackFailure{Kind: row.ErrorKind, Code: row.ErrorCode, Description: row.ErrorDescription}}
}

// cleanFailure makes a failure fit to store and show: the code and the
// description may come from the invitee's browser (error and
// error_description of the callback's query).
func cleanFailure(f CallbackFailure) CallbackFailure {
	return CallbackFailure{Kind: CleanText(f.Kind, maxFailureKind), Code: CleanText(f.Code, maxFailureCode),
		Description: CleanText(f.Description, maxFailureDescription)}
}

// ReserveCallback lets exactly one request per flow settle it: it returns
// nil, nil to the first caller for a state, and the recorded callback to
// every repeated or concurrent one. A reservation left pending longer than
// ExchangeTimeout is given up first, so the answer is never "still
// working" for ever.
func (s *Service) ReserveCallback(ctx context.Context, state, linkID string) (*CallbackRecord, error) {
	now := s.now()
	hash := secret.HashToken(state)
	row := models.OAuthCallback{StateHash: hash, LinkID: linkID, CreatedAt: now}
	err := s.db.WithContext(ctx).Create(&row).Error
	if err == nil {
		s.sweepCallbacks(ctx, now)
		return nil, nil
	}
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, err
	}
	return s.recorded(ctx, hash, now)
}

// recorded is the state of a reserved flow's callback; one left pending
// longer than ExchangeTimeout is given up first.
func (s *Service) recorded(ctx context.Context, hash string, now time.Time) (*CallbackRecord, error) {
	prev, err := s.callback(ctx, hash)
	if err != nil {
		return nil, err
	}
	if prev.Outcome == CallbackPending && !prev.CreatedAt.After(now.Add(-ExchangeTimeout)) {
		rec, _, err := s.settleFailed(ctx, hash, abandoned)
		return rec, err
	}
	return recordOf(prev), nil
}

// sweepCallbacks removes rows whose flow is long over and gives up
// callbacks left pending by requests that died, so nothing stays pending
// without a cron job. Failures only delay the sweep to the next
// reservation.
func (s *Service) sweepCallbacks(ctx context.Context, now time.Time) {
	q := s.db.WithContext(ctx)
	q.Where("created_at < ?", now.Add(-24*time.Hour)).Delete(&models.OAuthCallback{})
	q.Model(&models.OAuthCallback{}).Where("outcome = ? AND created_at <= ?", CallbackPending, now.Add(-ExchangeTimeout)).
		Updates(map[string]any{"outcome": CallbackFailed, "error_kind": abandoned.Kind, "error_code": abandoned.Code,
			"error_description": abandoned.Description})
}

func (s *Service) callback(ctx context.Context, hash string) (*models.OAuthCallback, error) {
	var row models.OAuthCallback
	if err := s.db.WithContext(ctx).Where("state_hash = ?", hash).Take(&row).Error; err != nil {
		return nil, err
	}
	return &row, nil
}

// FailCallback settles a reserved flow as failed, with why (cleaned and
// capped: the code and description may come from the invitee's browser),
// unless it was settled already. It returns the flow's outcome either way
// and whether this call settled it, so a caller whose own step failed
// learns when the flow had in fact connected (a commit whose answer was
// lost with its connection) or was given up.
func (s *Service) FailCallback(ctx context.Context, state string, f CallbackFailure) (*CallbackRecord, bool, error) {
	return s.settleFailed(ctx, secret.HashToken(state), f)
}

func (s *Service) settleFailed(ctx context.Context, hash string, f CallbackFailure) (*CallbackRecord, bool, error) {
	f = cleanFailure(f)
	res := s.db.WithContext(ctx).Model(&models.OAuthCallback{}).
		Where("state_hash = ? AND outcome = ?", hash, CallbackPending).
		Updates(map[string]any{"outcome": CallbackFailed, "error_kind": f.Kind, "error_code": f.Code, "error_description": f.Description})
	if res.Error != nil {
		return nil, false, res.Error
	}
	if res.RowsAffected == 1 {
		return &CallbackRecord{Outcome: CallbackFailed, Failure: f}, true, nil
	}
	row, err := s.callback(ctx, hash)
	if err != nil {
		return nil, false, err
	}
	return recordOf(row), false, nil
}

// settleConnected settles a reserved flow as connected inside the
// transaction of ClaimLink; a flow settled meanwhile rolls it back.
func (s *Service) settleConnected(tx *gorm.DB, state, accountLabel string) error {
	res := tx.Model(&models.OAuthCallback{}).
		Where("state_hash = ? AND outcome = ?", secret.HashToken(state), CallbackPending).
		Updates(map[string]any{"outcome": CallbackConnected, "account_label": accountLabel})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrFlowSettled
	}
	return nil
}

// ClaimLinkForFlow is ClaimLink for the flow that reserved state: the
// link's claim, the account, its event and the flow's outcome commit
// together, so a flow is never connected without its callback saying so,
// nor said connected without the account. It returns ErrFlowSettled when
// the flow was given up meanwhile.
func (s *Service) ClaimLinkForFlow(ctx context.Context, state, linkID string, actor Actor, id Identity) (*AccountSummary, error) {
	return s.claimLink(ctx, linkID, state, actor, id)
}

// RecordedCallback returns the recorded state of a flow's callback, or nil
// when no callback of the flow has been reserved. A callback left pending
// longer than ExchangeTimeout is given up first.
func (s *Service) RecordedCallback(ctx context.Context, state string) (*CallbackRecord, error) {
	rec, err := s.recorded(ctx, secret.HashToken(state), s.now())
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return rec, err
}

// transaction runs fn in a transaction, again on a fresh connection when
// the attempt lost its connection before committing (db.Transaction).
func (s *Service) transaction(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return db.Transaction(ctx, s.db, fn)
}
