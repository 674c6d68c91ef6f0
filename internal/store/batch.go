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
	fn   func(tx *sql.Tx) error
	done chan error
}

// write runs fn inside a transaction shared with the other deliveries
// waiting at the same moment, and returns once that transaction committed
// (nil) or failed. Group commit is how booty answers every delivery only
// after an fsync without paying one fsync per delivery: SQLite has one
// writer, and a busy writer gathers a batch while it syncs the last one.
// Each delivery runs under its own savepoint, so one failing rolls back
// only itself.
func (s *sqliteStore) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case <-s.quit:
		return ErrClosed
	default:
	}
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
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

func (s *sqliteStore) writer() {
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
func (s *sqliteStore) drainClosed() {
	for {
		select {
		case op := <-s.ops:
			op.done <- ErrClosed
		default:
			return
		}
	}
}

func (s *sqliteStore) commit(batch []*writeOp) {
	errs := make([]error, len(batch))
	fail := func(err error) {
		s.health.set(err)
		for _, op := range batch {
			op.done <- err
		}
	}
	// A lost file takes no more writes: they would vanish at the restart.
	if err := s.checkFile(); err != nil {
		fail(err)
		return
	}
	// The transaction outlives any one request: a caller giving up must
	// not break its neighbours' commit.
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	s.stmts.begin(tx)
	defer s.stmts.end()
	q := cachedConn{tx, s.stmts}
	var storageErr error
	wrote := false
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if storageErr != nil {
			// SQLite may have rolled the whole transaction back (it does
			// on SQLITE_FULL); what follows must not run outside it.
			errs[i] = storageErr
			continue
		}
		errs[i] = runSavepoint(ctx, q, func() error { return op.fn(tx) })
		if errs[i] == nil {
			wrote = true
		} else if isStorageErr(errs[i]) {
			storageErr = errs[i]
		}
	}
	if err := tx.Commit(); err != nil {
		if storageErr != nil {
			// The cause, not the "no transaction is active" it leads to.
			err = storageErr
		}
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	// A batch whose every delivery the disk refused commits an empty
	// transaction: that is no sign of health.
	switch {
	case storageErr != nil:
		s.health.set(fmt.Errorf("write: %w", storageErr))
	case wrote:
		s.health.set(nil)
	}
	if s.onCommit != nil {
		s.onCommit(len(batch))
	}
	for i, op := range batch {
		op.done <- errs[i]
	}
}

func runSavepoint(ctx context.Context, q conn, fn func() error) error {
	if _, err := q.exec(ctx, "SAVEPOINT delivery"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rbErr := q.exec(ctx, "ROLLBACK TO SAVEPOINT delivery"); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		_, _ = q.exec(ctx, "RELEASE SAVEPOINT delivery")
		return err
	}
	_, err := q.exec(ctx, "RELEASE SAVEPOINT delivery")
	return err
}
