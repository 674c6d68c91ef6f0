//go:build race

package redact_test

// raceEnabled: the race detector makes sync.Pool drop what it holds, so
// regexp allocates where it otherwise would not.
const raceEnabled = true
