package store

import (
	"context"
	"fmt"
)

// ParkedJobs counts jobs that stopped for good and wait for an operator
// (River's cancelled and discarded states).
func (s *Store) ParkedJobs(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state IN ('cancelled', 'discarded')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count parked jobs: %w", err)
	}
	return n, nil
}

// RequeueOrphans makes jobs that were running when booty last stopped
// available again, and returns how many there were. Only one booty process
// runs on an SQLite file, so at startup every running job is an orphan of
// a crash; River's own rescuer would wait an hour. The next attempt looks
// up the issue marker first, so a create cut off mid-call is not repeated.
func (s *Store) RequeueOrphans(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("requeue orphaned jobs: %w", err)
	}
	return res.RowsAffected()
}

var riverStates = map[string]string{
	"available": "available",
	"scheduled": "scheduled",
	"running":   "running",
	"retryable": "retrying",
	"cancelled": "parked",
	"discarded": "parked",
	"completed": "completed",
	"pending":   "pending",
}

// JobsByState counts the jobs in River's table by booty's state names. A
// state River adds later is counted under its own name.
func (s *Store) JobsByState(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs by state: %w", err)
	}
	defer rows.Close()
	counts := make(map[string]int)
	for rows.Next() {
		var (
			state string
			n     int
		)
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count jobs by state: %w", err)
		}
		if name, ok := riverStates[state]; ok {
			state = name
		}
		counts[state] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs by state: %w", err)
	}
	return counts, nil
}
