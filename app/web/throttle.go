package web

import (
	"sync"
	"time"
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

// failures remembers, per email and client address, the time of the last
// failed sign-in. Old entries are dropped so memory stays bounded.
type failures struct {
	mu     sync.Mutex
	seen   map[string]time.Time
	window time.Duration
	sweep  time.Time
}

func newFailures(window time.Duration) *failures {
	return &failures{seen: map[string]time.Time{}, window: window}
}

func failureKey(email, ip string) string { return email + "\x00" + ip }

// add records a failed sign-in for email from ip.
func (f *failures) add(email, ip string) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Sub(f.sweep) > f.window || len(f.seen) > maxKeys {
		for k, t := range f.seen {
			if now.Sub(t) > f.window {
				delete(f.seen, k)
			}
		}
		f.sweep = now
	}
	f.seen[failureKey(email, ip)] = now
}

// recent reports whether ip failed to sign in as email within the window.
func (f *failures) recent(email, ip string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.seen[failureKey(email, ip)]
	return ok && time.Since(t) <= f.window
}

// forget clears the failures of email from ip, after it signed in.
func (f *failures) forget(email, ip string) {
	f.mu.Lock()
	delete(f.seen, failureKey(email, ip))
	f.mu.Unlock()
}
