package store

import (
	"context"
	"sync"
	"time"
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
