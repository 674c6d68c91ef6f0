package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
)

// TestGroupCommitIsolatesFailures holds the writer until every delivery
// waits, so that they share one transaction, and fails every third one's
// enqueue: only those roll back, the others are all stored, and the
// commits prove the sharing.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var (
		mu      sync.Mutex
		batches []int
	)
	st, err := store.OpenWith(ctx, "sqlite:"+filepath.Join(t.TempDir(), "booty.db"), store.Options{
		OnCommit: func(n int) {
			mu.Lock()
			defer mu.Unlock()
			batches = append(batches, n)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The store has one connection: holding it stops the writer at its
	// first BEGIN while the rest queue up behind it.
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: should the test fail while the connection
	// is held, release it before the store closes, or Close would wait on a
	// writer that waits on it.
	t.Cleanup(func() { conn.Close() })

	pl := alert.NewPipeline(alert.SeverityError, time.Hour)
	errBoom := errors.New("boom")
	const n = 60
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &alert.Alert{ProblemKey: fmt.Sprintf("sentry:%d", i), EventID: "e", Level: alert.SeverityError}
			d := store.Delivery{ReceivedAt: time.Now(), RequestID: fmt.Sprint(i), ProblemKey: a.ProblemKey}
			_, errs[i] = accept(ctx, st, d, a,
				func(prev alert.Problem) (alert.Decision, alert.Problem) { return pl.Decide(a, prev, time.Now()) },
				func(context.Context, *store.Tx, *alert.Alert, alert.Decision) (int64, error) {
					if i%3 == 0 {
						return 0, errBoom
					}
					return int64(i + 1), nil
				})
		}()
	}
	// Every delivery is with the writer, which is stuck at its first BEGIN
	// with the deliveries it took before it got there (one, or a few that
	// came at once); the rest wait in its queue.
	waitFor(t, "every delivery to reach the writer", func() bool { return st.WritesInFlight() == n })
	conn.Close()
	wg.Wait()

	for i, err := range errs {
		_, perr := st.Problem(ctx, fmt.Sprintf("sentry:%d", i))
		if i%3 == 0 {
			if !errors.Is(err, errBoom) {
				t.Errorf("delivery %d: err = %v, want boom", i, err)
			}
			if !errors.Is(perr, store.ErrNotFound) {
				t.Errorf("delivery %d failed but its problem was stored (%v)", i, perr)
			}
			continue
		}
		if err != nil || perr != nil {
			t.Errorf("delivery %d: accept %v, problem %v; want both stored", i, err, perr)
		}
	}
	if got, want := len(deliveries(t, st)), n-n/3; got != want {
		t.Errorf("delivery rows = %d, want %d", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	// Group commit: the first batch, then everything that queued behind it,
	// in one commit. Without it there would be one commit a delivery.
	if len(batches) != 2 || batches[0]+batches[1] != n {
		t.Errorf("deliveries per commit: got %v, want two commits of %d in all", batches, n)
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWriteAfterClose is SQLite's: ErrClosed is its writer's answer to a
// write queued after Close.
func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	st := openStore(t, storetest.SQLiteURL(t))
	st.Close()
	err := recordIgnored(t.Context(), st, store.Delivery{ReceivedAt: time.Now()}, alert.ReasonNotEventAlert)
	if !errors.Is(err, store.ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
}
