package github

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter keeps booty's writes within GitHub's limits: it spaces
// content-creating calls out, keeps them under the hourly budget, and after
// GitHub answers with a rate limit it pauses every write until the limit
// resets.
type Limiter struct {
	mu          sync.Mutex
	pausedUntil time.Time
	spacing     *rate.Limiter
	perHour     *rate.Limiter
}

// NewLimiter lets writes through one at a time, at least
// max(interval, 1 min / perMinute) apart, and at most perHour in any hour.
// GitHub asks for content-creating requests to be made serially, a second
// apart, and its secondary limit trips on bursts far below the per-minute
// figure: so the per-minute budget is a spacing, never a burst. An interval
// of 0 with large budgets lifts pacing (benchmarks against a stand-in).
func NewLimiter(perMinute, perHour int, interval time.Duration) *Limiter {
	space := max(interval, time.Minute/time.Duration(max(perMinute, 1)))
	every := rate.Every(space)
	if space <= 0 {
		every = rate.Inf
	}
	return &Limiter{
		spacing: rate.NewLimiter(every, 1),
		perHour: rate.NewLimiter(rate.Limit(float64(perHour)/3600), max(perHour, 1)),
	}
}

// Spacing returns the least time between two writes.
func (l *Limiter) Spacing() time.Duration {
	if l.spacing.Limit() == rate.Inf {
		return 0
	}
	return time.Duration(float64(time.Second) / float64(l.spacing.Limit()))
}

// Pause stops all writes until t.
func (l *Limiter) Pause(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.pausedUntil) {
		l.pausedUntil = t
	}
}

// PausedUntil returns when a rate limit pause ends (zero when none was set).
func (l *Limiter) PausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil
}

// Take asks to make one write at now. It returns 0 when the write may go
// ahead, having used its share of the budget, or how long to wait before
// asking again, having used nothing.
func (l *Limiter) Take(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.pausedUntil) {
		return l.pausedUntil.Sub(now)
	}
	m := l.spacing.ReserveN(now, 1)
	h := l.perHour.ReserveN(now, 1)
	wait := max(m.DelayFrom(now), h.DelayFrom(now))
	if wait > 0 {
		m.CancelAt(now)
		h.CancelAt(now)
	}
	return wait
}
