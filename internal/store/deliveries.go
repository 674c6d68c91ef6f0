package store

import (
	"context"
	"fmt"
	"time"
)

// Delivery is what booty records of one verified webhook.
type Delivery struct {
	ReceivedAt time.Time
	RequestID  string
	Resource   string
	Action     string
	ProblemKey string
	EventID    string
	// Route names the route the delivery took; "" when none did, or when
	// it was filtered before routing.
	Route string
}

const insertDeliverySQL = `INSERT INTO booty_deliveries
	(received_at_ms, request_id, resource, action, problem_key, event_id, decision, job_id, route)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// RecordDelivery records a delivery with the decision taken on it and the
// job that carries the decision out (0: none).
func (tx *Tx) RecordDelivery(ctx context.Context, d Delivery, decision string, jobID int64) error {
	var job *int64
	if jobID != 0 {
		job = &jobID
	}
	return tx.write(ctx, "record delivery", insertDeliverySQL,
		d.ReceivedAt.UnixMilli(), d.RequestID, d.Resource, d.Action, d.ProblemKey, d.EventID, decision, job, d.Route)
}

// Stats are counts for /health and the operator.
type Stats struct {
	Problems       int64
	Deliveries     int64
	LastDeliveryAt time.Time
}

// Stats counts problems and deliveries. It reads whole tables; startup
// uses LastDeliveryAt.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.db.queryRow(ctx, `SELECT
		(SELECT count(*) FROM booty_problems),
		(SELECT count(*) FROM booty_deliveries)`).Scan(&st.Problems, &st.Deliveries)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	st.LastDeliveryAt, err = s.LastDeliveryAt(ctx)
	return st, err
}

// LastDeliveryAt returns when the newest recorded delivery arrived (zero
// when none): one step down the received-time index.
func (s *Store) LastDeliveryAt(ctx context.Context) (time.Time, error) {
	var last *int64
	if err := s.db.queryRow(ctx, `SELECT max(received_at_ms) FROM booty_deliveries`).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("last delivery: %w", err)
	}
	if last == nil {
		return time.Time{}, nil
	}
	return fromMillis(*last), nil
}

// PruneDeliveries deletes delivery records, Sentry's and GitHub's,
// received before t. GitHub redelivers only on request, within days, so the
// retention that bounds Sentry's dedup bounds GitHub's too.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.db.exec(ctx, `DELETE FROM booty_deliveries WHERE received_at_ms < $1`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	m, err := s.db.exec(ctx, `DELETE FROM booty_github_deliveries WHERE received_at_ms < $1`, before.UnixMilli())
	if err != nil {
		return n, fmt.Errorf("prune github deliveries: %w", err)
	}
	return n + m, nil
}
