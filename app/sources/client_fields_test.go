package sources_test

import (
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/sources"
)

// The token request and identity fields of the source format (issue 15,
// item 1): token_auth, token_params, revoke_url, api_version,
// issuer_aliases, permissions_url, identity.introspect_url and
// identity.graphql, read from SOURCES_FILE like every other field; and the
// consent page's trust fields (issue 12, item 4): revoke_help_url and
// access_days.
const clientFieldsYAML = `
sources:
  - key: acme_api
    name: Acme API
    api_version: "2026-10"
    auth_url: https://login.acme.example/{api_version}/authorize
    token_url: https://login.acme.example/{api_version}/token
    token_auth: post
    token_params: {expiring: "1"}
    revoke_url: https://login.acme.example/{api_version}/revoke
    revoke_help_url: https://help.acme.example/revoke-an-app
    access_days: 90
    permissions_url: https://api.acme.example/{api_version}/me/permissions
    issuer: https://login.acme.example
    issuer_aliases: [login.acme.example]
    scopes:
      - {name: data.read, title: Read data}
    identity:
      userinfo_url: https://api.acme.example/{api_version}/graphql
      graphql: "{ me { id } }"
      id_field: data.me.id
  - key: acme_hub
    name: Acme Hub
    auth_url: https://login.acme.example/authorize
    token_url: https://login.acme.example/token
    token_auth: basic
    scopes:
      - {name: data.read, title: Read data}
    identity:
      introspect_url: https://login.acme.example/introspect
      id_field: hub_id
`

func TestSourceClientFields(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c, err := sources.Load(sources.Options{File: writeFile(t, clientFieldsYAML), Getenv: noEnv})
		if err != nil {
			t.Fatal(err)
		}
		s := c.Get("acme_api")
		if s.TokenAuth != sources.TokenAuthPost || s.TokenParams["expiring"] != "1" ||
			s.IssuerAliases[0] != "login.acme.example" || s.Identity.GraphQL != "{ me { id } }" ||
			s.RevokeHelpURL != "https://help.acme.example/revoke-an-app" || s.AccessDays != 90 {
			t.Errorf("source %+v", s)
		}
		// {api_version} is filled in every URL, so the version lives in one place.
		for name, got := range map[string]string{
			"auth_url": s.AuthURL, "token_url": s.TokenURL, "revoke_url": s.RevokeURL,
			"permissions_url": s.PermissionsURL, "userinfo_url": s.Identity.UserinfoURL,
		} {
			if !strings.Contains(got, "/2026-10/") || strings.Contains(got, "{") {
				t.Errorf("%s = %q, want the api_version filled in", name, got)
			}
		}
		if h := c.Get("acme_hub"); h.TokenAuth != sources.TokenAuthBasic || h.Identity.IntrospectURL == "" {
			t.Errorf("source %+v", h)
		}
	})
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"ErrTokenAuth", "token_auth: post", "token_auth: header", []string{`"acme_api"`, `token_auth must be "basic" or "post"`}},
		{"ErrTokenParamsReserved", `token_params: {expiring: "1"}`, `token_params: {client_secret: x}`, []string{`"acme_api"`, `token_params: "client_secret"`}},
		{"ErrTokenParamsGrantType", `token_params: {expiring: "1"}`, `token_params: {Grant_Type: password}`, []string{`token_params: "Grant_Type"`}},
		{"ErrRevokeHTTP", "revoke_url: https://login.acme.example/{api_version}/revoke", "revoke_url: http://login.acme.example/revoke", []string{"revoke_url must be an https URL"}},
		{"ErrRevokeHelpHTTP", "revoke_help_url: https://help.acme.example/revoke-an-app", "revoke_help_url: http://help.acme.example/revoke-an-app", []string{"revoke_help_url must be an https URL"}},
		{"ErrAccessDaysNegative", "access_days: 90", "access_days: -1", []string{"access_days must not be negative"}},
		{"ErrPermissionsRelative", "permissions_url: https://api.acme.example/{api_version}/me/permissions", "permissions_url: /me/permissions", []string{"permissions_url must be an https URL"}},
		{"ErrIntrospectHTTP", "introspect_url: https://login.acme.example/introspect", "introspect_url: http://login.acme.example/introspect", []string{`"acme_hub"`, "identity.introspect_url must be an https URL"}},
		{"ErrNoAPIVersion", `api_version: "2026-10"`, "", []string{"api_version is required: a URL uses {api_version}"}},
		{"ErrBadAPIVersion", `api_version: "2026-10"`, `api_version: "../x?"`, []string{"api_version must be"}},
		{"ErrAliasWithoutIssuer", "issuer: https://login.acme.example", "issuer: \"\"", []string{"issuer_aliases need an issuer"}},
		{"ErrGraphQLWithoutUserinfo", "userinfo_url: https://api.acme.example/{api_version}/graphql", "introspect_url: https://api.acme.example/i", []string{"identity.graphql needs identity.userinfo_url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(clientFieldsYAML, tc.from, tc.to, 1)
			if body == clientFieldsYAML {
				t.Fatal("test case did not change the file")
			}
			wantLoadError(t, body, tc.want)
		})
	}
}
