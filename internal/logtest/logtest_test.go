package logtest_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"booty/internal/logtest"
)

// TestBufferConcurrentWrites is meaningful under -race: the writers and
// the reader share the buffer, as a logger and a test do.
func TestBufferConcurrentWrites(t *testing.T) {
	t.Parallel()
	var b logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	const writers, lines = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				log.Info("line", "writer", w, "i", i)
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := strings.Count(b.String(), "\n"); got != writers*lines {
		t.Errorf("got %d lines, want %d", got, writers*lines)
	}
	if got := len(b.Records(t, "line")); got != writers*lines {
		t.Errorf("Records: got %d, want %d", got, writers*lines)
	}
}

func TestBufferRecords(t *testing.T) {
	t.Parallel()
	var b logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	log.Info("kept", "n", 1)
	log.Info("other")
	log.Info("kept", "n", 2)
	tests := []struct {
		msg  string
		want int
	}{{"kept", 2}, {"other", 1}, {"absent", 0}, {"", 3}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("msg=%q", tt.msg), func(t *testing.T) {
			t.Parallel()
			if got := len(b.Records(t, tt.msg)); got != tt.want {
				t.Errorf("got %d records, want %d", got, tt.want)
			}
		})
	}
	if rs := b.Records(t, "kept"); rs[1]["n"] != 2.0 {
		t.Errorf("second record: got n=%v, want 2", rs[1]["n"])
	}
}

func TestBufferBytesIsACopy(t *testing.T) {
	t.Parallel()
	var b logtest.Buffer
	_, _ = b.Write([]byte("abc"))
	got := b.Bytes()
	_, _ = b.Write([]byte("def"))
	got[0] = 'X'
	if string(got) != "Xbc" || b.String() != "abcdef" {
		t.Errorf("got %q and buffer %q, want Xbc and abcdef", got, b.String())
	}
}
