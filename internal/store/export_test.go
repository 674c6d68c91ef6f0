package store

import "context"

// WritesInFlight is how many writes were handed to the writer, queued or in
// its batch, and are not answered yet.
func (s *Store) WritesInFlight() int { return int(s.lite.inFlight.Load()) }

// RiverJobColumns are the columns of River's job table that Copy moves.
var RiverJobColumns = riverJobColumns

// CopyInBatches is Copy reading batch rows at a time, so that tests page
// through small stores.
func CopyInBatches(ctx context.Context, from, to *Store, batch int, progress func(done, total int)) (CopyStats, error) {
	return copyStore(ctx, from, to, batch, progress)
}

// ProblemQueued is how many transactions of the problem with key queue on
// PostgreSQL behind the one running.
func (s *Store) ProblemQueued(key string) int {
	q := &s.pg.problems
	q.mu.Lock()
	defer q.mu.Unlock()
	if pq := q.queues[key]; pq != nil {
		return len(pq.waiting)
	}
	return 0
}

// SavedProblem is the row a shared transaction remembers after
// SaveProblem(prev, next).
var SavedProblem = savedProblem

// WriteForTest carries query as Tx.write does, for a test to fail a write
// on purpose.
func (tx *Tx) WriteForTest(ctx context.Context, query string) error {
	return tx.write(ctx, "test write", query)
}
