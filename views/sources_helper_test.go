package views_test

import (
	"testing"

	"github.com/accessrequests/accessrequests/app/sources"
)

// builtinSources is the built-in source catalog with every source
// configured (each credential "x") and the sandbox at
// https://sandbox.example: what the page tests render consent pages and
// mails for.
func builtinSources(t *testing.T) *sources.Catalog {
	t.Helper()
	cat, err := sources.Load(sources.Options{Getenv: func(string) string { return "x" }, SandboxURL: "https://sandbox.example", SandboxSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
