package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
)

// The user commands: app user add, app user password, app user signout.

// userAdd is `app user add`: it creates a user, and with -org an
// organization and workspace membership; without -password it reads the
// password from stdin.
func userAdd(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	var n access.NewUser
	fs.StringVar(&n.Email, "email", "", "email address (required)")
	fs.StringVar(&n.Name, "name", "", "display name (required)")
	fs.StringVar(&n.Password, "password", "", "password; omit to read it from stdin")
	fs.StringVar(&n.Organization, "org", "", "organization name (created if missing)")
	fs.StringVar(&n.Plan, "plan", "", "plan of a new organization: free, active, pro, agency, enterprise (default pro)")
	fs.StringVar(&n.OrgRole, "org-role", "member", "organization role: owner or member")
	fs.StringVar(&n.Workspace, "workspace", "", "workspace name in the organization (created if missing)")
	fs.StringVar(&n.WorkspaceRole, "role", "", "workspace role: admin, editor or viewer")
	fs.BoolVar(&n.Support, "support", false, "make the user support staff")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	orgRoleSet := false
	fs.Visit(func(f *flag.Flag) { orgRoleSet = orgRoleSet || f.Name == "org-role" })
	if n.Organization == "" && orgRoleSet {
		return &usageError{"user add: -org-role needs -org (the organization the role is in)"}
	}
	if n.Password == "" {
		b, err := io.ReadAll(io.LimitReader(stdin, 4096))
		if err != nil {
			return err
		}
		n.Password = strings.TrimRight(string(b), "\r\n")
	}
	if n.Organization == "" {
		n.OrgRole = ""
	}
	return withService(ctx, cfg, log, func(svc *access.Service) error {
		u, err := svc.CreateUser(ctx, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %s (%s)\n", u.Email, u.ID)
		return nil
	})
}

// userPassword is `app user password -email E`: the new password is read
// from stdin (never a flag, which other users of the machine could see),
// and every session of the user ends.
func userPassword(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	email, err := emailFlag("password", args, stdout, "; the new password is read from stdin")
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		return err
	}
	return withService(ctx, cfg, log, func(svc *access.Service) error {
		n, err := svc.SetPassword(ctx, email, strings.TrimRight(string(b), "\r\n"))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password changed for %s; %d sessions ended\n", access.NormalizeEmail(email), n)
		return nil
	})
}

// userSignout is `app user signout -email E`: every session of the user
// ends at once.
func userSignout(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	email, err := emailFlag("signout", args, stdout, "")
	if err != nil {
		return err
	}
	return withService(ctx, cfg, log, func(svc *access.Service) error {
		n, err := svc.SignOutEverywhere(ctx, email)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "signed out %s everywhere; %d sessions ended\n", access.NormalizeEmail(email), n)
		return nil
	})
}

// withService opens the database for a user command, runs fn with the
// service, and spells out the domain error fn returns, if any.
func withService(ctx context.Context, cfg *config.Config, log *slog.Logger, fn func(*access.Service) error) error {
	o, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer o.close()
	if err := fn(o.svc); err != nil {
		return userError(err)
	}
	return nil
}

// emailFlag parses the one flag of `app user cmd`, -email, which is
// required; hint follows the error's "-email is required".
func emailFlag(cmd string, args []string, stdout io.Writer, hint string) (string, error) {
	fs := flag.NewFlagSet("user "+cmd, flag.ContinueOnError)
	email := fs.String("email", "", "email address of the user (required)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return "", err
	}
	if *email == "" {
		return "", &usageError{"user " + cmd + ": -email is required" + hint}
	}
	return *email, nil
}

// errHelpShown ends a command whose usage -h printed: no error, exit 0.
var errHelpShown = errors.New("help shown")

// parseFlags parses a user command's flags: -h prints its usage on stdout
// (errHelpShown), a wrong flag or a stray argument is a usage error (exit
// 2) that shows the usage.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var out strings.Builder
	fs.SetOutput(&out)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, out.String())
		return errHelpShown
	case err != nil:
		return &usageError{strings.TrimSpace(out.String())}
	case fs.NArg() > 0:
		fs.Usage()
		return &usageError{fmt.Sprintf("%s: unexpected argument %q\n%s", fs.Name(), fs.Arg(0), strings.TrimSpace(out.String()))}
	}
	return nil
}

// flagOfField names the flag of `app user add` behind a domain field whose
// name differs.
var flagOfField = map[string]string{"organization": "org"}

// userError spells out a domain error's per-field messages for the
// command line.
func userError(err error) error {
	var de *access.Error
	if !errors.As(err, &de) {
		return err
	}
	if len(de.Fields) == 0 {
		return errors.New(de.Message)
	}
	var lines []string
	for f, m := range de.Fields {
		if name, ok := flagOfField[f]; ok {
			f = name
		}
		lines = append(lines, "  -"+f+": "+m)
	}
	slices.Sort(lines)
	return fmt.Errorf("%s\n%s", de.Message, strings.Join(lines, "\n"))
}
