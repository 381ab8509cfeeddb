package testutil

import (
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"
)

// HoldAfterClaims makes each transaction that claims a link (its UPDATE of
// access_links.used_at) wait until n have done so, at most 30 seconds: the
// claims of concurrent callbacks then meet at their next writes.
func HoldAfterClaims(tb testing.TB, gdb *gorm.DB, n int32) {
	tb.Helper()
	var arrived atomic.Int32
	all := make(chan struct{})
	err := gdb.Callback().Update().After("gorm:update").Register("test:hold_after_claims", func(tx *gorm.DB) {
		if d, ok := tx.Statement.Dest.(map[string]any); !ok || tx.Statement.Table != "access_links" || d["used_at"] == nil {
			return
		}
		if arrived.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
		case <-time.After(30 * time.Second): // a safety net; the test then fails on its counts
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
}
