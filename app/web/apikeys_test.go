package web_test

// The API keys page (issue 9): every gate, bad input, the key shown once
// and nowhere else, revocation with its confirmation, and each key's
// history; on SQLite and, with DATABASE_URL, on PostgreSQL.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/app/web"
	"github.com/accessrequests/accessrequests/models"
)

// keysEnv is a scenario env whose server logs into logs.
func keysEnv(t *testing.T) (*env, *testutil.LogBuffer) {
	t.Helper()
	e := newEnv(t)
	logs := &testutil.LogBuffer{}
	e.srv = testutil.NewServer(t, e.svc, func(o *web.Options) {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e.vars["keys"] = "/w/{reporting}/settings/api-keys"
	return e, logs
}

// makeKey creates a key through the domain, as who in workspaceID.
func (e *env) makeKey(t *testing.T, who, workspaceID, name string) (*access.APIKey, string) {
	t.Helper()
	u := e.user(t, who)
	k, raw, err := e.svc.CreateAPIKey(context.Background(), testutil.Member(t, e.svc, u.ID, workspaceID), access.Actor{UserID: u.ID, Name: u.Name}, name)
	if err != nil {
		t.Fatal(err)
	}
	return k, raw
}

func TestAPIKeysPage(t *testing.T) {
	t.Parallel()
	e, logs := keysEnv(t)
	var secretKey string // the key shown by "Create"
	e.run(t, []scenario{
		{
			name: "Empty", as: "admin", url: "{keys}", status: http.StatusOK,
			testids:  []string{"api-keys-empty", "api-key-form"},
			noTestid: []string{"api-keys-table", "gate", "api-key-created", "api-key-secret"},
			contains: []string{"API keys", "No API keys yet"},
		},
		{
			name: "NavigationLink", as: "admin", url: "/w/{reporting}/sources", status: http.StatusOK,
			contains: []string{`href="/w/{reporting}/settings/api-keys"`},
		},
		{
			name: "NavigationLink/NotForMembers", as: "member", url: "/w/{reporting}/sources", status: http.StatusOK,
			absent: []string{"/settings/api-keys"},
		},
		{
			name: "Create", as: "admin", method: "POST", url: "{keys}", form: url.Values{"name": {"  CRM sync "}},
			status:   http.StatusCreated,
			testids:  []string{"api-key-created", "api-key-secret", "api-key-warning", "copy-link", "api-keys-table"},
			contains: []string{"it will not be shown again", "CRM sync"},
			noHeader: []string{"Location", "Set-Cookie", "HX-Trigger"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				doc := testutil.ParseHTML(t, body)
				secretKey = testutil.Attr(testutil.ByTestID(doc, "api-key-secret")[0], "value")
				if !strings.HasPrefix(secretKey, access.APIKeyPrefix) || len(secretKey) != len(access.APIKeyPrefix)+43 {
					t.Fatalf("shown key %q", secretKey)
				}
				if got := testutil.Attr(testutil.ByTestID(doc, "copy-link")[0], "data-copy"); got != secretKey {
					t.Errorf("the copy button copies %q, not the key", got)
				}
				keys, err := e.svc.ListAPIKeys(context.Background(), e.f.Reporting.ID)
				if err != nil || len(keys) != 1 {
					t.Fatalf("keys = %+v, %v", keys, err)
				}
				k := testutil.RowOf[models.APIKey](t, e.svc, keys[0].ID)
				if k.Name != "CRM sync" || k.KeyHash != secret.HashToken(secretKey) || k.CreatedBy == nil || *k.CreatedBy != e.f.Admin.ID {
					t.Errorf("stored key = %+v", k)
				}
				e.vars["key"] = k.ID
				e.vars["prefix"] = k.Prefix
				if prefixes := testutil.ByTestID(doc, "api-key-prefix"); len(prefixes) != 1 || testutil.TextOf(prefixes[0]) != k.Prefix+"…" {
					t.Errorf("the row shows the prefix as %v, want %q", prefixes, k.Prefix+"…")
				}
			},
		},
		{
			name: "ShownOnce", as: "admin", url: "{keys}", status: http.StatusOK,
			testids:  []string{"api-keys-table", "api-key-row", "api-key-history"},
			noTestid: []string{"api-key-created", "api-key-secret"},
			contains: []string{"{prefix}…", "Adam Admin", "Never used", "Created by Adam Admin"},
			check: func(t *testing.T, e *env, _ *http.Response, body string) {
				if strings.Contains(body, secretKey) || strings.Contains(body, secretKey[len(e.vars["prefix"]):]) {
					t.Error("the list shows the key again")
				}
			},
		},
		{
			name: "ErrNameMissing", as: "admin", method: "POST", url: "{keys}", form: url.Values{"name": {"   "}},
			status: http.StatusUnprocessableEntity, testids: []string{"api-key-error", "api-key-form"},
			noTestid: []string{"api-key-created"}, contains: []string{"Give the key a name"},
		},
		{
			name: "ErrNameTooLong", as: "admin", method: "POST", url: "{keys}", form: url.Values{"name": {strings.Repeat("k", access.MaxAPIKeyName+1)}},
			status: http.StatusUnprocessableEntity, testids: []string{"api-key-error"}, contains: []string{"At most 80 characters", strings.Repeat("k", access.MaxAPIKeyName+1)},
		},
		{
			name: "ErrNameControlCharacters", as: "admin", method: "POST", url: "{keys}", form: url.Values{"name": {"\x00\x07"}},
			status: http.StatusUnprocessableEntity, testids: []string{"api-key-error"},
		},
		{
			name: "ErrNameAbsent", as: "admin", method: "POST", url: "{keys}", form: url.Values{},
			status: http.StatusUnprocessableEntity, testids: []string{"api-key-error"},
		},
		{
			name: "ConfirmRevoke", as: "admin", url: "{keys}/{key}/revoke", status: http.StatusOK,
			testids: []string{"revoke-confirm", "confirm-revoke"}, contains: []string{"Revoke the API key “CRM sync”?", "{prefix}…"},
			absent: []string{`hx-`},
		},
		{
			name: "Revoke", as: "admin", method: "POST", url: "{keys}/{key}/revoke", status: http.StatusSeeOther,
			location: "/w/{reporting}/settings/api-keys",
			check: func(t *testing.T, e *env, _ *http.Response, _ string) {
				k := testutil.RowOf[models.APIKey](t, e.svc, e.vars["key"])
				if k.RevokedAt == nil || k.RevokedBy == nil || *k.RevokedBy != e.f.Admin.ID {
					t.Errorf("revoked key = %+v", k)
				}
				if _, err := e.svc.AuthenticateAPIKey(context.Background(), secretKey, "198.51.100.1", ""); access.ErrorCode(err) != access.EUNAUTHORIZED {
					t.Errorf("the revoked key authenticates: %v", err)
				}
			},
		},
		{
			name: "AfterRevoke", as: "admin", url: "{keys}", status: http.StatusOK,
			testids: []string{"flash", "api-key-row"}, noTestid: []string{"revoke-api-key"},
			contains: []string{"API key revoked", "Revoked by Adam Admin"},
			check: func(t *testing.T, e *env, _ *http.Response, body string) {
				doc := testutil.ParseHTML(t, body)
				if st := testutil.ByTestID(doc, "api-key-status"); len(st) != 1 || testutil.TextOf(st[0]) != "Revoked" {
					t.Errorf("status = %v, want Revoked", st)
				}
				var kinds []string
				for _, n := range testutil.ByTestID(doc, "api-key-event") {
					kinds = append(kinds, testutil.Attr(n, "data-kind"))
				}
				if strings.Join(kinds, ",") != "created,revoked" {
					t.Errorf("history = %v, want created, revoked", kinds)
				}
			},
		},
		{
			name: "ConfirmRevoke/AlreadyRevoked", as: "admin", url: "{keys}/{key}/revoke", status: http.StatusOK,
			testids: []string{"revoke-confirm"}, noTestid: []string{"confirm-revoke"}, contains: []string{"already revoked"},
		},
		{
			name: "Revoke/Again", as: "admin", method: "POST", url: "{keys}/{key}/revoke", status: http.StatusSeeOther,
			check: func(t *testing.T, e *env, _ *http.Response, _ string) {
				var n int64
				testutil.DBOf(e.svc).Model(&models.APIKeyEvent{}).Where("api_key_id = ? AND kind = ?", e.vars["key"], access.APIKeyRevoked).Count(&n)
				if n != 1 {
					t.Errorf("revoke events = %d, want 1", n)
				}
			},
		},
	})

	t.Run("NoKeyInLogsOrSessions", func(t *testing.T) {
		if secretKey == "" {
			t.Fatal("no key was created")
		}
		if strings.Contains(logs.String(), secretKey) || !strings.Contains(logs.String(), "api-keys") {
			t.Errorf("the log holds the key, or logs nothing of the page:\n%s", logs.String())
		}
		var flashes []string
		if err := testutil.DBOf(e.svc).Model(&models.Session{}).Pluck("flash", &flashes).Error; err != nil {
			t.Fatal(err)
		}
		for _, f := range flashes {
			if strings.Contains(f, secretKey) {
				t.Error("a flash message holds the key")
			}
		}
	})
}

// TestAPIKeysGates: the page explains itself to members and to the Free
// plan; every change is refused on the server to anyone but a manager of
// the key's own workspace.
func TestAPIKeysGates(t *testing.T) {
	t.Parallel()
	e, _ := keysEnv(t)
	k, raw := e.makeKey(t, "admin", e.f.Reporting.ID, "Reporting tool")
	e.vars["key"] = k.ID
	freeKeys := "/w/{main}/settings/api-keys"
	create := url.Values{"name": {"sneaky"}}
	var scenarios []scenario
	for _, who := range []string{"member", "viewer"} {
		scenarios = append(scenarios,
			scenario{
				name: "Page/" + who, as: who, url: "{keys}", status: http.StatusOK,
				testids: []string{"gate", "gate-reason"}, noTestid: []string{"api-key-form", "api-keys-table"},
				contains: []string{"Only admins can manage API keys"}, absent: []string{"Reporting tool", k.Prefix},
			},
			scenario{name: "Create/" + who, as: who, method: "POST", url: "{keys}", form: create, status: http.StatusForbidden, testids: []string{"error"}},
			scenario{name: "ConfirmRevoke/" + who, as: who, url: "{keys}/{key}/revoke", status: http.StatusForbidden},
			scenario{name: "Revoke/" + who, as: who, method: "POST", url: "{keys}/{key}/revoke", status: http.StatusForbidden},
		)
	}
	scenarios = append(scenarios,
		scenario{
			name: "Page/FreePlan", as: "free", url: freeKeys, status: http.StatusOK,
			testids: []string{"gate"}, noTestid: []string{"api-key-form"},
			contains: []string{"Pro feature", "not included in the Free plan", "you can upgrade"},
		},
		scenario{name: "Create/FreePlan", as: "free", method: "POST", url: freeKeys, form: create, status: http.StatusForbidden},
		// The owner manages every workspace of the organization.
		scenario{name: "Page/Owner", as: "owner", url: "{keys}", status: http.StatusOK, testids: []string{"api-key-row", "revoke-api-key"}},
		// Another workspace's admin: the workspace does not exist for them,
		// nor does the key through their own workspace.
		scenario{name: "Page/OtherWorkspace", as: "other", url: "{keys}", status: http.StatusNotFound},
		scenario{name: "Create/OtherWorkspace", as: "other", method: "POST", url: "{keys}", form: create, status: http.StatusNotFound},
		scenario{name: "Revoke/OtherWorkspace", as: "other", method: "POST", url: "{keys}/{key}/revoke", status: http.StatusNotFound},
		scenario{name: "ConfirmRevoke/ThroughOwnWorkspace", as: "other", url: "/w/{internal}/settings/api-keys/{key}/revoke", status: http.StatusNotFound},
		scenario{name: "Revoke/ThroughOwnWorkspace", as: "other", method: "POST", url: "/w/{internal}/settings/api-keys/{key}/revoke", status: http.StatusNotFound},
		scenario{name: "Support", as: "support", url: "{keys}", status: http.StatusNotFound},
		// Not signed in.
		scenario{name: "Page/Anonymous", url: "{keys}", status: http.StatusSeeOther},
		scenario{name: "Create/Anonymous", method: "POST", url: "{keys}", form: create, status: http.StatusSeeOther},
		scenario{name: "Revoke/Anonymous", method: "POST", url: "{keys}/{key}/revoke", status: http.StatusSeeOther},
		// Malformed and unknown key IDs.
		scenario{name: "ConfirmRevoke/Malformed", as: "admin", url: "{keys}/123/revoke", status: http.StatusNotFound, absent: []string{"Internal error", "sql"}},
		scenario{name: "Revoke/Malformed", as: "admin", method: "POST", url: "{keys}/..%2Fetc/revoke", status: http.StatusNotFound},
		scenario{name: "Revoke/Unknown", as: "admin", method: "POST", url: "{keys}/00000000-0000-4000-8000-000000000000/revoke", status: http.StatusNotFound},
		// Cross-site form posts (CSRF), as for every other form.
		scenario{name: "Create/CrossSite", as: "admin", method: "POST", url: "{keys}", form: create, header: []string{"Sec-Fetch-Site", "cross-site"}, status: http.StatusForbidden},
		scenario{name: "Revoke/CrossSite", as: "admin", method: "POST", url: "{keys}/{key}/revoke", header: []string{"Origin", "https://evil.example"}, status: http.StatusForbidden},
	)
	e.run(t, scenarios)

	t.Run("NothingChanged", func(t *testing.T) {
		if n := testutil.CountOf[models.APIKey](t, e.svc, "workspace_id = ?", e.f.Reporting.ID) + testutil.CountOf[models.APIKey](t, e.svc, "workspace_id = ?", e.f.Main.ID) + testutil.CountOf[models.APIKey](t, e.svc, "workspace_id = ?", e.f.Internal.ID); n != 1 {
			t.Errorf("keys = %d, want only the admin's", n)
		}
		if _, err := e.svc.AuthenticateAPIKey(context.Background(), raw, "198.51.100.1", ""); err != nil {
			t.Errorf("the key stopped working: %v", err)
		}
	})
}

// TestAPIKeysLimit: the 51st live key is refused with the domain's reason.
func TestAPIKeysLimit(t *testing.T) {
	t.Parallel()
	e, _ := keysEnv(t)
	for i := range access.MaxAPIKeys {
		e.makeKey(t, "admin", e.f.Reporting.ID, fmt.Sprintf("key %d", i))
	}
	e.run(t, []scenario{{
		name: "ErrTooMany", as: "owner", method: "POST", url: "{keys}", form: url.Values{"name": {"one more"}},
		status: http.StatusConflict, testids: []string{"api-key-error"}, contains: []string{"Revoke one you no longer use first", "one more"},
		noTestid: []string{"api-key-secret"},
	}})
}

// TestAPIKeysHistory: a use from a new address shows in the key's row and
// its history, with the key made from the command line named as such.
func TestAPIKeysHistory(t *testing.T) {
	t.Parallel()
	e, _ := keysEnv(t)
	ctx := context.Background()
	k, raw, err := e.svc.CreateAPIKeyForWorkspace(ctx, e.f.Reporting.ID, "Nightly export")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.AuthenticateAPIKey(ctx, raw, "198.51.100.23", "export-bot/1.2"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	e.run(t, []scenario{{
		name: "Row", as: "admin", url: "{keys}", status: http.StatusOK,
		contains: []string{"Command line", "Created from the command line", "First used from 198.51.100.23", "export-bot/1.2", "1 hour ago", "from 198.51.100.23"},
		check: func(t *testing.T, e *env, _ *http.Response, body string) {
			doc := testutil.ParseHTML(t, body)
			if c := testutil.ByTestID(doc, "api-key-creator"); len(c) != 1 || testutil.TextOf(c[0]) != "Command line" {
				t.Errorf("creator = %v", c)
			}
			if r := testutil.ByTestID(doc, "api-key-row"); len(r) != 1 || testutil.Attr(r[0], "id") != "key-"+k.ID {
				t.Errorf("rows = %v", r)
			}
		},
	}})
}
