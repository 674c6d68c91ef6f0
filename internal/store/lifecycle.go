package store

import (
	"context"
	"encoding/json"
	"fmt"

	"booty/internal/alert"
)

// Lifecycle returns what the problem with key keeps of its lifecycle
// beyond its issue columns (read the problem with tx.Problem first, for
// its lock). A problem stored before booty kept one has the zero Lifecycle.
func (tx *Tx) Lifecycle(ctx context.Context, key string) (alert.Lifecycle, error) {
	var raw string
	if err := tx.queryRow(ctx, `SELECT lifecycle FROM booty_problems WHERE key = $1`, key).Scan(&raw); err != nil {
		return alert.Lifecycle{}, fmt.Errorf("read lifecycle of %s: %w", key, err)
	}
	var lc alert.Lifecycle
	if err := json.Unmarshal([]byte(raw), &lc); err != nil {
		return alert.Lifecycle{}, fmt.Errorf("read lifecycle of %s: %w", key, err)
	}
	return lc, nil
}

// SaveLifecycle stores lc as the problem's lifecycle.
func (tx *Tx) SaveLifecycle(ctx context.Context, key string, lc alert.Lifecycle) error {
	raw, err := json.Marshal(lc)
	if err != nil {
		return fmt.Errorf("save lifecycle of %s: %w", key, err)
	}
	if _, err := tx.exec(ctx, `UPDATE booty_problems SET lifecycle = $1 WHERE key = $2`, string(raw), key); err != nil {
		return fmt.Errorf("save lifecycle of %s: %w", key, err)
	}
	return nil
}

// RecordTransition records one step of the problem's lifecycle with its
// reason.
func (tx *Tx) RecordTransition(ctx context.Context, key string, t alert.Transition) error {
	_, err := tx.exec(ctx, `INSERT INTO booty_transitions (problem_key, at_ms, from_state, to_state, input, cause)
		VALUES ($1, $2, $3, $4, $5, $6)`, key, toMillis(t.At), string(t.From), string(t.To), string(t.Input), string(t.Reason))
	if err != nil {
		return fmt.Errorf("record transition of %s: %w", key, err)
	}
	return nil
}

// Transitions returns the problem's recorded lifecycle steps, oldest
// first: at most limit, the newest.
func (s *Store) Transitions(ctx context.Context, key string, limit int) ([]alert.Transition, error) {
	rs, err := s.db.query(ctx, `SELECT at_ms, from_state, to_state, input, cause FROM (
		SELECT id, at_ms, from_state, to_state, input, cause FROM booty_transitions WHERE problem_key = $1
		ORDER BY at_ms DESC, id DESC LIMIT $2) AS newest ORDER BY at_ms, id`, key, limit)
	if err != nil {
		return nil, fmt.Errorf("read transitions of %s: %w", key, err)
	}
	defer rs.Close()
	var out []alert.Transition
	for rs.Next() {
		var t alert.Transition
		var at int64
		var from, to, input, cause string
		if err := rs.Scan(&at, &from, &to, &input, &cause); err != nil {
			return nil, fmt.Errorf("read transitions of %s: %w", key, err)
		}
		t.At, t.From, t.To, t.Input, t.Reason = fromMillis(at), alert.IssueState(from), alert.IssueState(to), alert.InputKind(input), alert.Cause(cause)
		out = append(out, t)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read transitions of %s: %w", key, err)
	}
	return out, nil
}

// LifecycleOf returns the stored lifecycle of the problem with key, for
// reading (the zero Lifecycle when it has none).
func (s *Store) LifecycleOf(ctx context.Context, key string) (alert.Lifecycle, error) {
	var raw string
	if err := s.db.queryRow(ctx, `SELECT lifecycle FROM booty_problems WHERE key = $1`, key).Scan(&raw); err != nil {
		return alert.Lifecycle{}, fmt.Errorf("read lifecycle of %s: %w", key, err)
	}
	var lc alert.Lifecycle
	if err := json.Unmarshal([]byte(raw), &lc); err != nil {
		return alert.Lifecycle{}, fmt.Errorf("read lifecycle of %s: %w", key, err)
	}
	return lc, nil
}
