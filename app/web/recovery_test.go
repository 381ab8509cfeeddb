package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// localPostgres is where CI's PostgreSQL listens when DATABASE_URL is not
// set (the SQLite pass of .ci/run).
const localPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// TestDatabaseComesBack kills every connection the app holds to PostgreSQL,
// as a database restart or failover does, and checks that the app serves
// again without a restart of its own. It needs PostgreSQL whatever the
// test database is: under CI it fails when none is reachable.
func TestDatabaseComesBack(t *testing.T) {
	ctx := context.Background()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = localPostgres
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL is needed for this test: %v", err)
		}
		t.Skipf("no PostgreSQL at %s: %v", base, err)
	}
	defer admin.Close(ctx)
	schema := "t_" + strings.ToLower(strings.ReplaceAll(secret.RandomToken(9), "-", "_"))
	app := "readyz_" + schema
	if _, err := admin.Exec(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`)

	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	gdb, err := db.Open(u.String(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.SQL(gdb).Close()
	if err := db.Migrate(ctx, gdb, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	svc := testutil.NewService(t, gdb, nil)
	if _, err := svc.CreateUser(ctx, access.NewUser{Email: "solo@test.example", Name: "Solo", Password: testutil.Password,
		Organization: "Solo", Plan: models.PlanPro, OrgRole: models.OrgRoleOwner, Workspace: "Only", WorkspaceRole: models.WorkspaceRoleAdmin}); err != nil {
		t.Fatal(err)
	}
	var ws models.Workspace
	if err := gdb.Where("name = ?", "Only").Take(&ws).Error; err != nil {
		t.Fatal(err)
	}
	srv := testutil.NewServer(t, svc)
	c := srv.Login(t, "solo@test.example")
	if res, _ := testutil.Do(t, c, "GET", srv.LinksURL(ws.ID), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("links page before: %d", res.StatusCode)
	}

	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no connection of the app was found to kill")
	}

	// The pool notices the dead connections and opens new ones: the first
	// request may fail (503, never a wrong answer), the next ones succeed.
	probe := srv.Client()
	ok := false
	for i := 0; i < 5 && !ok; i++ {
		res, _ := testutil.Do(t, probe, "GET", srv.URL+"/readyz", nil)
		switch res.StatusCode {
		case http.StatusOK:
			ok = true
		case http.StatusServiceUnavailable:
		default:
			t.Fatalf("readyz after the restart: %d", res.StatusCode)
		}
	}
	if !ok {
		t.Fatal("readyz never recovered")
	}
	res, body := testutil.Do(t, c, "GET", srv.LinksURL(ws.ID), nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "links-empty") {
		t.Fatalf("links page after the database came back: %d", res.StatusCode)
	}
	if res, _ := testutil.Do(t, c, "POST", srv.LinksURL(ws.ID), url.Values{"source": {"google_ads"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("generate after the database came back: %d", res.StatusCode)
	}
}
