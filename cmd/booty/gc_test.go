package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: serve's collector defaults apply only where GOGC and
// GOMEMLIMIT are unset. It changes the process's collector settings, so it
// runs alone and puts them back.
func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
	for _, tc := range []struct {
		name                   string
		env                    map[string]string
		wantPercent, wantLimit int64
	}{
		{"unset", nil, serveGCPercent, serveMemoryLimit},
		{"GOGC set", map[string]string{"GOGC": "50"}, 100, serveMemoryLimit},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, serveGCPercent, math.MaxInt64},
	} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		tuneGC(func(k string) string { return tc.env[k] })
		if got := int64(debug.SetGCPercent(100)); got != tc.wantPercent {
			t.Errorf("%s: GC percent %d, want %d", tc.name, got, tc.wantPercent)
		}
		if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
			t.Errorf("%s: memory limit %d, want %d", tc.name, got, tc.wantLimit)
		}
	}
}
