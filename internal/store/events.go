package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// EventCounted reports whether eventID is among the events counted for
// the problem and not yet pruned.
func (tx *Tx) EventCounted(ctx context.Context, key, eventID string) (bool, error) {
	var one int
	err := tx.queryRow(ctx, `SELECT 1 FROM booty_problem_events WHERE problem_key = $1 AND event_id = $2`,
		key, eventID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read counted event: %w", err)
	}
	return true, nil
}

// CountEvent remembers that eventID was counted for the problem. The
// unique key makes a second insert of the same event a no-op.
func (tx *Tx) CountEvent(ctx context.Context, key, eventID string, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO booty_problem_events (problem_key, event_id, counted_at_ms)
		VALUES ($1, $2, $3) ON CONFLICT (problem_key, event_id) DO NOTHING`, key, eventID, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("count event: %w", err)
	}
	return nil
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
