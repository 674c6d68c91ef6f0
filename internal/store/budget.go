package store

import "time"

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
