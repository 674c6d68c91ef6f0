package store_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"booty/internal/store"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestNewWritePolicy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		perMinute int
		perHour   int
		interval  time.Duration
		want      store.WritePolicy
	}{
		// GitHub's guidance: a second between content-creating writes,
		// whatever the per-minute budget allows.
		{"interval wins", 80, 500, time.Second, store.WritePolicy{Spacing: time.Second, PerHour: 500}},
		{"budget wins", 2, 500, time.Second, store.WritePolicy{Spacing: 30 * time.Second, PerHour: 500}},
		{"longer interval", 80, 500, 5 * time.Second, store.WritePolicy{Spacing: 5 * time.Second, PerHour: 500}},
		{"no interval", 60, 500, 0, store.WritePolicy{Spacing: time.Second, PerHour: 500}},
		{"lifted", 1_000_000, 100_000_000, 0, store.WritePolicy{Spacing: 60 * time.Microsecond, PerHour: 100_000_000}},
		{"no budget at all", 0, 0, 0, store.WritePolicy{Spacing: time.Minute, PerHour: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := store.NewWritePolicy(c.perMinute, c.perHour, c.interval); got != c.want {
				t.Errorf("NewWritePolicy(%d, %d, %s): got %+v, want %+v", c.perMinute, c.perHour, c.interval, got, c.want)
			}
		})
	}
}

// budgetStep is one call on a budget: a take at t0+at that must answer
// want, or, when pause is set, a pause until t0+pause.
type budgetStep struct {
	at, want time.Duration
	pause    time.Duration
}

// spacedBurst is a burst at a spacing of s: the first write goes at once,
// every next one a spacing later, never two together.
func spacedBurst(s time.Duration) []budgetStep {
	steps := []budgetStep{{at: 0, want: 0}, {at: 0, want: s}}
	for i := 1; i <= 8; i++ {
		at := time.Duration(i) * s
		steps = append(steps, budgetStep{at: at, want: 0}, budgetStep{at: at, want: s})
	}
	return steps
}

func TestWritePolicyTake(t *testing.T) {
	t.Parallel()
	const step = 100 * time.Microsecond
	for _, c := range []struct {
		name   string
		policy store.WritePolicy
		steps  []budgetStep
	}{
		{"spacing of a second", store.NewWritePolicy(80, 100_000_000, time.Second), spacedBurst(time.Second)},
		{"spacing of the per-minute budget", store.NewWritePolicy(2, 100_000_000, time.Second), spacedBurst(30 * time.Second)},
		{"spacing lifted", store.NewWritePolicy(1_000_000, 100_000_000, 0), spacedBurst(60 * time.Microsecond)},
		{
			// 3 an hour: one every 20 min once they are used. The spacing
			// is far shorter and must not be drained by refused writes.
			"per hour", store.NewWritePolicy(1_000_000, 3, 0), []budgetStep{
				{at: 0, want: 0},
				{at: step, want: 0},
				{at: 2 * step, want: 0},
				{at: 3 * step, want: 20*time.Minute - 3*step},
				{at: 3*step + time.Minute, want: 19*time.Minute - 3*step},
				{at: 3*step + 20*time.Minute, want: 0},
				{at: 4*step + 20*time.Minute, want: 20*time.Minute - 4*step},
			},
		},
		{
			"pause", store.NewWritePolicy(1000, 100000, 0), []budgetStep{
				{pause: 10 * time.Minute},
				{at: 0, want: 10 * time.Minute},
				{at: 9 * time.Minute, want: time.Minute},
				// An earlier pause never shortens a later one.
				{pause: time.Minute},
				{at: 5 * time.Minute, want: 5 * time.Minute},
				// At the end of the pause writes go ahead.
				{at: 10 * time.Minute, want: 0},
				// A longer pause extends it.
				{pause: time.Hour},
				{at: 30 * time.Minute, want: 30 * time.Minute},
			},
		},
		{
			"pause uses no budget", store.NewWritePolicy(1, 1000, 0), []budgetStep{
				{pause: time.Minute},
				{at: 0, want: time.Minute},
				{at: 0, want: time.Minute},
				{at: 0, want: time.Minute},
				// The one write a minute is still there after the pause.
				{at: time.Minute, want: 0},
				{at: time.Minute, want: time.Minute},
			},
		},
		{
			// The last write came from a replica whose clock is a
			// second ahead: a replica behind it waits for the state
			// (never a negative wait) and gets no extra write.
			"clock behind the spacing", store.NewWritePolicy(60, 1000, time.Second), []budgetStep{
				{at: time.Second, want: 0},
				{at: 0, want: 2 * time.Second},
				{at: 1500 * time.Millisecond, want: 500 * time.Millisecond},
				{at: 2 * time.Second, want: 0},
				{at: 1 * time.Second, want: 2 * time.Second},
			},
		},
		{
			"clock behind the hour", store.WritePolicy{PerHour: 2}, []budgetStep{
				{at: 10 * time.Minute, want: 0},
				{at: 10 * time.Minute, want: 0},
				// The bucket is whole again at 70 min; half of it is
				// back at 40 min, whoever asks.
				{at: 0, want: 40 * time.Minute},
				{at: 10 * time.Minute, want: 30 * time.Minute},
				{at: 40 * time.Minute, want: 0},
				{at: 20 * time.Minute, want: 50 * time.Minute},
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var s store.BudgetState
			for i, st := range c.steps {
				if st.pause > 0 {
					if until := t0.Add(st.pause); until.After(s.PausedUntil) {
						s.PausedUntil = until
					}
					continue
				}
				next, got := c.policy.Take(s, t0.Add(st.at))
				if got != st.want {
					t.Fatalf("step %d: Take(t0+%s): got %s, want %s", i, st.at, got, st.want)
				}
				if got > 0 && next != s {
					t.Fatalf("step %d: Take(t0+%s) waited %s and changed the state: got %+v, want %+v", i, st.at, got, next, s)
				}
				s = next
			}
		})
	}
}

// TestWritePolicyBurstIsSpaced is the case that let 8 creates through in
// 104 ms: at 60 a minute, 8 writes asked for at once must take 7 s.
func TestWritePolicyBurstIsSpaced(t *testing.T) {
	t.Parallel()
	p := store.NewWritePolicy(60, 500, time.Second)
	var s store.BudgetState
	now := t0
	var went []time.Time
	for len(went) < 8 {
		next, wait := p.Take(s, now)
		if wait > 0 {
			now = now.Add(wait)
			continue
		}
		s = next
		went = append(went, now)
	}
	for i, at := range went {
		if want := t0.Add(time.Duration(i) * time.Second); !at.Equal(want) {
			t.Errorf("write %d went at t0+%s, want t0+%s", i+1, at.Sub(t0), want.Sub(t0))
		}
	}
}

// TestWritePolicyNeverOverspends asks at random moments, some of them
// behind the last write (replicas' clocks disagree), and checks every wait
// for its sign and every grant against both limits: the spacing, and the
// hourly bucket (PerHour at once, then one per hour/PerHour), so that any
// span d holds at most PerHour + d/(hour/PerHour) writes.
func TestWritePolicyNeverOverspends(t *testing.T) {
	t.Parallel()
	p := store.NewWritePolicy(30, 5, 0) // 2 s apart, 5 an hour
	share := time.Hour / time.Duration(p.PerHour)
	r := rand.New(rand.NewPCG(1, 2))
	var (
		s    store.BudgetState
		went []time.Time
	)
	now := t0
	for range 20_000 {
		now = now.Add(time.Duration(r.Int64N(int64(time.Minute))) - 10*time.Second)
		next, wait := p.Take(s, now)
		if wait < 0 {
			t.Fatalf("Take(t0+%s): negative wait %s", now.Sub(t0), wait)
		}
		if wait > 0 {
			continue
		}
		if n := len(went); n > 0 && now.Sub(went[n-1]) < p.Spacing {
			t.Fatalf("writes at t0+%s and t0+%s: closer than %s", went[n-1].Sub(t0), now.Sub(t0), p.Spacing)
		}
		for i, at := range went {
			span := now.Sub(at)
			if n, most := len(went)-i+1, p.PerHour+int(span/share); n > most {
				t.Fatalf("%d writes from t0+%s to t0+%s, want at most %d", n, at.Sub(t0), now.Sub(t0), most)
			}
		}
		s = next
		went = append(went, now)
	}
	if len(went) < 100 {
		t.Errorf("got %d writes, want the budget used (over 100)", len(went))
	}
}
