package redact_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"booty/internal/redact"
)

func TestMemo(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 2<<10)
	tests := []struct {
		name string
		s    string
		want string
		// calls is how many times the redactor runs for three asks.
		calls int
	}{
		{"clean text is remembered", "at handler (app/main.js:12)", "at handler (app/main.js:12)", 1},
		{"a secret is redacted every time", "token " + githubPAT, "token " + redact.Replacement, 3},
		{"long text is not remembered", long, long, 3},
		{"empty", "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			m := redact.NewMemo(func(s string) string { calls++; return redact.String(s) }, 1<<20)
			for range 3 {
				if got := m.String(tt.s); got != tt.want {
					t.Fatalf("String(%.40q) = %.40q, want %.40q", tt.s, got, tt.want)
				}
			}
			if calls != tt.calls {
				t.Errorf("redactor ran %d times, want %d", calls, tt.calls)
			}
		})
	}
}

// TestMemoStartsOver fills a Memo past its budget: it forgets what it
// held, so that a string remembered before the budget ran out is redacted
// again.
func TestMemoStartsOver(t *testing.T) {
	t.Parallel()
	calls := map[string]int{}
	m := redact.NewMemo(func(s string) string { calls[s]++; return s }, 100)
	m.String("first")
	for i := range 20 {
		m.String(fmt.Sprintf("filler string %02d", i)) // 16 bytes each
	}
	m.String("first")
	if calls["first"] != 2 {
		t.Errorf("first redacted %d times, want 2: the memo never started over", calls["first"])
	}
}

// TestMemoConcurrent asks one Memo from many goroutines, for the race
// detector, and checks every answer.
func TestMemoConcurrent(t *testing.T) {
	t.Parallel()
	m := redact.NewMemo(redact.String, 1<<10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				s := fmt.Sprintf("frame %d of goroutine %d", i%50, g)
				if got := m.String(s); got != s {
					t.Errorf("String(%q) = %q", s, got)
					return
				}
				if got := m.String("key " + stripeLive); got != "key "+redact.Replacement {
					t.Errorf("secret answered %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}
