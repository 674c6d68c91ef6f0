package clocktest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"booty/internal/clocktest"
)

// A Clock is River's stubbed time in the worker's tests.
var _ rivertype.TimeGenerator = (*clocktest.Clock)(nil)

func TestClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		name string
		move func(c *clocktest.Clock)
		want time.Time
	}{
		{"stands still", func(*clocktest.Clock) {}, start},
		{"advances", func(c *clocktest.Clock) { c.Advance(6 * time.Hour) }, start.Add(6 * time.Hour)},
		{"goes back", func(c *clocktest.Clock) { c.Advance(-time.Minute) }, start.Add(-time.Minute)},
		{"is set", func(c *clocktest.Clock) { c.Set(start.AddDate(1, 0, 0)) }, start.AddDate(1, 0, 0)},
		{"advances to a later time", func(c *clocktest.Clock) { c.AdvanceTo(start.Add(time.Hour)) }, start.Add(time.Hour)},
		{"stays for its own time", func(c *clocktest.Clock) { c.AdvanceTo(start) }, start},
		{"never advances back", func(c *clocktest.Clock) { c.AdvanceTo(start.Add(-time.Hour)) }, start},
		{"never advances back to zero", func(c *clocktest.Clock) { c.AdvanceTo(time.Time{}) }, start},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := clocktest.New(start)
			tt.move(c)
			if got := c.Now(); !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if got := c.NowOrNil(); got == nil || !got.Equal(tt.want) {
				t.Errorf("NowOrNil: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestNowOrNilIsACopy: the time handed out does not move with the clock,
// and changing it does not move the clock.
func TestNowOrNilIsACopy(t *testing.T) {
	t.Parallel()
	start := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	c := clocktest.New(start)
	got := c.NowOrNil()
	c.Advance(time.Minute)
	if !got.Equal(start) {
		t.Errorf("after Advance: got %v, want %v", *got, start)
	}
	*got = start.Add(time.Hour)
	if now := c.Now(); !now.Equal(start.Add(time.Minute)) {
		t.Errorf("after writing through NowOrNil: got %v, want %v", now, start.Add(time.Minute))
	}
}

// TestClockConcurrent is meaningful under -race.
func TestClockConcurrent(t *testing.T) {
	t.Parallel()
	c := clocktest.New(time.Unix(0, 0))
	var now func() time.Time = c.Now
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
				_ = now()
			}
		})
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(time.Unix(400, 0)) {
		t.Errorf("got %v, want 400 s past the epoch", got)
	}
}
