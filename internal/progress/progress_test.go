package progress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/clocktest"
)

// onTerminal makes a Reporter take w for a terminal.
func onTerminal(c *config) { c.isTerminal = func(io.Writer) bool { return true } }

// step is one call on a Reporter, after moving the clock by wait.
type step struct {
	wait time.Duration
	add  int // Add(add) when set is negative
	set  int
}

func add(n int) step                     { return step{add: n, set: -1} }
func set(n int) step                     { return step{set: n} }
func later(d time.Duration, s step) step { s.wait = d; return s }

func TestLines(t *testing.T) {
	t.Parallel()
	const format = "booty: copied %d/%d rows"
	tests := []struct {
		name  string
		total int
		steps []step
		want  []string
	}{
		{"every tenth and the last", 100, []step{add(5), add(5), add(9), add(1), add(80)},
			[]string{"10/100", "20/100", "100/100"}},
		{"the start is no progress", 10, []step{set(0), set(0)}, nil},
		{"set moves to a figure", 1000, []step{set(0), set(1000)}, []string{"1000/1000"}},
		{"a slow tenth shows after the interval", 1000,
			[]step{add(1), later(4*time.Second, add(1)), later(time.Second, add(1)), later(5*time.Second, set(3))},
			[]string{"3/1000"}},
		{"work stopped short shows where it got", 1000, []step{add(150), add(7)}, []string{"150/1000", "157/1000"}},
		{"no last line when nothing moved since", 10, []step{set(10), set(10)}, []string{"10/10"}},
		{"beyond the total is the total", 4, []step{add(3), add(3)}, []string{"3/4", "4/4"}},
		{"below zero is zero", 4, []step{set(-3)}, nil},
		{"no total, nothing to show", 0, []step{add(3)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := clocktest.New(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
			var out bytes.Buffer
			r := New(&out, tt.total, "copying rows", Line(format), func(c *config) { c.now = clock.Now })
			for _, s := range tt.steps {
				clock.Advance(s.wait)
				if s.set < 0 {
					r.Add(s.add)
				} else {
					r.Set(s.set)
				}
			}
			r.Done()
			r.Done()
			r.Add(1) // after Done: nothing
			var want []string
			for _, w := range tt.want {
				want = append(want, "booty: copied "+w+" rows")
			}
			if diff := cmp.Diff(want, lines(out.String())); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestLinesHaveNoTerminalControl(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := New(&out, 50, "sending 100% of it", Every(1, time.Hour))
	for range 50 {
		r.Add(1)
	}
	r.Done()
	got := out.String()
	if strings.ContainsAny(got, "\x1b\r") {
		t.Errorf("lines hold terminal control: %q", got)
	}
	if n := len(lines(got)); n != 50 {
		t.Errorf("got %d lines at 1%% steps of 50, want 50:\n%s", n, got)
	}
	if last := "sending 100% of it 50/50\n"; !strings.HasSuffix(got, last) {
		t.Errorf("got %q, want it to end with the default line %q", got, last)
	}
}

func TestBar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      []Option
		done      int
		wantEnd   string // what the output ends with
		wantFinal string // the figures of the last drawing
	}{
		{"full bar ends its line", nil, 20, "\n", "(20/20"},
		{"stopped short ends its line where it got", nil, 7, "\n", "(7/20"},
		{"transient clears itself", []Option{Transient()}, 20, "\r", ""},
		{"transient stopped short clears itself", []Option{Transient()}, 7, "\r", "(7/20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			r := New(&out, 20, "copying rows", append(tt.opts, onTerminal, Line("line %d/%d"))...)
			if !strings.Contains(out.String(), "copying rows") {
				t.Errorf("no bar drawn at the start: %q", out.String())
			}
			for range tt.done {
				r.Add(1)
			}
			r.Done()
			got := out.String()
			if strings.Contains(got, "line ") {
				t.Errorf("a terminal got periodic lines: %q", got)
			}
			if !strings.Contains(got, "\r") {
				t.Errorf("the bar is not redrawn in place: %q", got)
			}
			if !strings.HasSuffix(got, tt.wantEnd) {
				t.Errorf("got %q, want it to end with %q", got, tt.wantEnd)
			}
			if !strings.Contains(got, tt.wantFinal) {
				t.Errorf("got %q, want the last drawing to show %q", got, tt.wantFinal)
			}
		})
	}
}

// TestConcurrentAdds counts from many goroutines at once (run with -race):
// each unit is counted once and the last line is the total.
func TestConcurrentAdds(t *testing.T) {
	t.Parallel()
	for _, terminal := range []bool{false, true} {
		t.Run(fmt.Sprintf("terminal=%v", terminal), func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			opts := []Option{Line("sent %d/%d")}
			if terminal {
				opts = append(opts, onTerminal)
			}
			const workers, each = 8, 250
			r := New(&out, workers*each, "sending", opts...)
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for range each {
						r.Add(1)
					}
				})
			}
			wg.Wait()
			r.Done()
			if want := "2000/2000"; !strings.Contains(out.String(), want) {
				t.Errorf("got %q, want it to reach %s", out.String(), want)
			}
		})
	}
}

func TestIsTerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if IsTerminal(&buf) {
		t.Error("a buffer taken for a terminal")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file taken for a terminal")
	}
}

func TestPrintf(t *testing.T) {
	t.Parallel()
	t.Run("among lines", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer
		r := New(&out, 2, "retrying", Line("retried %d/%d"))
		r.Add(1)
		r.Printf("booty: job %d is not parked", 7)
		r.Done()
		want := []string{"retried 1/2", "booty: job 7 is not parked"}
		if diff := cmp.Diff(want, lines(out.String())); diff != "" {
			t.Errorf("lines (-want +got):\n%s", diff)
		}
	})
	t.Run("above a bar", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer
		r := New(&out, 2, "retrying", onTerminal)
		r.Add(1)
		r.Printf("booty: job 7 is not parked\n")
		got := out.String()
		msg := strings.Index(got, "booty: job 7 is not parked\n")
		if msg < 0 || strings.Count(got, "booty: job 7") != 1 {
			t.Fatalf("got %q, want the message once on a line of its own", got)
		}
		if !strings.Contains(got[msg:], "retrying") {
			t.Errorf("got %q, want the bar drawn again below the message", got)
		}
		r.Done()
	})
}
