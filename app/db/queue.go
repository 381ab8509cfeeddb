package db

import (
	"context"

	"gorm.io/gorm"
)

// queue makes the hot statements wait for a PostgreSQL connection in the
// order they came. database/sql gives a freed connection to a random
// waiter (connRequests.TakeRandom), so when invitees arrive faster than
// the pool answers, a few requests wait many turns while others wait
// none, and the slowest percentile grows with the burst. Waiting here
// first, in a channel whose blocked senders are served first come first
// served, with no more statements past it than the pool has connections,
// leaves database/sql nothing to choose between. Other statements
// (transactions, the admin's pages, the job workers) take connections as
// before; while they hold some, a hot statement past the queue can still
// wait in the pool, for one of them.
type queue struct{ slots chan struct{} }

func newQueue(n int) *queue { return &queue{slots: make(chan struct{}, n)} }

// enter waits for a place, in turn, or until ctx ends.
func (q *queue) enter(ctx context.Context) error {
	select {
	case q.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case q.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leave gives the place to the next in line.
func (q *queue) leave() { <-q.slots }

// queuePlugin keeps the queue with the GORM configuration, which every
// session and statement of the pool shares.
const queuePlugin = "db:hot-queue"

func (q *queue) Name() string                  { return queuePlugin }
func (q *queue) Initialize(gdb *gorm.DB) error { return nil }

// queueOf is the queue of gdb's pool, or nil.
func queueOf(gdb *gorm.DB) *queue {
	q, _ := gdb.Config.Plugins[queuePlugin].(*queue)
	return q
}
