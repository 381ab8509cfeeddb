package views

import (
	"sort"
	"strings"

	"github.com/accessrequests/accessrequests/app/sources"
)

// grantedScope is one scope of a connected account: its name at the
// provider and its title in plain words.
type grantedScope struct{ Name, Title string }

// catalogScopes are an account's scopes in the order granted, each with its
// title where the catalog knows it (else an empty title).
func catalogScopes(c *sources.Catalog, key, scopes string) []grantedScope {
	titles := map[string]string{}
	if s := c.Get(key); s != nil {
		for _, sc := range s.Scopes {
			titles[sc.Name] = sc.Title
		}
	}
	var out []grantedScope
	for _, name := range strings.Fields(scopes) {
		out = append(out, grantedScope{Name: name, Title: titles[name]})
	}
	return out
}

// grantedScopes names an account's scopes in plain words, from the catalog
// where it knows them (else by their names), identity scopes last.
func grantedScopes(c *sources.Catalog, key, scopes string) []grantedScope {
	out := catalogScopes(c, key, scopes)
	for i := range out {
		if out[i].Title == "" {
			out[i].Title = out[i].Name
		}
	}
	// What the account gives access to matters more than sign-in scopes.
	sort.SliceStable(out, func(i, j int) bool { return !identityScopes[out[i].Name] && identityScopes[out[j].Name] })
	return out
}

// identityScopes only name the person who authorized; they go last.
var identityScopes = map[string]bool{"openid": true, "email": true, "profile": true, "offline_access": true}

// scopeDetail is one granted scope on an account's page: its title and
// description in plain words, whether it reads or writes, and its name at
// the provider.
type scopeDetail struct{ Name, Title, Description, Access string }

// scopeDetails are an account's scopes as its page lists them: in plain
// words from the catalog where it knows them (else the bare name), identity
// scopes last.
func scopeDetails(c *sources.Catalog, key, scopes string) []scopeDetail {
	known := map[string]sources.Scope{}
	if s := c.Get(key); s != nil {
		for _, sc := range s.Scopes {
			known[sc.Name] = sc
		}
	}
	var out []scopeDetail
	for _, g := range grantedScopes(c, key, scopes) {
		d := scopeDetail{Name: g.Name, Title: g.Title}
		if sc, ok := known[g.Name]; ok {
			d.Description, d.Access = sc.Description, sc.Access
		}
		out = append(out, d)
	}
	return out
}
