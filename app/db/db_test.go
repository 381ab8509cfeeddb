package db_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testdb"
	"github.com/accessrequests/accessrequests/models"
)

// The tests run on SQLite by default and on PostgreSQL when DATABASE_URL is
// set, like the rest of the suite. This package cannot use testutil (which
// imports it), so it opens its databases with testdb.

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	gdb := testdb.Open(t)

	t.Run("EmptyBefore", func(t *testing.T) {
		if gdb.Migrator().HasTable("access_links") {
			t.Fatal("an empty database has the schema before Migrate")
		}
	})

	t.Run("OK", func(t *testing.T) {
		var log bytes.Buffer
		if err := db.Migrate(ctx, gdb, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), "migration applied") || !strings.Contains(log.String(), "00001_init.sql") {
			t.Fatalf("log = %q, want the applied migration", log.String())
		}
		// Every model's table is there and empty.
		for _, m := range []any{&models.Organization{}, &models.User{}, &models.OrganizationMember{}, &models.Workspace{},
			&models.WorkspaceMember{}, &models.AccessLink{}, &models.ConnectedAccount{}, &models.LinkEvent{}} {
			var n int64
			if err := gdb.Model(m).Count(&n).Error; err != nil || n != 0 {
				t.Fatalf("count %T = %d, %v", m, n, err)
			}
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		var log bytes.Buffer
		if err := db.Migrate(ctx, gdb, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
			t.Fatal(err)
		}
		if log.Len() != 0 {
			t.Fatalf("second Migrate applied something: %q", log.String())
		}
	})
}

func TestDialect(t *testing.T) {
	gdb := testdb.Open(t)
	want := db.SQLite
	if os.Getenv("DATABASE_URL") != "" {
		want = db.Postgres
	}
	if got := db.Dialect(gdb); got != want {
		t.Fatalf("Dialect = %q, want %q", got, want)
	}
}

func TestPing(t *testing.T) {
	ctx := context.Background()
	gdb := testdb.Open(t)
	if err := db.Ping(ctx, gdb); err != nil {
		t.Fatalf("Ping = %v", err)
	}
	db.SQL(gdb).Close()
	if err := db.Ping(ctx, gdb); err == nil {
		t.Fatal("Ping on a closed database succeeded")
	}
}

func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "app.db")
	gdb, err := db.Open("", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.SQL(gdb).Close()
	if err := db.Ping(context.Background(), gdb); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("database directory mode = %v, %v; want owner only", fi.Mode(), err)
	}
	var fk int
	var mode string
	if err := gdb.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1", fk, err)
	}
	if err := gdb.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
}

// TestSQLiteTransactionsAcrossProcesses: two processes on one SQLite file
// (serve and worker): a transaction that reads, then writes, while the
// other process writes, still commits. A deferred transaction would fail
// with SQLITE_BUSY at its first write (its snapshot is older than the
// other's commit, and waiting cannot help); the pool begins transactions
// IMMEDIATE, so the other process waits for it instead.
func TestSQLiteTransactionsAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	open := func() *gorm.DB {
		gdb, err := db.Open("", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.SQL(gdb).Close() })
		return gdb
	}
	a, b := open(), open()
	if err := a.Exec("CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	other := make(chan error, 1)
	err := a.Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Raw("SELECT count(*) FROM counters").Scan(&n).Error; err != nil {
			return err
		}
		// The other process writes and commits meanwhile (or waits).
		go func() { other <- b.Exec("INSERT INTO counters (name, n) VALUES ('b', 1)").Error }()
		select {
		case err := <-other:
			other <- err
		case <-time.After(300 * time.Millisecond):
		}
		return tx.Exec("INSERT INTO counters (name, n) VALUES ('a', ?)", n+1).Error
	})
	if err != nil {
		t.Fatalf("read-then-write transaction while another process wrote: %v", err)
	}
	if err := <-other; err != nil {
		t.Fatalf("the other process's write: %v", err)
	}
	var n int64
	if err := a.Raw("SELECT count(*) FROM counters").Scan(&n).Error; err != nil || n != 2 {
		t.Fatalf("%d rows, %v; want both writes", n, err)
	}
}

// TestConstraints proves the constraints the domain relies on hold on the
// current dialect.
func TestConstraints(t *testing.T) {
	gdb := testdb.OpenMigrated(t)
	now := time.Now().UTC()
	org := models.Organization{ID: "org-1", Name: "Org", Plan: models.PlanPro, CreatedAt: now}
	if err := gdb.Create(&org).Error; err != nil {
		t.Fatal(err)
	}
	user := models.User{ID: "user-1", Email: "a@example.test", Name: "A", PasswordHash: "x", CreatedAt: now}
	if err := gdb.Create(&user).Error; err != nil {
		t.Fatal(err)
	}

	t.Run("ErrForeignKey", func(t *testing.T) {
		err := gdb.Create(&models.Workspace{ID: "ws-x", OrganizationID: "no-such-org", Name: "W", CreatedAt: now}).Error
		if err == nil {
			t.Fatal("workspace with an unknown organization was stored")
		}
	})

	t.Run("ErrNullPrimaryKey", func(t *testing.T) {
		// PostgreSQL refuses a NULL primary key. SQLite accepts one in a
		// TEXT PRIMARY KEY column unless the column is declared NOT NULL,
		// so the same schema must say so on both.
		for _, stmt := range []string{
			"INSERT INTO organizations (id, name, plan, created_at) VALUES (NULL, 'n', 'pro', ?)",
			"INSERT INTO users (id, email, name, password_hash, created_at) VALUES (NULL, 'null@example.test', 'n', 'x', ?)",
		} {
			if err := gdb.Exec(stmt, now).Error; err == nil {
				t.Errorf("stored a NULL id: %s", stmt)
			}
		}
	})

	t.Run("ErrDuplicateEmail", func(t *testing.T) {
		err := gdb.Create(&models.User{ID: "user-2", Email: user.Email, Name: "B", PasswordHash: "x", CreatedAt: now}).Error
		if err == nil {
			t.Fatal("second user with the same email was stored")
		}
	})

	t.Run("ErrDuplicateTokenHash", func(t *testing.T) {
		ws := models.Workspace{ID: "ws-1", OrganizationID: org.ID, Name: "W", CreatedAt: now}
		if err := gdb.Create(&ws).Error; err != nil {
			t.Fatal(err)
		}
		link := func(id string) *models.AccessLink {
			return &models.AccessLink{ID: id, WorkspaceID: ws.ID, SourceKey: "x", TokenHash: "same", TokenSealed: "s",
				CreatedBy: &user.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		}
		if err := gdb.Create(link("l-1")).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Create(link("l-2")).Error; err == nil {
			t.Fatal("two links with the same token hash were stored")
		}
	})

	t.Run("CascadeOnOrganizationDelete", func(t *testing.T) {
		o := models.Organization{ID: "org-2", Name: "Gone", Plan: models.PlanFree, CreatedAt: now}
		w := models.Workspace{ID: "ws-2", OrganizationID: o.ID, Name: "W", CreatedAt: now}
		if err := gdb.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Create(&w).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Delete(&models.Organization{}, "id = ?", o.ID).Error; err != nil {
			t.Fatal(err)
		}
		var n int64
		gdb.Model(&models.Workspace{}).Where("id = ?", w.ID).Count(&n)
		if n != 0 {
			t.Fatal("workspace survived its organization")
		}
	})
}

// TestTimestamps proves both dialects keep microseconds and order and
// compare timestamps chronologically: the link list's keyset cursor and the
// expiry filters depend on it. On SQLite timestamps are stored as text, so
// this is where a format change would show.
func TestTimestamps(t *testing.T) {
	gdb := testdb.OpenMigrated(t)
	t0 := time.Date(2026, 3, 1, 9, 59, 59, 999999000, time.UTC)
	offsets := []time.Duration{
		0,
		time.Microsecond,       // 10:00:00 exactly
		2 * time.Microsecond,   // 10:00:00.000001
		500 * time.Millisecond, // 10:00:00.499999
		time.Second + time.Microsecond,
		10 * time.Hour,
	}
	// Insert in scrambled order so that insertion order cannot pass for
	// time order.
	for _, i := range []int{3, 0, 5, 1, 4, 2} {
		o := models.Organization{ID: fmt.Sprintf("org-%d", i), Name: "O", Plan: "pro", CreatedAt: t0.Add(offsets[i])}
		if err := gdb.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
	}

	t.Run("RoundTrip", func(t *testing.T) {
		for i, d := range offsets {
			var o models.Organization
			if err := gdb.Take(&o, "id = ?", fmt.Sprintf("org-%d", i)).Error; err != nil {
				t.Fatal(err)
			}
			if want := t0.Add(d); !o.CreatedAt.Equal(want) {
				t.Fatalf("org-%d created_at = %v, want %v", i, o.CreatedAt, want)
			}
		}
	})

	t.Run("Order", func(t *testing.T) {
		var ids []string
		if err := gdb.Model(&models.Organization{}).Order("created_at").Pluck("id", &ids).Error; err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ids, " "); got != "org-0 org-1 org-2 org-3 org-4 org-5" {
			t.Fatalf("ORDER BY created_at = %s", got)
		}
	})

	t.Run("Compare", func(t *testing.T) {
		for i, d := range offsets {
			at := t0.Add(d)
			var before, same, after int64
			gdb.Model(&models.Organization{}).Where("created_at < ?", at).Count(&before)
			gdb.Model(&models.Organization{}).Where("created_at = ?", at).Count(&same)
			gdb.Model(&models.Organization{}).Where("created_at > ?", at).Count(&after)
			if before != int64(i) || same != 1 || after != int64(len(offsets)-i-1) {
				t.Fatalf("at %v: %d before, %d equal, %d after; want %d, 1, %d", at, before, same, after, i, len(offsets)-i-1)
			}
		}
	})
}

// expectedSchema is the schema both migrations must produce: per table, its
// columns in order as "name type null/notnull [default]". Types are
// normalized (TIMESTAMP and TIMESTAMPTZ are both "timestamp").
var expectedSchema = map[string][]string{
	"organizations": {
		"id text notnull",
		"name text notnull",
		"plan text notnull",
		"created_at timestamp notnull",
		"default_link_days integer notnull default",
	},
	"users": {
		"id text notnull",
		"email text notnull",
		"name text notnull",
		"password_hash text notnull",
		"is_support boolean notnull default",
		"created_at timestamp notnull",
		"mail_off text notnull default",
	},
	"organization_members": {
		"organization_id text notnull",
		"user_id text notnull",
		"role text notnull",
		"created_at timestamp notnull",
	},
	"workspaces": {
		"id text notnull",
		"organization_id text notnull",
		"name text notnull",
		"created_at timestamp notnull",
	},
	"workspace_members": {
		"workspace_id text notnull",
		"user_id text notnull",
		"role text notnull",
		"created_at timestamp notnull",
	},
	"access_links": {
		"id text notnull",
		"workspace_id text notnull",
		"source_key text notnull",
		"token_hash text notnull",
		"token_sealed text notnull",
		"created_by text null",
		"created_at timestamp notnull",
		"expires_at timestamp notnull",
		"used_at timestamp null",
		"deleted_at timestamp null",
		"deleted_by text null",
		"connected_account_id text null",
		"last_outcome text notnull default",
		"last_outcome_detail text notnull default",
		"last_outcome_at timestamp null",
		"created_by_key_id text null",
		"first_opened_at timestamp null",
		"expiry_announced_at timestamp null",
		"recipient_email text notnull default",
		"note text notnull default",
		"reminder_sent_at timestamp null",
		"label text notnull default",
		"renewed_from_id text null",
		"renewed_to_id text null",
		"reconnect_account_id text null",
		"language text notnull default",
	},
	"connected_accounts": {
		"id text notnull",
		"workspace_id text notnull",
		"source_key text notnull",
		"external_id text notnull",
		"display_name text notnull default",
		"email text notnull default",
		"scopes text notnull default",
		"extra text notnull default",
		"access_token_sealed text notnull default",
		"refresh_token_sealed text notnull default",
		"token_expires_at timestamp null",
		"link_id text null",
		"status text notnull default",
		"created_at timestamp notnull",
		"updated_at timestamp notnull",
		"refresh_lease_until timestamp null",
		"local_name text notnull default",
		"refreshed_at timestamp null",
	},
	"link_events": {
		"id text notnull",
		"link_id text notnull",
		"workspace_id text notnull",
		"type text notnull",
		"actor_id text null",
		"actor text notnull",
		"ip text notnull default",
		"user_agent text notnull default",
		"detail text notnull default",
		"created_at timestamp notnull",
		"count integer notnull default",
		"last_at timestamp null",
		"client_key text null",
	},
	"oauth_callbacks": {
		"state_hash text notnull",
		"link_id text notnull",
		"outcome text notnull default",
		"account_label text notnull default",
		"created_at timestamp notnull",
		"error_kind text notnull default",
		"error_code text notnull default",
		"error_description text notnull default",
	},
	"sessions": {
		"id_hash text notnull",
		"user_id text notnull",
		"created_at timestamp notnull",
		"last_seen_at timestamp notnull",
		"expires_at timestamp notnull",
		"flash text notnull default",
	},
	"write_probe": {
		"name text notnull",
		"written_at timestamp notnull",
	},
	"sign_in_throttle": {
		"id text notnull",
		"key_hash text notnull",
		"at timestamp notnull",
		"expires_at timestamp notnull",
	},
	"sandbox_auth_requests": {
		"id text notnull",
		"issuer text notnull",
		"client_id text notnull",
		"redirect_uri text notnull",
		"state text notnull",
		"nonce text notnull",
		"scopes text notnull",
		"response_type text notnull",
		"response_mode text notnull",
		"code_challenge text notnull",
		"code_challenge_method text notnull",
		"login_hint text notnull",
		"subject text notnull",
		"auth_time timestamp notnull",
		"done boolean notnull",
		"code_issued boolean notnull",
		"expires_at timestamp notnull",
	},
	"sandbox_codes": {
		"code_hash text notnull",
		"issuer text notnull",
		"request_id text notnull",
		"used boolean notnull",
		"expires_at timestamp notnull",
		"forget_at timestamp notnull",
	},
	"sandbox_tokens": {
		"id text notnull",
		"issuer text notnull",
		"kind text notnull",
		"grant_id text notnull",
		"client_id text notnull",
		"subject text notnull",
		"scopes text notnull",
		"auth_time timestamp notnull",
		"issued_at timestamp notnull",
		"expires_at timestamp notnull",
	},
	"sandbox_revoked_grants": {
		"grant_id text notnull",
		"issuer text notnull",
		"until_at timestamp notnull",
	},
	"api_keys": {
		"id text notnull",
		"workspace_id text notnull",
		"name text notnull",
		"prefix text notnull",
		"key_hash text notnull",
		"created_by text null",
		"created_at timestamp notnull",
		"last_used_at timestamp null",
		"last_used_ip text notnull default",
		"revoked_at timestamp null",
		"revoked_by text null",
	},
	"api_key_events": {
		"id text notnull",
		"api_key_id text notnull",
		"kind text notnull",
		"actor_id text null",
		"ip text notnull default",
		"user_agent text notnull default",
		"created_at timestamp notnull",
	},
	"api_idempotency": {
		"api_key_id text notnull",
		"idem_key text notnull",
		"request_hash text notnull",
		"status integer notnull",
		"response_sealed text notnull default",
		"created_at timestamp notnull",
	},
	"webhook_endpoints": {
		"id text notnull",
		"workspace_id text notnull",
		"url text notnull",
		"description text notnull default",
		"event_types text notnull default",
		"secret_sealed text notnull",
		"previous_secret_sealed text notnull default",
		"previous_secret_until timestamp null",
		"created_by text null",
		"created_at timestamp notnull",
		"failing_since timestamp null",
		"last_success_at timestamp null",
		"disabled_at timestamp null",
	},
	"webhook_messages": {
		"id text notnull",
		"workspace_id text notnull",
		"type text notnull",
		"link_id text null",
		"payload text notnull",
		"created_at timestamp notnull",
	},
	"webhook_deliveries": {
		"id text notnull",
		"endpoint_id text notnull",
		"message_id text notnull",
		"link_id text null",
		"attempt integer notnull",
		"ok boolean notnull",
		"status_code integer notnull default",
		"latency_ms integer notnull default",
		"response_excerpt text notnull default",
		"error text notnull default",
		"created_at timestamp notnull",
	},
	"mail_messages": {
		"id text notnull",
		"dedupe_key text notnull",
		"kind text notnull",
		"workspace_id text notnull",
		"link_id text null",
		"to_addr text notnull",
		"detail text notnull default",
		"created_at timestamp notnull",
		"sent_at timestamp null",
		"transport text notnull default",
		"attempts integer notnull default",
		"last_error text notnull default",
	},
	"organization_brandings": {
		"organization_id text notnull",
		"accent_color text notnull default",
		"privacy_url text notnull default",
		"support_url text notnull default",
		"logo_hash text notnull default",
		"logo_type text notnull default",
		"logo_width integer notnull default",
		"logo_height integer notnull default",
		"logo bytes null",
		"updated_at timestamp notnull",
		"updated_by text null",
	},
	"branding_changes": {
		"id text notnull",
		"organization_id text notnull",
		"user_id text null",
		"actor_name text notnull default",
		"kind text notnull",
		"detail text notnull default",
		"created_at timestamp notnull",
	},
}

// gooseTable is the migration library's version table; its column types
// are the library's business, so only its column names are compared.
const gooseTable = "goose_db_version"

var gooseColumns = []string{"id", "version_id", "is_applied", "tstamp"}

// expectedIndexes are the secondary indexes as
// "table.index unique|plain [partial] (columns)". A case-insensitive
// column reads lower(column) on both dialects: an index on the expression
// lower(column) on PostgreSQL, on column COLLATE NOCASE on SQLite (where
// LIKE can use only the latter).
var expectedIndexes = []string{
	"access_links.access_links_created_idx plain (created_at,id)",
	"access_links.access_links_creator_idx plain (created_by,created_at,id)",
	"access_links.access_links_expiry_pending_idx plain partial (expires_at)",
	"access_links.access_links_reminder_pending_idx plain partial (expires_at)",
	"access_links.access_links_source_idx plain (source_key,created_at,id)",
	"access_links.access_links_token_hash_key unique (token_hash)",
	"access_links.access_links_token_key_id plain (substr(token_sealed, 1, 12))",
	"access_links.access_links_workspace_deleted_idx plain partial (workspace_id,created_at,id)",
	"access_links.access_links_workspace_expiry_idx plain partial (workspace_id,expires_at,id)",
	"access_links.access_links_workspace_list_idx plain partial (workspace_id,created_at,id)",
	"api_idempotency.api_idempotency_created_idx plain (created_at)",
	"api_key_events.api_key_events_once_key unique (api_key_id,kind,ip)",
	"api_keys.api_keys_key_hash_key unique (key_hash)",
	"api_keys.api_keys_workspace_idx plain (workspace_id,created_at,id)",
	"branding_changes.branding_changes_org_idx plain (organization_id,created_at)",
	"connected_accounts.connected_accounts_access_token_key_id plain (substr(access_token_sealed, 1, 12))",
	"connected_accounts.connected_accounts_identity_key unique (workspace_id,source_key,external_id)",
	"connected_accounts.connected_accounts_refresh_token_key_id plain (substr(refresh_token_sealed, 1, 12))",
	"connected_accounts.connected_accounts_source_idx plain (workspace_id,source_key,created_at,id)",
	"connected_accounts.connected_accounts_workspace_idx plain (workspace_id,created_at,id)",
	"link_events.link_events_client_key unique partial (link_id,client_key)",
	"link_events.link_events_link_idx plain (link_id,created_at,id)",
	"mail_messages.mail_messages_dedupe_key unique (dedupe_key)",
	"mail_messages.mail_messages_link_idx plain partial (link_id,created_at)",
	"mail_messages.mail_messages_sent_idx plain (transport,sent_at)",
	"oauth_callbacks.oauth_callbacks_created_idx plain (created_at)",
	"organization_brandings.organization_brandings_logo_idx plain partial (logo_hash)",
	"organization_members.organization_members_user_idx plain (user_id)",
	"organizations.organizations_name_idx plain (lower(name))",
	"sandbox_auth_requests.sandbox_auth_requests_expires_idx plain (expires_at)",
	"sandbox_codes.sandbox_codes_forget_idx plain (forget_at)",
	"sandbox_revoked_grants.sandbox_revoked_grants_until_idx plain (until_at)",
	"sandbox_tokens.sandbox_tokens_expires_idx plain (expires_at)",
	"sandbox_tokens.sandbox_tokens_grant_idx plain (grant_id)",
	"sessions.sessions_expires_idx plain (expires_at)",
	"sessions.sessions_last_seen_idx plain (last_seen_at)",
	"sessions.sessions_user_idx plain (user_id)",
	"sign_in_throttle.sign_in_throttle_expires_idx plain (expires_at)",
	"sign_in_throttle.sign_in_throttle_key_idx plain (key_hash,at)",
	"users.users_email_key unique (email)",
	"webhook_deliveries.webhook_deliveries_endpoint_idx plain (endpoint_id,created_at)",
	"webhook_deliveries.webhook_deliveries_link_idx plain partial (link_id,created_at)",
	"webhook_deliveries.webhook_deliveries_message_idx plain (message_id)",
	"webhook_endpoints.webhook_endpoints_previous_secret_key_id plain (substr(previous_secret_sealed, 1, 12))",
	"webhook_endpoints.webhook_endpoints_secret_key_id plain (substr(secret_sealed, 1, 12))",
	"webhook_endpoints.webhook_endpoints_workspace_idx plain (workspace_id,created_at)",
	"webhook_endpoints.webhook_endpoints_workspace_url unique partial (workspace_id,url)",
	"webhook_messages.webhook_messages_workspace_idx plain (workspace_id,created_at)",
	"workspace_members.workspace_members_user_idx plain (user_id)",
	"workspaces.workspaces_name_idx plain (lower(name))",
	"workspaces.workspaces_organization_idx plain (organization_id)",
}

// expectedForeignKeys are "table.column -> table.column on delete ACTION".
var expectedForeignKeys = []string{
	"access_links.created_by -> users.id on delete NO ACTION",
	"access_links.created_by_key_id -> api_keys.id on delete NO ACTION",
	"access_links.deleted_by -> users.id on delete NO ACTION",
	"access_links.workspace_id -> workspaces.id on delete CASCADE",
	"api_idempotency.api_key_id -> api_keys.id on delete CASCADE",
	"api_key_events.actor_id -> users.id on delete NO ACTION",
	"api_key_events.api_key_id -> api_keys.id on delete CASCADE",
	"api_keys.created_by -> users.id on delete NO ACTION",
	"api_keys.revoked_by -> users.id on delete NO ACTION",
	"api_keys.workspace_id -> workspaces.id on delete CASCADE",
	"branding_changes.organization_id -> organizations.id on delete CASCADE",
	"branding_changes.user_id -> users.id on delete SET NULL",
	"connected_accounts.link_id -> access_links.id on delete NO ACTION",
	"connected_accounts.workspace_id -> workspaces.id on delete CASCADE",
	"link_events.link_id -> access_links.id on delete CASCADE",
	"mail_messages.link_id -> access_links.id on delete CASCADE",
	"mail_messages.workspace_id -> workspaces.id on delete CASCADE",
	"organization_brandings.organization_id -> organizations.id on delete CASCADE",
	"organization_brandings.updated_by -> users.id on delete SET NULL",
	"organization_members.organization_id -> organizations.id on delete CASCADE",
	"organization_members.user_id -> users.id on delete CASCADE",
	"sessions.user_id -> users.id on delete CASCADE",
	"webhook_deliveries.endpoint_id -> webhook_endpoints.id on delete CASCADE",
	"webhook_deliveries.message_id -> webhook_messages.id on delete CASCADE",
	"webhook_endpoints.workspace_id -> workspaces.id on delete CASCADE",
	"webhook_messages.workspace_id -> workspaces.id on delete CASCADE",
	"workspace_members.user_id -> users.id on delete CASCADE",
	"workspace_members.workspace_id -> workspaces.id on delete CASCADE",
	"workspaces.organization_id -> organizations.id on delete CASCADE",
}

type column struct {
	Table, Name, Type string
	NotNull           bool
	HasDefault        bool
	PK                bool
}

func normalizeType(t string) string {
	switch strings.ToLower(t) {
	case "text":
		return "text"
	case "timestamp", "timestamp with time zone", "timestamptz":
		return "timestamp"
	case "boolean":
		return "boolean"
	case "integer":
		return "integer"
	case "blob", "bytea":
		return "bytes"
	}
	return "?" + t
}

func (c column) String() string {
	null := "null"
	if c.NotNull {
		null = "notnull"
	}
	s := c.Name + " " + normalizeType(c.Type) + " " + null
	if c.HasDefault {
		s += " default"
	}
	return s
}

// columns lists every column of every table on the current dialect.
func columns(t *testing.T, gdb *gorm.DB) []column {
	t.Helper()
	var out []column
	var err error
	if db.Dialect(gdb) == db.Postgres {
		err = gdb.Raw(`
			SELECT c.table_name AS "table", c.column_name AS name, c.data_type AS type,
				c.is_nullable = 'NO' AS not_null, c.column_default IS NOT NULL AS has_default,
				EXISTS (SELECT 1 FROM information_schema.table_constraints tc
					JOIN information_schema.key_column_usage k
						ON k.constraint_name = tc.constraint_name AND k.constraint_schema = tc.constraint_schema
					WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
						AND tc.table_name = c.table_name AND k.column_name = c.column_name) AS pk
			FROM information_schema.columns c
			WHERE c.table_schema = current_schema() AND c.table_name NOT LIKE 'river%'
			ORDER BY c.table_name, c.ordinal_position`).Scan(&out).Error
	} else {
		err = gdb.Raw(`
			SELECT m.name AS "table", p.name AS name, p.type AS type,
				p."notnull" AS not_null, p.dflt_value IS NOT NULL AS has_default, p.pk > 0 AS pk
			FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'river%'
			ORDER BY m.name, p.cid`).Scan(&out).Error
	}
	if err != nil {
		t.Fatalf("list columns: %v", err)
	}
	if len(out) == 0 {
		t.Fatal("no columns found")
	}
	return out
}

func indexes(t *testing.T, gdb *gorm.DB) []string {
	t.Helper()
	var rows []struct {
		Table, Name string
		Unique      bool
		Partial     bool
		Columns     string
		SQL         string // SQLite: the CREATE INDEX statement, for an expression
	}
	var err error
	if db.Dialect(gdb) == db.Postgres {
		err = gdb.Raw(`
			SELECT t.relname AS "table", i.relname AS name, ix.indisunique AS "unique",
				ix.indpred IS NOT NULL AS partial,
				(SELECT string_agg(pg_get_indexdef(ix.indexrelid, k.ord, true), ',' ORDER BY k.ord)
					FROM generate_series(1, ix.indnkeyatts::int) AS k(ord)) AS columns
			FROM pg_index ix
			JOIN pg_class i ON i.oid = ix.indexrelid
			JOIN pg_class t ON t.oid = ix.indrelid
			JOIN pg_namespace n ON n.oid = t.relnamespace
			WHERE n.nspname = current_schema() AND NOT ix.indisprimary AND t.relname <> ? AND t.relname NOT LIKE 'river%'`, gooseTable).Scan(&rows).Error
	} else {
		err = gdb.Raw(`
			SELECT m.name AS "table", l.name AS name, l."unique" AS "unique", l.partial AS partial,
				(SELECT group_concat(CASE WHEN cid = -2 THEN '(expr)' WHEN coll = 'NOCASE' THEN 'lower(' || name || ')' ELSE name END, ',')
					FROM (SELECT cid, name, coll FROM pragma_index_xinfo(l.name) WHERE key = 1 ORDER BY seqno)) AS columns,
				COALESCE((SELECT sql FROM sqlite_master WHERE type = 'index' AND name = l.name), '') AS sql
			FROM sqlite_master m JOIN pragma_index_list(m.name) l
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND l.origin = 'c' AND m.name <> ? AND m.name NOT LIKE 'river%'`, gooseTable).Scan(&rows).Error
	}
	if err != nil {
		t.Fatalf("list indexes: %v", err)
	}
	var out []string
	for _, r := range rows {
		if r.Columns == "(expr)" {
			// One expression, as PostgreSQL's pg_get_indexdef writes it:
			// "CREATE INDEX i ON t (SUBSTR(c, 1, 12))" gives "substr(c, 1, 12)".
			_, on, _ := strings.Cut(r.SQL, " ON ")
			_, expr, _ := strings.Cut(on, "(")
			r.Columns = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(expr), ")"))
		}
		s := r.Table + "." + r.Name + " plain"
		if r.Unique {
			s = r.Table + "." + r.Name + " unique"
		}
		if r.Partial {
			s += " partial"
		}
		out = append(out, s+" ("+r.Columns+")")
	}
	sort.Strings(out)
	return out
}

func foreignKeys(t *testing.T, gdb *gorm.DB) []string {
	t.Helper()
	var rows []struct {
		Table, Column, RefTable, RefColumn, OnDelete string
	}
	var err error
	if db.Dialect(gdb) == db.Postgres {
		err = gdb.Raw(`
			SELECT cl.relname AS "table", a.attname AS "column", rcl.relname AS ref_table, ra.attname AS ref_column,
				CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT'
					WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END AS on_delete
			FROM pg_constraint c
			JOIN pg_class cl ON cl.oid = c.conrelid
			JOIN pg_namespace n ON n.oid = cl.relnamespace
			JOIN pg_class rcl ON rcl.oid = c.confrelid
			CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, rcol)
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
			JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.rcol
			WHERE c.contype = 'f' AND n.nspname = current_schema() AND cl.relname NOT LIKE 'river%'`).Scan(&rows).Error
	} else {
		err = gdb.Raw(`
			SELECT m.name AS "table", f."from" AS "column", f."table" AS ref_table, f."to" AS ref_column, f.on_delete AS on_delete
			FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'river%'`).Scan(&rows).Error
	}
	if err != nil {
		t.Fatalf("list foreign keys: %v", err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s.%s -> %s.%s on delete %s", r.Table, r.Column, r.RefTable, r.RefColumn, r.OnDelete))
	}
	sort.Strings(out)
	return out
}

// TestSchemaParity compares the migrated schema of the current dialect with
// one fixed description. Run on SQLite and on PostgreSQL (DATABASE_URL), it
// proves both migrations produce the same tables, columns, indexes and
// foreign keys.
func TestSchemaParity(t *testing.T) {
	gdb := testdb.OpenMigrated(t)
	cols := columns(t, gdb)

	byTable := map[string][]column{}
	for _, c := range cols {
		byTable[c.Table] = append(byTable[c.Table], c)
	}

	t.Run("Tables", func(t *testing.T) {
		var got, want []string
		for name := range byTable {
			got = append(got, name)
		}
		for name := range expectedSchema {
			want = append(want, name)
		}
		want = append(want, gooseTable)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("tables on %s:\n got %v\nwant %v", db.Dialect(gdb), got, want)
		}
	})

	t.Run("Columns", func(t *testing.T) {
		for table, want := range expectedSchema {
			var names, got []string
			for _, c := range byTable[table] {
				names = append(names, c.Name)
				got = append(got, c.String())
			}
			var wantNames []string
			for _, w := range want {
				wantNames = append(wantNames, strings.Fields(w)[0])
			}
			// Names first, so a missing column reads plainly.
			if strings.Join(names, ",") != strings.Join(wantNames, ",") {
				t.Errorf("%s columns on %s:\n got %v\nwant %v", table, db.Dialect(gdb), names, wantNames)
				continue
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s column on %s: got %q, want %q", table, db.Dialect(gdb), got[i], want[i])
				}
			}
		}
		var goose []string
		for _, c := range byTable[gooseTable] {
			goose = append(goose, c.Name)
		}
		if strings.Join(goose, ",") != strings.Join(gooseColumns, ",") {
			t.Errorf("%s columns = %v, want %v", gooseTable, goose, gooseColumns)
		}
	})

	t.Run("PrimaryKeys", func(t *testing.T) {
		want := map[string]string{
			"organizations":          "id",
			"users":                  "id",
			"organization_members":   "organization_id,user_id",
			"workspaces":             "id",
			"workspace_members":      "workspace_id,user_id",
			"access_links":           "id",
			"connected_accounts":     "id",
			"link_events":            "id",
			"oauth_callbacks":        "state_hash",
			"sessions":               "id_hash",
			"write_probe":            "name",
			"sign_in_throttle":       "id",
			"sandbox_auth_requests":  "id",
			"sandbox_codes":          "code_hash",
			"sandbox_tokens":         "id",
			"sandbox_revoked_grants": "grant_id",
			"api_keys":               "id",
			"api_key_events":         "id",
			"api_idempotency":        "api_key_id,idem_key",
			"webhook_endpoints":      "id",
			"webhook_messages":       "id",
			"webhook_deliveries":     "id",
			"mail_messages":          "id",
			"organization_brandings": "organization_id",
			"branding_changes":       "id",
		}
		for table, cols := range want {
			var pk []string
			for _, c := range byTable[table] {
				if c.PK {
					pk = append(pk, c.Name)
				}
			}
			if strings.Join(pk, ",") != cols {
				t.Errorf("%s primary key = %v, want %s", table, pk, cols)
			}
		}
	})

	t.Run("Indexes", func(t *testing.T) {
		got := indexes(t, gdb)
		if strings.Join(got, "\n") != strings.Join(expectedIndexes, "\n") {
			t.Fatalf("indexes on %s:\n got %s\nwant %s", db.Dialect(gdb), strings.Join(got, "\n     "), strings.Join(expectedIndexes, "\n     "))
		}
	})

	t.Run("ForeignKeys", func(t *testing.T) {
		got := foreignKeys(t, gdb)
		if strings.Join(got, "\n") != strings.Join(expectedForeignKeys, "\n") {
			t.Fatalf("foreign keys on %s:\n got %s\nwant %s", db.Dialect(gdb), strings.Join(got, "\n     "), strings.Join(expectedForeignKeys, "\n     "))
		}
	})
}

// TestUnavailable: a closed pool and a lost connection are the database
// being unavailable; an error in a statement is not.
func TestUnavailable(t *testing.T) {
	gdb := testdb.Open(t)
	if err := db.Ping(context.Background(), gdb); err != nil || db.Unavailable(err) {
		t.Fatalf("Ping = %v, Unavailable = %v on an open pool", err, db.Unavailable(err))
	}
	if err := gdb.Exec("SELECT * FROM no_such_table").Error; err == nil || db.Unavailable(err) {
		t.Errorf("a statement's error (%v) counts as unavailable", err)
	}
	if err := db.SQL(gdb).Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background(), gdb); !db.Unavailable(err) {
		t.Errorf("Ping on a closed pool = %v, not unavailable", err)
	}
}
