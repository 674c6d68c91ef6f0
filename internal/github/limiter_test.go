package github_test

import (
	"testing"
	"time"

	"booty/internal/github"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// take calls l.Take(at) and checks the answer.
func take(t *testing.T, l *github.Limiter, at time.Time, want time.Duration) {
	t.Helper()
	// rate.Limiter computes in floating point: allow a rounding error in a
	// wait, but a write goes ahead only on exactly 0.
	got := l.Take(at)
	if (want == 0 && got != 0) || got < want-time.Millisecond || got > want+time.Millisecond {
		t.Errorf("Take(t0+%s): got %s, want %s", at.Sub(t0), got, want)
	}
}

func TestLimiterPerMinute(t *testing.T) {
	t.Parallel()
	// 2 a minute: a burst of 2, then one every 30 s.
	l := github.NewLimiter(2, 1000)
	take(t, l, t0, 0)
	take(t, l, t0, 0)
	take(t, l, t0, 30*time.Second)
	// A refused Take uses nothing: asking again later waits less.
	take(t, l, t0.Add(10*time.Second), 20*time.Second)
	take(t, l, t0.Add(30*time.Second), 0)
	take(t, l, t0.Add(30*time.Second), 30*time.Second)
	take(t, l, t0.Add(60*time.Second), 0)
}

func TestLimiterPerHour(t *testing.T) {
	t.Parallel()
	// 3 an hour: one every 20 min after the burst. The per-minute budget is
	// far larger and must not be drained by refused writes.
	l := github.NewLimiter(100, 3)
	for range 3 {
		take(t, l, t0, 0)
	}
	take(t, l, t0, 20*time.Minute)
	take(t, l, t0.Add(time.Minute), 19*time.Minute)
	take(t, l, t0.Add(20*time.Minute), 0)
	take(t, l, t0.Add(20*time.Minute), 20*time.Minute)
}

func TestLimiterPause(t *testing.T) {
	t.Parallel()
	l := github.NewLimiter(1000, 100000)
	if got := l.PausedUntil(); !got.IsZero() {
		t.Errorf("PausedUntil of a new limiter: got %v, want zero", got)
	}
	l.Pause(t0.Add(10 * time.Minute))
	take(t, l, t0, 10*time.Minute)
	take(t, l, t0.Add(9*time.Minute), time.Minute)
	// An earlier pause never shortens a later one.
	l.Pause(t0.Add(time.Minute))
	if got, want := l.PausedUntil(), t0.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("PausedUntil after an earlier Pause: got %v, want %v", got, want)
	}
	take(t, l, t0.Add(5*time.Minute), 5*time.Minute)
	// At the end of the pause writes go ahead.
	take(t, l, t0.Add(10*time.Minute), 0)
	// A longer pause extends it.
	l.Pause(t0.Add(time.Hour))
	take(t, l, t0.Add(30*time.Minute), 30*time.Minute)
}

func TestLimiterPauseUsesNoBudget(t *testing.T) {
	t.Parallel()
	l := github.NewLimiter(1, 1000)
	l.Pause(t0.Add(time.Minute))
	for range 5 {
		take(t, l, t0, time.Minute)
	}
	// The one write a minute is still there after the pause.
	take(t, l, t0.Add(time.Minute), 0)
	take(t, l, t0.Add(time.Minute), time.Minute)
}
