package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
)

// The command line: help needs no configuration; a command that takes no
// arguments refuses them (serve --help once started a server) and prints
// its usage for -h; the user commands print their usage for -h and refuse
// wrong flags and stray arguments as usage errors (exit 2).
func TestCommandLine(t *testing.T) {
	// Production without any setting: Load would refuse it.
	getenv := func(k string) string { return map[string]string{"APP_ENV": "production"}[k] }
	for _, c := range []struct {
		args []string
		code int    // exit code of the error (0: none)
		out  string // in stdout
		err  string // in the error
	}{
		{[]string{"help"}, 0, "usage: app [serve | worker", ""},
		{[]string{"--help"}, 0, "app migrate", ""},
		{[]string{"serve", "--help"}, 0, "usage: app [serve]", ""},
		{[]string{"worker", "-h"}, 0, "usage: app worker", ""},
		{[]string{"migrate", "help"}, 0, "usage: app migrate", ""},
		{[]string{"serve", "extra"}, 2, "", `app serve takes no arguments, not "extra"`},
		{[]string{"reseal", "x"}, 2, "", `app reseal takes no arguments`},
		{[]string{"nope"}, 0, "", "configuration"}, // unknown commands come after the settings
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var out strings.Builder
		start := time.Now()
		err := run(ctx, c.args, getenv, strings.NewReader(""), &out, io.Discard)
		cancel()
		if time.Since(start) > 5*time.Second {
			t.Errorf("%v: ran for %v (a server started?)", c.args, time.Since(start))
		}
		if c.err == "" && err != nil {
			t.Errorf("%v: %v", c.args, err)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%v: error %v, want it to say %q", c.args, err, c.err)
		}
		if c.code != 0 && exitCode(err) != c.code {
			t.Errorf("%v: exit code %d, want %d", c.args, exitCode(err), c.code)
		}
		if !strings.Contains(out.String(), c.out) {
			t.Errorf("%v: printed %q, want %q", c.args, out.String(), c.out)
		}
	}
}

func TestUserCommandFlags(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string { return map[string]string{"DATA_DIR": dir}[k] }
	for _, c := range []struct {
		args     []string
		help     bool
		out, err string
	}{
		{[]string{"user", "add", "-h"}, true, "-org-role string", ""},
		{[]string{"user", "password", "-help"}, true, "-email string", ""},
		{[]string{"user", "add", "-bogus"}, false, "", "flag provided but not defined: -bogus"},
		{[]string{"user", "add", "-email", "a@b.example", "-name", "A", "stray"}, false, "", `unexpected argument "stray"`},
		{[]string{"user", "add", "-email", "a@b.example", "-name", "A", "-org-role", "boss"}, false, "", "-org-role needs -org"},
		{[]string{"user", "signout"}, false, "", "-email is required"},
	} {
		var out strings.Builder
		err := run(context.Background(), c.args, getenv, strings.NewReader("a long password\n"), &out, io.Discard)
		if c.help {
			if !errors.Is(err, errHelpShown) || !strings.Contains(out.String(), c.out) {
				t.Errorf("%v: %v, printed %q; want the usage with %q", c.args, err, out.String(), c.out)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) || exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d), want a usage error saying %q", c.args, err, exitCode(err), c.err)
		}
	}
	// A domain field is named by its flag.
	err := run(context.Background(), []string{"user", "add", "-email", "w@b.example", "-name", "W", "-workspace", "W", "-role", "admin"},
		getenv, strings.NewReader("a long password\n"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-org: ") || strings.Contains(err.Error(), "-organization") {
		t.Errorf("a workspace without its organization: %v, want the message on -org", err)
	}
}

// DEMO_PASSWORD is checked at start against the domain's own minimum.
func TestDemoPasswordMinimum(t *testing.T) {
	if config.MinDemoPasswordLength != access.MinPasswordLength {
		t.Errorf("config.MinDemoPasswordLength = %d, access.MinPasswordLength = %d: keep them equal", config.MinDemoPasswordLength, access.MinPasswordLength)
	}
}
