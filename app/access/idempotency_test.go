package access_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestIdempotency: an Idempotency-Key is claimed by one request, its answer
// replayed to a repeat, refused for another request or while the first
// runs, forgotten after 24 hours or when the first failed, and scoped to
// its API key.
func TestIdempotency(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	k, _ := e.createKey(e.f.Admin, e.f.Reporting, "crm")
	other, _ := e.createKey(e.f.OtherAdmin, e.f.Internal, "other")
	answer := access.StoredResponse{Status: 201, Header: map[string]string{"Content-Type": "application/json"},
		Body: []byte(`{"url":"https://app.example/connect/secret-token-value"}`)}

	t.Run("FirstRequestRunsThenReplayed", func(t *testing.T) {
		if got, err := e.svc.BeginIdempotent(e.ctx, k.ID, "k1", "h1"); got != nil || err != nil {
			t.Fatalf("first Begin = %v, %v; want to run", got, err)
		}
		if err := e.svc.FinishIdempotent(e.ctx, k.ID, "k1", answer); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.BeginIdempotent(e.ctx, k.ID, "k1", "h1")
		if err != nil || got == nil || got.Status != 201 || string(got.Body) != string(answer.Body) || got.Header["Content-Type"] != "application/json" {
			t.Fatalf("repeat = %+v, %v; want the first answer", got, err)
		}
	})
	t.Run("AnswerSealed", func(t *testing.T) {
		var sealed string
		if err := e.svc.DB().Raw("SELECT response_sealed FROM api_idempotency WHERE idem_key = 'k1'").Scan(&sealed).Error; err != nil {
			t.Fatal(err)
		}
		if sealed == "" || strings.Contains(sealed, "secret-token-value") || !strings.HasPrefix(sealed, "v1.") {
			t.Errorf("response_sealed = %.60q, want sealed", sealed)
		}
	})
	t.Run("ErrIdempotencyMismatch", func(t *testing.T) {
		_, err := e.svc.BeginIdempotent(e.ctx, k.ID, "k1", "h2")
		if de := asError(err); de == nil || de.Code != access.EINVALID || de.Reason != access.ReasonIdempotencyMismatch {
			t.Fatalf("other body: %v, want invalid %s", err, access.ReasonIdempotencyMismatch)
		}
	})
	t.Run("ErrInProgress", func(t *testing.T) {
		if got, err := e.svc.BeginIdempotent(e.ctx, k.ID, "k2", "h1"); got != nil || err != nil {
			t.Fatal(got, err)
		}
		_, err := e.svc.BeginIdempotent(e.ctx, k.ID, "k2", "h1")
		if de := asError(err); de == nil || de.Code != access.ECONFLICT || de.Reason != access.ReasonIdempotencyInProgress {
			t.Fatalf("while running: %v, want conflict %s", err, access.ReasonIdempotencyInProgress)
		}
	})
	t.Run("ConcurrentDuplicatesOneRuns", func(t *testing.T) {
		var ran, conflicts atomic.Int32
		testutil.Concurrently(10, func(int) {
			got, err := e.svc.BeginIdempotent(e.ctx, k.ID, "k3", "h1")
			switch {
			case got == nil && err == nil:
				ran.Add(1)
			case access.ErrorCode(err) == access.ECONFLICT:
				conflicts.Add(1)
			default:
				t.Errorf("Begin = %v, %v", got, err)
			}
		})
		if ran.Load() != 1 || conflicts.Load() != 9 {
			t.Fatalf("%d ran, %d conflicts; want 1 and 9", ran.Load(), conflicts.Load())
		}
	})
	t.Run("AbandonedRunsAgain", func(t *testing.T) {
		if err := e.svc.AbandonIdempotent(e.ctx, k.ID, "k2"); err != nil {
			t.Fatal(err)
		}
		if got, err := e.svc.BeginIdempotent(e.ctx, k.ID, "k2", "h1"); got != nil || err != nil {
			t.Fatalf("after abandon: %v, %v; want to run", got, err)
		}
	})
	t.Run("ScopedToTheAPIKey", func(t *testing.T) {
		if got, err := e.svc.BeginIdempotent(e.ctx, other.ID, "k1", "h9"); got != nil || err != nil {
			t.Fatalf("another key's k1: %v, %v; want to run", got, err)
		}
	})
	t.Run("ForgottenAfter24Hours", func(t *testing.T) {
		e.clock.Advance(access.IdempotencyWindow - time.Second)
		if got, _ := e.svc.BeginIdempotent(e.ctx, k.ID, "k1", "h1"); got == nil {
			t.Fatal("k1 forgotten before 24 hours")
		}
		e.clock.Advance(time.Second)
		if got, err := e.svc.BeginIdempotent(e.ctx, k.ID, "k1", "h2"); got != nil || err != nil {
			t.Fatalf("after 24 hours: %v, %v; want to run", got, err)
		}
	})
	t.Run("ErrInvalidKey", func(t *testing.T) {
		for _, key := range []string{strings.Repeat("x", access.MaxIdempotencyKey+1), "a\x00b", " padded"} {
			if _, err := e.svc.BeginIdempotent(e.ctx, k.ID, key, "h1"); access.ErrorCode(err) != access.EINVALID {
				t.Errorf("key %q: %v, want invalid", key, err)
			}
		}
	})
}

// asError is err's domain error, or nil.
func asError(err error) *access.Error {
	var de *access.Error
	if errors.As(err, &de) {
		return de
	}
	return nil
}
