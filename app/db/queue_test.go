package db

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

// TestQueue: no more than its size get past the queue, a waiter gives up
// when its request ends, and a place left is taken by the next.
func TestQueue(t *testing.T) {
	q := newQueue(2)
	ctx := context.Background()
	for range 2 {
		if err := q.enter(ctx); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := q.enter(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third enter = %v, want the request's deadline", err)
	}
	got := make(chan error)
	go func() { got <- q.enter(ctx) }()
	q.leave()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if n := len(q.slots); n != 2 {
		t.Fatalf("%d inside, want 2", n)
	}
}

// TestHotStatementsQueued: with five times as many hot statements at once
// as the pool has connections, none waits in database/sql's pool (which
// hands a freed connection to a random waiter): they wait in the queue,
// in turn, and all succeed.
func TestHotStatementsQueued(t *testing.T) {
	dsn := os.Getenv("DATABASE_URL")
	if dsn == "" {
		t.Skip("needs PostgreSQL (DATABASE_URL)")
	}
	gdb, err := Open(dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer SQL(gdb).Close()
	if queueOf(gdb) == nil {
		t.Fatal("the PostgreSQL pool has no queue")
	}
	sleep := NewHot(`SELECT pg_sleep(0.005), ?::int`)
	before := SQL(gdb).Stats().WaitCount
	var wg sync.WaitGroup
	errs := make(chan error, 5*postgresConns)
	for i := range 5 * postgresConns {
		wg.Go(func() {
			errs <- QueryHot(context.Background(), gdb, sleep, []any{i}, func(Row) error { return nil })
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := SQL(gdb).Stats().WaitCount - before; n != 0 {
		t.Fatalf("%d waits in database/sql's pool, want 0 (all in the queue)", n)
	}
}
