package clocktest_test

import (
	"sync"
	"testing"
	"time"

	"booty/internal/clocktest"
)

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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := clocktest.New(start)
			tt.move(c)
			if got := c.Now(); !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
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
