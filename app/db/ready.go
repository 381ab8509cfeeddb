package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// ErrNotWritable reports a database that answers but does not take writes:
// a full disk, a read-only file or replica.
var ErrNotWritable = errors.New("database does not take writes")

// Readiness checks the database for /readyz: a ping on every call, and a
// write of the one write_probe row at most once per Every. A success is
// reused until Every has passed, a failure for a second, so probes stay
// cheap and recovery shows quickly.
type Readiness struct {
	DB *gorm.DB
	// Every is the time between two write probes; 0 means 10 seconds.
	Every time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	checked time.Time
	err     error
}

// Check reports whether the database answers and takes writes.
func (r *Readiness) Check(ctx context.Context) error {
	if err := Ping(ctx, r.DB); err != nil {
		return err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	every := r.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := now()
	if !r.checked.IsZero() {
		keep := every
		if r.err != nil {
			keep = min(every, time.Second)
		}
		if t.Sub(r.checked) < keep {
			return r.err
		}
	}
	r.err = nil
	err := r.DB.WithContext(ctx).Exec(`INSERT INTO write_probe (name, written_at) VALUES ('probe', ?)
		ON CONFLICT (name) DO UPDATE SET written_at = excluded.written_at`, t.UTC()).Error
	if err != nil {
		r.err = fmt.Errorf("%w: %v", ErrNotWritable, err)
	}
	r.checked = t
	return r.err
}
