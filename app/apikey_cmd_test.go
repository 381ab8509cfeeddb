package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
)

// TestAPIKeyCommands (issue 9): `app api-key create` prints the key alone
// on stdout and logs only to stderr; `app api-key revoke` ends it; wrong
// command lines exit 2 with the usage, refusals exit 1 with the reason.
func TestAPIKeyCommands(t *testing.T) {
	getenv := onlyDataDir(t.TempDir())
	ctx := context.Background()
	cmd := func(t *testing.T, args ...string) (stdout, stderr string, err error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err = run(ctx, args, getenv, strings.NewReader("a long password\n"), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	for _, u := range [][]string{
		{"-email", "kim@example.com", "-name", "Kim", "-org", "Kim Co", "-org-role", "owner", "-plan", "pro", "-workspace", "Reports", "-role", "admin"},
		{"-email", "fay@example.com", "-name", "Fay", "-org", "Fay Co", "-org-role", "owner", "-plan", "free", "-workspace", "Shop", "-role", "admin"},
	} {
		if _, _, err := cmd(t, append([]string{"user", "add"}, u...)...); err != nil {
			t.Fatal(err)
		}
	}
	// The service on the same database, to look up and check what the
	// commands did.
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	o, err := open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	workspace := func(t *testing.T, email string) string {
		t.Helper()
		u, err := o.svc.Authenticate(ctx, email, "a long password")
		if err != nil {
			t.Fatal(err)
		}
		ws, err := o.svc.Workspaces(ctx, u.ID)
		if err != nil || len(ws) != 1 {
			t.Fatalf("workspaces of %s: %v %v", email, ws, err)
		}
		return ws[0].ID
	}
	reports, shop := workspace(t, "kim@example.com"), workspace(t, "fay@example.com")

	var key, keyID string
	t.Run("Create", func(t *testing.T) {
		stdout, stderr, err := cmd(t, "api-key", "create", "--workspace", reports, "--name", "Nightly export")
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^ar_[A-Za-z0-9_-]{43}\n$`).MatchString(stdout) {
			t.Fatalf("stdout = %q, want the key alone on one line", stdout)
		}
		key = strings.TrimSpace(stdout)
		if strings.Contains(stderr, key) || strings.Contains(stderr, key[9:]) || !strings.Contains(stderr, `"msg":"API key created"`) {
			t.Errorf("stderr holds the key, or not the creation:\n%s", stderr)
		}
		p, err := o.svc.AuthenticateAPIKey(ctx, key, "198.51.100.1", "test")
		if err != nil || p.Key.WorkspaceID != reports || p.Key.Name != "Nightly export" || p.Key.CreatedBy != nil {
			t.Fatalf("the printed key: %+v, %v", p, err)
		}
		keyID = p.Key.ID
		if !strings.Contains(stderr, keyID) {
			t.Errorf("stderr does not name the key's ID for a later revoke:\n%s", stderr)
		}
	})
	t.Run("Revoke", func(t *testing.T) {
		stdout, _, err := cmd(t, "api-key", "revoke", keyID)
		if err != nil || stdout != "API key "+keyID+" is revoked\n" {
			t.Fatalf("revoke: %q, %v", stdout, err)
		}
		if _, err := o.svc.AuthenticateAPIKey(ctx, key, "198.51.100.1", "test"); access.ErrorCode(err) != access.EUNAUTHORIZED {
			t.Errorf("the revoked key authenticates: %v", err)
		}
		if _, _, err := cmd(t, "api-key", "revoke", keyID); err != nil {
			t.Errorf("revoking again: %v, want nothing to do", err)
		}
	})

	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"ErrNoSubcommand", []string{"api-key"}, 2, []string{"app api-key create --workspace"}},
		{"ErrUnknownSubcommand", []string{"api-key", "list"}, 2, []string{"usage"}},
		{"ErrMissingBoth", []string{"api-key", "create"}, 2, []string{"--workspace and --name are required"}},
		{"ErrMissingName", []string{"api-key", "create", "--workspace", reports}, 2, []string{"--name is required"}},
		{"ErrMissingWorkspace", []string{"api-key", "create", "--name", "x"}, 2, []string{"--workspace is required"}},
		{"ErrUnknownFlag", []string{"api-key", "create", "--org", "x"}, 2, []string{"-org", "usage"}},
		{"ErrUnquotedName", []string{"api-key", "create", "--workspace", reports, "--name", "CRM", "sync"}, 2, []string{`unexpected argument "sync"`}},
		{"ErrRevokeNoID", []string{"api-key", "revoke"}, 2, []string{"give one key ID"}},
		{"ErrRevokeTwoIDs", []string{"api-key", "revoke", keyID, keyID}, 2, []string{"give one key ID"}},
		{"ErrUnknownCommand", []string{"api-keys"}, 2, []string{`unknown command "api-keys"`}},
		{"ErrUnknownWorkspace", []string{"api-key", "create", "--workspace", access.NewID(), "--name", "x"}, 1, []string{"Workspace not found."}},
		{"ErrMalformedWorkspace", []string{"api-key", "create", "--workspace", "Reports", "--name", "x"}, 1, []string{"Workspace not found."}},
		{"ErrFreePlan", []string{"api-key", "create", "--workspace", shop, "--name", "x"}, 1, []string{"Free plan"}},
		{"ErrLongName", []string{"api-key", "create", "--workspace", reports, "--name", strings.Repeat("n", 81)}, 1, []string{"-name: At most 80 characters."}},
		{"ErrRevokeUnknown", []string{"api-key", "revoke", access.NewID()}, 1, []string{"API key not found."}},
		{"ErrRevokeMalformed", []string{"api-key", "revoke", "ar_not-an-id"}, 1, []string{"API key not found."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, _, err := cmd(t, c.args...)
			if got := exitCode(err); got != c.code {
				t.Errorf("exit code %d (%v), want %d", got, err, c.code)
			}
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not say %q", err, w)
				}
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
	if n, err := o.svc.ListAPIKeys(ctx, shop); err != nil || len(n) != 0 {
		t.Errorf("keys of the Free workspace: %v %v", n, err)
	}
}

func TestExitCode(t *testing.T) {
	for err, want := range map[error]int{nil: 0, io.EOF: 1, &usageError{"x"}: 2} {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
}
