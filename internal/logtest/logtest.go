// Package logtest gives tests one log sink that the code under test (a
// logger, a child process's output) and the test itself can use at once.
package logtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer that is safe for concurrent use: the writers
// are goroutines of the code under test, the reader is the test. The zero
// value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Bytes returns a copy of everything written so far, so later writes
// cannot change what the caller holds.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// Records returns the JSON log lines (slog's JSON handler) whose "msg" is
// msg, or every line when msg is empty. A line that is not JSON fails the
// test: a JSON log that is not JSON is a bug worth seeing.
func (b *Buffer) Records(tb testing.TB, msg string) []map[string]any {
	tb.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.Bytes()))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		if msg == "" || r["msg"] == msg {
			out = append(out, r)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read log: %v", err)
	}
	return out
}
