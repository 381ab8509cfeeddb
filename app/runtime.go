package main

import (
	"runtime/debug"
)

// A default of the Go runtime for the server, overridden by its usual
// environment variable (docs/benchmarks.md has the measurements).
//
// The soft memory limit bounds a burst: past it the collector works harder
// instead of letting the process grow. It sits well above what the server
// needs under the benchmark's loads (peak RSS about 50 MB, of which only
// about a third is Go memory), so normal load never makes the collector
// thrash. The GC target stays the runtime's (GOGC=100): a target of 75,
// tried before, ran a third more collections per consent page (34 against
// 25 for 4,000 views) to keep the peak about 1 MB lower.
const defaultMemoryLimit = 64 << 20 // GOMEMLIMIT

// runtimeDefaults applies the defaults the operator did not set.
func runtimeDefaults(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
