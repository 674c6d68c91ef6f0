package main

import (
	"runtime/debug"
)

// The garbage collector's defaults for serve, unless GOGC or GOMEMLIMIT
// say otherwise. A delivery allocates a few hundred short-lived objects,
// and at Go's default GOGC=100 collection took about a tenth of booty's CPU
// under load; twice the heap growth halves that. The soft memory limit
// keeps the bigger target from costing memory when it matters: past it the
// collector runs as often as it must, and it sits under the unit's
// MemoryHigh=384M.
const (
	serveGCPercent   = 200
	serveMemoryLimit = 320 << 20
)

// tuneGC sets serve's collector defaults where getenv leaves them unset.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
