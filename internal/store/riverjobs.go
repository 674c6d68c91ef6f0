package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// This file is the one place booty reads or edits River's tables directly,
// where River's API has no call for what booty needs. TestRiverSchema fails
// when a River upgrade moves the columns used here.

// ParkedStates are the River states booty calls "parked": a job that stopped
// for good (cancelled by booty as permanent, or discarded after its last
// attempt) and waits for an operator to retry or drop it.
func ParkedStates() []rivertype.JobState {
	return []rivertype.JobState{rivertype.JobStateCancelled, rivertype.JobStateDiscarded}
}

// IsParked reports whether a job in state is parked.
func IsParked(state rivertype.JobState) bool {
	for _, p := range ParkedStates() {
		if state == p {
			return true
		}
	}
	return false
}

// parkedSQL is ParkedStates as an SQL list: ('cancelled', 'discarded').
func parkedSQL() string {
	q := make([]string, 0, 2)
	for _, p := range ParkedStates() {
		q = append(q, "'"+string(p)+"'")
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// ParkedJobs counts the parked jobs.
func (s *Store) ParkedJobs(ctx context.Context) (int, error) {
	var n int
	err := s.db.queryRow(ctx, `SELECT count(*) FROM river_job WHERE state IN `+parkedSQL()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count parked jobs: %w", err)
	}
	return n, nil
}

// RequeueOrphans makes jobs that were running when booty last stopped
// available again, and returns how many there were. It is for SQLite only:
// the serve lock makes booty the only process serving the file, so at
// startup every running job is an orphan of a crash. On PostgreSQL another
// replica may be running them; River's rescuer takes over a dead replica's
// jobs there. The next attempt looks up the issue marker first, so a create
// cut off mid-call is not repeated.
func (s *Store) RequeueOrphans(ctx context.Context) (int64, error) {
	if s.lite == nil || s.lite.lock == nil {
		return 0, fmt.Errorf("requeue orphaned jobs: only a serving SQLite store may requeue")
	}
	n, err := s.db.exec(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("requeue orphaned jobs: %w", err)
	}
	return n, nil
}

// GrantAttempts lets job id run attempts more times after its current
// attempt, through exec (a River client's driver executor, or a
// transaction). River's JobRetry gives a job that used up its attempts just
// one more; the attempt count itself stays, since it is what makes a create
// look for its marker first.
func GrantAttempts(ctx context.Context, exec riverdriver.Executor, id int64, attempts int) error {
	if err := exec.Exec(ctx, `UPDATE river_job SET max_attempts = attempt + $1 WHERE id = $2`, attempts, id); err != nil {
		return fmt.Errorf("grant job %d %d attempts: %w", id, attempts, err)
	}
	return nil
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
	rows, err := s.db.query(ctx, `SELECT state, count(*) FROM river_job GROUP BY state`)
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
