package store

import (
	"context"
	"fmt"
	"time"
)

// GitHubDelivery is one GitHub webhook delivery booty took, by its
// X-GitHub-Delivery id.
type GitHubDelivery struct {
	ID         string
	ReceivedAt time.Time
	Event      string
	Action     string
	ProblemKey string
	Issue      int
	// Outcome is what booty made of it (intake.GitHubOutcome).
	Outcome string
}

// RecordGitHubDelivery records d unless a delivery with its id was
// recorded before, and reports whether it was new. Inside the transaction
// that applies the delivery, it makes a redelivery change nothing.
func (tx *Tx) RecordGitHubDelivery(ctx context.Context, d GitHubDelivery) (fresh bool, err error) {
	n, err := tx.exec(ctx, `INSERT INTO booty_github_deliveries
		(delivery_id, received_at_ms, event, action, problem_key, issue_number, outcome)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id) DO NOTHING`,
		d.ID, toMillis(d.ReceivedAt), d.Event, d.Action, d.ProblemKey, d.Issue, d.Outcome)
	if err != nil {
		return false, fmt.Errorf("record github delivery: %w", err)
	}
	return n == 1, nil
}

// SetIssueState records, under the problem's row lock (read it with
// tx.Problem first), what GitHub says of its issue: number (0 when the
// issue is gone and the next alert files a new one), whether it is closed,
// when, and why (GitHub's state_reason).
func (tx *Tx) SetIssueState(ctx context.Context, key string, number int, closed bool, closedAt time.Time, reason string) error {
	if !closed {
		closedAt, reason = time.Time{}, ""
	}
	_, err := tx.exec(ctx, `UPDATE booty_problems SET issue_number = $1, issue_closed = $2, issue_closed_at_ms = $3,
		issue_close_reason = $4 WHERE key = $5`, number, boolInt(closed), toMillis(closedAt), reason, key)
	if err != nil {
		return fmt.Errorf("set issue state of %s: %w", key, err)
	}
	return nil
}

// MoveIssue records that the problem's issue moved to repository repo
// ("OWNER/NAME") as number: a transfer into a repository booty routes to.
func (tx *Tx) MoveIssue(ctx context.Context, key, repo string, number int) error {
	if _, err := tx.exec(ctx, `UPDATE booty_problems SET repo = $1, issue_number = $2 WHERE key = $3`, repo, number, key); err != nil {
		return fmt.Errorf("move issue of %s: %w", key, err)
	}
	return nil
}
