package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
)

// TestTransactProblemCoalesces queues one problem's deliveries behind
// its row lock and fails two in three, one of them before any statement:
// the queued ones share one transaction, and only the failed ones roll
// back. The deliveries read the problem with its event, so all but the
// first are answered from the row the transaction knows; a failed one
// must make the next read it again.
func TestTransactProblemCoalesces(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	errBoom, errEarly := errors.New("boom"), errors.New("early")
	const n = 30
	st, batches, errs := queueBehindLock(t, n, func(i int, tx *store.Tx) error {
		if i%3 == 1 {
			// Failing before any statement must roll back nothing, not
			// the op before.
			return errEarly
		}
		if err := countDelivery(ctx, tx, i); err != nil {
			return err
		}
		if i%3 == 0 {
			return errBoom
		}
		return nil
	})
	for i, err := range errs {
		want := []error{errBoom, errEarly, nil}[i%3]
		if !errors.Is(err, want) || want == nil && err != nil {
			t.Errorf("delivery %d: err = %v, want %v", i, err, want)
		}
	}
	wantCommitted(t, st, n/3)
	if len(batches) != 2 || batches[0] != 1 || batches[1] != n-1 {
		t.Errorf("deliveries per commit: got %v, want [1 %d]", batches, n-1)
	}
}

// TestTransactProblemCarriedWriteFails fails writes that travel with a
// later op's round trip, or with the commit: the op they belong to takes
// the error and rolls back alone, and the ops after it, whose statements
// the failure skipped, run again and count once. The last one's write
// travels with the COMMIT.
func TestTransactProblemCarriedWriteFails(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const n = 20
	var mu sync.Mutex
	runs := make([]int, n)
	st, batches, errs := queueBehindLock(t, n, func(i int, tx *store.Tx) error {
		mu.Lock()
		runs[i]++
		mu.Unlock()
		if err := countDelivery(ctx, tx, i); err != nil {
			return err
		}
		if i%4 == 2 || i == n-1 {
			// Division by zero, found only when the next op reads the
			// problem, or at the commit for the last.
			return tx.WriteForTest(ctx, "SELECT 1 / 0")
		}
		return nil
	})
	failed := 0
	for i, err := range errs {
		var pe *pgconn.PgError
		switch {
		case i%4 == 2 || i == n-1:
			failed++
			if !errors.As(err, &pe) || pe.Code != "22012" {
				t.Errorf("delivery %d: err = %v, want its division by zero", i, err)
			}
		case err != nil:
			t.Errorf("delivery %d: err = %v, want nil", i, err)
		}
	}
	wantCommitted(t, st, n-failed)
	if len(batches) != 2 || batches[0] != 1 || batches[1] != n-1 {
		t.Errorf("deliveries per commit: got %v, want [1 %d]", batches, n-1)
	}
	mu.Lock()
	defer mu.Unlock()
	// The first commits alone. In the shared transaction, each failure
	// is found by the next delivery's read, or by the commit for the
	// last, and every delivery after it runs again.
	fails := 0
	for i, r := range runs {
		if want := 1 + fails; r != want {
			t.Errorf("delivery %d ran %d times, want %d", i, r, want)
		}
		if i > 0 && (i%4 == 2 || i == n-1) {
			fails++
		}
	}
}

// TestTransactProblemCarriedConflictRetries makes a carried write meet a
// unique key, as a concurrent transaction's insert would: its op runs
// again and succeeds, and nothing is written twice.
func TestTransactProblemCarriedConflictRetries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const n = 8
	var mu sync.Mutex
	runs := make([]int, n)
	st, _, errs := queueBehindLock(t, n, func(i int, tx *store.Tx) error {
		mu.Lock()
		runs[i]++
		first := runs[i] == 1
		mu.Unlock()
		if err := countDelivery(ctx, tx, i); err != nil {
			return err
		}
		if i == 3 && first {
			// The event 1 is the one queueBehindLock seeded.
			return tx.WriteForTest(ctx, `INSERT INTO booty_problem_events (problem_key, event_id, counted_at_ms)
				VALUES ('sentry:1', '1', 0)`)
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("delivery %d: err = %v", i, err)
		}
	}
	wantCommitted(t, st, n)
	mu.Lock()
	defer mu.Unlock()
	if runs[3] != 2 {
		t.Errorf("delivery 3 ran %d times, want 2", runs[3])
	}
}

// TestTransactProblemSenderHangsUp runs a shared transaction's
// statements on a context already cancelled, as a sender that hung up
// leaves it: they run on the batch's own, and every delivery commits.
func TestTransactProblemSenderHangsUp(t *testing.T) {
	t.Parallel()
	const n = 6
	st, batches, errs := queueBehindLock(t, n, func(i int, tx *store.Tx) error {
		ctx, cancel := context.WithCancel(t.Context())
		if i%2 == 1 {
			cancel()
		}
		defer cancel()
		return countDelivery(ctx, tx, i)
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("delivery %d: err = %v", i, err)
		}
	}
	wantCommitted(t, st, n)
	if len(batches) != 2 || batches[1] != n-1 {
		t.Errorf("deliveries per commit: got %v, want [1 %d]", batches, n-1)
	}
}

// TestSavedProblemIsTheRow holds the row a shared transaction remembers
// after SaveProblem to the row a read returns, on both backends: the
// decisions answered from memory must be the ones a read would give.
func TestSavedProblemIsTheRow(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 6, 0, 0, 123456789, time.UTC)
	prev := alert.Problem{Key: "sentry:9", FirstSeen: at, LastSeen: at, Count: 3, LastEventID: "a",
		IssueNumber: 7, IssueClosed: true, IssueClosedAt: at, IssueCloseReason: "completed", LastWriteAt: at,
		Route: "web", Repo: "o/r", Title: "t", Level: "error", Project: "p", Environment: "prod", Release: "1", Link: "l"}
	tests := []struct {
		name string
		edit func(p *alert.Problem)
	}{
		{"new event", func(p *alert.Problem) {
			p.LastSeen, p.Count, p.LastEventID, p.EventCounted = at.Add(time.Second+time.Microsecond), 4, "b", true
		}},
		{"reopen", func(p *alert.Problem) { p.IssueClosed, p.LastWriteAt = false, at.Add(time.Hour) }},
		{"what the worker owns", func(p *alert.Problem) { p.IssueNumber, p.Route, p.Repo = 8, "api", "o/other" }},
		{"fold", func(p *alert.Problem) { p.DigestID, p.Title, p.Release = 5, "new title", "2" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachStore(t, func(t *testing.T, st *store.Store) {
				ctx := t.Context()
				if err := st.Transact(ctx, func(tx *store.Tx) error {
					return tx.SaveProblem(ctx, alert.Problem{}, prev)
				}); err != nil {
					t.Fatal(err)
				}
				before, err := st.Problem(ctx, prev.Key)
				if err != nil {
					t.Fatal(err)
				}
				next := before
				tt.edit(&next)
				if err := st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveProblem(ctx, before, next) }); err != nil {
					t.Fatal(err)
				}
				got, err := st.Problem(ctx, prev.Key)
				if err != nil {
					t.Fatal(err)
				}
				want := store.SavedProblem(before, next)
				want.EventCounted = false // not a column
				if got != want {
					t.Errorf("read back\n %+v\nremembered\n %+v", got, want)
				}
			})
		})
	}
}

// queueBehindLock opens a PostgreSQL store with the problem sentry:1
// (its event 1 counted), holds the problem's row lock from outside while
// n deliveries of it call TransactProblem with fn, so that the first waits
// for the lock and the rest queue behind it in the order of their number,
// then lets them run. It
// returns the store, how many deliveries each commit took, and each
// delivery's error.
func queueBehindLock(t *testing.T, n int, fn func(i int, tx *store.Tx) error) (*store.Store, []int, []error) {
	t.Helper()
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
		p := alert.Problem{Key: key, Count: 1, FirstSeen: time.UnixMilli(1e12).UTC(), LastEventID: "1"}
		if err := tx.SaveProblem(ctx, alert.Problem{}, p); err != nil {
			return err
		}
		return tx.CountEvent(ctx, key, "1", p.FirstSeen)
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
	var wg sync.WaitGroup
	errs := make([]error, n)
	deliver := func(i int) {
		wg.Go(func() {
			errs[i] = st.TransactProblem(ctx, key, func(tx *store.Tx) error { return fn(i, tx) })
		})
	}
	deliver(0)
	waitFor(t, "the first delivery to wait for the lock", func() bool {
		var waiting int
		err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return err == nil && waiting == 1
	})
	for i := 1; i < n; i++ {
		// One at a time, so that they queue in the order of i.
		deliver(i)
		waitFor(t, fmt.Sprintf("delivery %d to queue", i), func() bool { return st.ProblemQueued(key) == i })
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return st, batches, errs
}

// countDelivery is a delivery of sentry:1's event 1: it reads the problem
// with the event, counts one more, and records delivery i.
func countDelivery(ctx context.Context, tx *store.Tx, i int) error {
	const key = "sentry:1"
	prev, err := tx.ProblemEvent(ctx, key, "1")
	if err != nil {
		return err
	}
	if !prev.EventCounted {
		return fmt.Errorf("event 1 not counted")
	}
	next := prev
	next.Count++
	if err := tx.SaveProblem(ctx, prev, next); err != nil {
		return err
	}
	d := store.Delivery{ReceivedAt: time.Now(), RequestID: fmt.Sprint(i), ProblemKey: key, EventID: "1"}
	return tx.RecordDelivery(ctx, d, "counted", 0)
}

// wantCommitted checks that exactly n deliveries of countDelivery were
// committed: n delivery rows, and the problem counted n more times.
func wantCommitted(t *testing.T, st *store.Store, n int) {
	t.Helper()
	if got := len(deliveries(t, st)); got != n {
		t.Errorf("delivery rows = %d, want %d", got, n)
	}
	p, err := st.Problem(t.Context(), "sentry:1")
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + n); p.Count != want {
		t.Errorf("count = %d, want %d: only the failed deliveries roll back", p.Count, want)
	}
}
