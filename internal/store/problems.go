package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"booty/internal/alert"
)

// The columns of a problem split by owner, so that neither writer can undo
// the other: the decision (a delivery's transaction) writes what it saw of
// the events; the worker writes what GitHub said of the issue.
const problemColumns = `key, first_seen_ms, last_seen_ms, event_count, last_event_id,
	issue_number, issue_closed, issue_closed_at_ms, last_write_ms, route, repo,
	title, level, project, environment, release, link, digest_id, issue_close_reason`

// Problem returns the stored state of the problem with key, locked until
// the transaction ends: a concurrent decision or issue update for the same
// problem waits for this one.
func (tx *Tx) Problem(ctx context.Context, key string) (alert.Problem, error) {
	return problem(ctx, tx, key, tx.forUpdate())
}

// ProblemEvent is Problem with EventCounted set, for a known problem,
// when eventID is among its counted events (EventCounted): the problem
// and its event in one statement, one round trip to PostgreSQL fewer for
// every delivery. An empty eventID is never counted.
func (tx *Tx) ProblemEvent(ctx context.Context, key, eventID string) (alert.Problem, error) {
	if eventID == "" {
		return tx.Problem(ctx, key)
	}
	if p, ok := tx.shared.knownProblem(key, eventID); ok {
		return p, nil
	}
	var counted bool
	r := tx.queryRow(ctx, `SELECT `+problemColumns+`,
		EXISTS (SELECT 1 FROM booty_problem_events WHERE problem_key = $1 AND event_id = $2)
		FROM booty_problems WHERE key = $1`+tx.forUpdate(), key, eventID)
	p, err := scanProblem(withColumn{r, &counted})
	if errors.Is(err, sql.ErrNoRows) {
		return alert.Problem{}, ErrNotFound
	}
	if err != nil {
		return alert.Problem{}, fmt.Errorf("read problem: %w", err)
	}
	p.EventCounted = counted
	tx.shared.read(p, eventID)
	return p, nil
}

// withColumn is a row with one more column than its scanner reads, into
// dest.
type withColumn struct {
	row
	dest any
}

func (r withColumn) Scan(dest ...any) error { return r.row.Scan(append(dest, r.dest)...) }

// Problem returns the stored state of the problem with key.
func (s *Store) Problem(ctx context.Context, key string) (alert.Problem, error) {
	return problem(ctx, s.db, key, "")
}

func problem(ctx context.Context, q conn, key, lock string) (alert.Problem, error) {
	p, err := scanProblem(q.queryRow(ctx, `SELECT `+problemColumns+` FROM booty_problems WHERE key = $1`+lock, key))
	if errors.Is(err, sql.ErrNoRows) {
		return alert.Problem{}, ErrNotFound
	}
	if err != nil {
		return alert.Problem{}, fmt.Errorf("read problem: %w", err)
	}
	return p, nil
}

// SaveProblem stores next, the state a decision reached from prev (read
// with tx.Problem): nothing when they are equal. It writes only what the
// decision owns, the events seen and when booty last decided a write, and
// the issue's closed flag only when the decision reopens it; the issue
// number is the worker's (SetIssue). What the latest event said of the
// problem is the decision's too, and so is the digest a fold lists it in.
// A problem's route and repository are
// written when it is inserted and never after. A new problem that a concurrent
// transaction inserted first makes Transact decide again.
func (tx *Tx) SaveProblem(ctx context.Context, prev, next alert.Problem) error {
	if next == prev {
		return nil
	}
	if !prev.Known() {
		n, err := insertProblem(ctx, tx, next)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("write problem %s: %w", next.Key, errConcurrent)
		}
		return nil
	}
	reopen := prev.IssueClosed && !next.IssueClosed
	err := tx.write(ctx, "write problem", `UPDATE booty_problems SET
			first_seen_ms = $1, last_seen_ms = $2, event_count = $3, last_event_id = $4, last_write_ms = $5,
			issue_closed = CASE WHEN $6 = 1 THEN 0 ELSE issue_closed END,
			issue_closed_at_ms = CASE WHEN $6 = 1 THEN 0 ELSE issue_closed_at_ms END,
			issue_close_reason = CASE WHEN $6 = 1 THEN '' ELSE issue_close_reason END,
			title = $7, level = $8, project = $9, environment = $10, release = $11, link = $12, digest_id = $13
		WHERE key = $14`,
		toMillis(next.FirstSeen), toMillis(next.LastSeen), next.Count, next.LastEventID, toMillis(next.LastWriteAt),
		boolInt(reopen), next.Title, next.Level, next.Project, next.Environment, next.Release, next.Link, next.DigestID, next.Key)
	if err == nil {
		tx.shared.saved(prev, next)
	}
	return err
}

// savedProblem is the row SaveProblem leaves when it updates prev to next,
// as a read of it would return it: the columns the decision owns from
// next, to the millisecond, the others from prev.
func savedProblem(prev, next alert.Problem) alert.Problem {
	p := prev
	p.FirstSeen, p.LastSeen = fromMillis(toMillis(next.FirstSeen)), fromMillis(toMillis(next.LastSeen))
	p.Count, p.LastEventID, p.LastWriteAt = next.Count, next.LastEventID, fromMillis(toMillis(next.LastWriteAt))
	if prev.IssueClosed && !next.IssueClosed {
		p.IssueClosed, p.IssueClosedAt, p.IssueCloseReason = false, time.Time{}, ""
	}
	p.Title, p.Level, p.Project, p.Environment = next.Title, next.Level, next.Project, next.Environment
	p.Release, p.Link, p.DigestID = next.Release, next.Link, next.DigestID
	p.EventCounted = next.EventCounted
	return p
}

// insertProblem inserts p unless its key exists, and returns how many rows
// it inserted.
func insertProblem(ctx context.Context, q conn, p alert.Problem) (int64, error) {
	n, err := q.exec(ctx, `INSERT INTO booty_problems (`+problemColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT (key) DO NOTHING`,
		p.Key, toMillis(p.FirstSeen), toMillis(p.LastSeen), p.Count, p.LastEventID,
		p.IssueNumber, boolInt(p.IssueClosed), toMillis(p.IssueClosedAt), toMillis(p.LastWriteAt), p.Route, p.Repo,
		p.Title, p.Level, p.Project, p.Environment, p.Release, p.Link, p.DigestID, p.IssueCloseReason)
	if err != nil {
		return 0, fmt.Errorf("write problem: %w", err)
	}
	return n, nil
}

// SetIssue records the GitHub issue of a problem, whether it is closed and,
// when it is, GitHub's closed_at (zero when unknown). The close time is
// what a regression must be later than; it is cleared when the issue is
// open. The update takes the problem's row lock, so it waits for a
// decision in flight and is never overwritten by one.
func (s *Store) SetIssue(ctx context.Context, key string, number int, closed bool, closedAt time.Time) error {
	if !closed {
		closedAt = time.Time{}
	}
	// An open issue has no close reason; a close the worker finds keeps
	// the one GitHub's webhook gave, if any.
	n, err := s.db.exec(ctx, `UPDATE booty_problems SET issue_number = $1, issue_closed = $2, issue_closed_at_ms = $3,
		issue_close_reason = CASE WHEN $2 = 0 THEN '' ELSE issue_close_reason END
		WHERE key = $4`, number, boolInt(closed), toMillis(closedAt), key)
	if err != nil {
		return fmt.Errorf("set issue of %s: %w", key, err)
	}
	if n == 0 {
		return fmt.Errorf("set issue of %s: %w", key, ErrNotFound)
	}
	return nil
}
