package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
)

// The api-key commands (issue 9):
//
//	app api-key create --workspace <workspace ID> --name <name>
//	app api-key revoke <key ID>
//
// create prints the key alone on standard output, so a script can take it
// (KEY=$(app api-key create ...)); everything else, the log included, goes
// to standard error. The key is shown this once and never logged.

const apiKeyUsage = `usage:
  app api-key create --workspace <workspace ID> --name <name>   (prints the new key alone on stdout)
  app api-key revoke <key ID>`

// usageError is a command line the program cannot understand: it exits
// with status 2, as flag parsing does, rather than 1.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitCode is the status the program exits with after err: 0 for none, 2
// for a wrong command line, 1 for anything else.
func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// apiKeyCommand runs `app api-key create|revoke`.
func apiKeyCommand(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "create":
		return apiKeyCreate(ctx, cfg, log, args, stdout)
	case "revoke":
		return apiKeyRevoke(ctx, cfg, log, args, stdout)
	}
	return &usageError{apiKeyUsage}
}

func apiKeyCreate(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("api-key create", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the usage comes back in the error
	workspace := fs.String("workspace", "", "ID of the workspace the key acts for (required; in its pages' URLs, /w/<ID>/...)")
	name := fs.String("name", "", "name of the key, such as the tool that will use it (required)")
	if err := fs.Parse(args); err != nil {
		return &usageError{fmt.Sprintf("api-key create: %v\n%s", err, apiKeyUsage)}
	}
	missing := ""
	switch {
	case *workspace == "" && *name == "":
		missing = "--workspace and --name are required"
	case *workspace == "":
		missing = "--workspace is required"
	case *name == "":
		missing = "--name is required"
	case fs.NArg() > 0:
		missing = fmt.Sprintf("unexpected argument %q (quote a name that has spaces)", fs.Arg(0))
	}
	if missing != "" {
		return &usageError{"api-key create: " + missing + "\n" + apiKeyUsage}
	}
	return withService(ctx, cfg, log, func(svc *access.Service) error {
		k, raw, err := svc.CreateAPIKeyForWorkspace(ctx, *workspace, *name)
		if err != nil {
			return err
		}
		log.Info("API key created", "key_id", k.ID, "prefix", k.Prefix, "workspace_id", k.WorkspaceID)
		_, err = fmt.Fprintln(stdout, raw)
		return err
	})
}

func apiKeyRevoke(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" {
		return &usageError{"api-key revoke: give one key ID (in the key's history on the API keys page, and logged as key_id when it was created)\n" + apiKeyUsage}
	}
	id := args[0]
	return withService(ctx, cfg, log, func(svc *access.Service) error {
		if err := svc.RevokeAPIKeyByID(ctx, id); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "API key %s is revoked\n", id)
		return err
	})
}
