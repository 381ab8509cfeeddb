package access_test

import (
	"context"
	"errors"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/secret"
)

// fakeExchange is one provider callback as the OAuth client would report
// it; it counts the exchanges.
type fakeExchange struct {
	flow      access.FlowRef
	flowErr   error
	verifyErr error
	denied    error
	id        *access.Identity
	exErr     error
	exchanges int
}

func (f *fakeExchange) Flow() (access.FlowRef, error) { return f.flow, f.flowErr }
func (f *fakeExchange) Verify() error                 { return f.verifyErr }
func (f *fakeExchange) ProviderError() error          { return f.denied }
func (f *fakeExchange) Exchange(context.Context) (*access.Identity, error) {
	f.exchanges++
	return f.id, f.exErr
}

// completeFlow completes the flow of ex from a fixed address, failing t on
// an error that is not an outcome.
func (e *domainEnv) completeFlow(t *testing.T, ex *fakeExchange) *access.FlowOutcome {
	t.Helper()
	out, err := e.svc.CompleteFlow(e.ctx, ex, access.Actor{IP: "198.51.100.7"})
	if err != nil {
		t.Fatalf("CompleteFlow: %v", err)
	}
	return out
}

// TestCompleteFlow: the callback's whole sequence is one domain call, and
// each way it can end is one typed outcome; a repeated callback gets the
// first outcome without a second exchange or event.
func TestCompleteFlow(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	flow := func() access.FlowRef {
		return access.FlowRef{LinkID: e.generate(e.f.Admin, e.f.Reporting, "google_ads").ID, State: secret.RandomToken(32)}
	}
	failure := func(code, reason, message string) error {
		return &access.Error{Code: code, Reason: reason, Message: message}
	}

	t.Run("Connected", func(t *testing.T) {
		id := identity("flow-ok")
		ex := &fakeExchange{flow: flow(), id: &id}
		if out := e.completeFlow(t, ex); out.Kind != access.FlowConnected || out.Account != "Account flow-ok" {
			t.Fatalf("outcome %+v, want connected as Account flow-ok", out)
		}
		again := e.completeFlow(t, ex)
		if again.Kind != access.FlowConnected || again.Account != "Account flow-ok" || ex.exchanges != 1 {
			t.Fatalf("repeated outcome %+v after %d exchanges, want the first one and 1 exchange", again, ex.exchanges)
		}
	})
	t.Run("ErrFlowState", func(t *testing.T) {
		ex := &fakeExchange{flowErr: failure(access.EFLOWSTATE, "state_mismatch", "This sign-in does not match.")}
		out := e.completeFlow(t, ex)
		if out.Kind != access.FlowFailed || out.Err.Code != access.EFLOWSTATE || out.Err.Reason != "state_mismatch" || ex.exchanges != 0 {
			t.Fatalf("outcome %+v (%+v), want a state failure before any exchange", out, out.Err)
		}
	})
	t.Run("ErrProviderDenied", func(t *testing.T) {
		f := flow()
		ex := &fakeExchange{flow: f, denied: failure(access.EPROVIDER, "access_denied", "The user said no.\x00")}
		out := e.completeFlow(t, ex)
		if out.Kind != access.FlowFailed || out.Err.Code != access.EPROVIDER || out.Err.Reason != "access_denied" ||
			out.Err.Message != "The user said no." || ex.exchanges != 0 {
			t.Fatalf("outcome %+v (%+v), want access_denied as stored (cleaned), no exchange", out, out.Err)
		}
		failures := func() int {
			n := 0
			for _, ev := range e.events(f.LinkID) {
				if ev.Type == access.EventProviderError {
					n++
				}
			}
			return n
		}
		if n := failures(); n != 1 {
			t.Errorf("%d %s events, want 1", n, access.EventProviderError)
		}
		if again := e.completeFlow(t, ex); again.Kind != access.FlowFailed || again.Err.Reason != "access_denied" || failures() != 1 {
			t.Errorf("repeated: %+v, %d failure events; want the same failure and no new event", again, failures())
		}
	})
	t.Run("ErrLinkUsed", func(t *testing.T) {
		f := flow()
		e.setUsed(f.LinkID, e.clock.Now())
		ex := &fakeExchange{flow: f}
		out := e.completeFlow(t, ex)
		if out.Kind != access.FlowRefused || out.LinkStatus != access.StatusUsed || out.Err.Code != access.ECONFLICT || out.Link == nil || ex.exchanges != 0 {
			t.Fatalf("outcome %+v, want refused as used with the link, before any exchange", out)
		}
	})
	t.Run("ErrLinkGone", func(t *testing.T) {
		out := e.completeFlow(t, &fakeExchange{flow: access.FlowRef{LinkID: access.NewID(), State: secret.RandomToken(32)}})
		if out.Kind != access.FlowRefused || out.LinkStatus != access.StatusDeleted || out.Link != nil {
			t.Fatalf("outcome %+v, want refused as deleted, without a link", out)
		}
	})
	t.Run("ErrNotStored", func(t *testing.T) {
		crash := errors.New("the exchange broke")
		out := e.completeFlow(t, &fakeExchange{flow: flow(), exErr: crash})
		if out.Kind != access.FlowFailed || out.Err.Code != access.ENOTSTORED || !errors.Is(out.Unrecorded, crash) {
			t.Fatalf("outcome %+v, want not stored with the cause to log", out)
		}
	})
}
