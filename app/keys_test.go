package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func newKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

var linkTokenRe = regexp.MustCompile(`/connect/([A-Za-z0-9_-]{43})`)

// generateDemoLink signs in as the demo admin and generates a sandbox link
// through the pages, as the admin's browser would; it returns the token.
func generateDemoLink(t *testing.T, base string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/login", url.Values{"email": {"admin@demo.test"}, "password": {"demo-password-123"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	landing := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(landing, "/sources") {
		t.Fatalf("sign-in: %d to %q", res.StatusCode, landing)
	}
	req, _ := http.NewRequest(http.MethodPost, base+landing+"/access-requests", strings.NewReader("source=sandbox"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("generate: %d", res.StatusCode)
	}
	res, err = c.Get(base + res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := linkTokenRe.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("no link on the new link's page (%d)", res.StatusCode)
	}
	return m[1]
}

// consentStatus opens a link's consent page.
func consentStatus(t *testing.T, base, token string) int {
	t.Helper()
	res, err := http.Get(base + "/connect/" + token)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestKeyMustOpenExistingData (SECURITY 19, 24): the program refuses to
// start with a key that cannot open the links already stored, and starts
// when the old key is given as a rotated-out key; a restart with the right
// key keeps the links working.
func TestKeyMustOpenExistingData(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": "demo-password-123",
		"APP_SECRET_KEY": k1, "DATABASE_URL": ""}
	base, _, stop := serveFor(t, env)
	token := generateDemoLink(t, base)
	if got := consentStatus(t, base, token); got != http.StatusOK {
		t.Fatalf("the new link's consent page: %d", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrOtherKey", func(t *testing.T) {
		wrong := maps.Clone(env)
		wrong["APP_SECRET_KEY"], wrong["PORT"] = k2, "0" // refused before it listens
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		logs := &lockedBuffer{}
		err := run(ctx, []string{"serve"}, func(k string) string { return wrong[k] }, strings.NewReader(""), io.Discard, logs)
		if err == nil {
			t.Fatal("the program served with a key that cannot open the stored links")
		}
		if !strings.Contains(err.Error(), "APP_SECRET_KEY cannot open") {
			t.Errorf("error %q does not say the key cannot open the data", err)
		}
		if strings.Contains(logs.String(), `"msg":"serving"`) {
			t.Error("the program listened before refusing the key")
		}
	})
	t.Run("ErrOtherKeyMigrate", func(t *testing.T) {
		// The rollout's first step fails, not the first replica's start.
		wrong := maps.Clone(env)
		wrong["APP_SECRET_KEY"] = k2
		err := run(context.Background(), []string{"migrate"}, func(k string) string { return wrong[k] }, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "APP_SECRET_KEY cannot open") {
			t.Errorf("migrate with another key: %v, want it to say the key cannot open the data", err)
		}
		if err := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, io.Discard); err != nil {
			t.Errorf("migrate with the right key: %v", err)
		}
	})
	t.Run("RotatedKeyStarts", func(t *testing.T) {
		rotated := maps.Clone(env)
		rotated["APP_SECRET_KEY"], rotated["APP_OLD_SECRET_KEYS"] = k2, k1
		base, _, stop := serveFor(t, rotated)
		defer stop()
		if got := consentStatus(t, base, token); got != http.StatusOK {
			t.Errorf("the link after the key rotation: %d", got)
		}
	})
	t.Run("RestartKeepsTheLink", func(t *testing.T) {
		again := maps.Clone(env)
		base, _, stop := serveFor(t, again)
		defer stop()
		if got := consentStatus(t, base, token); got != http.StatusOK {
			t.Errorf("the link after a restart: %d", got)
		}
	})
}
