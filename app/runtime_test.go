package main

import (
	"runtime/debug"
	"testing"
)

// TestRuntimeDefaults: without GOMEMLIMIT and GOGC the server gets the
// default soft memory limit and GC target; with them, the runtime's own
// reading of the variables stands.
func TestRuntimeDefaults(t *testing.T) {
	limit := debug.SetMemoryLimit(-1) // -1 reads without changing
	gc := debug.SetGCPercent(100)
	debug.SetGCPercent(gc)
	t.Cleanup(func() { debug.SetMemoryLimit(limit); debug.SetGCPercent(gc) })

	runtimeDefaults(func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("memory limit %d, want the default %d", got, defaultMemoryLimit)
	}
	if got := debug.SetGCPercent(gc); got != defaultGCPercent {
		t.Errorf("GC percent %d, want the default %d", got, defaultGCPercent)
	}

	debug.SetMemoryLimit(limit)
	set := map[string]string{"GOMEMLIMIT": "1GiB", "GOGC": "100"}
	runtimeDefaults(func(k string) string { return set[k] })
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("memory limit %d with GOMEMLIMIT set, want the runtime's %d", got, limit)
	}
	if got := debug.SetGCPercent(gc); got != gc {
		t.Errorf("GC percent %d with GOGC set, want the runtime's %d", got, gc)
	}
}
