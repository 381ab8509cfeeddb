package access_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// Token refresh (SECURITY 11): refreshed tokens, rotated refresh tokens
// included, are saved sealed every time, and one refresh at a time runs per
// account, on SQLite and PostgreSQL.

// clockReads counts the service's clock readings: a caller of AccessToken
// reads it once per look at the account, so the count tells a test how far
// its callers are without sleeping.
type clockReads struct {
	n    atomic.Int64
	read chan struct{}
}

// watchClock counts e's service's clock readings from now on.
func (e *domainEnv) watchClock(t *testing.T) *clockReads {
	r := &clockReads{read: make(chan struct{}, 1)}
	e.svc.SetClock(func() time.Time {
		r.n.Add(1)
		select {
		case r.read <- struct{}{}:
		default:
		}
		return e.clock.Now()
	})
	return r
}

// wait waits until the clock has been read n times; false after 30 s.
func (r *clockReads) wait(n int64) bool {
	timeout := time.After(30 * time.Second)
	for r.n.Load() < n {
		select {
		case <-r.read:
		case <-timeout:
			return false
		}
	}
	return true
}

// refreshAccount connects a Google Ads account through a new link with the
// given tokens; its access token expires at expiry (zero: never).
func (e *domainEnv) refreshAccount(external, accessToken, refreshToken string, expiry time.Time) models.ConnectedAccount {
	e.t.Helper()
	l := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	a, err := e.svc.ClaimLink(e.ctx, l.ID, access.Actor{}, access.Identity{SourceKey: "google_ads", ExternalID: external,
		Scopes: []string{"https://www.googleapis.com/auth/adwords"}, AccessToken: accessToken, RefreshToken: refreshToken, Expiry: expiry})
	if err != nil {
		e.t.Fatalf("connect: %v", err)
	}
	return e.refreshRow(a.ID)
}

func (e *domainEnv) refreshRow(id string) models.ConnectedAccount {
	e.t.Helper()
	return rowByID[models.ConnectedAccount](e, id)
}

// refreshOpen opens a sealed token of the account (field access_token or
// refresh_token), checking that it is sealed and not in clear.
func (e *domainEnv) refreshOpen(a models.ConnectedAccount, field string) string {
	e.t.Helper()
	sealed := a.AccessTokenSealed
	if field == "refresh_token" {
		sealed = a.RefreshTokenSealed
	}
	plain, err := e.svc.Keys().Open(sealed, "connected_accounts/"+a.ID+"/"+field)
	if err != nil {
		e.t.Fatalf("%s of %s does not open: %v", field, a.ID, err)
	}
	if !strings.HasPrefix(sealed, "v1.") || (plain != "" && strings.Contains(sealed, plain)) {
		e.t.Fatalf("%s is not sealed: %q", field, sealed)
	}
	return plain
}

// fakeRefresher answers like a provider and records what it was sent.
type fakeRefresher struct {
	calls atomic.Int32
	mu    sync.Mutex
	sent  []access.RefreshRequest
	// answer makes the n-th answer (from 1).
	answer func(ctx context.Context, n int, req access.RefreshRequest) (*access.Tokens, error)
}

func (f *fakeRefresher) refresh(ctx context.Context, req access.RefreshRequest) (*access.Tokens, error) {
	n := int(f.calls.Add(1))
	f.mu.Lock()
	f.sent = append(f.sent, req)
	f.mu.Unlock()
	return f.answer(ctx, n, req)
}

func (f *fakeRefresher) sentTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.sent {
		out = append(out, r.RefreshToken)
	}
	return out
}

// rotating answers at-N and rt-N for the N-th refresh, valid an hour,
// once release is closed (nil: at once).
func rotating(release <-chan struct{}) *fakeRefresher {
	return &fakeRefresher{answer: func(ctx context.Context, n int, _ access.RefreshRequest) (*access.Tokens, error) {
		if release != nil {
			<-release
		}
		return &access.Tokens{AccessToken: fmt.Sprintf("at-%d", n), RefreshToken: fmt.Sprintf("rt-%d", n), ExpiresIn: time.Hour}, nil
	}}
}

func TestAccessTokenFreshTokenIsNotRefreshed(t *testing.T) {
	e := newDomainEnv(t)
	now := e.clock.Now()
	f := rotating(nil)
	valid := e.refreshAccount("fresh", "at-0", "rt-0", now.Add(time.Hour))
	never := e.refreshAccount("no-expiry", "at-forever", "", time.Time{})
	for _, c := range []struct {
		a    models.ConnectedAccount
		want string
	}{{valid, "at-0"}, {never, "at-forever"}} {
		got, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, c.a.ID, f.refresh)
		if err != nil || got != c.want {
			t.Errorf("AccessToken = %q, %v; want %q", got, err, c.want)
		}
	}
	// Just over the margin: still no refresh.
	e.clock.Set(now.Add(time.Hour - access.RefreshBefore - time.Second))
	if got, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, valid.ID, f.refresh); err != nil || got != "at-0" {
		t.Errorf("AccessToken a minute and a second before expiry = %q, %v", got, err)
	}
	if n := f.calls.Load(); n != 0 {
		t.Fatalf("%d refreshes of tokens that do not expire within a minute", n)
	}
	if row := e.refreshRow(valid.ID); row.RefreshedAt != nil {
		t.Errorf("refreshed_at %v without a refresh", row.RefreshedAt)
	}
	t.Run("ForeignWorkspaceAndBadIDsAreNotFound", func(t *testing.T) {
		for _, c := range [][2]string{{e.f.Internal.ID, valid.ID}, {e.f.Reporting.ID, access.NewID()}, {e.f.Reporting.ID, "1"}, {"x", valid.ID}} {
			_, err := e.svc.AccessToken(e.ctx, c[0], c[1], f.refresh)
			assertCode(t, err, access.ENOTFOUND)
		}
	})
}

// TestAccessTokenShortLivedTokenRefreshedAtHalfLife: a provider that
// issues tokens living less than twice RefreshBefore (30 s here) gets one
// refresh per half life, not one per call: the calls after a refresh get
// its token until half of it has passed.
func TestAccessTokenShortLivedTokenRefreshedAtHalfLife(t *testing.T) {
	e := newDomainEnv(t)
	f := &fakeRefresher{answer: func(ctx context.Context, n int, _ access.RefreshRequest) (*access.Tokens, error) {
		return &access.Tokens{AccessToken: fmt.Sprintf("at-%d", n), RefreshToken: fmt.Sprintf("rt-%d", n), ExpiresIn: 30 * time.Second}, nil
	}}
	a := e.refreshAccount("short-lived", "at-0", "rt-0", e.clock.Now().Add(-time.Second))
	get := func() string {
		t.Helper()
		got, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for i := range 5 {
		if got := get(); got != "at-1" {
			t.Fatalf("call %d: %q, want at-1 (one refresh)", i, got)
		}
		e.clock.Advance(3 * time.Second) // 12 s in all: before half of the 30
	}
	e.clock.Advance(4 * time.Second) // 16 s after the refresh
	if got := get(); got != "at-2" || f.calls.Load() != 2 {
		t.Fatalf("past half its life: %q after %d refreshes, want at-2 after 2", got, f.calls.Load())
	}
	if sent := f.sentTokens(); strings.Join(sent, ",") != "rt-0,rt-1" {
		t.Errorf("refresh tokens sent: %v, want each once", sent)
	}
}

func TestAccessTokenConcurrentCallsRefreshOnce(t *testing.T) {
	e := newDomainEnv(t)
	now := e.clock.Now()
	a := e.refreshAccount("busy", "at-0", "rt-0", now.Add(30*time.Second)) // within the minute
	// The refresh is held until the other callers have polled the
	// account, waiting for it, a few times each on average.
	const n = 10
	release := make(chan struct{})
	f := rotating(release)
	reads := e.watchClock(t)
	go func() {
		defer close(release)
		if !reads.wait(3 * n) {
			t.Error("the callers never waited for the refresh")
		}
	}()
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errs[i] = e.svc.AccessToken(context.Background(), e.f.Reporting.ID, a.ID, f.refresh)
		}()
	}
	close(start)
	wg.Wait()

	if c := f.calls.Load(); c != 1 {
		t.Fatalf("%d refreshes for %d concurrent calls, want exactly 1", c, n)
	}
	for i := range n {
		if errs[i] != nil || got[i] != "at-1" {
			t.Errorf("call %d: %q, %v; want the new token at-1", i, got[i], errs[i])
		}
	}
	if sent := f.sentTokens(); len(sent) != 1 || sent[0] != "rt-0" {
		t.Errorf("refresh tokens sent %v, want [rt-0]", sent)
	}
	if req := f.sent[0]; req.AccountID != a.ID || req.SourceKey != "google_ads" || req.Extra != "{}" {
		t.Errorf("refresh request %+v", req)
	}

	t.Run("RotatedRefreshTokenSavedSealed", func(t *testing.T) {
		row := e.refreshRow(a.ID)
		if got := e.refreshOpen(row, "access_token"); got != "at-1" {
			t.Errorf("stored access token %q, want at-1", got)
		}
		if got := e.refreshOpen(row, "refresh_token"); got != "rt-1" {
			t.Errorf("stored refresh token %q, want the rotated rt-1", got)
		}
		if row.RefreshTokenSealed == a.RefreshTokenSealed {
			t.Error("refresh_token_sealed unchanged")
		}
		if want := now.Add(time.Hour); row.TokenExpiresAt == nil || !row.TokenExpiresAt.Equal(want) {
			t.Errorf("token_expires_at %v, want %v (the service's clock plus expires_in)", row.TokenExpiresAt, want)
		}
		if row.RefreshLeaseUntil != nil || row.Status != access.AccountConnected {
			t.Errorf("lease %v, status %q; want no lease, connected", row.RefreshLeaseUntil, row.Status)
		}
		if a.RefreshedAt != nil || row.RefreshedAt == nil || !row.RefreshedAt.Equal(now) {
			t.Errorf("refreshed_at %v before, %v after; want none, then %v (the account page's last refresh)", a.RefreshedAt, row.RefreshedAt, now)
		}
	})

	t.Run("NextRefreshSendsTheRotatedToken", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh)
		if err != nil || tok != "at-2" {
			t.Fatalf("AccessToken = %q, %v; want at-2", tok, err)
		}
		if sent := f.sentTokens(); len(sent) != 2 || sent[1] != "rt-1" {
			t.Errorf("refresh tokens sent %v, want [rt-0 rt-1]", sent)
		}
		if got := e.refreshOpen(e.refreshRow(a.ID), "refresh_token"); got != "rt-2" {
			t.Errorf("stored refresh token %q, want rt-2", got)
		}
	})
}

// A caller that read the expiring row just before another caller's whole
// refresh, and takes the lease just after it, must not send the rotated-out refresh
// token it read: that would revoke the grant.
func TestAccessTokenStaleReaderDoesNotResendTheRefreshToken(t *testing.T) {
	e := newDomainEnv(t)
	a := e.refreshAccount("stale", "at-0", "rt-0", e.clock.Now().Add(5*time.Second))
	f := rotating(nil)
	// The service reads its clock right after reading the row: the first
	// reading after arming runs another caller's refresh to its end there.
	var armed atomic.Bool
	var inner struct {
		tok string
		err error
	}
	e.svc.SetClock(func() time.Time {
		if armed.CompareAndSwap(true, false) {
			inner.tok, inner.err = e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh)
		}
		return e.clock.Now()
	})
	armed.Store(true)
	tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh)
	if inner.err != nil || inner.tok != "at-1" {
		t.Fatalf("the other caller got %q, %v; want at-1", inner.tok, inner.err)
	}
	if err != nil || tok != "at-1" {
		t.Fatalf("AccessToken = %q, %v; want the other caller's at-1", tok, err)
	}
	if sent := f.sentTokens(); len(sent) != 1 {
		t.Fatalf("refresh tokens sent %v, want rt-0 once", sent)
	}
	if row := e.refreshRow(a.ID); e.refreshOpen(row, "refresh_token") != "rt-1" || row.RefreshLeaseUntil != nil {
		t.Fatalf("stored refresh token %q, lease %v", e.refreshOpen(row, "refresh_token"), row.RefreshLeaseUntil)
	}
}

func TestAccessTokenNonRotatingProviderKeepsTheRefreshToken(t *testing.T) {
	e := newDomainEnv(t)
	a := e.refreshAccount("steady", "at-0", "rt-keep", e.clock.Now().Add(-time.Minute)) // already expired
	f := &fakeRefresher{answer: func(_ context.Context, n int, _ access.RefreshRequest) (*access.Tokens, error) {
		return &access.Tokens{AccessToken: fmt.Sprintf("at-%d", n), ExpiresIn: 30 * time.Minute}, nil
	}}
	for i := 1; i <= 2; i++ {
		tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh)
		if want := fmt.Sprintf("at-%d", i); err != nil || tok != want {
			t.Fatalf("refresh %d: %q, %v; want %s", i, tok, err, want)
		}
		row := e.refreshRow(a.ID)
		if got := e.refreshOpen(row, "refresh_token"); got != "rt-keep" {
			t.Fatalf("refresh %d: stored refresh token %q, want the old rt-keep", i, got)
		}
		if got := e.refreshOpen(row, "access_token"); got != tok {
			t.Fatalf("refresh %d: stored access token %q, want %q", i, got, tok)
		}
		e.clock.Advance(30 * time.Minute)
	}
	if sent := f.sentTokens(); len(sent) != 2 || sent[0] != "rt-keep" || sent[1] != "rt-keep" {
		t.Errorf("refresh tokens sent %v, want rt-keep twice", sent)
	}
}

func TestAccessTokenInvalidGrantMarksTheAccount(t *testing.T) {
	e := newDomainEnv(t)
	a := e.refreshAccount("revoked", "at-0", "rt-0", e.clock.Now().Add(10*time.Second))
	f := &fakeRefresher{answer: func(context.Context, int, access.RefreshRequest) (*access.Tokens, error) {
		return nil, fmt.Errorf("token: invalid_grant: %w", access.ErrInvalidGrant)
	}}
	_, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh)
	if !errors.Is(err, access.ErrReauthorizationRequired) {
		t.Fatalf("AccessToken = %v, want ErrReauthorizationRequired", err)
	}
	assertCode(t, err, access.ECONFLICT)
	row := e.refreshRow(a.ID)
	if row.Status != access.AccountReauthorizationRequired || row.RefreshLeaseUntil != nil {
		t.Errorf("status %q, lease %v; want reauthorization_required, no lease", row.Status, row.RefreshLeaseUntil)
	}
	if !row.UpdatedAt.Equal(e.clock.Now()) {
		t.Errorf("updated_at %v, want the service's clock %v", row.UpdatedAt, e.clock.Now())
	}
	// The connected accounts page reads the status.
	accs, err := e.svc.Accounts(e.ctx, e.f.Reporting.ID)
	if err != nil || len(accs) != 1 || accs[0].Status != access.AccountReauthorizationRequired {
		t.Fatalf("Accounts = %+v, %v; want the status", accs, err)
	}
	// No second attempt with the refused token.
	if _, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh); !errors.Is(err, access.ErrReauthorizationRequired) {
		t.Fatalf("second AccessToken = %v", err)
	}
	if c := f.calls.Load(); c != 1 {
		t.Errorf("%d refreshes, want 1", c)
	}

	t.Run("ReconnectingRestoresIt", func(t *testing.T) {
		again := e.refreshAccount("revoked", "at-new", "rt-new", e.clock.Now().Add(time.Hour))
		if again.ID != a.ID || again.Status != access.AccountConnected {
			t.Fatalf("reconnected account %s status %q", again.ID, again.Status)
		}
		if tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh); err != nil || tok != "at-new" {
			t.Fatalf("AccessToken after reconnecting = %q, %v", tok, err)
		}
	})
}

func TestAccessTokenExpiredWithoutRefreshToken(t *testing.T) {
	e := newDomainEnv(t)
	a := e.refreshAccount("short", "at-0", "", e.clock.Now().Add(30*time.Second))
	f := rotating(nil)
	// Within the minute but not expired: the token still serves.
	if tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh); err != nil || tok != "at-0" {
		t.Fatalf("AccessToken = %q, %v; want at-0", tok, err)
	}
	e.clock.Advance(31 * time.Second)
	if _, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh); !errors.Is(err, access.ErrReauthorizationRequired) {
		t.Fatalf("AccessToken after expiry = %v, want ErrReauthorizationRequired", err)
	}
	if row := e.refreshRow(a.ID); row.Status != access.AccountReauthorizationRequired {
		t.Errorf("status %q", row.Status)
	}
	if c := f.calls.Load(); c != 0 {
		t.Errorf("%d refreshes without a refresh token", c)
	}
}

func TestAccessTokenCrashedLeaseExpires(t *testing.T) {
	e := newDomainEnv(t)
	now := e.clock.Now()
	a := e.refreshAccount("crashed", "at-0", "rt-0", now.Add(20*time.Second))
	// A process took the refresh lease and died before saving anything.
	if err := e.svc.DB().Exec("UPDATE connected_accounts SET refresh_lease_until = ? WHERE id = ?", now.Add(2*time.Minute), a.ID).Error; err != nil {
		t.Fatal(err)
	}
	f := rotating(nil)

	t.Run("WhileTheLeaseLastsCallersWaitHonouringTheirContext", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(e.ctx, 300*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := e.svc.AccessToken(ctx, e.f.Reporting.ID, a.ID, f.refresh)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 5*time.Second {
			t.Fatalf("AccessToken = %v after %v, want the context's deadline", err, time.Since(began))
		}
		if c := f.calls.Load(); c != 0 {
			t.Fatalf("%d refreshes under another process's lease", c)
		}
	})

	t.Run("OnceItEndsTheNextCallRefreshes", func(t *testing.T) {
		e.clock.Advance(2*time.Minute + time.Second)
		tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh)
		if err != nil || tok != "at-1" {
			t.Fatalf("AccessToken = %q, %v; want at-1", tok, err)
		}
		row := e.refreshRow(a.ID)
		if row.RefreshLeaseUntil != nil || e.refreshOpen(row, "refresh_token") != "rt-1" {
			t.Errorf("lease %v after the refresh; want none and rt-1 stored", row.RefreshLeaseUntil)
		}
	})

	t.Run("AWaitingCallerTakesOverWhenTheLeaseEnds", func(t *testing.T) {
		now := e.clock.Now()
		e.clock.Advance(time.Hour) // at-1 expires
		if err := e.svc.DB().Exec("UPDATE connected_accounts SET refresh_lease_until = ? WHERE id = ?", e.clock.Now().Add(time.Minute), a.ID).Error; err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		reads := e.watchClock(t)
		go func() {
			tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh)
			if err == nil && tok != "at-2" {
				err = fmt.Errorf("token %q, want at-2", tok)
			}
			done <- err
		}()
		if !reads.wait(3) { // it has found the lease and polled twice
			t.Fatal("the caller never read the account")
		}
		if c := f.calls.Load(); c != 1 {
			t.Fatalf("%d refreshes while the lease lasts, want still 1", c)
		}
		e.clock.Set(now.Add(time.Hour + 2*time.Minute))
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the waiting caller did not take over the expired lease")
		}
	})
}

func TestAccessTokenFailedRefresh(t *testing.T) {
	e := newDomainEnv(t)
	a := e.refreshAccount("flaky", "at-0", "rt-0", e.clock.Now().Add(-time.Second))
	fail := true
	// The failing refresh is held until the burst's other callers wait
	// for it.
	release := make(chan struct{})
	f := &fakeRefresher{answer: func(_ context.Context, n int, _ access.RefreshRequest) (*access.Tokens, error) {
		<-release
		if fail {
			return nil, errors.New("token: http_500")
		}
		return &access.Tokens{AccessToken: fmt.Sprintf("at-%d", n), ExpiresIn: time.Hour}, nil
	}}

	t.Run("EveryCallerOfTheBurstGetsTheFailureAndTheTokenIsSentOnce", func(t *testing.T) {
		const n = 5
		reads := e.watchClock(t)
		go func() {
			defer close(release)
			if !reads.wait(3 * n) {
				t.Error("the burst never waited for the refresh")
			}
		}()
		errs := make([]error, n)
		testutil.Concurrently(n, func(i int) {
			_, errs[i] = e.svc.AccessToken(context.Background(), e.f.Reporting.ID, a.ID, f.refresh)
		})
		if c := f.calls.Load(); c != 1 {
			t.Fatalf("%d refreshes, want 1", c)
		}
		for i, err := range errs {
			if !errors.Is(err, access.ErrRefreshFailed) {
				t.Errorf("call %d: %v, want ErrRefreshFailed", i, err)
			}
		}
		row := e.refreshRow(a.ID)
		if row.Status != access.AccountConnected || row.RefreshLeaseUntil != nil || row.AccessTokenSealed != a.AccessTokenSealed {
			t.Errorf("after a failed refresh: status %q, lease %v, access token changed %v", row.Status, row.RefreshLeaseUntil, row.AccessTokenSealed != a.AccessTokenSealed)
		}
	})

	t.Run("ALaterCallTriesAgain", func(t *testing.T) {
		fail = false
		tok, err := e.svc.AccessToken(e.ctx, e.f.Reporting.ID, a.ID, f.refresh)
		if err != nil || tok != "at-2" {
			t.Fatalf("AccessToken = %q, %v; want at-2", tok, err)
		}
	})
}

func TestAccessTokenSavedEvenIfTheCallerGivesUp(t *testing.T) {
	e := newDomainEnv(t)
	a := e.refreshAccount("impatient", "at-0", "rt-0", e.clock.Now())
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	f := &fakeRefresher{answer: func(rctx context.Context, _ int, _ access.RefreshRequest) (*access.Tokens, error) {
		cancel() // the caller hangs up while the provider answers
		if rctx.Err() != nil {
			return nil, rctx.Err()
		}
		if _, ok := rctx.Deadline(); !ok {
			return nil, errors.New("the refresh has no deadline")
		}
		return &access.Tokens{AccessToken: "at-1", RefreshToken: "rt-1", ExpiresIn: time.Hour}, nil
	}}
	if _, err := e.svc.AccessToken(ctx, e.f.Reporting.ID, a.ID, f.refresh); err != nil {
		t.Fatalf("AccessToken = %v", err)
	}
	row := e.refreshRow(a.ID)
	if e.refreshOpen(row, "access_token") != "at-1" || e.refreshOpen(row, "refresh_token") != "rt-1" || row.RefreshLeaseUntil != nil {
		t.Fatal("the provider's answer was not saved after the caller gave up")
	}
}
