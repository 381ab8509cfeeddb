package web

import (
	"context"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
)

// Sign-in throttling (POST /login) works in three layers:
//
//   - per client address (loginIP): a burst of attempts a minute, whatever
//     the email;
//   - per email (loginEmail): a burst of attempts per 15 minutes, shared by
//     every address;
//   - failures per email and address (loginFailures): which addresses
//     have recently failed for which email.
//
// Past the per-email limit an address that has failed for that email is
// refused without a password check, and any other address still gets its
// password checked: the right one signs in, a wrong one is refused as
// throttled (and that address is now failing too). So failed attempts from
// anywhere never lock the owner out, while each guessing address is
// stopped.
//
// All three, and the per-user limit on password changes, are kept in the
// database (access/throttle.go), so they hold across every app process
// behind a load balancer. Only the public per-address limit (publicIP) is
// per process: an address spread over N replicas gets up to N times it.

// dbLimiter allows at most burst attempts per key within a sliding window,
// counted in the database. Keys of different limiters are kept apart by
// their prefix.
type dbLimiter struct {
	svc    *access.Service
	prefix string
	burst  int
	window time.Duration
}

func newDBLimiter(svc *access.Service, prefix string, burst int, window time.Duration) *dbLimiter {
	return &dbLimiter{svc: svc, prefix: prefix + ":", burst: burst, window: window}
}

// allow counts one attempt for key; when the limit is reached it reports
// how long to wait.
func (l *dbLimiter) allow(ctx context.Context, key string) (bool, time.Duration, error) {
	return l.svc.ThrottleAllow(ctx, l.prefix+key, l.burst, l.window)
}

// reset forgets a key, after a successful sign-in.
func (l *dbLimiter) reset(ctx context.Context, key string) error {
	return l.svc.ThrottleReset(ctx, l.prefix+key)
}

// failures remembers, per email and client address, that a sign-in failed
// within the window.
type failures struct {
	svc    *access.Service
	window time.Duration
}

func newFailures(svc *access.Service, window time.Duration) *failures {
	return &failures{svc: svc, window: window}
}

func failureKey(email, ip string) string { return "login-fail:" + email + "\x00" + ip }

// add records a failed sign-in for email from ip.
func (f *failures) add(ctx context.Context, email, ip string) error {
	return f.svc.ThrottleRecord(ctx, failureKey(email, ip), f.window)
}

// recent reports whether ip failed to sign in as email within the window.
func (f *failures) recent(ctx context.Context, email, ip string) (bool, error) {
	return f.svc.ThrottleRecent(ctx, failureKey(email, ip), f.window)
}

// forget clears the failures of email from ip, after it signed in.
func (f *failures) forget(ctx context.Context, email, ip string) error {
	return f.svc.ThrottleReset(ctx, failureKey(email, ip))
}
