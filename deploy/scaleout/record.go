package main

import (
	"sort"
	"sync"
	"time"
)

// recorder keeps what the traffic saw: every request's time, status and
// replica, the retried actions, the flows and the admins' sessions.
type recorder struct {
	mu       sync.Mutex
	requests int
	byKind   map[string]int
	status   map[int]int
	servedBy map[string]int
	failures []failure
	retries  map[string][2]int // action: [retried and then succeeded, retried and still failed]
	flows    []*flowResult
	sessions []*sessionRecord
	secrets  []string // link tokens and OAuth codes: none may reach a log
}

func (r *recorder) secret(s string) {
	r.mu.Lock()
	r.secrets = append(r.secrets, s)
	r.mu.Unlock()
}

// failure is a 5xx, or a request that got no answer.
type failure struct {
	at     time.Duration
	kind   string
	status int // 0: no answer
	server string
	err    string
}

func newRecorder() *recorder {
	return &recorder{byKind: map[string]int{}, status: map[int]int{}, servedBy: map[string]int{}, retries: map[string][2]int{}}
}

func (r *recorder) request(kind string, at time.Duration, status int, server, err string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.byKind[kind]++
	r.status[status]++
	if server != "" {
		r.servedBy[server]++
	}
	if status == 0 || status >= 500 {
		r.failures = append(r.failures, failure{at: at, kind: kind, status: status, server: server, err: err})
	}
}

func (r *recorder) retry(what string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.retries[what]
	if ok {
		n[0]++
	} else {
		n[1]++
	}
	r.retries[what] = n
}

func (r *recorder) flow(f *flowResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flows = append(r.flows, f)
}

// sessionRecord is one admin's sign-in: how many replicas served it and
// whether it was ever sent back to sign in.
type sessionRecord struct {
	r        *recorder
	replicas int
	lostTo   string // the answer that showed the session was gone
}

func (r *recorder) session() *sessionRecord {
	s := &sessionRecord{r: r}
	r.mu.Lock()
	r.sessions = append(r.sessions, s)
	r.mu.Unlock()
	return s
}

func (s *sessionRecord) lost(status int, location string) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.lostTo == "" && (status == 401 || status == 303 && location != "") {
		s.lostTo = location
	}
}

func (s *sessionRecord) done(replicas int) {
	s.r.mu.Lock()
	s.replicas = replicas
	s.r.mu.Unlock()
}

// window is a span of the run, for attributing failures.
type window struct {
	name       string
	start, end time.Duration
}

// failuresIn splits the failures by window; the rest go under "".
func (r *recorder) failuresIn(ws []window) map[string][]failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]failure{}
	for _, f := range r.failures {
		name := ""
		for _, w := range ws {
			if f.at >= w.start && f.at < w.end {
				name = w.name
				break
			}
		}
		out[name] = append(out[name], f)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
