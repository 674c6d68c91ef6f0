package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
)

// TestGroupCommitIsolatesFailures sends many deliveries at once, so they
// share transactions, and fails every third one's enqueue: only those roll
// back, the others are all stored.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	t.Parallel()
	st, _ := openStore(t)
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
			_, errs[i] = st.Accept(t.Context(), d, a,
				func(prev alert.Problem) (alert.Decision, alert.Problem) { return pl.Decide(a, prev, time.Now()) },
				func(context.Context, *sql.Tx, *alert.Alert, alert.Decision) (int64, error) {
					if i%3 == 0 {
						return 0, errBoom
					}
					return int64(i + 1), nil
				})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		_, perr := st.Problem(t.Context(), fmt.Sprintf("sentry:%d", i))
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
}

func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	st, _ := openStore(t)
	st.Close()
	err := st.RecordIgnored(t.Context(), store.Delivery{ReceivedAt: time.Now()}, alert.ReasonNotEventAlert)
	if !errors.Is(err, store.ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
}
