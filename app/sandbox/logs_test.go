package sandbox_test

import (
	"crypto/rand"
	"encoding/json"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/sandbox"
)

// TestLogsThroughTheAppLogger (issue 7 item 10): the provider library's
// warnings, which carry the OAuth state, reach the sandbox's JSON logger
// without the state, the request ID or any code; nothing is written as
// plain text. Not parallel: it installs the process's default logger, as
// main does.
func TestLogsThroughTheAppLogger(t *testing.T) {
	stderr := &testutil.LogBuffer{}
	appLog := slog.New(slog.NewJSONHandler(stderr, nil))
	prev, prevFlags := slog.Default(), log.Flags()
	slog.SetDefault(slog.New(sandbox.LogHandler(appLog.Handler())))
	t.Cleanup(func() {
		slog.SetDefault(prev)
		log.SetOutput(os.Stderr)
		log.SetFlags(prevFlags)
	})

	e := start(t, func(o *sandbox.Options) { o.Logger = appLog.With("component", "sandbox") })
	cfg := e.config(oauth2.AuthStyleInHeader)
	var secrets []string

	// Deny: the library logs the access_denied error with the state and
	// redirects.
	f := newFlow(cfg)
	form := e.startFlow(f.authURL())
	secrets = append(secrets, f.state, f.nonce, form.hidden.Get("id"))
	if res := e.submit(form, "deny", "", http.StatusFound); res.location == nil {
		t.Fatal("Deny did not redirect")
	}
	// An authorization request without PKCE: refused with a redirect that
	// carries the state.
	state := rand.Text()
	secrets = append(secrets, state)
	e.get(cfg.AuthCodeURL(state), http.StatusFound)
	// A code presented twice: the library logs the token error.
	f2 := newFlow(cfg)
	code := e.obtainCode(f2, "sandbox-user-1")
	secrets = append(secrets, code, f2.verifier)
	if _, err := f2.exchange(code); err != nil {
		t.Fatal(err)
	}
	if _, err := f2.exchange(code); err == nil {
		t.Fatal("a code was exchanged twice")
	}

	// Something the library writes through the log package goes the same way.
	log.Printf("library note with a URL https://client.example/cb?state=%s&x=1", state)

	out := stderr.String()
	var fromSandbox int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("plain-text line on stderr: %q", line)
			continue
		}
		if rec["component"] == "sandbox" {
			fromSandbox++
		}
	}
	if fromSandbox == 0 {
		t.Fatalf("the library's warnings did not reach the sandbox's logger:\n%s", out)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("the log holds a secret value %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "[redacted]") {
		t.Errorf("nothing was redacted; were the warnings logged at all?\n%s", out)
	}
}
