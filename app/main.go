// Command app serves Accounts access requests, applies migrations, and
// manages users.
//
//	app [serve]       serve HTTP on $PORT (default 8080)
//	app worker        run background jobs (webhooks, sweeps) without serving
//	app migrate       apply pending migrations, check that the key opens
//	                  every sealed value, and exit
//	app reseal        re-encrypt values sealed with an old key
//	app user add ...  create a user (see app user add -h)
//	app user password -email E   set a user's password (read from stdin)
//	                             and end all of the user's sessions
//	app user signout -email E    sign a user out everywhere
//	app api-key create --workspace W --name N   print a new API key
//	app api-key revoke <key ID>                 revoke an API key
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/jobs"
	"github.com/accessrequests/accessrequests/app/sandbox"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/app/seed"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/app/telemetry"
	"github.com/accessrequests/accessrequests/app/web"
	"gorm.io/gorm"
)

func main() {
	runtimeDefaults(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil && !errors.Is(err, errHelpShown) {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(exitCode(err))
	}
}

// listeners are the listeners `serve` uses instead of opening :$PORT and
// METRICS_ADDR itself. Only tests set them (withListeners), so that a test
// holds its port from the start instead of closing a listener and hoping
// its number is still free.
type listeners struct {
	public, metrics net.Listener
}

// runOption configures run; only tests pass any.
type runOption func(*listeners)

// withListener makes serve answer on ln instead of :$PORT.
func withListener(ln net.Listener) runOption { return func(l *listeners) { l.public = ln } }

// withMetricsListener makes serve answer /metrics on ln instead of
// METRICS_ADDR.
func withMetricsListener(ln net.Listener) runOption { return func(l *listeners) { l.metrics = ln } }

// run is the whole program, with its environment passed in so tests can
// drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, opts ...runOption) error {
	var lns listeners
	for _, o := range opts {
		o(&lns)
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	// Help needs no configuration; a command that takes no arguments says
	// so rather than starting with them ignored (serve --help served).
	if isHelp(cmd) {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	if line, ok := bareCommands[cmd]; ok && len(args) > 0 {
		if isHelp(args[0]) {
			fmt.Fprintln(stdout, "usage: "+line)
			return nil
		}
		return &usageError{fmt.Sprintf("app %s takes no arguments, not %q\nusage: %s", cmd, args[0], line)}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	// A line logged with a request's context carries the request's ID.
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})))
	// Libraries log through slog's default (the sandbox's OAuth library
	// with the state in its warnings): JSON too, secrets removed, a
	// sandbox's records to its own logger.
	slog.SetDefault(slog.New(sandbox.LogHandler(log.Handler())))

	switch cmd {
	case "serve":
		stopTracing, err := telemetry.SetupTracing(ctx, getenv, log)
		if err != nil {
			return fmt.Errorf("tracing: %w", err)
		}
		defer func() { // flushes the last spans
			if err := stopTracing(context.WithoutCancel(ctx)); err != nil {
				log.Warn("tracing: the last spans were not exported", "err", err)
			}
		}()
		return serve(ctx, cfg, log, lns)
	case "worker":
		return worker(ctx, cfg, log)
	case "migrate":
		// Then the checks serve makes before it starts (the key opens
		// every sealed value): a wrong key fails the rollout's first step,
		// not the first replica's start.
		if err := migrate(ctx, cfg, log); err != nil {
			return err
		}
		o, err := open(ctx, cfg, log)
		if err != nil {
			return err
		}
		o.close()
		log.Info("migrated; the key opens every sealed value")
		return nil
	case "reseal":
		o, err := open(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer o.close()
		svc := o.svc
		n, err := svc.Reseal(ctx)
		if err != nil {
			return fmt.Errorf("reseal: %w (%d values re-sealed before the error)", err, n)
		}
		fmt.Fprintf(stdout, "re-sealed %d values with key %s\n", n, o.keys.CurrentKeyID())
		return nil
	case "user":
		sub := ""
		if len(args) > 0 {
			sub = args[0]
		}
		switch sub {
		case "add":
			return userAdd(ctx, cfg, log, args[1:], stdin, stdout)
		case "password":
			return userPassword(ctx, cfg, log, args[1:], stdin, stdout)
		case "signout":
			return userSignout(ctx, cfg, log, args[1:], stdout)
		}
		return &usageError{`usage:
  app user add -email E -name N [-password P | password on stdin] [-org O -org-role owner|member [-plan P]] [-workspace W -role admin|editor|viewer] [-support]
  app user password -email E   (new password on stdin; ends all of the user's sessions)
  app user signout -email E    (signs the user out everywhere)`}
	case "api-key":
		return apiKeyCommand(ctx, cfg, log, args, stdout)
	}
	return &usageError{fmt.Sprintf("unknown command %q: use serve, worker, migrate, reseal, user or api-key", cmd)}
}

// usage is what `app help` prints.
const usage = `usage: app [serve | worker | migrate | reseal | user add|password|signout ... | api-key create|revoke ...]
  app [serve]       serve HTTP on $PORT (default 8080)
  app worker        run background jobs (webhooks, mail, sweeps) without serving
  app migrate       apply pending migrations, check the key, and exit
  app reseal        re-encrypt values sealed with an old key
  app user add -h, app api-key: see their own usage
Settings are environment variables (README.md, Configuration).`

// bareCommands are the commands that take no arguments, with their usage
// line.
var bareCommands = map[string]string{
	"serve":   "app [serve]   serve HTTP on $PORT (settings from the environment)",
	"worker":  "app worker   run background jobs without serving",
	"migrate": "app migrate   apply pending migrations, check that the key opens every sealed value, and exit",
	"reseal":  "app reseal   re-encrypt values sealed with an old key (APP_OLD_SECRET_KEYS) with APP_SECRET_KEY",
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help" || arg == "-help"
}

// opened is what open builds: the domain service and the database and
// keys it was built on, which the web layer and the commands also need.
type opened struct {
	svc  *access.Service
	db   *gorm.DB
	keys *secret.Keyring
	jobs *jobs.Engine
}

func (o *opened) close() { db.SQL(o.db).Close() }

// open connects to the database, migrates it and builds the domain service,
// whose events are queued as jobs that this process does not run.
func open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*opened, error) {
	return openWith(ctx, cfg, log, false)
}

// openWith is open; with work, the job engine also runs jobs once started.
func openWith(ctx context.Context, cfg *config.Config, log *slog.Logger, work bool) (*opened, error) {
	if err := cfg.EnsureDevKey(); err != nil {
		return nil, err
	}
	keys, err := secret.NewKeyring(cfg.SecretKey, cfg.OldKeys...)
	if err != nil {
		return nil, err
	}
	sandboxURL := ""
	if !cfg.Production() {
		sandboxURL = cfg.BaseURL.String() + "/sandbox"
	}
	catalog, err := sources.Load(sources.Options{File: cfg.SourcesFile, SandboxURL: sandboxURL, SandboxSecret: sandboxSecret(keys), Production: cfg.Production()})
	if err != nil {
		return nil, err
	}
	// SQLite cannot interrupt a statement waiting for another process's
	// write lock, so its busy timeout must not outlast the request either.
	timeout := cfg.StatementTimeout
	if cfg.DatabaseURL == "" && cfg.RequestTimeout < timeout {
		timeout = cfg.RequestTimeout
	}
	gdb, err := db.Open(cfg.DatabaseURL, cfg.SQLitePath(), db.StatementTimeout(timeout))
	if err != nil {
		return nil, err
	}
	// A current database skips the migration connection and its lock.
	if !db.Current(ctx, gdb) {
		if err := migrate(ctx, cfg, log); err != nil {
			db.SQL(gdb).Close()
			return nil, err
		}
	}
	if telemetry.Enabled() {
		if err := gdb.Use(telemetry.GormPlugin()); err != nil {
			return nil, err
		}
	}
	engine, mailer, err := newJobs(gdb, cfg, log, work)
	if err != nil {
		db.SQL(gdb).Close()
		return nil, err
	}
	svc := access.New(gdb, keys, access.WithSources(catalog), access.WithBaseURL(cfg.BaseURL.String()),
		access.WithSessionTimeouts(cfg.SessionIdleTimeout, cfg.SessionLifetime),
		access.WithOutbox(engine), access.WithProduction(cfg.Production()), access.WithMail(mailOn(cfg)))
	if mailer != nil {
		mailer.Service = svc
	}
	if err := svc.VerifyKey(ctx); err != nil {
		db.SQL(gdb).Close()
		return nil, err
	}
	return &opened{svc: svc, db: gdb, keys: keys, jobs: engine}, nil
}

// migrate applies pending migrations on a connection of its own, without
// the statement timeout meant for requests (an index on a large table may
// take longer).
func migrate(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	gdb, err := db.Open(cfg.DatabaseURL, cfg.SQLitePath())
	if err != nil {
		return err
	}
	defer db.SQL(gdb).Close()
	return db.Migrate(ctx, gdb, log)
}

// sandboxSecret is the sandbox client's secret, derived from the app key so
// that every replica agrees on it.
func sandboxSecret(keys *secret.Keyring) string {
	return base64.RawURLEncoding.EncodeToString(keys.Derive("sandbox client secret", 32))
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, lns listeners) error {
	o, err := openWith(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer o.close()
	errc := make(chan error, 3)
	svc := o.svc
	logUnconfiguredSources(log, svc.Sources())
	if cfg.GeneratedKey {
		log.Warn("generated a development key; set APP_SECRET_KEY in production", "file", cfg.DataDir+"/secret.key")
	}
	if !cfg.Production() {
		password := cfg.DemoPassword
		if password == "" {
			password = secret.RandomToken(12)
		}
		seeded, err := seed.Demo(ctx, o.db, svc, password)
		if err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
		if seeded {
			emails := make([]string, len(seed.DemoUsers))
			for i, u := range seed.DemoUsers {
				emails[i] = u.Email
			}
			log.Info("demo data created: sign in at "+cfg.BaseURL.String()+"/login",
				"users", strings.Join(emails, ", "), "password", password)
		}
	}

	var sandboxHandler http.Handler
	if !cfg.Production() {
		sandboxHandler, err = sandbox.New(sandbox.Options{
			Issuer:       cfg.BaseURL.String() + "/sandbox",
			ClientID:     sources.SandboxClientID,
			ClientSecret: sandboxSecret(o.keys),
			RedirectURIs: []string{cfg.BaseURL.String() + "/oauth/callback"},
			Logger:       log.With("component", "sandbox"),
			DB:           o.db,
			// The same bounds as sandbox.Min/MaxAccessTokenTTL, checked by config.
			AccessTokenTTL: cfg.SandboxTokenTTL,
		})
		if err != nil {
			return err
		}
		log.Info("sandbox provider enabled", "issuer", cfg.BaseURL.String()+"/sandbox")
	}
	handler := web.New(web.Options{
		Service:        svc,
		Keys:           o.keys,
		Log:            log,
		BaseURL:        cfg.BaseURL,
		Production:     cfg.Production(),
		TrustedProxies: cfg.TrustedProxies,
		Ready:          (&db.Readiness{DB: o.db}).Check,
		Sandbox:        sandboxHandler,
		MetricsToken:   cfg.MetricsToken,
		RequestTimeout: cfg.RequestTimeout,
		Registry:       jobsRegistry(o.db),
	})
	srv := &http.Server{
		Addr:              ":" + cfg.Port,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      max(60*time.Second, cfg.RequestTimeout+15*time.Second), // the deadline's 503 page gets out
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	// The operators' listener first, so that once the public port answers
	// both are up.
	metricsSrv, err := serveMetrics(cfg, handler, log, errc, lns.metrics)
	if err != nil {
		return err
	}
	ln := lns.public
	if ln == nil {
		ln, err = net.Listen("tcp", srv.Addr)
	}
	if err != nil {
		if metricsSrv != nil {
			_ = metricsSrv.Close()
		}
		return err
	}
	log.Info("serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "env", cfg.Env, "database", map[bool]string{true: "postgres", false: "sqlite"}[cfg.DatabaseURL != ""])
	go func() { errc <- srv.Serve(ln) }()
	// The job workers start once the server listens, not before it: River's
	// start (its leader election, queues, listeners), beside the web
	// layer's, took the CPU that layer needed before /healthz could answer.
	// Requests may queue jobs before the workers run; a failure to start
	// them ends serve like a listener's.
	jobsStarted := make(chan func(), 1)
	go func() {
		stop, err := startJobs(ctx, o, log)
		if err != nil {
			errc <- fmt.Errorf("start job workers: %w", err)
			stop = func() {}
		}
		jobsStarted <- stop
	}()
	defer func() { (<-jobsStarted)() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Drain: /readyz fails so load balancers move on, while the server
	// still answers whatever reaches it; keep-alives end so clients
	// reconnect elsewhere.
	handler.Drain()
	srv.SetKeepAlivesEnabled(false)
	log.Info("shutting down: draining", "drain", cfg.ShutdownDrain.String())
	select {
	case <-time.After(cfg.ShutdownDrain):
	case err := <-errc:
		return err
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(shutdownCtx)
	}
	log.Info("stopped")
	return nil
}

// serveMetrics serves /metrics on the operators' listener METRICS_ADDR,
// if set; the public port never serves them without METRICS_TOKEN.
func serveMetrics(cfg *config.Config, handler *web.Server, log *slog.Logger, errc chan<- error, ln net.Listener) (*http.Server, error) {
	if cfg.MetricsAddr == "" {
		return nil, nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", handler.MetricsHandler())
	// Profiles for operators, on this listener only: the public handler
	// (Echo) never routes to them, nor to http.DefaultServeMux, where
	// importing net/http/pprof also puts them. A CPU profile must be shorter
	// than the write timeout (?seconds= below 30).
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: cfg.MetricsAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return nil, fmt.Errorf("METRICS_ADDR: %w", err)
		}
	}
	log.Info("serving metrics", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics listener: %w", err)
		}
	}()
	return srv, nil
}
