package main

import (
	"fmt"
	"testing"
)

// TestSpread: over any number of problems, each problem's deliveries take
// turns over the replicas, neighbouring deliveries go to different ones,
// and the load splits evenly.
func TestSpread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		problems, events, replicas int
	}{
		{1000, 20, 2}, // the benchmark's sizes: plain i mod 2 would pin each problem to one replica
		{8, 3, 2},     // the test's sizes
		{7, 4, 2},     // an odd number of problems
		{1, 5, 2},     // one problem
		{6, 3, 3},     // three replicas
		{5, 2, 1},     // one replica takes everything
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d×%d over %d", tt.problems, tt.events, tt.replicas), func(t *testing.T) {
			t.Parallel()
			count := make([]int, tt.replicas)
			for e := range tt.events {
				for p := range tt.problems {
					i := e*tt.problems + p
					got := spread(i, tt.problems, tt.replicas)
					if got < 0 || got >= tt.replicas {
						t.Fatalf("spread(%d) = %d, not one of %d replicas", i, got, tt.replicas)
					}
					count[got]++
					if tt.replicas == 1 {
						continue
					}
					if e > 0 && got == spread(i-tt.problems, tt.problems, tt.replicas) {
						t.Errorf("problem %d: events %d and %d both go to replica %d", p, e-1, e, got)
					}
					if p > 0 && got == spread(i-1, tt.problems, tt.replicas) {
						t.Errorf("deliveries %d and %d both go to replica %d", i-1, i, got)
					}
				}
			}
			// Within each event the turn goes round once per replica count,
			// so no replica gets more than one delivery per event above
			// another.
			lo, hi := count[0], count[0]
			for _, c := range count {
				lo, hi = min(lo, c), max(hi, c)
			}
			if hi-lo > tt.events {
				t.Errorf("replicas got %v deliveries: uneven", count)
			}
		})
	}
}
