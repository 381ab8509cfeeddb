package sources_test

import (
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/sources"
)

// oidcYAML is a source with every kind of URL a source can hold.
const oidcYAML = `
sources:
  - key: acme_id
    name: Acme ID
    logo: https://cdn.acme.example/logo.svg
    auth_url: https://id.acme.example/authorize
    token_url: https://id.acme.example/token
    issuer: https://id.acme.example
    jwks_url: https://id.acme.example/keys
    auth_params: {prompt: consent}
    scopes:
      - name: openid
        title: Know who you are
    identity:
      userinfo_url: https://id.acme.example/userinfo
      id_token: true
      id_field: sub
`

// TestSourceURLsMustBeHTTPS (issue 7 item 7, SECURITY 33): every URL of a
// source is https; plain http only for a loopback host outside production.
func TestSourceURLsMustBeHTTPS(t *testing.T) {
	if _, err := sources.Load(sources.Options{File: writeFile(t, oidcYAML), Getenv: noEnv, Production: true}); err != nil {
		t.Fatalf("an all-https source was refused: %v", err)
	}
	for _, field := range []string{"auth_url", "token_url", "issuer", "jwks_url", "userinfo_url"} {
		for _, tc := range []struct {
			name, host string
			production bool
			ok         bool
		}{
			{"ErrRemoteHTTP", "id.acme.example", false, false},
			{"ErrRemoteHTTPProduction", "id.acme.example", true, false},
			{"LoopbackIPv4", "127.0.0.1:9000", false, true},
			{"LoopbackIPv4Range", "127.8.9.10", false, true},
			{"LoopbackIPv6", "[::1]:9000", false, true},
			{"Localhost", "localhost:9000", false, true},
			{"ErrLoopbackInProduction", "127.0.0.1:9000", true, false},
			{"ErrLocalhostInProduction", "localhost", true, false},
			{"ErrLookalike", "localhost.evil.example", false, false},
		} {
			t.Run(field+"/"+tc.name, func(t *testing.T) {
				line := field + ": https://id.acme.example"
				i := strings.Index(oidcYAML, line)
				if i < 0 {
					t.Fatalf("no %s line", field)
				}
				end := i + strings.Index(oidcYAML[i:], "\n")
				path := oidcYAML[i+len(line) : end]
				body := oidcYAML[:i] + field + ": http://" + tc.host + path + oidcYAML[end:]
				_, err := sources.Load(sources.Options{File: writeFile(t, body), Getenv: noEnv, Production: tc.production})
				if tc.ok {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if err == nil {
					t.Fatalf("a source with %s http://%s loaded", field, tc.host)
				}
				for _, want := range []string{`"acme_id"`, field + " must be an https URL"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %s", err, want)
					}
				}
			})
		}
	}
	for _, tc := range []struct{ name, logo string }{
		{"ErrHTTPLogo", "http://cdn.acme.example/logo.svg"},
		{"ErrSchemelessLogo", "//cdn.acme.example/logo.svg"},
		{"ErrDataLogo", "'data:image/svg+xml,<svg/>'"},
		{"ErrScriptLogo", "'javascript:alert(1)'"},
	} {
		t.Run("logo/"+tc.name, func(t *testing.T) {
			body := strings.Replace(oidcYAML, "logo: https://cdn.acme.example/logo.svg", "logo: "+tc.logo, 1)
			_, err := sources.Load(sources.Options{File: writeFile(t, body), Getenv: noEnv})
			if err == nil || !strings.Contains(err.Error(), "logo must be") {
				t.Fatalf("err = %v, want the logo refused", err)
			}
		})
	}
	t.Run("logo/StaticFile", func(t *testing.T) {
		body := strings.Replace(oidcYAML, "logo: https://cdn.acme.example/logo.svg", "logo: logos/acme.svg", 1)
		if _, err := sources.Load(sources.Options{File: writeFile(t, body), Getenv: noEnv, Production: true}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SandboxOutsideProduction", func(t *testing.T) {
		// The sandbox's URLs come from the app's own base URL, which may
		// be plain http on a developer's machine.
		c := load(t, sources.Options{SandboxURL: "http://devbox.lan:8080/sandbox", SandboxSecret: "s"})
		if c.Get("sandbox") == nil {
			t.Fatal("no sandbox")
		}
	})
}

// TestReservedAuthParams (issue 7 item 7, SECURITY 33): auth_params cannot
// set a parameter the OAuth client sets itself; the error names the source
// and the parameter.
func TestReservedAuthParams(t *testing.T) {
	for _, name := range []string{"redirect_uri", "state", "client_id", "client_secret", "code_challenge",
		"code_challenge_method", "response_type", "scope", "nonce", "response_mode", "request_uri", "Redirect_URI"} {
		t.Run("Err/"+name, func(t *testing.T) {
			body := strings.Replace(oidcYAML, "auth_params: {prompt: consent}", "auth_params: {prompt: consent, "+name+": x}", 1)
			_, err := sources.Load(sources.Options{File: writeFile(t, body), Getenv: noEnv})
			if err == nil {
				t.Fatalf("auth_params could set %s", name)
			}
			for _, want := range []string{`"acme_id"`, `auth_params must not set "` + name + `"`} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %s", err, want)
				}
			}
		})
	}
	t.Run("OtherParamsOK", func(t *testing.T) {
		body := strings.Replace(oidcYAML, "auth_params: {prompt: consent}", "auth_params: {prompt: consent, access_type: offline, audience: api}", 1)
		c := load(t, sources.Options{File: writeFile(t, body)})
		if c.Get("acme_id").AuthParams["audience"] != "api" {
			t.Fatal("audience lost")
		}
	})
}
