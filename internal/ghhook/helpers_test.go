package ghhook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtureDir = "testdata"

// fixture returns the payload testdata/name and the event it is a delivery
// of: the file name up to its first dot.
func fixture(tb testing.TB, name string) (event string, body []byte) {
	tb.Helper()
	body, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	event, _, _ = strings.Cut(name, ".")
	return event, body
}
