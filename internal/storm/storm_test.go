package storm

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/route"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func TestAllowance(t *testing.T) {
	t.Parallel()
	b := route.Budget{Issues: 10, Per: 10 * time.Minute}
	tests := []struct {
		name  string
		taken int           // issues filed at t0
		at    time.Duration // asked at t0 + at
		allow bool
		left  int
	}{
		{"unused", 0, 0, true, 10},
		{"nine of ten", 9, 0, true, 1},
		{"all ten", 10, 0, false, 0},
		{"one share later", 10, time.Minute, true, 1},
		{"just before a share", 10, time.Minute - time.Nanosecond, false, 0},
		{"whole again", 10, 10 * time.Minute, true, 10},
		{"long after", 10, 24 * time.Hour, true, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var a Allowance
			for range tt.taken {
				if !a.Allows(b, t0) {
					t.Fatalf("refused before the %d issues were taken", tt.taken)
				}
				a = a.after(b, t0)
			}
			now := t0.Add(tt.at)
			if got := a.Allows(b, now); got != tt.allow {
				t.Errorf("Allows: got %v, want %v", got, tt.allow)
			}
			if got := a.Left(b, now); got != tt.left {
				t.Errorf("Left: got %d, want %d", got, tt.left)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	routeBudget := route.Budget{Issues: 2, Per: 10 * time.Minute}
	global := route.Budget{Issues: 3, Per: 10 * time.Minute}
	type step struct {
		fatal bool
		want  Verdict
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"route budget binds", []step{{false, File}, {false, File}, {false, Fold}, {false, Fold}}},
		{"fatal bypasses the fold", []step{{false, File}, {false, File}, {true, File}, {false, Fold}}},
		{"fatal counts against the global budget", []step{{true, File}, {true, File}, {true, File}, {false, Fold}}},
		{"fatal over every budget", []step{{true, File}, {true, File}, {true, File}, {true, File}, {true, File}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b Budgets
			for i, s := range tt.steps {
				var v Verdict
				v, b = Decide(b, routeBudget, global, s.fatal, t0)
				if v != s.want {
					t.Errorf("problem %d (fatal %v): got %s, want %s", i+1, s.fatal, v, s.want)
				}
			}
		})
	}
	// A fold uses nothing: once the budgets refill, the next problem files.
	var b Budgets
	for range 2 {
		_, b = Decide(b, routeBudget, global, false, t0)
	}
	folded, after := Decide(b, routeBudget, global, false, t0)
	if folded != Fold || after != b {
		t.Errorf("a fold: got %s and budgets %+v, want fold and %+v unchanged", folded, after, b)
	}
	if v, _ := Decide(b, routeBudget, global, false, t0.Add(5*time.Minute)); v != File {
		t.Errorf("a share later: got %s, want file", v)
	}
}

func TestQuietAndNextEdit(t *testing.T) {
	t.Parallel()
	if Quiet(t0, t0.Add(29*time.Minute), 30*time.Minute) {
		t.Error("quiet after 29 of 30 minutes")
	}
	if !Quiet(t0, t0.Add(30*time.Minute), 30*time.Minute) {
		t.Error("not quiet after 30 of 30 minutes")
	}
	if got := NextEdit(time.Time{}, time.Minute); !got.IsZero() {
		t.Errorf("a digest never shown: next edit %v, want at once", got)
	}
	if got := NextEdit(t0, time.Minute); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("next edit %v, want a minute after the last", got)
	}
}

func TestSortAndSummarize(t *testing.T) {
	t.Parallel()
	es := []Entry{
		{Key: "c", Count: 1, FirstSeen: t0, Project: "shop", Environment: "production", Release: "r2"},
		{Key: "a", Count: 5, FirstSeen: t0.Add(time.Second), Project: "shop", Environment: "production", Release: "r1"},
		{Key: "b", Count: 5, FirstSeen: t0, Project: "admin", Environment: "production", Release: "r1"},
		{Key: "d", Count: 1, FirstSeen: t0, Project: "shop", Environment: "staging", Release: "r1"},
	}
	Sort(es)
	var keys []string
	for _, e := range es {
		keys = append(keys, e.Key)
	}
	if want := []string{"b", "a", "c", "d"}; !cmp.Equal(keys, want) {
		t.Errorf("order %q, want %q", keys, want)
	}
	tests := []struct {
		name string
		es   []Entry
		want Summary
	}{
		{"most share", es, Summary{Project: "shop", Environment: "production", Release: "r1"}},
		{"release split", es[1:3], Summary{Project: "shop", Environment: "production"}},
		{"tie goes to the first", es[:2], Summary{Project: "admin", Environment: "production", Release: "r1"}},
		{"nothing known", []Entry{{Key: "x"}}, Summary{}},
		{"empty", nil, Summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Summarize(tt.es); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
