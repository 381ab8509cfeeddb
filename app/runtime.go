package main

import (
	"runtime/debug"
)

// Defaults of the Go runtime for the server, each overridden by its usual
// environment variable. The soft memory limit makes the collector work
// harder as the heap nears it instead of letting the process grow; the GC
// target lets the heap grow to 1.5 times the live data between cycles
// (the runtime's default is 100, i.e. twice), trading a little memory for
// fewer collections while the limit bounds the whole.
const (
	defaultMemoryLimit = 48 << 20 // GOMEMLIMIT
	defaultGCPercent   = 150      // GOGC
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
