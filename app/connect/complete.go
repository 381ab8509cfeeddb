package connect

import (
	"context"
	"errors"
	"net/url"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
)

// Completion is what a callback came to, for the page the invitee sees.
// Exactly one of its fields is set.
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
	// Taken is set when another request of the same flow already reached
	// the code exchange; the code was not sent again.
	Taken *access.CallbackClaim
}

// Complete finishes a flow whose state the caller has checked: it verifies
// the callback, exchanges the code at most once, and claims the link while
// storing the account. Every outcome is recorded in the link's history.
func (c *Client) Complete(ctx context.Context, svc *access.Service, src *sources.Source, f *Flow, q url.Values, actor access.Actor) (*Completion, error) {
	link, err := svc.LinkByID(ctx, f.LinkID)
	if err != nil {
		if access.ErrorCode(err) == access.ENOTFOUND {
			return &Completion{Refused: err}, nil
		}
		return nil, err
	}
	failed := func(err error) (*Completion, error) {
		var ce *Error
		if !errors.As(err, &ce) {
			return nil, err
		}
		detail := map[string]any{"kind": ce.Kind, "error": ce.Code}
		if ce.Description != "" {
			detail["description"] = ce.Description
		}
		if err := svc.RecordEvent(ctx, link, actor, access.EventProviderError, detail); err != nil {
			return nil, err
		}
		return &Completion{Failed: ce}, nil
	}
	if err := VerifyCallback(src, f, q); err != nil {
		return failed(err)
	}
	if err := ProviderError(q); err != nil {
		return failed(err)
	}
	// One request per flow exchanges the code; a repeated or concurrent
	// callback of the same flow is told how the first one went.
	claim, err := svc.ClaimCallback(ctx, f.State, link.ID)
	if err != nil {
		return nil, err
	}
	if claim != nil {
		return &Completion{Taken: claim}, nil
	}
	// A link used, expired or deleted since Start is refused before the
	// provider is asked for tokens.
	if refused := svc.Claimable(ctx, link.ID); refused != nil {
		if access.ErrorCode(refused) == access.EINTERNAL {
			return nil, refused
		}
		if err := svc.FinishCallback(ctx, f.State, access.CallbackFailed, ""); err != nil {
			return nil, err
		}
		if err := svc.RecordEvent(ctx, link, actor, access.EventClaimRefused, map[string]any{"reason": Refusal(refused)}); err != nil {
			return nil, err
		}
		return &Completion{Refused: refused}, nil
	}
	id, err := c.Exchange(ctx, src, f, q)
	if err != nil {
		if ferr := svc.FinishCallback(ctx, f.State, access.CallbackFailed, ""); ferr != nil {
			return nil, ferr
		}
		return failed(err)
	}
	acc, err := svc.Connect(ctx, link.ID, actor, *id)
	if err != nil {
		if ferr := svc.FinishCallback(ctx, f.State, access.CallbackFailed, ""); ferr != nil {
			return nil, ferr
		}
		if code := access.ErrorCode(err); code == access.ECONFLICT || code == access.EEXPIRED || code == access.ENOTFOUND {
			return &Completion{Refused: err}, nil
		}
		return nil, err
	}
	if err := svc.FinishCallback(ctx, f.State, access.CallbackConnected, acc.Label()); err != nil {
		return nil, err
	}
	return &Completion{Account: acc.Label()}, nil
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
