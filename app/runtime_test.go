package main

import (
	"runtime/debug"
	"testing"
)

// TestRuntimeDefaults: without GOMEMLIMIT the server gets the default soft
// memory limit; with it, the runtime's own reading of the variable stands.
// The GC target is never changed.
func TestRuntimeDefaults(t *testing.T) {
	limit := debug.SetMemoryLimit(-1) // -1 reads without changing
	gc := debug.SetGCPercent(100)
	debug.SetGCPercent(gc)
	t.Cleanup(func() { debug.SetMemoryLimit(limit); debug.SetGCPercent(gc) })

	runtimeDefaults(func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("memory limit %d, want the default %d", got, defaultMemoryLimit)
	}
	if got := debug.SetGCPercent(gc); got != gc {
		t.Errorf("GC percent %d, want the runtime's %d", got, gc)
	}

	debug.SetMemoryLimit(limit)
	runtimeDefaults(func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] })
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("memory limit %d with GOMEMLIMIT set, want the runtime's %d", got, limit)
	}
}
