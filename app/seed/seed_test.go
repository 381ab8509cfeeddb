package seed_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/seed"
	"github.com/accessrequests/accessrequests/models"
)

// TestTwoProcessesStartTogether (issue 7 item 18): two processes that start
// at once on an empty database both migrate and seed without error (the
// migrations take a database lock, the seed a row lock), and the demo data
// exists once. Each "process" has its own connection pool; five rounds.
func TestTwoProcessesStartTogether(t *testing.T) {
	for round := range 5 {
		dsn, path := testdb.Place(t)
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		seeded := make([]bool, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				gdb, err := db.Open(dsn, path)
				if err != nil {
					errs[i] = err
					return
				}
				defer db.SQL(gdb).Close()
				if err := db.Migrate(context.Background(), gdb, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
					errs[i] = err
					return
				}
				seeded[i], errs[i] = seed.Demo(context.Background(), gdb, testutil.NewService(t, gdb, nil), "demo-password-123")
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, process %d: %v", round+1, i+1, err)
			}
		}
		if seeded[0] == seeded[1] {
			t.Fatalf("round %d: seeded = %v, want exactly one process to seed", round+1, seeded)
		}
		gdb, err := db.Open(dsn, path)
		if err != nil {
			t.Fatal(err)
		}
		var users, workspaces int64
		gdb.Model(&models.User{}).Count(&users)
		gdb.Model(&models.Workspace{}).Count(&workspaces)
		db.SQL(gdb).Close()
		if users != int64(len(seed.DemoUsers)) || workspaces != 3 {
			t.Fatalf("round %d: %d users, %d workspaces; want %d and 3", round+1, users, workspaces, len(seed.DemoUsers))
		}
	}
}
