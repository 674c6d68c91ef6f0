package store

import (
	"context"
	"fmt"
	"time"
)

// CountEvent remembers that eventID was counted for the problem. The
// unique key makes a second insert of the same event a no-op.
func (tx *Tx) CountEvent(ctx context.Context, key, eventID string, at time.Time) error {
	err := tx.write(ctx, "count event", `INSERT INTO booty_problem_events (problem_key, event_id, counted_at_ms)
		VALUES ($1, $2, $3) ON CONFLICT (problem_key, event_id) DO NOTHING`, key, eventID, at.UnixMilli())
	if err == nil {
		tx.shared.counted(key, eventID)
	}
	return err
}

// PruneEvents forgets the events counted before t, and returns how many.
// Run it with the delivery retention: an event older than that is no
// longer recognised as a duplicate (its delivery record is gone too), and
// a regression still needs an event later than the close.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.db.exec(ctx, `DELETE FROM booty_problem_events WHERE counted_at_ms < $1`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune counted events: %w", err)
	}
	return n, nil
}
