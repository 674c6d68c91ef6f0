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

func TestLimiterSpacing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		perMinute int
		interval  time.Duration
		want      time.Duration
	}{
		// GitHub's guidance: a second between content-creating writes,
		// whatever the per-minute budget allows.
		{"interval wins", 80, time.Second, time.Second},
		{"budget wins", 2, time.Second, 30 * time.Second},
		{"longer interval", 80, 5 * time.Second, 5 * time.Second},
		{"no interval", 60, 0, time.Second},
		{"lifted", 1_000_000, 0, 60 * time.Microsecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := github.NewLimiter(c.perMinute, 100_000_000, c.interval)
			if got := l.Spacing(); got < c.want-time.Microsecond || got > c.want+time.Microsecond {
				t.Errorf("Spacing: got %s, want %s", got, c.want)
			}
			// A burst: the first write goes at once, every next one a
			// spacing later, never two together.
			take(t, l, t0, 0)
			take(t, l, t0, c.want)
			for i := 1; i <= 8; i++ {
				at := t0.Add(time.Duration(i) * c.want)
				take(t, l, at, 0)
				take(t, l, at, c.want)
			}
		})
	}
}

// TestLimiterBurstIsSpaced is the case that let 8 creates through in 104 ms:
// at 60 a minute, 8 writes asked for at once must take 7 s.
func TestLimiterBurstIsSpaced(t *testing.T) {
	t.Parallel()
	l := github.NewLimiter(60, 500, time.Second)
	now := t0
	var went []time.Time
	for len(went) < 8 {
		if wait := l.Take(now); wait > 0 {
			now = now.Add(wait)
			continue
		}
		went = append(went, now)
	}
	for i := 1; i < len(went); i++ {
		if d := went[i].Sub(went[i-1]); d < time.Second-time.Millisecond {
			t.Errorf("writes %d and %d went %s apart, want at least 1s", i, i+1, d)
		}
	}
	if d := went[7].Sub(went[0]); d < 7*time.Second-time.Millisecond {
		t.Errorf("8 writes took %s, want at least 7s", d)
	}
}

func TestLimiterPerHour(t *testing.T) {
	t.Parallel()
	// 3 an hour: one every 20 min once they are used. The spacing is far
	// shorter and must not be drained by refused writes.
	l := github.NewLimiter(1_000_000, 3, 0)
	step := 100 * time.Microsecond
	for i := range 3 {
		take(t, l, t0.Add(time.Duration(i)*step), 0)
	}
	at := t0.Add(3 * step)
	take(t, l, at, 20*time.Minute)
	take(t, l, at.Add(time.Minute), 19*time.Minute)
	take(t, l, at.Add(20*time.Minute), 0)
	take(t, l, at.Add(20*time.Minute+step), 20*time.Minute)
}

func TestLimiterPause(t *testing.T) {
	t.Parallel()
	l := github.NewLimiter(1000, 100000, 0)
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
	l := github.NewLimiter(1, 1000, 0)
	l.Pause(t0.Add(time.Minute))
	for range 5 {
		take(t, l, t0, time.Minute)
	}
	// The one write a minute is still there after the pause.
	take(t, l, t0.Add(time.Minute), 0)
	take(t, l, t0.Add(time.Minute), time.Minute)
}
