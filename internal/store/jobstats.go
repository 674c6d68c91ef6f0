package store

import (
	"context"
	"fmt"
)

// riverStates maps River's job states to the names booty reports: River's
// own, except that a job waiting to run again is "retrying" and one that
// stopped for good, cancelled or discarded, is "parked" (as in ParkedJobs).
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
