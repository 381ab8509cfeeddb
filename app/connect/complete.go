package connect

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/models"
)

// Kinds of failures the callback itself records, beside the provider's.
const (
	// KindRefused: the link was used, expired or deleted when the callback
	// came; the code is the reason (Refusal).
	KindRefused = "refused"
	// KindStore: the account could not be stored (the database failed);
	// nothing was connected.
	KindStore = "store"
)

// Completion is what a callback came to, for the page the invitee sees.
// Exactly one of Account, Failed, Refused and Taken is set.
type Completion struct {
	// Account names the connected account on success.
	Account string
	// Failed is a step that failed (provider error, exchange, identity,
	// scopes, a mismatched issuer or shop); it is in the link's history and
	// the link stays usable.
	Failed *Error
	// Refused is why the link could not be claimed (access.ECONFLICT used,
	// access.EEXPIRED expired, access.ENOTFOUND deleted).
	Refused error
	// Taken is set when another request of the same flow settled it first
	// (or is still at it): the page shows that first result, and nothing
	// was recorded or exchanged again.
	Taken *access.CallbackClaim
	// Unrecorded is a write that failed after the outcome was settled (an
	// event of the history) or the internal error behind a KindStore
	// failure: the outcome stands and the page shows it; the caller logs
	// and counts it.
	Unrecorded error
}

// bookkeepingTimeout bounds each write that settles a flow after its
// outcome is known. Those writes run even when the invitee's browser has
// gone away, so that the outcome is recorded for the next callback.
const bookkeepingTimeout = 10 * time.Second

// Complete finishes a flow whose state the caller has checked. It verifies
// the callback, claims the flow (a flow ends at its first outcome: a
// repeated callback is told that outcome and changes nothing), exchanges
// the code at most once, and claims the link while storing the account.
// Every outcome is recorded in the link's history once.
func (c *Client) Complete(ctx context.Context, svc *access.Service, src *sources.Source, f *Flow, q url.Values, actor access.Actor) (*Completion, error) {
	link, err := svc.LinkByID(ctx, f.LinkID)
	if err != nil {
		if access.ErrorCode(err) == access.ENOTFOUND {
			return &Completion{Refused: err}, nil
		}
		return nil, err
	}
	// A flow that has an outcome (or is being settled) answers with it,
	// whatever this callback says, and nothing more is recorded.
	prev, err := svc.Callback(ctx, f.State)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		return &Completion{Taken: prev}, nil
	}
	// A mismatched issuer, shop or signature is refused without ending the
	// flow: a forged answer must not spend the invitee's sign-in.
	if err := VerifyCallback(src, f, q); err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			return nil, err
		}
		if err := svc.RecordEvent(ctx, link, actor, access.EventProviderError, failureDetail(ce)); err != nil {
			return nil, err
		}
		return &Completion{Failed: ce}, nil
	}
	// One request per flow goes on; a repeated or concurrent callback of
	// the same flow is told how the first one went.
	claim, err := svc.ClaimCallback(ctx, f.State, link.ID)
	if err != nil {
		return nil, err
	}
	if claim != nil {
		return &Completion{Taken: claim}, nil
	}

	// This request now settles the flow, even if the browser goes away.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), access.ExchangeTimeout)
	defer cancel()
	settle := &settler{svc: svc, ctx: ctx, state: f.State, link: link, actor: actor}

	if err := ProviderError(q); err != nil {
		return settle.failed(err)
	}
	// A link used, expired or deleted since Start is refused before the
	// provider is asked for tokens.
	if refused := svc.Claimable(work, link.ID); refused != nil {
		if access.ErrorCode(refused) == access.EINTERNAL {
			return settle.internal(refused)
		}
		return settle.refused(refused, true)
	}
	id, err := c.Exchange(work, src, f, q)
	if err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			return settle.internal(err)
		}
		return settle.failed(ce)
	}
	acc, err := svc.ConnectCallback(work, f.State, link.ID, actor, *id)
	switch code := access.ErrorCode(err); {
	case err == nil:
		return &Completion{Account: acc.Label()}, nil
	case errors.Is(err, access.ErrFlowSettled):
		claim, err := settle.read()
		if err != nil || claim == nil {
			return nil, errors.Join(errors.New("the settled flow's callback is gone"), err)
		}
		return &Completion{Taken: claim}, nil
	case code == access.ECONFLICT || code == access.EEXPIRED || code == access.ENOTFOUND:
		return settle.refused(err, false) // the claim_refused event is in the transaction
	case code == access.EINVALID:
		return settle.failed(&Error{Kind: KindIdentity, Code: "no_account_id", Description: access.ErrorMessage(err)})
	}
	return settle.internal(err)
}

// settler records how a claimed flow ended, each write on a context that
// outlives the request by at most bookkeepingTimeout.
type settler struct {
	svc   *access.Service
	ctx   context.Context
	state string
	link  *models.AccessLink
	actor access.Actor
}

func (s *settler) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(s.ctx), bookkeepingTimeout)
}

// settled is how settling a flow went.
type settled struct {
	claim *access.CallbackClaim // the flow's outcome
	mine  bool                  // this request settled it
	// unrecorded is the failed write of the event; the outcome stands.
	unrecorded error
}

// settle records the failure unless the flow was settled otherwise first;
// then, when this request settled it, the event (if any).
func (s *settler) settle(f access.CallbackFailure, event string, detail func(access.CallbackFailure) map[string]any) (*settled, error) {
	ctx, cancel := s.context()
	defer cancel()
	claim, mine, err := s.svc.FailCallback(ctx, s.state, f)
	if err != nil {
		return nil, err
	}
	out := &settled{claim: claim, mine: mine}
	if mine && event != "" {
		out.unrecorded = s.svc.RecordEvent(ctx, s.link, s.actor, event, detail(claim.Failure))
	}
	return out, nil
}

// failed settles the flow as failed by ce: the page shows the failure as
// stored (cleaned and capped), and the history has it once.
func (s *settler) failed(ce *Error) (*Completion, error) {
	r, err := s.settle(access.CallbackFailure{Kind: ce.Kind, Code: ce.Code, Description: ce.Description}, access.EventProviderError,
		func(f access.CallbackFailure) map[string]any {
			return failureDetail(&Error{Kind: f.Kind, Code: f.Code, Description: f.Description})
		})
	if err != nil {
		return nil, err
	}
	if !r.mine {
		return &Completion{Taken: r.claim}, nil
	}
	f := r.claim.Failure
	return &Completion{Failed: &Error{Kind: f.Kind, Code: f.Code, Description: f.Description, Missing: ce.Missing}, Unrecorded: r.unrecorded}, nil
}

// refused settles the flow as refused because the link was used, expired
// or deleted, with a claim_refused event unless the connecting transaction
// recorded one already.
func (s *settler) refused(refused error, record bool) (*Completion, error) {
	event := access.EventClaimRefused
	if !record {
		event = ""
	}
	r, err := s.settle(access.CallbackFailure{Kind: KindRefused, Code: Refusal(refused)}, event,
		func(f access.CallbackFailure) map[string]any { return map[string]any{"reason": f.Code} })
	if err != nil {
		return nil, err
	}
	if !r.mine {
		return &Completion{Taken: r.claim}, nil
	}
	return &Completion{Refused: refused, Unrecorded: r.unrecorded}, nil
}

// internal settles the flow as failed after an internal error (the
// database): nothing was connected, unless the connecting transaction did
// commit and only its answer was lost, which the flow's record tells.
func (s *settler) internal(cause error) (*Completion, error) {
	r, err := s.settle(access.CallbackFailure{Kind: KindStore, Code: "not_stored", Description: "The account could not be stored."}, "", nil)
	if err != nil {
		return nil, errors.Join(cause, err)
	}
	if !r.mine {
		if r.claim.Outcome == access.CallbackConnected {
			return &Completion{Account: r.claim.AccountLabel, Unrecorded: cause}, nil
		}
		return &Completion{Taken: r.claim, Unrecorded: cause}, nil
	}
	f := r.claim.Failure
	return &Completion{Failed: &Error{Kind: f.Kind, Code: f.Code, Description: f.Description}, Unrecorded: cause}, nil
}

func (s *settler) read() (*access.CallbackClaim, error) {
	ctx, cancel := s.context()
	defer cancel()
	return s.svc.Callback(ctx, s.state)
}

// failureDetail is the history's detail of a failed step.
func failureDetail(ce *Error) map[string]any {
	detail := map[string]any{"kind": ce.Kind, "error": ce.Code}
	if ce.Description != "" {
		detail["description"] = ce.Description
	}
	return detail
}

// Refusal names why a claim was refused, for the link's history: used,
// expired or deleted.
func Refusal(err error) string {
	switch access.ErrorCode(err) {
	case access.ECONFLICT:
		return string(access.StatusUsed)
	case access.EEXPIRED:
		return string(access.StatusExpired)
	}
	return string(access.StatusDeleted)
}

// RefusalError is the error of a refusal recorded as Refusal named it.
func RefusalError(reason string) error {
	switch reason {
	case string(access.StatusUsed):
		return access.Errorf(access.ECONFLICT, "This link has already been used: an account has already been connected through it.")
	case string(access.StatusExpired):
		return access.Errorf(access.EEXPIRED, "This link has expired.")
	}
	return access.Errorf(access.ENOTFOUND, "This link does not exist or is no longer available.")
}
