package access_test

import (
	"context"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestThrottle: a sliding window counted in the database; refused attempts
// are not counted; rows whose window ended are deleted by the next write;
// keys are stored only as hashes.
func TestThrottle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gdb := testutil.OpenDB(t)
	clock := testutil.NewClock(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	svc := testutil.NewService(t, gdb, clock)
	other := testutil.NewService(t, gdb, clock) // another replica
	const window = time.Minute

	for i := range 3 {
		s := svc
		if i%2 == 1 {
			s = other
		}
		ok, _, err := s.ThrottleAllow(ctx, "k@example.test", 3, window)
		if err != nil || !ok {
			t.Fatalf("attempt %d: %v %v", i+1, ok, err)
		}
		clock.Advance(10 * time.Second)
	}
	ok, wait, err := other.ThrottleAllow(ctx, "k@example.test", 3, window)
	if err != nil || ok || wait != 30*time.Second {
		t.Fatalf("4th attempt: allowed %v, wait %v, err %v; want refused for 30s", ok, wait, err)
	}
	if ok, _, _ := svc.ThrottleAllow(ctx, "other", 3, window); !ok {
		t.Error("another key was throttled")
	}
	clock.Advance(30 * time.Second) // the first attempt leaves the window
	if ok, _, _ := svc.ThrottleAllow(ctx, "k@example.test", 3, window); !ok {
		t.Error("refused after the oldest attempt left the window")
	}
	if ok, _, _ := svc.ThrottleAllow(ctx, "k@example.test", 3, window); ok {
		t.Error("allowed a 4th attempt within the window")
	}

	if err := other.ThrottleReset(ctx, "k@example.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := svc.ThrottleAllow(ctx, "k@example.test", 3, window); !ok {
		t.Error("refused after a reset")
	}

	if err := svc.ThrottleRecord(ctx, "fail", window); err != nil {
		t.Fatal(err)
	}
	if recent, err := other.ThrottleRecent(ctx, "fail", window); err != nil || !recent {
		t.Errorf("recent = %v %v, want true", recent, err)
	}
	clock.Advance(window + time.Second)
	if recent, _ := other.ThrottleRecent(ctx, "fail", window); recent {
		t.Error("a failure older than the window is still recent")
	}

	// The next write deletes every row whose window ended.
	if err := svc.ThrottleRecord(ctx, "new", window); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := gdb.Table("sign_in_throttle").Pluck("key_hash", &keys).Error; err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || len(keys[0]) != 64 {
		t.Errorf("rows after the sweep: %q, want one hashed key", keys)
	}
}
