package main

import (
	"context"
	"time"

	"booty/internal/metrics"
	"booty/internal/route"
	"booty/internal/store"
)

// storms reads what the store knows of storms against the routes in force:
// for /health and the storm metrics.
type storms struct {
	st     *store.Store
	routes *route.Table
	now    func() time.Time
}

// Routes names the routes in a storm now, in the order their storms began.
func (s storms) Routes(ctx context.Context) ([]string, error) {
	ds, err := s.st.Storms(ctx, s.now(), s.routes.StormQuiet)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ds))
	for _, d := range ds {
		names = append(names, d.Route)
	}
	return names, nil
}

// StormStats reads the open digests and the budgets left.
func (s storms) StormStats(ctx context.Context) (metrics.StormStats, error) {
	now := s.now()
	ds, err := s.st.Storms(ctx, now, s.routes.StormQuiet)
	if err != nil {
		return metrics.StormStats{}, err
	}
	used, global, err := s.st.RouteAllowances(ctx)
	if err != nil {
		return metrics.StormStats{}, err
	}
	st := metrics.StormStats{OpenDigests: len(ds), RouteLeft: map[string]int{}, GlobalLeft: global.Left(s.routes.Storm, now)}
	for _, r := range s.routes.Routes {
		if !r.Drop {
			st.RouteLeft[r.Name] = used[r.Name].Left(r.Budget, now)
		}
	}
	return st, nil
}
