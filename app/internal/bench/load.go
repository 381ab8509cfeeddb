package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// target is one page under load.
type target struct {
	name    string
	path    string
	conns   int
	auth    bool // needs the session cookie
	clients bool // rotate the User-Agent over 50 values: 50 invitees' clients
}

// clientsScript makes wrk send one of 50 User-Agents in turn, so the
// consent page's history event is counted on 50 rows (one per client, as
// the app collapses repeated views) instead of all 50 connections queuing
// on one row's lock.
const clientsScript = `local n = 0
request = function()
  n = n + 1
  wrk.headers["User-Agent"] = "bench-client-" .. (n % 50)
  return wrk.format()
end
`

// pageNames name the targets for -only and the profiles' files.
var pageNames = []string{"consent", "first", "deep"}

// result is one target on one database, over all rounds.
type result struct {
	db, target              string
	appRPS, bareRPS, ratios []float64
	appP50, appP99          []float64 // ms
	bareP50, bareP99        []float64
	appCPU, bareCPU         []float64 // µs of the server's CPU per request
	appPeak, barePeak       memory    // kB
	appIdle, bareIdle       memory
	bytes                   int
	start                   []time.Duration // app start to healthy, on this database
}

func benchDatabase(ctx context.Context, o options, database, dir, appBin, self string) ([]result, error) {
	appAddr, metricsAddr, bareAddr := freeAddr(), freeAddr(), freeAddr()
	e := env{
		"APP_ENV":                         "production",
		"APP_SECRET_KEY":                  newKey(),
		"APP_BASE_URL":                    "https://bench.example",
		"PORT":                            appAddr[strings.LastIndex(appAddr, ":")+1:],
		"METRICS_ADDR":                    metricsAddr,
		"DATA_DIR":                        filepath.Join(dir, "data-"+database),
		"SOURCE_GOOGLE_ADS_CLIENT_ID":     "bench-client",
		"SOURCE_GOOGLE_ADS_CLIENT_SECRET": "bench-secret",
	}
	if database == "postgres" {
		if o.pgURL == "" {
			return nil, fmt.Errorf("set DATABASE_URL to benchmark PostgreSQL")
		}
		u, drop, err := pgSchema(ctx, o.pgURL)
		if err != nil {
			return nil, err
		}
		defer drop()
		e["DATABASE_URL"] = u
	} else if err := os.MkdirAll(e["DATA_DIR"], 0o700); err != nil {
		return nil, err
	}
	fmt.Printf("\n== %s: seeding %d links through app/access\n", database, o.links)
	t0 := time.Now()
	sd, err := seed(ctx, e.get, o.links, o.deep)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded in %v\n", time.Since(t0).Round(time.Millisecond))

	appLog, err := os.Create(filepath.Join(dir, "app-"+database+".log"))
	if err != nil {
		return nil, err
	}
	defer appLog.Close()
	// Start-up on the existing database: o.starts starts, the median kept.
	var starts []time.Duration
	for range o.starts {
		p, d, err := start(ctx, appBin, []string{"serve"}, e, appAddr, appLog)
		if err != nil {
			return nil, err
		}
		p.stop()
		starts = append(starts, d)
	}
	app, _, err := start(ctx, appBin, []string{"serve"}, e, appAddr, appLog)
	if err != nil {
		return nil, err
	}
	defer app.stop()
	// Idle means started: the job workers start once the app listens, so
	// the idle memory is read after they have (all starts log to appLog).
	if err := waitForLog(appLog.Name(), `"msg":"job workers started"`, o.starts+1, 30*time.Second); err != nil {
		return nil, err
	}
	bareArgs := []string{"bare", "-addr", bareAddr}
	if o.probe {
		bareArgs = append(bareArgs, "-probe")
	}
	bare, _, err := start(ctx, self, bareArgs, e, bareAddr, os.Stderr)
	if err != nil {
		return nil, err
	}
	defer bare.stop()
	appIdle, bareIdle := readMemory(app.pid()), readMemory(bare.pid())
	idleMemory(metricsAddr)

	cookie, err := login(appAddr, sd)
	if err != nil {
		return nil, err
	}
	links := "/w/" + sd.WorkspaceID + "/sources/access-requests"
	targets := []target{
		{name: "consent", path: "/connect/" + sd.Token, conns: 50, clients: true},
		{name: "list, first page", path: links, conns: 10, auth: true},
		{name: fmt.Sprintf("list, %d deep", o.deep), path: links + "?cursor=" + url.QueryEscape(sd.DeepCursor), conns: 10, auth: true},
	}
	var out []result
	for i, t := range targets {
		if o.only != "" && !slices.Contains(strings.Split(o.only, ","), pageNames[i]) {
			continue
		}
		r := result{db: database, target: t.name, appIdle: appIdle, bareIdle: bareIdle, start: starts}
		header := []string{}
		if t.auth {
			header = append(header, "Cookie: "+cookie)
		}
		// The app's page decides the size the bare program writes.
		body, err := fetch("http://"+appAddr+t.path, header)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		if t.auth && strings.Count(body, `data-testid="link-row"`) != 50 {
			return nil, fmt.Errorf("%s: the app's page does not show 50 links", t.name)
		}
		r.bytes = len(body)
		header = append(header, "X-Bench-Bytes: "+strconv.Itoa(len(body)))
		if got, err := fetch("http://"+bareAddr+t.path, header); err != nil || len(got) != len(body) {
			return nil, fmt.Errorf("%s: the bare program's page: %d bytes, want %d (%v)", t.name, len(got), len(body), err)
		}
		fmt.Printf("%s: %d bytes, %d connections, %d rounds of %v\n", t.name, len(body), t.conns, o.rounds, o.duration)
		for round := range o.rounds {
			order := []*proc{app, bare}
			if round%2 == 1 {
				order = []*proc{bare, app}
			}
			var appW, bareW wrkResult
			for _, p := range order {
				var profile chan error
				if p == app && o.cpuProfile != "" && round == o.rounds-1 {
					profile = cpuProfile(metricsAddr, o.duration, o.cpuProfile+"-"+database+"-"+pageNames[i]+".pprof")
				}
				script := ""
				if t.clients {
					script = filepath.Join(dir, "clients.lua")
					if err := os.WriteFile(script, []byte(clientsScript), 0o644); err != nil {
						return nil, err
					}
				}
				w, peak, err := runWrk(ctx, "http://"+p.addr+t.path, t.conns, o.duration, header, script, p.pid())
				if err != nil {
					return nil, fmt.Errorf("%s: %w", t.name, err)
				}
				if profile != nil {
					if err := <-profile; err != nil {
						return nil, fmt.Errorf("cpu profile: %w", err)
					}
				}
				if p == app {
					appW, r.appPeak = w, r.appPeak.max(peak)
				} else {
					bareW, r.barePeak = w, r.barePeak.max(peak)
				}
			}
			r.appRPS, r.bareRPS = append(r.appRPS, appW.rps), append(r.bareRPS, bareW.rps)
			r.ratios = append(r.ratios, appW.rps/bareW.rps)
			r.appCPU, r.bareCPU = append(r.appCPU, appW.cpuPerReq), append(r.bareCPU, bareW.cpuPerReq)
			r.appP50, r.appP99 = append(r.appP50, appW.p50), append(r.appP99, appW.p99)
			r.bareP50, r.bareP99 = append(r.bareP50, bareW.p50), append(r.bareP99, bareW.p99)
			fmt.Printf("  round %d: app %.0f req/s (p99 %.2f ms, %.0f µs CPU/req), bare %.0f req/s (p99 %.2f ms, %.0f µs CPU/req), ratio %.2f\n",
				round+1, appW.rps, appW.p99, appW.cpuPerReq, bareW.rps, bareW.p99, bareW.cpuPerReq, appW.rps/bareW.rps)
		}
		out = append(out, r)
	}
	return out, nil
}

// login signs the seeded admin in and returns the session cookie.
func login(addr string, sd *Seeded) (string, error) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm("http://"+addr+"/login", url.Values{"email": {sd.Email}, "password": {sd.Password}})
	if err != nil {
		return "", err
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if strings.HasSuffix(c.Name, "ar_session") {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("login: status %d, no session cookie", res.StatusCode)
}

func fetch(target string, header []string) (string, error) {
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d", target, res.StatusCode)
	}
	return string(b), err
}

// cpuProfile fetches a CPU profile from the app's operators' listener for
// the length of one wrk run.
func cpuProfile(metricsAddr string, d time.Duration, file string) chan error {
	done := make(chan error, 1)
	go func() {
		secs := max(1, int(d.Seconds()))
		res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", metricsAddr, secs))
		if err != nil {
			done <- err
			return
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			done <- fmt.Errorf("status %d", res.StatusCode)
			return
		}
		b, err := io.ReadAll(res.Body)
		if err == nil {
			err = os.WriteFile(file, b, 0o644)
			fmt.Printf("  CPU profile: %s (go tool pprof -top %s)\n", file, file)
		}
		done <- err
	}()
	return done
}

// wrkResult is one wrk run: throughput, latency percentiles (ms) and the
// server's CPU time per request (µs), from /proc/<pid>/stat before and
// after: on a machine shared with other jobs, CPU per request moves far
// less than requests per second.
type wrkResult struct{ rps, p50, p99, cpuPerReq float64 }

var (
	reRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reCount   = regexp.MustCompile(`(\d+) requests in`)
	reLatency = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
)

// runWrk runs wrk against target while sampling the server's resident
// memory; it fails on socket errors or answers other than 2xx.
func runWrk(ctx context.Context, target string, conns int, d time.Duration, header []string, script string, pid int) (wrkResult, memory, error) {
	args := []string{"-t", "2", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%.0fs", max(1, d.Seconds())), "--latency"}
	if script != "" {
		args = append(args, "-s", script)
	}
	for _, h := range header {
		args = append(args, "-H", h)
	}
	cmd := exec.CommandContext(ctx, "wrk", append(args, target)...)
	cpu0 := cpuTicks(pid)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return wrkResult{}, memory{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak memory
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			peak = peak.max(readMemory(pid))
		}
	}
	cpu1 := cpuTicks(pid)
	text := out.String()
	if err != nil {
		return wrkResult{}, memory{}, fmt.Errorf("wrk: %v\n%s", err, text)
	}
	if strings.Contains(text, "Non-2xx") || strings.Contains(text, "Socket errors") {
		return wrkResult{}, memory{}, fmt.Errorf("wrk saw errors:\n%s", text)
	}
	var w wrkResult
	m := reRPS.FindStringSubmatch(text)
	if m == nil {
		return wrkResult{}, memory{}, fmt.Errorf("no Requests/sec in wrk's output:\n%s", text)
	}
	w.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := reCount.FindStringSubmatch(text); m != nil {
		if n, _ := strconv.ParseFloat(m[1], 64); n > 0 {
			w.cpuPerReq = float64(cpu1-cpu0) * 1e6 / clockTicks / n
		}
	}
	for _, m := range reLatency.FindAllStringSubmatch(text, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		v *= map[string]float64{"us": 0.001, "ms": 1, "s": 1000}[m[3]]
		if m[1] == "50" {
			w.p50 = v
		} else {
			w.p99 = v
		}
	}
	return w, peak, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on
// Linux on every architecture Go supports).
const clockTicks = 100

// cpuTicks is the CPU time (user and system) pid has used, in clock ticks.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

// memory is a process's resident memory in kB: all of it, and the part
// that is anonymous (heap, stacks: not the executable's pages, which the
// kernel maps from the page cache and may drop and read again).
type memory struct{ rss, anon int64 }

func readMemory(pid int) memory {
	return memory{rss: rss(pid, "VmRSS"), anon: rss(pid, "RssAnon")}
}

// max is the larger of each figure, for peaks.
func (m memory) max(o memory) memory { return memory{max(m.rss, o.rss), max(m.anon, o.anon)} }

// rss reads a memory figure of /proc/pid/status in kB.
func rss(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func median[T float64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printMachine() {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: %s, %d CPUs, %s %s/%s, load average %s", cpu, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}

func mb(kB int64) float64 { return float64(kB) / 1024 }

func printResults(rs []result) {
	fmt.Printf("\nMedians over rounds. ratio: app req/s ÷ bare req/s of the same round; CPU ratio: bare ÷ app server CPU per request.\n\n")
	fmt.Printf("| database | page | bytes | app req/s | bare req/s | ratio | CPU µs/req app / bare | CPU ratio | p50 app / bare ms | p99 app / bare ms | p99 × | peak RSS app / bare MB | idle RSS app / bare MB | anonymous peak / idle, app / bare MB |\n")
	fmt.Printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rs {
		fmt.Printf("| %s | %s | %d | %.0f | %.0f | %.2f | %.0f / %.0f | %.2f | %.2f / %.2f | %.2f / %.2f | %.2f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f, %.1f / %.1f |\n",
			r.db, r.target, r.bytes, median(r.appRPS), median(r.bareRPS), median(r.ratios),
			median(r.appCPU), median(r.bareCPU), median(r.bareCPU)/median(r.appCPU),
			median(r.appP50), median(r.bareP50), median(r.appP99), median(r.bareP99), median(r.appP99)/median(r.bareP99),
			mb(r.appPeak.rss), mb(r.barePeak.rss), mb(r.appIdle.rss), mb(r.bareIdle.rss),
			mb(r.appPeak.anon), mb(r.appIdle.anon), mb(r.barePeak.anon), mb(r.bareIdle.anon))
	}
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.db] {
			seen[r.db] = true
			fmt.Printf("\n%s: production start to a healthy /healthz on the seeded database: median %v of %v\n",
				r.db, median(r.start).Round(100*time.Microsecond), r.start)
		}
	}
}

// idleMemory prints what the idle app's memory is made of, from its
// operators' /metrics.
func idleMemory(metricsAddr string) {
	body, err := fetch("http://"+metricsAddr+"/metrics", nil)
	if err != nil {
		fmt.Printf("idle memory: %v\n", err)
		return
	}
	fmt.Print("idle app:")
	for _, l := range strings.Split(body, "\n") {
		for _, name := range []string{"process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_idle_bytes", "go_memstats_heap_released_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes", "go_goroutines"} {
			if v, ok := strings.CutPrefix(l, name+" "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				if strings.HasSuffix(name, "bytes") {
					fmt.Printf(" %s %.1f MB", strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(name, "go_memstats_"), "process_"), "_bytes"), f/(1<<20))
				} else {
					fmt.Printf(" %s %.0f", name, f)
				}
			}
		}
	}
	fmt.Println()
}

// waitForLog waits until the file at path holds text n times.
func waitForLog(path, text string, n int, timeout time.Duration) error {
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Count(string(b), text) >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no %s after %v", path, text, timeout)
		}
	}
}
