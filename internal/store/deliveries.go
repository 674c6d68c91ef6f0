package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"booty/internal/alert"
)

// Delivery is what booty records of one verified webhook.
type Delivery struct {
	ReceivedAt time.Time
	RequestID  string
	Resource   string
	Action     string
	ProblemKey string
	EventID    string
}

// RecordIgnored records a delivery that was filtered before any problem
// state was read.
func (s *Store) RecordIgnored(ctx context.Context, d Delivery, reason alert.Reason) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return insertDeliveryTx(ctx, tx, d, string(reason), sql.NullInt64{})
	})
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}

const insertDeliverySQL = `INSERT INTO booty_deliveries
	(received_at_ms, request_id, resource, action, problem_key, event_id, decision, job_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

func deliveryArgs(d Delivery, decision string, jobID sql.NullInt64) []any {
	return []any{d.ReceivedAt.UnixMilli(), d.RequestID, d.Resource, d.Action, d.ProblemKey, d.EventID, decision, jobID}
}

func insertDeliveryTx(ctx context.Context, tx *sql.Tx, d Delivery, decision string, jobID sql.NullInt64) error {
	if _, err := tx.ExecContext(ctx, insertDeliverySQL, deliveryArgs(d, decision, jobID)...); err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
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
	err := s.db.QueryRowContext(ctx, `SELECT
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
	var last sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(received_at_ms) FROM booty_deliveries`).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("last delivery: %w", err)
	}
	if !last.Valid {
		return time.Time{}, nil
	}
	return fromMillis(last.Int64), nil
}

// PruneDeliveries deletes delivery records received before t.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM booty_deliveries WHERE received_at_ms < $1`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	return res.RowsAffected()
}
