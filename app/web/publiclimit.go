//go:build !benchharness

package web

// publicBurst is the public per-address limit: requests per minute and
// burst (limitPublic). Only a binary built with -tags benchharness (the
// benchmark runner's, app/internal/bench) lifts it; see publiclimit_bench.go.
const publicBurst = 60

// benchHarness reports a benchmark build.
const benchHarness = false
