package store_test

import (
	"context"
	"errors"
	"fmt"

	"booty/internal/alert"
	"booty/internal/store"
)

// decideFunc returns the decision for an alert and the problem's next
// state, given its stored state.
type decideFunc func(prev alert.Problem) (alert.Decision, alert.Problem)

// enqueueFunc adds, inside tx, the job that applies an accepted decision.
type enqueueFunc func(ctx context.Context, tx *store.Tx, a *alert.Alert, d alert.Decision) (int64, error)

// accept is intake's transaction with the decision and the job insert
// given: it lets the store's tests drive one delivery's writes exactly as
// intake.Receive does, with decisions and failures of their choosing.
func accept(ctx context.Context, st *store.Store, d store.Delivery, a *alert.Alert, decide decideFunc, enqueue enqueueFunc) (alert.Decision, error) {
	var dec alert.Decision
	err := st.TransactProblem(ctx, d.ProblemKey, func(tx *store.Tx) error {
		prev, err := tx.ProblemEvent(ctx, d.ProblemKey, a.EventID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var next alert.Problem
		dec, next = decide(prev)
		if err := tx.SaveProblem(ctx, prev, next); err != nil {
			return err
		}
		if next.EventCounted && !prev.EventCounted && a.EventID != "" {
			if err := tx.CountEvent(ctx, d.ProblemKey, a.EventID, d.ReceivedAt); err != nil {
				return err
			}
		}
		var jobID int64
		if dec.Accepted() {
			if jobID, err = enqueue(ctx, tx, a, dec); err != nil {
				return fmt.Errorf("enqueue: %w", err)
			}
		}
		return tx.RecordDelivery(ctx, d, dec.String(), jobID)
	})
	if err != nil {
		return alert.Decision{}, fmt.Errorf("accept %s: %w", d.ProblemKey, err)
	}
	return dec, nil
}

// recordIgnored records a delivery filtered before any problem was read.
func recordIgnored(ctx context.Context, st *store.Store, d store.Delivery, reason alert.Reason) error {
	return st.Transact(ctx, func(tx *store.Tx) error { return tx.RecordDelivery(ctx, d, string(reason), 0) })
}
