package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// options of one run of the runner.
type options struct {
	rounds      int
	duration    time.Duration
	links, deep int
	starts      int      // production starts timed
	databases   []string // "sqlite", "postgres"
	pgURL       string
	probe       bool
	cpuProfile  string
	keep        bool
	only        string // comma-separated page names: consent, first, deep
}

func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	var o options
	quick := fs.Bool("quick", false, "1 round of 1 s on a small data set: checks that the harness works (CI)")
	dbs := fs.String("db", "", "sqlite, postgres or both (default: sqlite, and postgres too when DATABASE_URL is set)")
	fs.IntVar(&o.rounds, "rounds", 5, "interleaved rounds per target (app, bare, bare, app, ...)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of one wrk run")
	fs.IntVar(&o.links, "links", 10_000, "links in the listed workspace")
	fs.IntVar(&o.deep, "deep", 9_000, "the deep page starts after this many links")
	fs.IntVar(&o.starts, "starts", 5, "production starts timed to a healthy /healthz")
	fs.BoolVar(&o.probe, "before", false, "make the bare program send the collapse probe too (the consent page's 3 statements before issue 14)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the app (from its METRICS_ADDR pprof) during the last round of each page to PREFIX-<db>-<page>.pprof")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	fs.StringVar(&o.only, "only", "", "run only these pages: consent, first, deep (comma-separated; default all)")
	_ = fs.Parse(args)
	if *quick {
		o.rounds, o.duration, o.links, o.deep, o.starts = 1, time.Second, 300, 200, 2
	}
	o.pgURL = os.Getenv("DATABASE_URL")
	switch *dbs {
	case "":
		o.databases = []string{"sqlite"}
		if o.pgURL != "" {
			o.databases = append(o.databases, "postgres")
		}
	case "both":
		o.databases = []string{"sqlite", "postgres"}
	default:
		o.databases = strings.Split(*dbs, ",")
	}
	if err := ensureWrk(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	appBin := filepath.Join(dir, "app")
	fmt.Printf("building the app with -tags benchharness (the public rate limit lifted; see README.md)\n")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "benchharness", "-o", appBin, "./app")
	build.Dir, build.Stdout, build.Stderr = moduleRoot(), os.Stdout, os.Stderr
	// Static, as production builds it (README.md, "Running in production"):
	// no libc mapped, about 1.5 MB less resident.
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the app: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	printMachine()
	var results []result
	for _, d := range o.databases {
		r, err := benchDatabase(ctx, o, d, dir, appBin, self)
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		results = append(results, r...)
	}
	printResults(results)
	return nil
}

// ensureWrk installs Debian's wrk when it is missing: apt-get update
// first (a fresh machine or container has no package lists), then
// apt-get install.
func ensureWrk() error {
	if _, err := exec.LookPath("wrk"); err == nil {
		return nil
	}
	fmt.Println("wrk is missing: apt-get update && apt-get install -y wrk")
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "wrk"}} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("install wrk (apt-get %s): %w", strings.Join(args, " "), err)
		}
	}
	return nil
}

func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "."
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// freeAddr returns a loopback address with a free port.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// env is the environment the seed, the app and the bare program share.
type env map[string]string

func (e env) get(k string) string { return e[k] }

func (e env) list() []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	// The runtime's settings pass through, to compare GC targets and
	// memory limits with the app's defaults (app/runtime.go).
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GOMAXPROCS"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

// pgSchema makes a fresh schema for one run and returns DATABASE_URL with
// it as the search path, and a function that drops it.
func pgSchema(ctx context.Context, base string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	drop := func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
			c.Close(context.Background())
		}
	}
	return u.String(), drop, nil
}

func newKey() string {
	k := make([]byte, 32)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// proc is a started server.
type proc struct {
	cmd  *exec.Cmd
	addr string
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// start runs bin with args and e, and waits until GET /healthz answers
// 200 on addr. It returns how long that took.
func start(ctx context.Context, bin string, args []string, e env, addr string, logTo io.Writer) (*proc, time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = e.list(), logTo, logTo
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &proc{cmd: cmd, addr: addr}
	client := &http.Client{Timeout: time.Second}
	for deadline := t0.Add(60 * time.Second); time.Now().Before(deadline); {
		res, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, time.Since(t0), nil
			}
		}
		time.Sleep(200 * time.Microsecond) // keeps the measured start-up close to the real one
	}
	p.stop()
	return nil, 0, errors.New(bin + " did not become healthy")
}
