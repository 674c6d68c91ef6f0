package github

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter keeps booty's writes within GitHub's limits: it paces
// content-creating calls under the secondary limits (per minute and per
// hour), and after GitHub answers with a rate limit it pauses every write
// until the limit resets.
type Limiter struct {
	mu          sync.Mutex
	pausedUntil time.Time
	perMinute   *rate.Limiter
	perHour     *rate.Limiter
}

// NewLimiter allows perMinute writes a minute and perHour writes an hour.
func NewLimiter(perMinute, perHour int) *Limiter {
	return &Limiter{
		perMinute: rate.NewLimiter(rate.Limit(float64(perMinute)/60), perMinute),
		perHour:   rate.NewLimiter(rate.Limit(float64(perHour)/3600), perHour),
	}
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
	m := l.perMinute.ReserveN(now, 1)
	h := l.perHour.ReserveN(now, 1)
	wait := max(m.DelayFrom(now), h.DelayFrom(now))
	if wait > 0 {
		m.CancelAt(now)
		h.CancelAt(now)
	}
	return wait
}
