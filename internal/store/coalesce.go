package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// coalesceTimeout bounds a coalesced transaction on PostgreSQL. It outlives
// any one caller (a caller giving up must not break its neighbours'
// commit), so only this keeps a stuck server from holding it for ever.
const coalesceTimeout = 30 * time.Second

// TransactProblem is Transact for a transaction that decides about the
// problem with key, which fn reads with tx.Problem first. On PostgreSQL the
// transactions of one problem waiting at the same moment share one
// transaction (each under a savepoint of its own, so one failing rolls
// back only itself): every one of them takes the problem's row lock, so
// they would run one after the other anyway, each paying a commit while
// the others wait for its lock. Shared, they pay one lock and one commit.
// A transaction that meets a concurrent one is run again, alone, under its
// savepoint. On SQLite, whose writer already shares one transaction among
// every write waiting, it is Transact.
func (s *Store) TransactProblem(ctx context.Context, key string, fn func(tx *Tx) error) error {
	if s.pg == nil {
		return s.Transact(ctx, fn)
	}
	return s.pg.problems.transact(ctx, s, key, fn)
}

// maxProblemBatch bounds how many transactions share one on PostgreSQL.
// Each savepoint that writes takes a subtransaction id, and a transaction
// with more than 64 of them overflows PostgreSQL's per-backend cache of
// them, which slows every other session's visibility checks while it
// runs.
const maxProblemBatch = 32

// problemQueues coalesces the transactions of each problem on PostgreSQL:
// while one transaction of a problem runs, the ones that arrive queue
// behind it, and the first of them runs them all in one transaction when
// it is done.
type problemQueues struct {
	mu     sync.Mutex
	queues map[string]*problemQueue
}

type problemQueue struct {
	running bool
	waiting []*pgOp
}

// pgOp is one caller's share of a coalesced transaction.
type pgOp struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error
	// lead is closed when the op is to run the queue's next transaction.
	lead chan struct{}
}

func (q *problemQueues) transact(ctx context.Context, s *Store, key string, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &pgOp{ctx: ctx, fn: fn, done: make(chan error, 1), lead: make(chan struct{})}
	q.mu.Lock()
	if q.queues == nil {
		q.queues = make(map[string]*problemQueue)
	}
	pq := q.queues[key]
	if pq == nil {
		pq = &problemQueue{}
		q.queues[key] = pq
	}
	pq.waiting = append(pq.waiting, op)
	leader := !pq.running
	pq.running = true
	q.mu.Unlock()
	if !leader {
		// Whatever ctx does: once queued, the op may be committed, and
		// the caller must not report a failure then.
		select {
		case err := <-op.done:
			return err
		case <-op.lead:
		}
	}
	q.lead(s, key, pq)
	return <-op.done
}

// lead runs one transaction of the ops waiting on pq, then hands the queue
// to the first op that arrived meanwhile, or retires it.
func (q *problemQueues) lead(s *Store, key string, pq *problemQueue) {
	q.mu.Lock()
	n := min(len(pq.waiting), maxProblemBatch)
	batch := pq.waiting[:n:n]
	pq.waiting = pq.waiting[n:]
	q.mu.Unlock()

	s.pgCommit(batch)

	q.mu.Lock()
	defer q.mu.Unlock()
	if len(pq.waiting) == 0 {
		pq.running = false
		delete(q.queues, key)
		return
	}
	close(pq.waiting[0].lead)
}

// pgCommit runs batch in one transaction and answers each op. A commit
// that meets a concurrent transaction runs the whole batch again.
func (s *Store) pgCommit(batch []*pgOp) {
	ctx, cancel := context.WithTimeout(context.Background(), coalesceTimeout)
	defer cancel()
	errs := make([]error, len(batch))
	var err error
	for attempt := 1; ; attempt++ {
		if err = s.pgRunBatch(ctx, batch, errs); err == nil {
			break
		}
		if attempt >= maxTxAttempts || !isConcurrencyErr(err) {
			break
		}
	}
	switch {
	case err != nil:
		if isPGUnavailable(err) {
			s.writes.set(err)
		}
		for i := range errs {
			errs[i] = err
		}
	default:
		s.writes.set(nil)
		if s.onCommit != nil {
			s.onCommit(len(batch))
		}
	}
	for i, op := range batch {
		op.done <- errs[i]
	}
}

// pgRunBatch runs each op of batch under its own savepoint in one
// transaction, recording each op's error in errs, and commits.
func (s *Store) pgRunBatch(ctx context.Context, batch []*pgOp, errs []error) error {
	tx, err := s.pg.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for i, op := range batch {
		if errs[i] = op.ctx.Err(); errs[i] != nil {
			continue
		}
		errs[i] = runPGSavepoint(ctx, tx, op.fn)
		var be *batchError
		if errors.As(errs[i], &be) || errs[i] != nil && tx.Conn().IsClosed() {
			return errs[i]
		}
	}
	return tx.Commit(ctx)
}

// runPGSavepoint runs fn under a savepoint of tx, rolled back when fn
// fails, and runs it again when it met a concurrent transaction. The
// savepoint is taken with fn's first statement, in the same round trip
// (lazySavepoint), and never released: a release is one more round trip a
// delivery, and the savepoints of one transaction, one a delivery, are
// gone with its commit. A rollback goes to the newest savepoint of the
// name, fn's own.
func runPGSavepoint(ctx context.Context, tx pgx.Tx, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		sp := &lazySavepoint{tx: tx}
		err := fn(&Tx{conn: sp, backend: Postgres, pg: tx, beforePG: sp.take})
		switch {
		case sp.state == savepointFailed:
			// Rolling back now would undo the op before, whose savepoint
			// is the newest: the whole transaction must fail.
			return &batchError{fmt.Errorf("savepoint: %w", errors.Join(err, sp.err))}
		case err == nil:
			return nil
		}
		if sp.state == savepointTaken {
			if _, rbErr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT delivery"); rbErr != nil {
				return &batchError{errors.Join(err, rbErr)}
			}
		}
		if attempt >= maxTxAttempts || !isConcurrencyErr(err) {
			return err
		}
	}
}

// batchError is an op's failure that leaves its shared transaction unfit
// to commit.
type batchError struct{ err error }

func (e *batchError) Error() string { return e.err.Error() }
func (e *batchError) Unwrap() error { return e.err }

// The states of a lazySavepoint.
const (
	savepointPending = iota
	savepointTaken
	savepointFailed
)

// lazySavepoint is an op's connection on PostgreSQL: it takes the op's
// savepoint together with the op's first statement, pipelined in one
// round trip, rather than in a round trip of its own.
type lazySavepoint struct {
	tx    pgx.Tx
	state int
	err   error
}

const takeSavepoint = "SAVEPOINT delivery"

// take takes the savepoint, alone, unless it is taken already.
func (c *lazySavepoint) take(ctx context.Context) {
	if c.state != savepointPending {
		return
	}
	if _, err := c.tx.Exec(ctx, takeSavepoint); err != nil {
		c.state, c.err = savepointFailed, err
		return
	}
	c.state = savepointTaken
}

// send sends the savepoint and query in one batch, and returns its results
// at query's; a nil result means the savepoint failed.
func (c *lazySavepoint) send(ctx context.Context, query string, args []any) pgx.BatchResults {
	b := &pgx.Batch{}
	b.Queue(takeSavepoint)
	b.Queue(query, args...)
	br := c.tx.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		c.state, c.err = savepointFailed, err
		_ = br.Close()
		return nil
	}
	c.state = savepointTaken
	return br
}

func (c *lazySavepoint) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if c.state != savepointPending {
		return pgConn{c.tx}.exec(ctx, query, args...)
	}
	br := c.send(ctx, query, args)
	if br == nil {
		return 0, c.err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c *lazySavepoint) queryRow(ctx context.Context, query string, args ...any) row {
	if c.state != savepointPending {
		return pgConn{c.tx}.queryRow(ctx, query, args...)
	}
	br := c.send(ctx, query, args)
	if br == nil {
		return errRow{c.err}
	}
	return batchRow{br}
}

func (c *lazySavepoint) query(ctx context.Context, query string, args ...any) (rows, error) {
	if c.take(ctx); c.state == savepointFailed {
		return nil, c.err
	}
	return pgConn{c.tx}.query(ctx, query, args...)
}

// batchRow is the row a batch's last query returns; scanning it ends the
// batch.
type batchRow struct{ br pgx.BatchResults }

func (r batchRow) Scan(dest ...any) error {
	err := pgRow{r.br.QueryRow()}.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

// errRow is a row that could not be read.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
