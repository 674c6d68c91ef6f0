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
