package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a per-key token bucket: burst attempts, refilled over window.
// Idle keys are dropped so memory stays bounded. It lives in one process:
// only the public per-address limit (publicIP) uses it; the sign-in limits
// are in the database (throttle.go).
type limiter struct {
	mu     sync.Mutex
	keys   map[string]*entry
	burst  int
	every  rate.Limit
	window time.Duration
	sweep  time.Time
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxKeys bounds the memory of one limiter; past it the oldest are dropped
// at the next sweep.
const maxKeys = 100_000

func newLimiter(burst int, window time.Duration) *limiter {
	return &limiter{keys: map[string]*entry{}, burst: burst, every: rate.Limit(float64(burst) / window.Seconds()), window: window}
}

// allow spends one token for key; when none is left it reports how long to
// wait.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > l.window || len(l.keys) > maxKeys {
		for k, e := range l.keys {
			if now.Sub(e.seen) > l.window {
				delete(l.keys, k)
			}
		}
		l.sweep = now
	}
	e, ok := l.keys[key]
	if !ok {
		e = &entry{lim: rate.NewLimiter(l.every, l.burst)}
		l.keys[key] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
