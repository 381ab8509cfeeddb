package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// report prints what happened and the checks; it returns whether every
// check passed.
func report(ctx context.Context, dbURL, logDir string, r *run, rc *receiver, windows []window, total time.Duration, workerErrs []string) (bool, error) {
	rec := r.rec
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return false, err
	}
	defer conn.Close(ctx)
	connected := map[string]int{} // link ID: connected events
	rows, err := conn.Query(ctx, "SELECT link_id, count(*) FROM link_events WHERE type = 'connected' GROUP BY link_id")
	if err != nil {
		return false, err
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return false, err
		}
		connected[id] = n
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	var usedWithoutEvent int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM access_links l WHERE l.used_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM link_events e WHERE e.link_id = l.id AND e.type = 'connected')`).Scan(&usedWithoutEvent); err != nil {
		return false, err
	}

	byWindow := rec.failuresIn(windows)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	fmt.Printf("\nmachine: %d cores (%s/%s), %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, cpuModel())
	fmt.Printf("traffic: %.0f s, %d requests (%.0f/s): %s\n", total.Seconds(), rec.requests, float64(rec.requests)/total.Seconds(), kv(rec.byKind))
	fmt.Printf("answered by: %s\n", kv(rec.servedBy))
	statuses := map[string]int{}
	for s, n := range rec.status {
		statuses[fmt.Sprint(s)] = n
	}
	fmt.Printf("statuses: %s (0: no answer)\n", kv(statuses))

	for i, f := range rec.failures {
		if i == 20 {
			fmt.Printf("  ... and %d more\n", len(rec.failures)-i)
			break
		}
		fmt.Printf("  failure at %5.1fs: %s %d %s %s\n", f.at.Seconds(), f.kind, f.status, f.server, f.err)
	}

	var flows, raced, success, allowed, allowNoAccount, multiReplica, failedFlows int
	successes := map[string]int{}
	for _, f := range rec.flows {
		flows++
		if f.race {
			raced++
		}
		if f.success {
			success++
			successes[f.link.id]++
		}
		if f.replicas >= 2 {
			multiReplica++
		}
		if f.allowed {
			allowed++
			if connected[f.link.id] == 0 {
				allowNoAccount++
				fmt.Printf("  allowed, no account: link %s race=%v success=%v err=%v\n", f.link.id, f.race, f.success, f.err)
			}
		}
		if f.err != nil {
			failedFlows++
			fmt.Printf("  flow error: link %s race=%v: %v\n", f.link.id, f.race, f.err)
		}
	}
	claimedTwiceClient := 0
	for _, n := range successes {
		if n > 1 {
			claimedTwiceClient++
		}
	}
	claimedTwiceDB := 0
	for _, n := range connected {
		if n > 1 {
			claimedTwiceDB++
		}
	}
	fmt.Printf("flows: %d (%d in races of two), %d connected, %d reached Allow, %d over two or more replicas, %d ended in error\n",
		flows, raced, success, allowed, multiReplica, failedFlows)
	var retriedOK, retriedFailed int
	for _, what := range sortedKeys(rec.retries) {
		n := rec.retries[what]
		retriedOK += n[0]
		retriedFailed += n[1]
		fmt.Printf("retried %s: %d then succeeded, %d still failing\n", what, n[0], n[1])
	}
	var sessions, changed, survived int
	for _, s := range rec.sessions {
		sessions++
		if s.replicas >= 2 {
			changed++
			if s.lostTo == "" {
				survived++
			}
		}
	}
	for i, e := range workerErrs {
		if i == 10 {
			fmt.Printf("  ... and %d more\n", len(workerErrs)-i)
			break
		}
		fmt.Println("  unexpected:", e)
	}

	fmt.Println()
	ok := true
	check := func(pass bool, format string, args ...any) {
		mark := "ok  "
		if !pass {
			mark, ok = "FAIL", false
		}
		fmt.Printf("%s %s\n", mark, fmt.Sprintf(format, args...))
	}
	kill := byWindow["kill"]
	check(len(byWindow["rolling"]) == 0, "5xx during the rolling restart: %d", len(byWindow["rolling"]))
	check(len(byWindow[""]) == 0, "5xx outside the SIGKILL window: %d", len(byWindow[""]))
	check(retriedFailed == 0, "5xx during SIGKILL (requests in flight on the killed replica): %d; actions retried: %d, all succeeded: %v",
		len(kill), retriedOK+retriedFailed, retriedFailed == 0)
	check(claimedTwiceDB == 0 && claimedTwiceClient == 0, "links claimed twice: %d (history), %d (invitees told so)", claimedTwiceDB, claimedTwiceClient)
	check(allowNoAccount == 0 && usedWithoutEvent == 0, "flows that reached Allow without an account: %d (used links without a connected event: %d)", allowNoAccount, usedWithoutEvent)
	check(changed > 0 && survived == changed, "sessions that survived a replica change: %d of %d", survived, changed)
	check(success > 0 && multiReplica > 0, "flows connected: %d; flows whose steps landed on different replicas: %d of %d", success, multiReplica, flows)
	check(len(workerErrs) == 0, "unexpected answers: %d", len(workerErrs))
	check(r.tokens.Load() > 0, "API access tokens handed out: %d (rate limited: %d)", r.tokens.Load(), r.rateLimited.Load())
	if err := hookChecks(ctx, conn, rc, 100*time.Second, check); err != nil {
		return false, err
	}
	leaks, err := secretsInLogs(logDir, rec.secrets)
	if err != nil {
		return false, err
	}
	check(len(rec.secrets) > 0 && len(leaks) == 0, "link tokens, OAuth codes, access tokens, the API key and the webhook secret in the replicas' and HAProxy's logs: %d of %d %v", len(leaks), len(rec.secrets), leaks)
	return ok, nil
}

func kv(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// secretsInLogs returns the log files that hold any of secrets.
func secretsInLogs(dir string, secrets []string) ([]string, error) {
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) == 0 {
		return nil, fmt.Errorf("no logs in %s (%v)", dir, err)
	}
	var leaks []string
	for _, name := range logs {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				leaks = append(leaks, filepath.Base(name))
				break
			}
		}
	}
	return leaks, nil
}
