package server

import (
	"fmt"
	"testing"
	"time"
)

func TestClientLimiterStaysBounded(t *testing.T) {
	t.Parallel()
	l := newClientLimiter(5, time.Minute, 100)
	now := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		l.allow(fmt.Sprintf("10.0.0.%d", i), now)
	}
	if got := l.size(); got != 100 {
		t.Fatalf("got %d clients, want 100", got)
	}
	// All recent: a new client makes the limiter forget them all rather
	// than grow.
	l.allow("10.0.1.1", now)
	if got := l.size(); got != 1 {
		t.Errorf("after overflow with recent clients: got %d, want 1", got)
	}
	// Half idle for a window: only those are forgotten.
	for i := range 49 {
		l.allow(fmt.Sprintf("10.0.2.%d", i), now)
	}
	later := now.Add(time.Minute)
	for i := range 50 {
		l.allow(fmt.Sprintf("10.0.3.%d", i), later)
	}
	if got := l.size(); got != 100 {
		t.Fatalf("got %d clients, want 100", got)
	}
	l.allow("10.0.4.1", later)
	l.allow("10.0.4.2", later)
	if got := l.size(); got != 52 {
		t.Errorf("after evicting idle clients: got %d, want 52", got)
	}
	// An evicted client starts with a full budget, as if remembered.
	for i := range 5 {
		if !l.allow("10.0.2.1", later) {
			t.Errorf("request %d of a forgotten client refused", i+1)
		}
	}
	if l.allow("10.0.2.1", later) {
		t.Error("sixth request allowed")
	}
}
