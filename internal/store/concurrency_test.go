package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
)

// TestDecisionAndSetIssueRace drives a delivery's decision and the worker's
// SetIssue for one problem at the same moment, many times, on each backend:
// the issue number must survive whichever commits first, so that the next
// alert comments instead of filing the problem a second time.
func TestDecisionAndSetIssueRace(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st, err := store.Open(ctx, b.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			pl := alert.NewPipeline(alert.SeverityError, time.Hour)
			var creates atomic.Int64
			enqueue := func(_ context.Context, _ *store.Tx, _ *alert.Alert, d alert.Decision) (int64, error) {
				if d.Action == alert.ActionCreate {
					creates.Add(1)
				}
				return 1, nil
			}
			deliver := func(key, event string, at time.Time) (alert.Decision, error) {
				a := &alert.Alert{ProblemKey: key, EventID: event, Level: alert.SeverityError, Timestamp: at}
				return accept(ctx, st, newDelivery(key, event, at), a,
					func(prev alert.Problem) (alert.Decision, alert.Problem) { return pl.Decide(a, prev, at) }, enqueue)
			}

			const problems = 30
			for i := range problems {
				key := fmt.Sprintf("sentry:%d", i)
				if _, err := deliver(key, "first", base); err != nil {
					t.Fatal(err)
				}
				// The worker records the issue while the next event's
				// decision, a cooldown that still writes the count, runs.
				start := make(chan struct{})
				var wg sync.WaitGroup
				var setErr, decideErr error
				wg.Go(func() {
					<-start
					setErr = st.SetIssue(ctx, key, 100+i, false, time.Time{})
				})
				wg.Go(func() {
					<-start
					_, decideErr = deliver(key, "second", base.Add(time.Minute))
				})
				close(start)
				wg.Wait()
				if setErr != nil || decideErr != nil {
					t.Fatalf("problem %d: SetIssue: %v, decision: %v", i, setErr, decideErr)
				}
				p, err := st.Problem(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if p.IssueNumber != 100+i || p.Count != 2 {
					t.Fatalf("problem %d after the race: issue %d count %d, want issue %d count 2", i, p.IssueNumber, p.Count, 100+i)
				}
				// After the cooldown the next event comments on that issue.
				d, err := deliver(key, "third", base.Add(2*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if d.Action != alert.ActionComment {
					t.Fatalf("problem %d: third event decided %s, want comment", i, d)
				}
			}
			if n := creates.Load(); n != problems {
				t.Errorf("%d creates enqueued for %d problems", n, problems)
			}
		})
	}
}

// TestConcurrentFirstAlerts delivers the first alert of each problem from
// many goroutines at once, as replicas do when Sentry's retries and several
// alert rules land on different processes: exactly one create per problem.
func TestConcurrentFirstAlerts(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			url := b.URL(t)
			// Two stores on one database are two replicas on PostgreSQL;
			// SQLite allows one serving process, so there they share one.
			first, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { first.Close() })
			second := first
			if b.Name == string(store.Postgres) {
				if second, err = store.Open(ctx, url); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { second.Close() })
			}
			pl := alert.NewPipeline(alert.SeverityError, time.Hour)
			var mu sync.Mutex
			creates := map[string]int{}
			enqueue := func(_ context.Context, _ *store.Tx, a *alert.Alert, d alert.Decision) (int64, error) {
				// Counted when the transaction commits only: a retried
				// transaction calls enqueue again.
				return 1, nil
			}
			const problems, senders = 20, 8
			var wg sync.WaitGroup
			start := make(chan struct{})
			for s := range senders {
				st := first
				if s%2 == 1 {
					st = second
				}
				wg.Go(func() {
					<-start
					for p := range problems {
						key := fmt.Sprintf("sentry:%d", p)
						a := &alert.Alert{ProblemKey: key, EventID: fmt.Sprintf("e%d", s), Level: alert.SeverityError, Timestamp: base}
						d, err := accept(ctx, st, newDelivery(key, a.EventID, base), a,
							func(prev alert.Problem) (alert.Decision, alert.Problem) { return pl.Decide(a, prev, base) }, enqueue)
						if err != nil {
							t.Errorf("sender %d problem %d: %v", s, p, err)
							return
						}
						if d.Action == alert.ActionCreate {
							mu.Lock()
							creates[key]++
							mu.Unlock()
						}
					}
				})
			}
			close(start)
			wg.Wait()
			for p := range problems {
				key := fmt.Sprintf("sentry:%d", p)
				if creates[key] != 1 {
					t.Errorf("%s: %d creates decided, want 1", key, creates[key])
				}
				got, err := first.Problem(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if got.Count != senders {
					t.Errorf("%s: count %d, want %d", key, got.Count, senders)
				}
			}
		})
	}
}

// TestPostgresPoolSize checks the pool booty opens unless the URL sizes it.
func TestPostgresPoolSize(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	for _, tt := range []struct {
		suffix string
		want   int32
	}{
		{"", 16},
		{"&pool_max_conns=5", 5},
	} {
		st, err := store.Open(t.Context(), url+tt.suffix)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Pool().Config().MaxConns; got != tt.want {
			t.Errorf("URL suffix %q: pool of %d, want %d", tt.suffix, got, tt.want)
		}
		st.Close()
	}
}

// TestReplicasMigrateTogether opens several stores at once on one empty
// PostgreSQL database, as replicas started together do: the advisory lock
// makes them migrate one after the other, so every open succeeds.
func TestReplicasMigrateTogether(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	const replicas = 4
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range replicas {
		wg.Go(func() {
			<-start
			st, err := store.Open(t.Context(), url)
			if err == nil {
				st.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
}
