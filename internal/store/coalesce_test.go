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
// rest queue behind it, and fails every third: the queued ones share one
// transaction, and only the failed ones roll back.
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

	errBoom := errors.New("boom")
	const n = 30
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = st.TransactProblem(ctx, key, func(tx *store.Tx) error {
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
	waitFor(t, "every delivery but the first to queue", func() bool { return st.ProblemQueued(key) == n-1 })
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	for i, err := range errs {
		if want := error(nil); i%3 == 0 {
			if !errors.Is(err, errBoom) {
				t.Errorf("delivery %d: err = %v, want boom", i, err)
			}
		} else if err != want {
			t.Errorf("delivery %d: err = %v, want nil", i, err)
		}
	}
	if got, want := len(deliveries(t, st)), n-n/3; got != want {
		t.Errorf("delivery rows = %d, want %d", got, want)
	}
	p, err := st.Problem(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + n - n/3); int64(p.Count) != want {
		t.Errorf("count = %d, want %d: only the failed deliveries roll back", p.Count, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 2 || batches[0] != 1 || batches[1] != n-1 {
		t.Errorf("deliveries per commit: got %v, want [1 %d]", batches, n-1)
	}
}
