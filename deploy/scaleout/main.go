// Command scaleout is the scale-out fault run of deploy/scale-out.sh: it
// starts three replicas of the app on one PostgreSQL database behind
// HAProxy (deploy/haproxy.cfg), all on loopback, sends mixed traffic
// through HAProxy, kills one replica with SIGKILL and starts it again, then
// restarts every replica in turn with SIGTERM, and checks what the issue
// asks (docs/scale-out.md). It stops by itself; it exits 1 when a check
// fails.
//
//	go run ./deploy/scaleout -app bin/app -database-url postgres://...
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	app := flag.String("app", "", "the app's binary (go build -o ... ./app)")
	dbURL := flag.String("database-url", "", "a fresh PostgreSQL database for the run")
	cfg := flag.String("haproxy-cfg", "deploy/haproxy.cfg", "HAProxy configuration")
	dir := flag.String("dir", "", "directory for the processes' logs (default: a temporary one)")
	duration := flag.Duration("duration", 60*time.Second, "how long the traffic runs (at least; the rolling restart may extend it)")
	killAt := flag.Duration("kill-at", 20*time.Second, "when one replica gets SIGKILL")
	restartAt := flag.Duration("restart-at", 40*time.Second, "when it starts again; the rolling restart follows")
	flag.Parse()
	if *app == "" || *dbURL == "" {
		fmt.Fprintln(os.Stderr, "usage: scaleout -app BINARY -database-url postgres://...")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := options{app: *app, dbURL: *dbURL, cfg: *cfg, dir: *dir, duration: *duration, killAt: *killAt, restartAt: *restartAt}
	ok, err := scaleOut(ctx, &o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale-out:", err)
	}
	if err != nil || !ok {
		tails(o.dir, 15)
		os.Exit(1)
	}
}

type options struct {
	app, dbURL, cfg, dir        string
	duration, killAt, restartAt time.Duration
}

// tails prints the end of every process's log in dir.
func tails(dir string, n int) {
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, name := range logs {
		b, _ := os.ReadFile(name)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		fmt.Fprintf(os.Stderr, "--- %s (last %d lines)\n%s\n", filepath.Base(name), n, strings.Join(lines[max(0, len(lines)-n):], "\n"))
	}
}

func scaleOut(ctx context.Context, o *options) (bool, error) {
	if o.dir == "" {
		d, err := os.MkdirTemp("", "scaleout-")
		if err != nil {
			return false, err
		}
		o.dir = d
	}
	logf := func(name string) (*os.File, error) { return os.Create(filepath.Join(o.dir, name+".log")) }
	ports, err := freePorts(4)
	if err != nil {
		return false, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	password := base64.RawURLEncoding.EncodeToString(key[:12])
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"DATABASE_URL=" + o.dbURL, "APP_BASE_URL=" + base,
		"APP_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key), "DEMO_PASSWORD=" + password,
		"TRUSTED_PROXIES=127.0.0.1/32", "LOG_LEVEL=warn",
	}
	step := func(format string, args ...any) {
		fmt.Printf("%7s  %s\n", "", fmt.Sprintf(format, args...))
	}

	// Migrations once, before any replica (as in a rollout).
	mig := exec.Command(o.app, "migrate")
	mig.Env = append(env, "DATA_DIR="+o.dir)
	if out, err := mig.CombinedOutput(); err != nil {
		return false, fmt.Errorf("app migrate: %v\n%s", err, out)
	}
	replicas := make([]*replica, 3)
	for i := range replicas {
		f, err := logf(fmt.Sprintf("app%d", i+1))
		if err != nil {
			return false, err
		}
		replicas[i] = &replica{name: fmt.Sprintf("app%d", i+1), port: ports[i+1], bin: o.app, env: env, log: f}
	}
	defer func() {
		for _, r := range replicas {
			_ = r.signal(syscall.SIGTERM, 30*time.Second)
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, len(replicas))
	for i, r := range replicas { // together: one seeds, the others wait
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = r.start(ctx) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return false, err
		}
	}
	hlog, err := logf("haproxy")
	if err != nil {
		return false, err
	}
	hap, err := startHAProxy(o.cfg, "127.0.0.1:"+strconv.Itoa(ports[0]), replicas, hlog)
	if err != nil {
		return false, err
	}
	defer func() { _ = hap.Process.Signal(syscall.SIGTERM); _ = hap.Wait() }()
	if err := waitReady(ctx, base+"/readyz", nil); err != nil {
		return false, err
	}
	time.Sleep(2500 * time.Millisecond) // HAProxy: every server up (rise 2)
	step("3 replicas on %v behind HAProxy at %s; logs in %s", ports[1:], base, o.dir)

	r := &run{base: base, password: password, start: time.Now(), links: make(chan *link, 8), rec: newRecorder()}
	rc, err := startReceiver()
	if err != nil {
		return false, err
	}
	defer rc.srv.Close()
	if err := setupAPI(ctx, r, o.app, append(env, "DATA_DIR="+o.dir), rc); err != nil {
		return false, err
	}
	step("API key made with app api-key create; webhook endpoint added through the API for %v, to %s", hookEvents, rc.url)
	r.start = time.Now()
	tctx, stopTraffic := context.WithCancel(ctx)
	var workers sync.WaitGroup
	var workerErrs []string
	var werrMu sync.Mutex
	for _, k := range kinds {
		for range k.workers {
			workers.Add(1)
			go func() {
				defer workers.Done()
				for tctx.Err() == nil {
					w := &worker{run: r, kind: k.name, c: r.newClient(), servedBy: map[string]bool{}}
					if err := k.run(tctx, w); err != nil && tctx.Err() == nil {
						werrMu.Lock()
						workerErrs = append(workerErrs, fmt.Sprintf("%6.1fs %s: %v", time.Since(r.start).Seconds(), k.name, err))
						werrMu.Unlock()
						pause(tctx, 200*time.Millisecond)
					}
				}
			}()
		}
	}
	at := func(d time.Duration) {
		if wait := time.Until(r.start.Add(d)); wait > 0 {
			pause(ctx, wait)
		}
	}
	since := func() time.Duration { return time.Since(r.start) }
	mark := func(format string, args ...any) {
		fmt.Printf("%6.1fs  %s\n", since().Seconds(), fmt.Sprintf(format, args...))
	}

	mark("traffic starts: %d admins, %d invitee workers, %d API worker", kinds[0].workers, kinds[1].workers, kinds[2].workers)
	victim := replicas[1]
	at(o.killAt)
	killed := since()
	if err := victim.signal(syscall.SIGKILL, 10*time.Second); err != nil {
		stopTraffic()
		return false, err
	}
	mark("SIGKILL %s", victim.name)
	at(o.restartAt)
	if err := victim.start(ctx); err != nil {
		stopTraffic()
		return false, err
	}
	mark("%s started again and ready", victim.name)
	pause(ctx, 3*time.Second)
	rollStart := since()
	mark("rolling restart begins")
	for _, rep := range replicas {
		if err := rep.signal(syscall.SIGTERM, 45*time.Second); err != nil {
			stopTraffic()
			return false, err
		}
		if err := rep.start(ctx); err != nil {
			stopTraffic()
			return false, err
		}
		mark("%s: SIGTERM, stopped, started, ready", rep.name)
		pause(ctx, 3*time.Second) // HAProxy sees it up before the next one goes
	}
	rollEnd := since()
	mark("rolling restart done")
	at(max(o.duration, rollEnd+2*time.Second))
	stopTraffic()
	workers.Wait()
	total := since()
	mark("traffic stopped")
	if ctx.Err() != nil {
		return false, ctx.Err()
	}

	windows := []window{
		{"kill", killed, killed + 6*time.Second},
		{"rolling", rollStart, rollEnd},
	}
	return report(ctx, o.dbURL, o.dir, r, rc, windows, total, workerErrs)
}
