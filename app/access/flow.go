package access

import (
	"context"
	"errors"
	"time"

	"github.com/accessrequests/accessrequests/models"
)

// FlowRef names an authorization attempt: the link it is for and its
// state, which identifies it on the server.
type FlowRef struct {
	LinkID string
	State  string
}

// Exchanger is the OAuth client's side of one provider callback: the flow
// the invitee's browser started and what the provider sent back. The
// domain declares it and app/web adapts app/oauth to it. Every failure it
// returns is an *Error with one of the flow codes (EFLOWSTATE, EPROVIDER,
// ETOKEN, EIDENTITY, ESCOPES); anything else is an internal error.
type Exchanger interface {
	// Flow names the flow the callback belongs to, or fails (EFLOWSTATE)
	// when this browser started none, the state differs, the flow took too
	// long or its source is gone: nothing is recorded then.
	Flow() (FlowRef, error)
	// Verify applies the provider's own checks to the callback (issuer,
	// shop, signature). A failure is recorded in the link's history but
	// does not end the flow: a forged answer must not spend the invitee's
	// sign-in.
	Verify() error
	// ProviderError is the error the provider sent back instead of a code
	// (EPROVIDER: the invitee denied access, or the provider failed), or
	// nil.
	ProviderError() error
	// Exchange trades the code for tokens, at most once, and reads the
	// account's identity.
	Exchange(ctx context.Context) (*Identity, error)
}

// FlowOutcomeKind is how a flow's callback ended.
type FlowOutcomeKind string

// Outcomes of a flow. A reconnect link (one pinned to an existing account)
// goes through the same sequence, with one more kind for an identity that
// is not the account the link is for; the page picks its words by kind.
const (
	// FlowConnected: the link was claimed and the account stored.
	FlowConnected FlowOutcomeKind = "connected"
	// FlowFailed: a step failed (Err says which); nothing was connected and
	// the link stays usable.
	FlowFailed FlowOutcomeKind = "failed"
	// FlowRefused: the link was used, expired or deleted (Err: ECONFLICT,
	// EEXPIRED, ENOTFOUND); the flow is over.
	FlowRefused FlowOutcomeKind = "refused"
	// FlowPending: another request of the same flow is still settling it.
	FlowPending FlowOutcomeKind = "pending"
	// FlowAbandoned: the request that took the flow to the exchange never
	// finished (its process stopped) and was given up after
	// ExchangeTimeout; nothing was connected.
	FlowAbandoned FlowOutcomeKind = "abandoned"
	// FlowWrongAccount: a reconnect link's invitee signed in as another
	// account (SignedInAs) than the one the link is for (Account); nothing
	// was stored and the link stays usable (Err: EACCOUNT).
	FlowWrongAccount FlowOutcomeKind = "wrong_account"
)

// FlowOutcome is what a flow's callback came to, for the page the invitee
// sees. A callback repeated after the flow was settled gets the first
// outcome again, and nothing is recorded or exchanged twice.
type FlowOutcome struct {
	Kind FlowOutcomeKind
	// Account names the connected account (FlowConnected), or the account
	// a reconnect link is for (FlowWrongAccount).
	Account string
	// SignedInAs names the account the invitee signed in as instead
	// (FlowWrongAccount).
	SignedInAs string
	// Err is why the flow failed or the link was refused.
	Err *Error
	// LinkStatus is why a refused link cannot be used: StatusUsed,
	// StatusExpired or StatusDeleted (deleted or unknown).
	LinkStatus Status
	// Link is the refused link as the invitee may see it (its creator, the
	// account connected through it); nil when it is gone or unreadable.
	Link *PublicLink
	// Unrecorded is a write that failed after the outcome was settled (an
	// event of the history), or the internal error behind an ENOTSTORED
	// failure: the outcome stands and the page shows it; the caller logs
	// and counts it.
	Unrecorded error
	// Unread is why a refused link could not be read: the page is plainer,
	// the refusal stands; the caller logs it.
	Unread error
}

// bookkeepingTimeout bounds each write that settles a flow after its
// outcome is known. Those writes run even when the invitee's browser has
// gone away, so that the outcome is recorded for the next callback.
const bookkeepingTimeout = 10 * time.Second

// CompleteFlow finishes the flow of a provider callback: it checks that the
// callback belongs to the flow, reserves the flow (a flow ends at its first
// outcome: a repeated callback is told that outcome and changes nothing),
// has ex exchange the code at most once, and claims the link while storing
// the account (ClaimLinkForFlow). Every outcome is recorded in the link's
// history once. The writes that settle the flow go on when the invitee's
// browser goes away, for at most ExchangeTimeout. The error is an internal
// one: the flow could not be settled.
func (s *Service) CompleteFlow(ctx context.Context, ex Exchanger, actor Actor) (*FlowOutcome, error) {
	flow, err := ex.Flow()
	if err != nil {
		return failedOutcome(err)
	}
	link, err := s.LinkByID(ctx, flow.LinkID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return s.refusedOutcome(ctx, flow.LinkID, err), nil
		}
		return nil, err
	}
	// A flow that has an outcome (or is being settled) answers with it,
	// whatever this callback says, and nothing more is recorded.
	prev, err := s.RecordedCallback(ctx, flow.State)
	if err != nil || prev != nil {
		return s.recordedOutcome(ctx, flow.LinkID, prev, err)
	}
	if err := ex.Verify(); err != nil {
		out, ferr := failedOutcome(err)
		if ferr != nil {
			return nil, ferr
		}
		if err := s.RecordEvent(ctx, link, actor, EventProviderError, failureDetail(out.Err)); err != nil {
			return nil, err
		}
		return out, nil
	}
	// One request per flow goes on; a repeated or concurrent callback of
	// the same flow is told how the first one went.
	if prev, err := s.ReserveCallback(ctx, flow.State, link.ID); err != nil || prev != nil {
		return s.recordedOutcome(ctx, flow.LinkID, prev, err)
	}

	// This request now settles the flow, even if the browser goes away.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), ExchangeTimeout)
	defer cancel()
	settle := &settler{svc: s, ctx: ctx, state: flow.State, link: link, actor: actor}

	if err := ex.ProviderError(); err != nil {
		return settle.failed(err)
	}
	// A link used, expired or deleted since Start is refused before the
	// provider is asked for tokens.
	if refused := s.CheckLinkActive(work, link.ID); refused != nil {
		if ErrorCode(refused) == EINTERNAL {
			return settle.internal(refused)
		}
		return settle.refused(refused, true)
	}
	id, err := ex.Exchange(work)
	if err != nil {
		return settle.failed(err)
	}
	acc, err := s.ClaimLinkForFlow(work, flow.State, link.ID, actor, *id)
	var wrong *WrongAccountError
	switch code := ErrorCode(err); {
	case err == nil:
		return &FlowOutcome{Kind: FlowConnected, Account: acc.Label()}, nil
	case errors.As(err, &wrong):
		return settle.wrongAccount(wrong)
	case errors.Is(err, errPinnedGone):
		return settle.refused(err, true) // the transaction rolled back: no claim_refused event yet
	case errors.Is(err, ErrFlowSettled):
		rec, err := settle.read()
		if err != nil || rec == nil {
			return nil, errors.Join(errors.New("the settled flow's callback is gone"), err)
		}
		return settle.taken(rec)
	case code == ECONFLICT || code == EEXPIRED || code == ENOTFOUND:
		return settle.refused(err, false) // the claim_refused event is in the transaction
	case code == EINVALID:
		return settle.failed(&Error{Code: EIDENTITY, Reason: "no_account_id", Message: ErrorMessage(err)})
	}
	return settle.internal(err)
}

// failedOutcome is the outcome of a failed step; err must be a flow
// *Error, anything else is returned as an internal error.
func failedOutcome(err error) (*FlowOutcome, error) {
	var e *Error
	if !errors.As(err, &e) {
		return nil, err
	}
	return &FlowOutcome{Kind: FlowFailed, Err: e}, nil
}

// refusedOutcome is the outcome of a link that could not be claimed, with
// the link as the invitee may see it where it still exists. The refusal
// stands whatever happens here: a failed read only makes the page plainer.
func (s *Service) refusedOutcome(ctx context.Context, linkID string, refused error) *FlowOutcome {
	st := Status(refusalReason(refused))
	out := &FlowOutcome{Kind: FlowRefused, Err: refusalError(string(st)), LinkStatus: st}
	l, err := s.PublicLinkByID(ctx, linkID)
	switch {
	case err == nil:
		out.Link = l
		// The link's own status wins where it says more: used over
		// anything, expired over deleted.
		if l.Status == StatusUsed || (l.Status == StatusExpired && st != StatusUsed) {
			out.LinkStatus = l.Status
		}
	case ErrorCode(err) == EINTERNAL:
		out.Unread = err
	}
	return out
}

// recordedOutcome answers a callback whose flow another request settled
// first, or is still settling, with that first outcome.
func (s *Service) recordedOutcome(ctx context.Context, linkID string, rec *CallbackRecord, err error) (*FlowOutcome, error) {
	switch {
	case err != nil:
		return nil, err
	case rec.Outcome == CallbackConnected:
		return &FlowOutcome{Kind: FlowConnected, Account: rec.AccountLabel}, nil
	case rec.Failure.Kind == EACCOUNT:
		return s.wrongAccountOutcome(ctx, linkID, rec.Failure.Description), nil
	case rec.Outcome == CallbackPending:
		return &FlowOutcome{Kind: FlowPending}, nil
	case rec.Abandoned():
		return &FlowOutcome{Kind: FlowAbandoned}, nil
	case rec.Failure.Kind == failureRefused:
		return s.refusedOutcome(ctx, linkID, refusalError(rec.Failure.Code)), nil
	}
	return &FlowOutcome{Kind: FlowFailed, Err: rec.Failure.err()}, nil
}

// failureRefused is the kind oauth_callbacks stores for a refused link; the
// code is the link's status then (used, expired, deleted).
const failureRefused = "refused"

// err is the failure as the flow's *Error.
func (f CallbackFailure) err() *Error {
	return &Error{Code: f.Kind, Reason: f.Code, Message: f.Description}
}

// settler records how a reserved flow ended, each write on a context that
// outlives the request by at most bookkeepingTimeout.
type settler struct {
	svc   *Service
	ctx   context.Context
	state string
	link  *models.AccessLink
	actor Actor
}

func (s *settler) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(s.ctx), bookkeepingTimeout)
}

// settled is how settling a flow went.
type settled struct {
	rec  *CallbackRecord // the flow's outcome
	mine bool            // this request settled it
	// unrecorded is the failed write of the event; the outcome stands.
	unrecorded error
}

// settle records the failure unless the flow was settled otherwise first;
// then, when this request settled it, the event (if any).
func (s *settler) settle(f CallbackFailure, event string, detail func(CallbackFailure) map[string]any) (*settled, error) {
	ctx, cancel := s.context()
	defer cancel()
	rec, mine, err := s.svc.FailCallback(ctx, s.state, f)
	if err != nil {
		return nil, err
	}
	out := &settled{rec: rec, mine: mine}
	if mine && event != "" {
		out.unrecorded = s.svc.RecordEvent(ctx, s.link, s.actor, event, detail(rec.Failure))
	}
	return out, nil
}

// taken is the outcome of a flow that another request settled first.
func (s *settler) taken(rec *CallbackRecord) (*FlowOutcome, error) {
	ctx, cancel := s.context()
	defer cancel()
	return s.svc.recordedOutcome(ctx, s.link.ID, rec, nil)
}

// failed settles the flow as failed by err, a flow *Error (anything else
// is internal): the page shows the failure as stored (cleaned and capped),
// and the history has it once.
func (s *settler) failed(err error) (*FlowOutcome, error) {
	var e *Error
	if !errors.As(err, &e) {
		return s.internal(err)
	}
	r, err := s.settle(CallbackFailure{Kind: e.Code, Code: e.Reason, Description: e.Message}, EventProviderError,
		func(f CallbackFailure) map[string]any { return failureDetail(f.err()) })
	if err != nil {
		return nil, err
	}
	if !r.mine {
		return s.taken(r.rec)
	}
	return &FlowOutcome{Kind: FlowFailed, Err: r.rec.Failure.err(), Unrecorded: r.unrecorded}, nil
}

// refused settles the flow as refused because the link was used, expired
// or deleted, with a claim_refused event unless ClaimLinkForFlow's
// transaction recorded one already.
func (s *settler) refused(refused error, record bool) (*FlowOutcome, error) {
	event := EventClaimRefused
	if !record {
		event = ""
	}
	r, err := s.settle(CallbackFailure{Kind: failureRefused, Code: refusalReason(refused)}, event,
		func(f CallbackFailure) map[string]any { return map[string]any{"reason": f.Code} })
	if err != nil {
		return nil, err
	}
	if !r.mine {
		return s.taken(r.rec)
	}
	ctx, cancel := s.context()
	defer cancel()
	out := s.svc.refusedOutcome(ctx, s.link.ID, refused)
	out.Unrecorded = r.unrecorded
	return out, nil
}

// wrongAccount settles a reconnect link's flow as signed in with the
// wrong account: the flow's record keeps whom the invitee signed in as,
// the history and webhooks say it in words, and the link stays usable.
func (s *settler) wrongAccount(w *WrongAccountError) (*FlowOutcome, error) {
	r, err := s.settle(CallbackFailure{Kind: EACCOUNT, Code: ReasonWrongAccount, Description: w.SignedInAs}, EventProviderError,
		func(f CallbackFailure) map[string]any {
			return map[string]any{"kind": EACCOUNT, "error": ReasonWrongAccount, "description": WrongAccountMessage(w.SignedInAs, w.Account),
				"signed_in_as": w.SignedInAs, "account": w.Account}
		})
	if err != nil {
		return nil, err
	}
	if !r.mine {
		return s.taken(r.rec)
	}
	return &FlowOutcome{Kind: FlowWrongAccount, Err: w.flowError(), SignedInAs: w.SignedInAs, Account: w.Account, Unrecorded: r.unrecorded}, nil
}

// wrongAccountOutcome is a recorded wrong-account outcome again: whom the
// invitee signed in as is in the flow's record, the account the link is
// for is read again (the link as the invitee may see it).
func (s *Service) wrongAccountOutcome(ctx context.Context, linkID, signedInAs string) *FlowOutcome {
	out := &FlowOutcome{Kind: FlowWrongAccount, SignedInAs: signedInAs}
	l, err := s.PublicLinkByID(ctx, linkID)
	switch {
	case err == nil:
		out.Account = l.ReconnectLabel
	case ErrorCode(err) == EINTERNAL:
		out.Unread = err
	}
	out.Err = (&WrongAccountError{SignedInAs: signedInAs, Account: out.Account}).flowError()
	return out
}

// internal settles the flow as failed after an internal error (the
// database): nothing was connected, unless ClaimLinkForFlow's transaction
// did commit and only its answer was lost, which the flow's record tells.
func (s *settler) internal(cause error) (*FlowOutcome, error) {
	r, err := s.settle(CallbackFailure{Kind: ENOTSTORED, Code: "not_stored", Description: "The account could not be stored."}, "", nil)
	if err != nil {
		return nil, errors.Join(cause, err)
	}
	var out *FlowOutcome
	if r.mine {
		out = &FlowOutcome{Kind: FlowFailed, Err: r.rec.Failure.err()}
	} else if out, err = s.taken(r.rec); err != nil {
		return nil, errors.Join(cause, err)
	}
	out.Unrecorded = cause
	return out, nil
}

func (s *settler) read() (*CallbackRecord, error) {
	ctx, cancel := s.context()
	defer cancel()
	return s.svc.RecordedCallback(ctx, s.state)
}

// failureDetail is the history's detail of a failed step.
func failureDetail(e *Error) map[string]any {
	detail := map[string]any{"kind": e.Code, "error": e.Reason}
	if e.Message != "" {
		detail["description"] = e.Message
	}
	return detail
}

// refusalReason names why a claim was refused, for the link's history and
// the flow's record: used, expired or deleted.
func refusalReason(err error) string {
	switch ErrorCode(err) {
	case ECONFLICT:
		return string(StatusUsed)
	case EEXPIRED:
		return string(StatusExpired)
	}
	return string(StatusDeleted)
}

// refusalError is the error of a refusal that refusalReason named.
func refusalError(reason string) *Error {
	switch reason {
	case string(StatusUsed):
		return Errorf(ECONFLICT, "This link has already been used: an account has already been connected through it.")
	case string(StatusExpired):
		return Errorf(EEXPIRED, "This link has expired.")
	}
	return unknownLink()
}
