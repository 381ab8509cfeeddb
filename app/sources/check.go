package sources

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
)

// reservedParams are the authorization request parameters the OAuth client
// sets itself (RFC 6749, RFC 7636, OpenID Connect, RFC 9101). A source's
// auth_params may not set them: a redirect_uri, state or
// code_challenge_method from a file would undo the flow's protections.
var reservedParams = map[string]bool{
	"client_id": true, "client_secret": true, "redirect_uri": true, "response_type": true,
	"response_mode": true, "scope": true, "state": true, "nonce": true,
	"code": true, "code_challenge": true, "code_challenge_method": true, "code_verifier": true,
	"grant_type": true, "refresh_token": true, "request": true, "request_uri": true,
	"client_assertion": true, "client_assertion_type": true,
}

// checkAuthParams refuses auth_params that name a protocol parameter.
func (s *Source) checkAuthParams() []string {
	var problems []string
	names := make([]string, 0, len(s.AuthParams))
	for name := range s.AuthParams {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch n := strings.ToLower(strings.TrimSpace(name)); {
		case n == "":
			problems = append(problems, "auth_params has an empty parameter name")
		case reservedParams[n]:
			problems = append(problems, fmt.Sprintf("auth_params must not set %q: the app sets that protocol parameter itself", name))
		}
	}
	return problems
}

// checkURLs requires every URL of the source to be https. Plain http is
// allowed only for a loopback host outside production, so that a local
// identity server can be tried. Placeholders are probed with safe values:
// {shop} is a host the invitee types (validated at run time), {sandbox} the
// app's own sandbox provider.
func (s *Source) checkURLs(production bool) []string {
	var problems []string
	probe := strings.NewReplacer("{shop}", "shop.example", "{sandbox}", "https://sandbox.example", "{access_token}", "token", "{api_version}", "v1")
	for _, f := range []struct{ field, raw string }{
		{"auth_url", s.AuthURL}, {"token_url", s.TokenURL}, {"issuer", s.Issuer},
		{"jwks_url", s.JWKSURL}, {"identity.userinfo_url", s.Identity.UserinfoURL},
		{"revoke_url", s.RevokeURL}, {"permissions_url", s.PermissionsURL},
		{"revoke_help_url", s.RevokeHelpURL},
		{"identity.introspect_url", s.Identity.IntrospectURL},
	} {
		if f.raw == "" {
			continue
		}
		if !secureURL(probe.Replace(f.raw), production) {
			problems = append(problems, f.field+" must be an https URL"+httpHint(production))
		}
	}
	// A logo is a file under static/ or a URL.
	if u, err := url.Parse(s.Logo); err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(s.Logo, "//") {
		if !secureURL(s.Logo, production) {
			problems = append(problems, "logo must be a file under static/ or an https URL"+httpHint(production))
		}
	}
	return problems
}

func httpHint(production bool) string {
	if production {
		return ""
	}
	return " (plain http only for a loopback host: 127.0.0.1, ::1, localhost)"
}

// secureURL reports whether raw is an absolute https URL, or an http URL to
// a loopback host outside production.
func secureURL(raw string, production bool) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return !production && loopback(u.Hostname())
	}
	return false
}

// loopback reports whether host is localhost or an address in 127.0.0.0/8
// or ::1.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
