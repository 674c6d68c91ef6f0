package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// WritePolicy is the pace of booty's content-creating GitHub calls, for the
// whole deployment: one write at a time, at least Spacing apart, within an
// hourly budget of PerHour.
type WritePolicy struct {
	// Spacing is the least time between two writes; 0 lets them follow
	// each other at once.
	Spacing time.Duration
	// PerHour is the hourly budget: writes not made build up to a burst
	// of PerHour, refilled at PerHour an hour.
	PerHour int
}

// NewWritePolicy lets writes through one at a time, at least
// max(interval, 1 min / perMinute) apart, within an hourly budget of
// perHour.
// GitHub asks for content-creating requests to be made serially, a second
// apart, and its secondary limit trips on bursts far below the per-minute
// figure: so the per-minute budget is a spacing, never a burst. An interval
// of 0 with large budgets lifts pacing (benchmarks against a stand-in).
func NewWritePolicy(perMinute, perHour int, interval time.Duration) WritePolicy {
	return WritePolicy{
		Spacing: max(interval, time.Minute/time.Duration(max(perMinute, 1))),
		PerHour: max(perHour, 1),
	}
}

// BudgetState is what the write budget remembers between two writes: one
// row in the store, shared by every replica. A zero BudgetState is a budget
// nothing has used.
type BudgetState struct {
	// NextWrite is the earliest time the spacing lets a write go.
	NextWrite time.Time
	// HourFull is when the hourly budget would be whole again if no
	// write used it from now on: each write moves it an hour/PerHour
	// later, and a write may go while it is less than an hour ahead (the
	// theoretical arrival time of the generic cell rate algorithm, GCRA).
	HourFull time.Time
	// PausedUntil is the end of the pause GitHub imposed with a rate
	// limit (zero when none was).
	PausedUntil time.Time
}

// Take decides one write asked for at now: it returns 0 and the state with
// the write's share used, or how long to wait before asking again and s
// unchanged. A pause answers alone and uses nothing; a write refused by one
// limit uses nothing of the other.
//
// The arithmetic is written out here rather than left to x/time/rate, whose
// limiter keeps its state in memory, out of reach of the other replicas.
// It keeps that limiter's answers (a bucket of one for the spacing, a
// bucket of PerHour refilled evenly for the hour) in whole nanoseconds.
//
// Replicas' clocks differ a little. A now earlier than the state (the last
// write came from a replica whose clock is ahead) is refused until it
// catches up, with a positive wait: the state never moves back, so a
// slower clock gets no write the budget does not hold.
func (p WritePolicy) Take(s BudgetState, now time.Time) (BudgetState, time.Duration) {
	if now.Before(s.PausedUntil) {
		return s, s.PausedUntil.Sub(now)
	}
	perHour := time.Duration(max(p.PerHour, 1))
	share := time.Hour / perHour
	// How far HourFull may be ahead of now with one write's share left.
	tolerance := share * (perHour - 1)
	full := s.HourFull
	if full.Before(now) {
		full = now
	}
	var wait time.Duration
	if now.Before(s.NextWrite) {
		wait = s.NextWrite.Sub(now)
	}
	if ahead := full.Sub(now); ahead > tolerance {
		wait = max(wait, ahead-tolerance)
	}
	if wait > 0 {
		return s, wait
	}
	s.NextWrite = now.Add(p.Spacing)
	s.HourFull = full.Add(share)
	return s, 0
}

// TakeWrite asks the deployment's write budget for one GitHub write at now,
// under policy p: it returns 0 having used the write's share, or how long to
// wait before asking again having used nothing. The budget's row is locked
// for the decision (SQLite's one writer excludes every other; PostgreSQL
// locks the row), so replicas asking at once take turns.
func (s *Store) TakeWrite(ctx context.Context, p WritePolicy, now time.Time) (time.Duration, error) {
	var wait time.Duration
	err := s.Transact(ctx, func(tx *Tx) error {
		prev, err := writeBudget(ctx, tx, tx.forUpdate())
		if err != nil {
			return err
		}
		var next BudgetState
		next, wait = p.Take(prev, now)
		if wait > 0 {
			return nil
		}
		// The pause is PauseWrites' alone: a grant happens only outside one.
		_, err = tx.exec(ctx, `INSERT INTO booty_write_budget (id, next_write_ns, hour_full_ns) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET next_write_ns = excluded.next_write_ns, hour_full_ns = excluded.hour_full_ns`,
			toNanos(next.NextWrite), toNanos(next.HourFull))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("take a github write: %w", err)
	}
	return wait, nil
}

// PauseWrites stops every replica's GitHub writes until until, the end of
// a rate limit. It only ever extends a pause: an earlier end is ignored.
func (s *Store) PauseWrites(ctx context.Context, until time.Time) error {
	err := s.Transact(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO booty_write_budget (id, paused_until_ns) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET paused_until_ns = excluded.paused_until_ns
			WHERE booty_write_budget.paused_until_ns < excluded.paused_until_ns`, toNanos(until))
		return err
	})
	if err != nil {
		return fmt.Errorf("pause github writes: %w", err)
	}
	return nil
}

// WritesPausedUntil returns when the rate limit pause of GitHub writes ends
// (zero when none was ever set; a time past when it is over).
func (s *Store) WritesPausedUntil(ctx context.Context) (time.Time, error) {
	st, err := writeBudget(ctx, s.db, "")
	if err != nil {
		return time.Time{}, err
	}
	return st.PausedUntil, nil
}

// writeBudget reads the budget's row; a missing row is a budget nothing
// has used (the next write puts it back).
func writeBudget(ctx context.Context, q conn, lock string) (BudgetState, error) {
	var next, full, paused int64
	err := q.queryRow(ctx, `SELECT next_write_ns, hour_full_ns, paused_until_ns FROM booty_write_budget WHERE id = 1`+lock).
		Scan(&next, &full, &paused)
	if errors.Is(err, sql.ErrNoRows) {
		return BudgetState{}, nil
	}
	if err != nil {
		return BudgetState{}, fmt.Errorf("read write budget: %w", err)
	}
	return BudgetState{NextWrite: fromNanos(next), HourFull: fromNanos(full), PausedUntil: fromNanos(paused)}, nil
}

// WriteBudget is the deployment's GitHub write budget under one policy, as
// the worker spends it.
type WriteBudget struct {
	s      *Store
	policy WritePolicy
}

// WriteBudget returns the store's write budget spent under policy p.
func (s *Store) WriteBudget(p WritePolicy) *WriteBudget { return &WriteBudget{s: s, policy: p} }

// Take is TakeWrite under the budget's policy.
func (b *WriteBudget) Take(ctx context.Context, now time.Time) (time.Duration, error) {
	return b.s.TakeWrite(ctx, b.policy, now)
}

// Pause is PauseWrites.
func (b *WriteBudget) Pause(ctx context.Context, until time.Time) error {
	return b.s.PauseWrites(ctx, until)
}

func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
