package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/app/sources"
)

// Seeded is what the seed leaves for the load: a workspace admin to sign
// in as, the workspace with the listed links, an active link's token for
// the consent page, and the cursor of a deep page of the list.
type Seeded struct {
	Email, Password string
	WorkspaceID     string
	Token           string // an active link, for GET /connect/{token}
	DeepCursor      string // the page after DeepAfter links
	Links           int
}

// benchSource is the source every link is for: configured through the
// environment the runner gives the seed and the app alike.
const benchSource = "google_ads"

// seed fills an empty database, through the app's own configuration,
// migrations and domain code (access.CreateUser, access.GenerateLink), with
// one organization, one workspace, its admin and n links, created one
// minute apart so that the list's order and cursors are those of real use.
func seed(ctx context.Context, getenv func(string) string, n, deepAfter int) (*Seeded, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(cfg.DatabaseURL, cfg.SQLitePath())
	if err != nil {
		return nil, err
	}
	defer db.SQL(gdb).Close()
	if err := db.Migrate(ctx, gdb, quiet); err != nil {
		return nil, err
	}
	keys, err := secret.NewKeyring(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	catalog, err := sources.Load(sources.Options{Getenv: getenv, Production: true})
	if err != nil {
		return nil, err
	}
	// The links are spread over the n minutes before now; the consent
	// link is the newest.
	now := time.Now().UTC().Add(-time.Duration(n+1) * time.Minute)
	clock := func() time.Time { return now }
	svc := access.New(gdb, keys, access.WithSources(catalog), access.WithBaseURL(cfg.BaseURL.String()), access.WithClock(clock))

	out := &Seeded{Email: "bench-admin@bench.example", Password: secret.RandomToken(12), Links: n}
	u, err := svc.CreateUser(ctx, access.NewUser{
		Email: out.Email, Name: "Bench Admin", Password: out.Password,
		Organization: "Bench Agency", Plan: "pro", OrgRole: "member",
		Workspace: "Bench reporting", WorkspaceRole: "admin",
	})
	if err != nil {
		return nil, fmt.Errorf("create the admin: %w", err)
	}
	ws, err := svc.Workspaces(ctx, u.ID)
	if err != nil || len(ws) != 1 {
		return nil, fmt.Errorf("the admin's workspace: %v (%d found)", err, len(ws))
	}
	out.WorkspaceID = ws[0].ID
	m, err := svc.Membership(ctx, u.ID, out.WorkspaceID)
	if err != nil {
		return nil, err
	}
	actor := access.Actor{UserID: u.ID, Name: u.Name}
	// Batches of links in one transaction each: a commit per link would
	// make the seed, not the benchmark, the slow part on SQLite.
	const batch = 500
	for done := 0; done <= n; done += batch {
		err := gdb.Transaction(func(tx *gorm.DB) error {
			in := svc.WithDB(tx)
			for i := done; i < min(done+batch, n+1); i++ {
				now = now.Add(time.Minute)
				l, err := in.GenerateLink(ctx, m, actor, benchSource)
				if err != nil {
					return err
				}
				if i == n { // the newest: active for days
					out.Token = l.URL[len(l.URL)-43:]
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("generate links: %w", err)
		}
	}
	var cursor string
	for range deepAfter / access.PageSize {
		p, err := svc.ListLinks(ctx, out.WorkspaceID, access.ListFilter{Cursor: cursor})
		if err != nil {
			return nil, err
		}
		cursor = p.NextCursor
	}
	out.DeepCursor = cursor
	return out, nil
}
