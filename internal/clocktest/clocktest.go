// Package clocktest gives tests one settable clock to inject where code
// takes a func() time.Time, so that a cooldown or a backoff is crossed by
// moving the clock instead of sleeping.
package clocktest

import (
	"sync"
	"time"
)

// Clock is a time source that moves only when the test moves it. It is
// safe for concurrent use: the code under test reads it from its own
// goroutines.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock standing at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time; pass the method value (c.Now) as the
// code's clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// NowOrNil returns the clock's time, never nil: with Now it makes a Clock
// River's stubbed time (rivertype.TimeGenerator, river.Config.Test.Time),
// and a clock the test moves is always a stubbed time.
func (c *Clock) NowOrNil() *time.Time {
	t := c.Now()
	return &t
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// AdvanceTo moves the clock on to t, and leaves it where it is when t is
// not after its time: a test that steps to the next deadline it finds
// never sends the clock back.
func (c *Clock) AdvanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
