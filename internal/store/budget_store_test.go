package store_test

import (
	"sync"
	"testing"
	"time"

	"booty/internal/store"
	"booty/internal/storetest"
)

// openURL opens the store at url and closes it when the test ends.
func openURL(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// takeWrite calls st.TakeWrite at t0+at and checks the answer.
func takeWrite(t *testing.T, st *store.Store, p store.WritePolicy, at, want time.Duration) {
	t.Helper()
	got, err := st.TakeWrite(t.Context(), p, t0.Add(at))
	if err != nil {
		t.Fatalf("TakeWrite(t0+%s): %v", at, err)
	}
	if got != want {
		t.Errorf("TakeWrite(t0+%s): got %s, want %s", at, got, want)
	}
}

func TestTakeWrite(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			url := b.URL(t)
			st := openURL(t, url)
			p := store.WritePolicy{Spacing: time.Second, PerHour: 3}
			takeWrite(t, st, p, 0, 0)
			takeWrite(t, st, p, 0, time.Second)
			takeWrite(t, st, p, 500*time.Millisecond, 500*time.Millisecond)
			takeWrite(t, st, p, time.Second, 0)
			// A nanosecond short of the spacing: the store keeps it.
			takeWrite(t, st, p, 2*time.Second-time.Nanosecond, time.Nanosecond)
			takeWrite(t, st, p, 2*time.Second, 0)
			// The hour's three writes are used: the next share is back
			// 20 min after the first.
			takeWrite(t, st, p, 3*time.Second, 20*time.Minute-3*time.Second)

			// The budget outlives the process.
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			st = openURL(t, url)
			takeWrite(t, st, p, 3*time.Second, 20*time.Minute-3*time.Second)
			takeWrite(t, st, p, 20*time.Minute, 0)
		})
	}
}

func TestPauseWrites(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			st := openURL(t, b.URL(t))
			ctx := t.Context()
			pausedUntil := func(want time.Time) {
				t.Helper()
				got, err := st.WritesPausedUntil(ctx)
				if err != nil {
					t.Fatalf("WritesPausedUntil: %v", err)
				}
				if !got.Equal(want) {
					t.Errorf("WritesPausedUntil: got %v, want %v", got, want)
				}
			}
			pause := func(until time.Time) {
				t.Helper()
				if err := st.PauseWrites(ctx, until); err != nil {
					t.Fatalf("PauseWrites: %v", err)
				}
			}
			p := store.WritePolicy{Spacing: time.Minute, PerHour: 1000}
			pausedUntil(time.Time{})

			pause(t0.Add(10 * time.Minute))
			pausedUntil(t0.Add(10 * time.Minute))
			takeWrite(t, st, p, 0, 10*time.Minute)
			takeWrite(t, st, p, 0, 10*time.Minute)
			// An earlier pause never shortens a later one.
			pause(t0.Add(time.Minute))
			pausedUntil(t0.Add(10 * time.Minute))
			takeWrite(t, st, p, 9*time.Minute, time.Minute)
			// The pause used none of the budget.
			takeWrite(t, st, p, 10*time.Minute, 0)
			takeWrite(t, st, p, 10*time.Minute, time.Minute)
			// A longer pause extends it; a grant leaves it alone.
			pause(t0.Add(time.Hour))
			takeWrite(t, st, p, 30*time.Minute, 30*time.Minute)
			takeWrite(t, st, p, time.Hour, 0)
			pausedUntil(t0.Add(time.Hour))
		})
	}
}

// TestTakeWriteConcurrent asks for many writes at one instant at once: the
// store decides them one after the other, and grants one.
func TestTakeWriteConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			st := openURL(t, b.URL(t))
			p := store.WritePolicy{Spacing: time.Second, PerHour: 1000}
			if got := concurrentTakes(t, p, t0, st); got != 1 {
				t.Errorf("concurrent takes at one instant: %d went ahead, want 1", got)
			}
		})
	}
}

// concurrentTakes takes 8 writes at at from each store, all at once, and
// returns how many went ahead; every other must wait the spacing.
func concurrentTakes(t *testing.T, p store.WritePolicy, at time.Time, stores ...*store.Store) int {
	t.Helper()
	const each = 8
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ahead int
	)
	for _, st := range stores {
		for range each {
			wg.Go(func() {
				wait, err := st.TakeWrite(t.Context(), p, at)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Errorf("TakeWrite: %v", err)
				case wait == 0:
					ahead++
				case wait != p.Spacing:
					t.Errorf("TakeWrite: got a wait of %s, want %s", wait, p.Spacing)
				}
			})
		}
	}
	wg.Wait()
	return ahead
}

// TestWriteBudgetSharedByReplicas is two booty replicas on one PostgreSQL
// database: they spend one budget and see one pause.
func TestWriteBudgetSharedByReplicas(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	a, b := openURL(t, url), openURL(t, url)
	p := store.WritePolicy{Spacing: time.Second, PerHour: 1000}

	t.Run("alternately", func(t *testing.T) {
		// Each replica alone would let one write through at t0; together
		// they let one.
		ahead := 0
		for i := range 8 {
			st := []*store.Store{a, b}[i%2]
			wait, err := st.TakeWrite(t.Context(), p, t0)
			if err != nil {
				t.Fatalf("TakeWrite %d: %v", i, err)
			}
			switch {
			case wait == 0:
				ahead++
			case wait != p.Spacing:
				t.Errorf("TakeWrite %d: got a wait of %s, want %s", i, wait, p.Spacing)
			}
		}
		if ahead != 1 {
			t.Errorf("takes at one instant from two replicas: %d went ahead, want 1", ahead)
		}
	})
	t.Run("at once", func(t *testing.T) {
		if got := concurrentTakes(t, p, t0.Add(time.Minute), a, b); got != 1 {
			t.Errorf("concurrent takes at one instant from two replicas: %d went ahead, want 1", got)
		}
	})
	t.Run("pause", func(t *testing.T) {
		until := t0.Add(time.Hour)
		if err := a.PauseWrites(t.Context(), until); err != nil {
			t.Fatalf("PauseWrites: %v", err)
		}
		got, err := b.WritesPausedUntil(t.Context())
		if err != nil {
			t.Fatalf("WritesPausedUntil: %v", err)
		}
		if !got.Equal(until) {
			t.Errorf("the other replica's WritesPausedUntil: got %v, want %v", got, until)
		}
		takeWrite(t, b, p, 30*time.Minute, 30*time.Minute)
	})
}
