package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"booty/internal/alert"
)

// DecideFunc returns the decision for an alert and the problem's next state,
// given its stored state.
type DecideFunc func(prev alert.Problem) (alert.Decision, alert.Problem)

// EnqueueFunc adds, inside tx, the job that applies an accepted decision.
type EnqueueFunc func(ctx context.Context, tx *sql.Tx, a *alert.Alert, d alert.Decision) (jobID int64, err error)

// Accept decides what to do with an alert and makes it durable: the
// problem's new state, the delivery record and, when GitHub must change,
// the job commit in one transaction. When Accept returns nil, the alert
// survives a crash.
func (s *Store) Accept(ctx context.Context, d Delivery, a *alert.Alert, decide DecideFunc, enqueue EnqueueFunc) (alert.Decision, error) {
	var dec alert.Decision
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		prev, err := problemTx(ctx, tx, d.ProblemKey)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		var next alert.Problem
		dec, next = decide(prev)
		if next != prev {
			if err := putProblemTx(ctx, tx, next); err != nil {
				return err
			}
		}
		var jobID sql.NullInt64
		if dec.Accepted() {
			id, err := enqueue(ctx, tx, a, dec)
			if err != nil {
				return fmt.Errorf("enqueue: %w", err)
			}
			jobID = sql.NullInt64{Int64: id, Valid: true}
		}
		return insertDeliveryTx(ctx, tx, d, dec.String(), jobID)
	})
	if err != nil {
		return alert.Decision{}, fmt.Errorf("accept %s: %w", d.ProblemKey, err)
	}
	return dec, nil
}

const problemColumns = `key, first_seen_ms, last_seen_ms, event_count, last_event_id,
	issue_number, issue_closed, cooldown_until_ms`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func problemTx(ctx context.Context, q querier, key string) (alert.Problem, error) {
	var (
		p                     alert.Problem
		first, last, cooldown int64
		closed                int
	)
	err := q.QueryRowContext(ctx, `SELECT `+problemColumns+` FROM booty_problems WHERE key = $1`, key).
		Scan(&p.Key, &first, &last, &p.Count, &p.LastEventID, &p.IssueNumber, &closed, &cooldown)
	if errors.Is(err, sql.ErrNoRows) {
		return alert.Problem{}, ErrNotFound
	}
	if err != nil {
		return alert.Problem{}, fmt.Errorf("read problem: %w", err)
	}
	p.FirstSeen = fromMillis(first)
	p.LastSeen = fromMillis(last)
	p.CooldownUntil = fromMillis(cooldown)
	p.IssueClosed = closed != 0
	return p, nil
}

func putProblemTx(ctx context.Context, tx *sql.Tx, p alert.Problem) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO booty_problems (`+problemColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (key) DO UPDATE SET
			first_seen_ms = excluded.first_seen_ms,
			last_seen_ms = excluded.last_seen_ms,
			event_count = excluded.event_count,
			last_event_id = excluded.last_event_id,
			issue_number = excluded.issue_number,
			issue_closed = excluded.issue_closed,
			cooldown_until_ms = excluded.cooldown_until_ms`,
		p.Key, toMillis(p.FirstSeen), toMillis(p.LastSeen), p.Count, p.LastEventID,
		p.IssueNumber, boolInt(p.IssueClosed), toMillis(p.CooldownUntil))
	if err != nil {
		return fmt.Errorf("write problem: %w", err)
	}
	return nil
}

// Problem returns the stored state of the problem with key.
func (s *Store) Problem(ctx context.Context, key string) (alert.Problem, error) {
	return problemTx(ctx, s.db, key)
}

// SetIssue records the GitHub issue of a problem, whether it is closed and
// since when (GitHub's closed_at; zero when open or unknown).
func (s *Store) SetIssue(ctx context.Context, key string, number int, closed bool, _ time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE booty_problems SET issue_number = $1, issue_closed = $2 WHERE key = $3`,
		number, boolInt(closed), key)
	if err != nil {
		return fmt.Errorf("set issue of %s: %w", key, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("set issue of %s: %w", key, ErrNotFound)
	}
	return nil
}
