package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
)

// TestTransactProblemCoalesces holds one problem's row lock from outside
// while its deliveries arrive, so that the first waits for the lock and the
// rest queue behind it, and fails two in three, one of them before any
// statement: the queued ones share one transaction, and only the failed
// ones roll back.
func TestTransactProblemCoalesces(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var (
		mu      sync.Mutex
		batches []int
	)
	st, err := store.OpenWith(ctx, storetest.PostgresURL(t), store.Options{
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
	const key = "sentry:1"
	if err := st.TransactProblem(ctx, key, func(tx *store.Tx) error {
		return tx.SaveProblem(ctx, alert.Problem{}, alert.Problem{Key: key, Count: 1, FirstSeen: time.UnixMilli(1e12).UTC()})
	}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	batches = nil
	mu.Unlock()

	lock, err := st.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Rollback(ctx) })
	if _, err := lock.Exec(ctx, `SELECT 1 FROM booty_problems WHERE key = $1 FOR UPDATE`, key); err != nil {
		t.Fatal(err)
	}

	errBoom, errEarly := errors.New("boom"), errors.New("early")
	const n = 30
	var wg sync.WaitGroup
	errs := make([]error, n)
	deliver := func(i int) {
		wg.Go(func() {
			errs[i] = st.TransactProblem(ctx, key, func(tx *store.Tx) error {
				if i%3 == 1 {
					// Failing before any statement must roll back
					// nothing, not the op before.
					return errEarly
				}
				prev, err := tx.Problem(ctx, key)
				if err != nil {
					return err
				}
				next := prev
				next.Count++
				if err := tx.SaveProblem(ctx, prev, next); err != nil {
					return err
				}
				d := store.Delivery{ReceivedAt: time.Now(), RequestID: fmt.Sprint(i), ProblemKey: key}
				if err := tx.RecordDelivery(ctx, d, "counted", 0); err != nil {
					return err
				}
				if i%3 == 0 {
					return errBoom
				}
				return nil
			})
		})
	}
	// The first waits for the lock, so that all the others queue.
	deliver(0)
	waitFor(t, "the first delivery to wait for the lock", func() bool {
		var waiting int
		err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return err == nil && waiting == 1
	})
	for i := 1; i < n; i++ {
		deliver(i)
	}
	waitFor(t, "every delivery but the first to queue", func() bool { return st.ProblemQueued(key) == n-1 })
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	for i, err := range errs {
		want := []error{errBoom, errEarly, nil}[i%3]
		if !errors.Is(err, want) || want == nil && err != nil {
			t.Errorf("delivery %d: err = %v, want %v", i, err, want)
		}
	}
	if got, want := len(deliveries(t, st)), n/3; got != want {
		t.Errorf("delivery rows = %d, want %d", got, want)
	}
	p, err := st.Problem(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + n/3); int64(p.Count) != want {
		t.Errorf("count = %d, want %d: only the failed deliveries roll back", p.Count, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 2 || batches[0] != 1 || batches[1] != n-1 {
		t.Errorf("deliveries per commit: got %v, want [1 %d]", batches, n-1)
	}
}
