package access_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
)

// TestVerifyKeyEveryKeyID (issue 7 item 17): every key ID found in sealed
// data (link tokens, access and refresh tokens) must be configured, not only
// the newest link's; the error lists the missing key IDs and the command
// that fixes it.
func TestVerifyKeyEveryKeyID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := testutil.NewService(t, testutil.OpenDB(t), testutil.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)))
	k1, k2, k3 := newKey(t), newKey(t), newKey(t)
	ring := func(keys ...[]byte) *secret.Keyring { return keyring(t, keys...) }
	id1, id2, id3 := secret.KeyID(k1), secret.KeyID(k2), secret.KeyID(k3)
	svc.SetKeys(ring(k1))
	f := testutil.Seed(t, svc)
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	actor := access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}
	if _, err := svc.GenerateLink(ctx, m, actor, "google_ads"); err != nil { // sealed with k1
		t.Fatal(err)
	}
	svc.SetKeys(ring(k2))
	l, err := svc.GenerateLink(ctx, m, actor, "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ClaimLink(ctx, l.ID, access.Actor{}, access.Identity{SourceKey: "sandbox", ExternalID: "x1", AccessToken: "at", RefreshToken: "rt"}); err != nil {
		t.Fatal(err) // link token, access and refresh token sealed with k2
	}
	svc.SetKeys(ring(k3))
	if _, err := svc.GenerateLink(ctx, m, actor, "google_ads"); err != nil { // the newest, sealed with k3
		t.Fatal(err)
	}

	with := func(keys ...[]byte) *access.Service {
		return svc.WithKeys(ring(keys...))
	}
	t.Run("ErrOldKeysMissing", func(t *testing.T) {
		err := with(k3).VerifyKey(ctx)
		if err == nil {
			t.Fatal("started although links and tokens are sealed with keys that are not configured")
		}
		for _, want := range []string{id1 + " (1 values)", id2 + " (3 values)", "APP_OLD_SECRET_KEYS", "app reseal", "configured key IDs: " + id3} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
	t.Run("ErrOneKeyMissing", func(t *testing.T) {
		err := with(k3, k1).VerifyKey(ctx)
		if err == nil || !strings.Contains(err.Error(), id2) || strings.Contains(err.Error(), id1+" (1 values)") {
			t.Fatalf("err = %v, want only %s named as missing", err, id2)
		}
	})
	t.Run("EveryKeyConfigured", func(t *testing.T) {
		if err := with(k3, k1, k2).VerifyKey(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("AfterReseal", func(t *testing.T) {
		full := with(k3, k2, k1)
		if _, err := full.Reseal(ctx); err != nil {
			t.Fatal(err)
		}
		if err := with(k3).VerifyKey(ctx); err != nil {
			t.Fatalf("after app reseal the current key alone must do: %v", err)
		}
	})
}

// TestVerifyKeyProbesIndexes: the start-up key check reads each sealed
// column's distinct key IDs on its prefix index (migration 00022), one
// probe per key ID plus one, never a scan of the table, so a start costs
// the same on any amount of data. Every statement it sends is explained;
// on PostgreSQL with sequential scans priced out, so that a plan without
// the index means the index cannot serve the statement.
func TestVerifyKeyProbesIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gdb := testutil.OpenDB(t)
	type stmt struct {
		sql  string
		vars []any
	}
	var sent []stmt
	testutil.AfterStatements(t, gdb, "test:keyids", false, func(tx *gorm.DB) {
		if strings.Contains(tx.Statement.SQL.String(), "SUBSTR(") {
			sent = append(sent, stmt{tx.Statement.SQL.String(), tx.Statement.Vars})
		}
	})
	svc, l := sealedWithTwoKeys(t, gdb)
	if _, err := svc.ClaimLink(ctx, l.ID, access.Actor{}, access.Identity{SourceKey: "sandbox", ExternalID: "x1", AccessToken: "at"}); err != nil {
		t.Fatal(err)
	}

	sent = nil
	if err := svc.VerifyKey(ctx); err != nil {
		t.Fatal(err)
	}
	// access_links: two key IDs and the probe that finds none above them;
	// access and refresh tokens: one and one each; the two webhook secrets
	// (no endpoints): one each.
	if want := 3 + 2 + 2 + 1 + 1; len(sent) != want {
		t.Fatalf("VerifyKey sent %d key-ID statements, want %d: %v", len(sent), want, sent)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	if testutil.Dialect() == "postgres" {
		explain = "EXPLAIN "
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer func() { _, _ = conn.ExecContext(ctx, "RESET enable_seqscan") }()
	}
	for _, s := range sent {
		text := testutil.PlanLines(t, conn, explain+s.sql, s.vars...)
		if !strings.Contains(text, "_key_id") || strings.Contains(text, "Seq Scan") || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("%s\nis not an index probe:\n%s", s.sql, text)
		}
	}
}

// BenchmarkVerifyKey: the start-up key check on a database sealed with
// two keys (the statements it sends do not depend on the number of rows).
func BenchmarkVerifyKey(b *testing.B) {
	ctx := context.Background()
	svc, _ := sealedWithTwoKeys(b, testutil.OpenDB(b))
	b.ReportAllocs()
	for b.Loop() {
		if err := svc.VerifyKey(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// sealedWithTwoKeys seeds gdb with three link tokens sealed with one key,
// then one sealed with a second, and returns the service with both keys
// (the second current) and that last link, to connect.
func sealedWithTwoKeys(tb testing.TB, gdb *gorm.DB) (*access.Service, *access.Link) {
	tb.Helper()
	ctx := context.Background()
	svc := testutil.NewService(tb, gdb, testutil.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)))
	k1, k2 := newKey(tb), newKey(tb)
	svc.SetKeys(keyring(tb, k1))
	f := testutil.Seed(tb, svc)
	m := testutil.Member(tb, svc, f.Admin.ID, f.Reporting.ID)
	actor := access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}
	for range 3 {
		if _, err := svc.GenerateLink(ctx, m, actor, "google_ads"); err != nil {
			tb.Fatal(err)
		}
	}
	svc.SetKeys(keyring(tb, k2, k1))
	l, err := svc.GenerateLink(ctx, m, actor, "sandbox")
	if err != nil {
		tb.Fatal(err)
	}
	return svc, l
}
