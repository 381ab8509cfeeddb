package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/models"
)

// Statuses of a connected account.
const (
	AccountConnected = "connected"
	// AccountReauthorizationRequired: the provider refused the account's
	// refresh token (revoked, expired, or the grant was withdrawn), or the
	// access token expired with nothing to refresh it with. Only the
	// account's owner can fix it, by connecting it again through a new link.
	AccountReauthorizationRequired = "reauthorization_required"
)

// Timing of token refreshes (SECURITY 11).
const (
	// RefreshBefore: an access token that expires within this much time is
	// refreshed before it is handed out.
	RefreshBefore = time.Minute
	// refreshLease is how long a leased refresh keeps other processes
	// waiting; a lease left by a crashed process ends by itself. It is well
	// beyond refreshTimeout, so a live refresh never outlasts its lease.
	refreshLease = 2 * time.Minute
	// refreshTimeout bounds the call to the provider.
	refreshTimeout = 30 * time.Second
	// refreshWait bounds how long a caller waits for another's refresh.
	refreshWait = 45 * time.Second
	// Waiting callers poll the account from pollFirst, doubling up to
	// pollMax.
	pollFirst = 10 * time.Millisecond
	pollMax   = 200 * time.Millisecond
)

var (
	// ErrInvalidGrant is what a Refresher's error must match (errors.Is)
	// when the provider answers invalid_grant: the refresh token is no
	// longer valid, and the account needs to be authorized again.
	ErrInvalidGrant = errors.New("invalid_grant")

	// ErrReauthorizationRequired is AccessToken's answer for an account whose
	// authorization is gone; its status says so.
	ErrReauthorizationRequired = &Error{Code: ECONFLICT,
		Message: "The account's authorization has expired or was revoked. Send its owner a new access link to connect it again."}

	// ErrRefreshFailed reports a refresh that failed for now (the provider
	// failed, timed out, or another process's refresh did not finish in
	// time): a later call tries again.
	ErrRefreshFailed = errors.New("access: the account's tokens could not be refreshed; try again later")
)

// RefreshRequest is what a Refresher needs to ask the account's provider
// for new tokens.
type RefreshRequest struct {
	AccountID string
	SourceKey string
	// Extra is the account's provider details (JSON), e.g. Shopify's shop.
	Extra        string
	RefreshToken string
}

// Tokens is a provider's answer to a refresh.
type Tokens struct {
	AccessToken string
	// RefreshToken is the new refresh token when the provider rotates it;
	// empty when it sent none, and the old one stays.
	RefreshToken string
	// ExpiresIn is the access token's lifetime from now; zero when the
	// provider does not say.
	ExpiresIn time.Duration
}

// Refresher asks the provider for new tokens. It sends the refresh token at
// most once per call and never retries on its own: a rotated refresh token
// sent twice revokes the whole grant at providers that detect reuse. Its
// error matches ErrInvalidGrant when the provider refused the token.
type Refresher func(ctx context.Context, req RefreshRequest) (*Tokens, error)

// AccessToken returns a usable access token of a connected account of the
// workspace, refreshed with refresh when it expires within RefreshBefore.
//
// One refresh at a time per account, across every process: a caller takes
// the refresh lease with one conditional update of refresh_lease_until, and no
// transaction stays open while the provider answers. The winner saves the
// new tokens (sealed), the rotated refresh token when there is one, and the
// expiry, whatever happens to its caller meanwhile; the others wait for it
// (at most refreshWait, honouring ctx) and read the new token. When the
// provider answers invalid_grant the account's status becomes
// reauthorization_required, and the answer is ErrReauthorizationRequired.
func (s *Service) AccessToken(ctx context.Context, workspaceID, accountID string, refresh Refresher) (string, error) {
	if !ValidID(workspaceID) || !ValidID(accountID) {
		return "", accountNotFound()
	}
	deadline := time.Now().Add(refreshWait)
	delay := pollFirst
	// waitingFor is the sealed access token seen when another caller held
	// the refresh; "" while this caller has not waited.
	waitingFor := ""
	for {
		a, err := s.refreshAccount(ctx, workspaceID, accountID)
		if err != nil {
			return "", err
		}
		now := s.now()
		if a.Status == AccountReauthorizationRequired {
			return "", ErrReauthorizationRequired
		}
		changed := waitingFor != "" && a.AccessTokenSealed != waitingFor
		if !needsRefresh(a, now) || (changed && usable(a, now)) {
			return s.openAccessToken(a)
		}
		if changed {
			waitingFor = a.AccessTokenSealed
		} else if waitingFor != "" && a.RefreshLeaseUntil == nil {
			// The refresh waited for ended without new tokens: it failed,
			// and the same refresh token is not sent again in this burst.
			return "", ErrRefreshFailed
		}
		if a.RefreshLeaseUntil == nil || a.RefreshLeaseUntil.Before(now) {
			rt, err := s.openRefreshToken(a)
			if err != nil {
				return "", err
			}
			if rt == "" {
				return s.withoutRefresh(ctx, a, now)
			}
			token, won, err := s.leaseAndRefresh(ctx, a, now, refresh)
			if won || err != nil {
				return token, err
			}
		}
		if waitingFor == "" {
			waitingFor = a.AccessTokenSealed
		}
		if time.Now().After(deadline) {
			if usable(a, now) {
				return s.openAccessToken(a)
			}
			return "", fmt.Errorf("%w: another refresh of the account did not finish in time", ErrRefreshFailed)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, pollMax)
	}
}

// leaseAndRefresh takes the account's refresh lease and, if it wins,
// refreshes. won is false when another caller holds the lease.
func (s *Service) leaseAndRefresh(ctx context.Context, a *models.ConnectedAccount, now time.Time, refresh Refresher) (token string, won bool, err error) {
	lease := now.Add(refreshLease)
	res := s.db.WithContext(ctx).Model(&models.ConnectedAccount{}).
		Where("id = ? AND workspace_id = ? AND (refresh_lease_until IS NULL OR refresh_lease_until < ?)", a.ID, a.WorkspaceID, now).
		UpdateColumn("refresh_lease_until", lease)
	if res.Error != nil {
		return "", false, res.Error
	}
	if res.RowsAffected == 0 {
		return "", false, nil
	}

	// The lease is ours. Once the refresh token is sent, the answer is saved
	// even if the caller gives up: the provider may have rotated it.
	bg := context.WithoutCancel(ctx)
	db := s.db.WithContext(bg)
	// Clears the lease if it is still ours.
	ownLease := gorm.Expr("CASE WHEN refresh_lease_until = ? THEN NULL ELSE refresh_lease_until END", lease)
	release := func() {
		db.Model(&models.ConnectedAccount{}).Where("id = ?", a.ID).UpdateColumn("refresh_lease_until", ownLease)
	}

	// Read the row again: a refresh may have finished between the caller's
	// read and the lease, and its refresh token is the one to send.
	cur, err := s.refreshAccount(bg, a.WorkspaceID, a.ID)
	if err != nil {
		release()
		return "", true, err
	}
	switch {
	case cur.Status == AccountReauthorizationRequired:
		release()
		return "", true, ErrReauthorizationRequired
	case !needsRefresh(cur, now) || (cur.AccessTokenSealed != a.AccessTokenSealed && usable(cur, now)):
		// Fresh, or refreshed by another caller since this one read it: a
		// second refresh would only spend the new refresh token.
		release()
		token, err := s.openAccessToken(cur)
		return token, true, err
	case ctx.Err() != nil:
		release()
		return "", true, ctx.Err()
	}
	rt, err := s.openRefreshToken(cur)
	if err != nil || rt == "" {
		release()
		if err != nil {
			return "", true, err
		}
		token, err := s.withoutRefresh(bg, cur, now)
		return token, true, err
	}

	if refresh == nil {
		release()
		return "", true, fmt.Errorf("%w: no refresher for account %s", ErrRefreshFailed, cur.ID)
	}
	rctx, cancel := context.WithTimeout(bg, refreshTimeout)
	tok, rerr := refresh(rctx, RefreshRequest{AccountID: cur.ID, SourceKey: cur.SourceKey, Extra: cur.Extra, RefreshToken: rt})
	cancel()
	done := s.now()
	if rerr == nil && (tok == nil || tok.AccessToken == "") {
		rerr = errors.New("the provider answered without an access token")
	}
	if rerr != nil {
		if errors.Is(rerr, ErrInvalidGrant) {
			// Only if the row still holds the refresh token that was refused
			// (not reconnected meanwhile).
			changed, err := s.markAccount(db, cur.ID, HookAccountNeedsReconnect,
				map[string]any{"status": AccountReauthorizationRequired, "updated_at": done, "refresh_lease_until": ownLease},
				"refresh_token_sealed = ?", cur.RefreshTokenSealed)
			if err == nil && changed {
				return "", true, ErrReauthorizationRequired
			}
		}
		release()
		return "", true, fmt.Errorf("%w: %w", ErrRefreshFailed, rerr)
	}

	cols := map[string]any{"refresh_lease_until": ownLease, "token_expires_at": nil, "refreshed_at": done}
	if tok.ExpiresIn > 0 {
		cols["token_expires_at"] = done.Add(tok.ExpiresIn)
	}
	if cols["access_token_sealed"], err = s.keys.Seal(tok.AccessToken, accountAD(cur.ID, "access_token")); err != nil {
		release()
		return "", true, err
	}
	if tok.RefreshToken != "" && tok.RefreshToken != rt {
		if cols["refresh_token_sealed"], err = s.keys.Seal(tok.RefreshToken, accountAD(cur.ID, "refresh_token")); err != nil {
			release()
			return "", true, err
		}
	}
	// Saved whatever the row holds now: at providers that rotate, these may
	// be the only tokens still valid.
	if err := db.Model(&models.ConnectedAccount{}).Where("id = ?", cur.ID).UpdateColumns(cols).Error; err != nil {
		release()
		return "", true, err
	}
	return tok.AccessToken, true, nil
}

// withoutRefresh answers for an account that needs a refresh but has no
// refresh token: its access token while it lasts; once expired, the account
// needs to be authorized again.
func (s *Service) withoutRefresh(ctx context.Context, a *models.ConnectedAccount, now time.Time) (string, error) {
	if usable(a, now) {
		return s.openAccessToken(a)
	}
	_, err := s.markAccount(s.db.WithContext(ctx), a.ID, HookAccountNeedsReconnect,
		map[string]any{"status": AccountReauthorizationRequired, "updated_at": now},
		"access_token_sealed = ?", a.AccessTokenSealed)
	if err != nil {
		return "", err
	}
	return "", ErrReauthorizationRequired
}

func accountNotFound() error {
	return &Error{Code: ENOTFOUND, Reason: ReasonAccountNotFound, Message: "Account not found."}
}

// refreshAccount reads an account of the workspace, tokens included.
func (s *Service) refreshAccount(ctx context.Context, workspaceID, accountID string) (*models.ConnectedAccount, error) {
	var a models.ConnectedAccount
	if err := takeOne(s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", accountID, workspaceID), &a, accountNotFound()); err != nil {
		return nil, err
	}
	return &a, nil
}

// needsRefresh reports whether the access token expires within
// RefreshBefore, or, for a token a refresh gave a shorter life than twice
// that, within half of its life: otherwise every call after the refresh
// of a short-lived token would refresh it again, spending a refresh token
// each time. A token without an expiry never does.
func needsRefresh(a *models.ConnectedAccount, now time.Time) bool {
	if a.TokenExpiresAt == nil {
		return false
	}
	before := RefreshBefore
	if a.RefreshedAt != nil {
		before = min(before, max(a.TokenExpiresAt.Sub(*a.RefreshedAt)/2, 0))
	}
	return a.TokenExpiresAt.Before(now.Add(before))
}

// usable reports whether the access token has not expired yet.
func usable(a *models.ConnectedAccount, now time.Time) bool {
	return a.TokenExpiresAt == nil || a.TokenExpiresAt.After(now)
}

func (s *Service) openAccessToken(a *models.ConnectedAccount) (string, error) {
	v, err := s.keys.Open(a.AccessTokenSealed, accountAD(a.ID, "access_token"))
	if err != nil {
		return "", fmt.Errorf("account %s: open the access token: %w", a.ID, err)
	}
	return v, nil
}

func (s *Service) openRefreshToken(a *models.ConnectedAccount) (string, error) {
	if a.RefreshTokenSealed == "" {
		return "", nil
	}
	v, err := s.keys.Open(a.RefreshTokenSealed, accountAD(a.ID, "refresh_token"))
	if err != nil {
		return "", fmt.Errorf("account %s: open the refresh token: %w", a.ID, err)
	}
	return v, nil
}
