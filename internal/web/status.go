package web

import (
	"context"
	"time"
)

// Status is the page's header: what booty runs as and how it fares.
type Status struct {
	Version, Release, Environment, Backend string
	// WritesPausedUntil is when a GitHub rate limit pause ends; zero
	// when writes are not paused.
	WritesPausedUntil time.Time
	// Storms names the routes in a storm now.
	Storms []string
	// LastWebhook is when the newest delivery was recorded (zero: never).
	LastWebhook time.Time
	// ParkedCount is how many jobs are parked; Parked lists the first
	// maxParkedShown when booty can.
	ParkedCount int
	Parked      []ParkedJob
	// Problems is the errors met reading any of it, so that one failed
	// read costs its own line, not the page.
	Problems []string
}

// maxParkedShown bounds the parked jobs the page lists; the CLI lists all.
const maxParkedShown = 100

// readStatus reads the header. A read that fails is noted, not fatal.
func (h *handler) readStatus(ctx context.Context) Status {
	o := h.opts
	s := Status{Version: o.Version, Release: o.Release, Environment: o.Environment, Backend: o.Backend}
	note := func(what string, err error) {
		if err != nil {
			h.log.Error("status page: "+what, "err", err)
			s.Problems = append(s.Problems, what+" could not be read")
		}
	}
	until, err := o.Store.WritesPausedUntil(ctx)
	note("the GitHub budget", err)
	if until.After(h.now()) {
		s.WritesPausedUntil = until
	}
	if o.Storms != nil {
		s.Storms, err = o.Storms(ctx)
		note("the storms", err)
	}
	s.LastWebhook, err = o.Store.LastDeliveryAt(ctx)
	note("the last webhook", err)
	if o.Parked != nil {
		s.Parked, err = o.Parked(ctx)
		s.ParkedCount = len(s.Parked)
		s.Parked = s.Parked[:min(len(s.Parked), maxParkedShown)]
	} else {
		s.ParkedCount, err = o.Store.ParkedJobs(ctx)
	}
	note("the parked jobs", err)
	return s
}
