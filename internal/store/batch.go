package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrClosed is returned for writes after Close.
var ErrClosed = errors.New("store closed")

// maxBatch bounds how many deliveries share one transaction.
const maxBatch = 128

// writeOp is one delivery's share of a group commit.
type writeOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// write runs fn inside a transaction shared with the other deliveries
// waiting at the same moment, and returns once that transaction committed
// (nil) or failed. Group commit is how booty answers every delivery only
// after an fsync without paying one fsync per delivery: SQLite has one
// writer, and a busy writer gathers a batch while it syncs the last one.
// Each delivery runs under its own savepoint, so one failing rolls back
// only itself.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case <-s.quit:
		return ErrClosed
	default:
	}
	select {
	case s.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return ErrClosed
	}
	// Once queued, wait for the verdict whatever ctx does: the batch may
	// commit the delivery, and the caller must not report a failure then.
	select {
	case err := <-op.done:
		return err
	case <-s.writerDone:
		// Queued as the store closed: answered if the writer got to it.
		select {
		case err := <-op.done:
			return err
		default:
			return ErrClosed
		}
	}
}

func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*writeOp, 0, maxBatch)
	for {
		select {
		case op := <-s.ops:
			batch = append(batch[:0], op)
		case <-s.quit:
			s.drainClosed()
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case op := <-s.ops:
				batch = append(batch, op)
			default:
				break fill
			}
		}
		s.commit(batch)
	}
}

// drainClosed fails the writes queued when the store closed.
func (s *Store) drainClosed() {
	for {
		select {
		case op := <-s.ops:
			op.done <- ErrClosed
		default:
			return
		}
	}
}

func (s *Store) commit(batch []*writeOp) {
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, op := range batch {
			op.done <- err
		}
	}
	// The transaction outlives any one request: a caller giving up must
	// not break its neighbours' commit.
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		errs[i] = runSavepoint(ctx, tx, func() error { return op.fn(context.WithoutCancel(op.ctx), tx) })
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	for i, op := range batch {
		op.done <- errs[i]
	}
}

func runSavepoint(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT delivery"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rbErr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT delivery"); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		_, _ = tx.ExecContext(ctx, "RELEASE SAVEPOINT delivery")
		return err
	}
	_, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT delivery")
	return err
}
