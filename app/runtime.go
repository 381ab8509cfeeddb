package main

import (
	"runtime/debug"
)

// Defaults of the Go runtime for the server, each overridden by its usual
// environment variable (docs/benchmarks.md has the measurements).
//
// The GC target lets the heap grow by 75% of the live data between cycles
// (the runtime's default is 100%): the live heap of this server is small
// (about 3 MB idle), so collections stay cheap and the peak under load a
// little lower. The soft memory limit bounds a burst: past it the collector
// works harder instead of letting the process grow. It sits well above what
// the server needs under the benchmark's loads (peak RSS about 40 MB, of
// which only about half is Go memory), so normal load never makes the
// collector thrash.
const (
	defaultMemoryLimit = 64 << 20 // GOMEMLIMIT
	defaultGCPercent   = 75       // GOGC
)

// runtimeDefaults applies the defaults the operator did not set.
func runtimeDefaults(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
