package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"booty/internal/alert"
)

// This file holds the operator's reads: what booty knows of its problems
// and the deliveries that told it. They never write, so they run beside a
// serving booty on either backend.

// ProblemState is where a problem stands with GitHub, as the operator
// commands name it.
type ProblemState string

// The problem states.
const (
	// StatePending: no issue and no digest yet (the create is queued,
	// parked, or was never decided).
	StatePending ProblemState = "pending"
	// StateOpen: the problem's issue is open.
	StateOpen ProblemState = "open"
	// StateClosed: the problem's issue is closed.
	StateClosed ProblemState = "closed"
	// StateFolded: a storm folded the problem into a digest instead of
	// filing an issue of its own.
	StateFolded ProblemState = "folded"
)

// ProblemStates lists every state, in the order the operator reads them.
func ProblemStates() []ProblemState {
	return []ProblemState{StatePending, StateOpen, StateClosed, StateFolded}
}

// StateOf returns p's state.
func StateOf(p alert.Problem) ProblemState {
	switch {
	case p.IssueNumber > 0 && p.IssueClosed:
		return StateClosed
	case p.IssueNumber > 0:
		return StateOpen
	case p.DigestID != 0:
		return StateFolded
	}
	return StatePending
}

// stateSQL is the condition on booty_problems that holds for the rows in
// state, as StateOf decides it.
var stateSQL = map[ProblemState]string{
	StatePending: `issue_number = 0 AND digest_id = 0`,
	StateOpen:    `issue_number > 0 AND issue_closed = 0`,
	StateClosed:  `issue_number > 0 AND issue_closed <> 0`,
	StateFolded:  `issue_number = 0 AND digest_id <> 0`,
}

// ErrBadFilter is returned for a filter the store cannot apply, such as an
// unknown state.
var ErrBadFilter = errors.New("bad filter")

// ProblemFilter selects problems for ListProblems. The zero value selects
// every problem.
type ProblemFilter struct {
	// State keeps the problems in that state; "" keeps all.
	State ProblemState
	// Repos keeps the problems filed in any of these repositories,
	// "OWNER/NAME" compared without regard to case; "" in the list stands
	// for the default repository (problems stored with no repository).
	// Empty keeps all.
	Repos []string
	// Route keeps the problems that took this route; "" keeps all.
	Route string
	// Since keeps the problems seen at or after it; zero keeps all.
	Since time.Time
	// Search keeps the problems whose key or title holds it, without
	// regard to (ASCII) case; "" keeps all.
	Search string
	// Limit is the most problems returned; 0 or less returns all.
	Limit int
}

// where returns f as an SQL condition and its arguments, numbered from $1.
func (f ProblemFilter) where() (string, []any, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.State != "" {
		cond, ok := stateSQL[f.State]
		if !ok {
			return "", nil, fmt.Errorf("%w: unknown state %q", ErrBadFilter, f.State)
		}
		conds = append(conds, cond)
	}
	if len(f.Repos) > 0 {
		var ors []string
		for _, r := range f.Repos {
			ors = append(ors, "lower(repo) = lower("+arg(r)+")")
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if f.Route != "" {
		conds = append(conds, "route = "+arg(f.Route))
	}
	if !f.Since.IsZero() {
		conds = append(conds, "last_seen_ms >= "+arg(f.Since.UnixMilli()))
	}
	if f.Search != "" {
		p := arg("%" + escapeLike(f.Search) + "%")
		conds = append(conds, "(lower(key) LIKE lower("+p+`) ESCAPE '\' OR lower(title) LIKE lower(`+p+`) ESCAPE '\')`)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListProblems returns the problems f selects, the most recently seen
// first.
func (s *Store) ListProblems(ctx context.Context, f ProblemFilter) ([]alert.Problem, error) {
	where, args, err := f.where()
	if err != nil {
		return nil, fmt.Errorf("list problems: %w", err)
	}
	query := `SELECT ` + problemColumns + ` FROM booty_problems` + where + ` ORDER BY last_seen_ms DESC, key`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		query += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rs, err := s.db.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list problems: %w", err)
	}
	defer rs.Close()
	var out []alert.Problem
	for rs.Next() {
		p, err := scanProblem(rs)
		if err != nil {
			return nil, fmt.Errorf("list problems: %w", err)
		}
		out = append(out, p)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("list problems: %w", err)
	}
	return out, nil
}

// ProblemByIssue returns the problem whose issue is number in repo
// ("OWNER/NAME" without regard to case; "" is the default repository), the
// most recently seen one should two share it. ErrNotFound when none does.
func (s *Store) ProblemByIssue(ctx context.Context, repo string, number int) (alert.Problem, error) {
	return problemByIssue(ctx, s.db, repo, number)
}

// ProblemByIssue is Store.ProblemByIssue inside tx.
func (tx *Tx) ProblemByIssue(ctx context.Context, repo string, number int) (alert.Problem, error) {
	return problemByIssue(ctx, tx, repo, number)
}

func problemByIssue(ctx context.Context, q conn, repo string, number int) (alert.Problem, error) {
	if number <= 0 {
		return alert.Problem{}, ErrNotFound
	}
	p, err := scanProblem(q.queryRow(ctx, `SELECT `+problemColumns+` FROM booty_problems
		WHERE issue_number = $1 AND lower(repo) = lower($2) ORDER BY last_seen_ms DESC, key LIMIT 1`, number, repo))
	if errors.Is(err, sql.ErrNoRows) {
		return alert.Problem{}, ErrNotFound
	}
	if err != nil {
		return alert.Problem{}, fmt.Errorf("problem of issue %s#%d: %w", repo, number, err)
	}
	return p, nil
}

// scanProblem reads one row of problemColumns.
func scanProblem(r row) (alert.Problem, error) {
	var (
		p                                alert.Problem
		first, last, closedAt, lastWrite int64
		closed                           int
	)
	if err := r.Scan(&p.Key, &first, &last, &p.Count, &p.LastEventID, &p.IssueNumber, &closed, &closedAt, &lastWrite, &p.Route, &p.Repo,
		&p.Title, &p.Level, &p.Project, &p.Environment, &p.Release, &p.Link, &p.DigestID, &p.IssueCloseReason); err != nil {
		return alert.Problem{}, err
	}
	p.FirstSeen = fromMillis(first)
	p.LastSeen = fromMillis(last)
	p.IssueClosedAt = fromMillis(closedAt)
	p.LastWriteAt = fromMillis(lastWrite)
	p.IssueClosed = closed != 0
	return p, nil
}

// Where a DeliveryRecord came from.
const (
	SourceSentry = "sentry"
	SourceGitHub = "github"
)

// DeliveryRecord is one recorded webhook, Sentry's or GitHub's, as the
// audit trail shows it.
type DeliveryRecord struct {
	ReceivedAt time.Time
	// Source is SourceSentry or SourceGitHub.
	Source string
	// ID is Sentry's Request-ID or GitHub's X-GitHub-Delivery.
	ID string
	// Resource is Sentry's Sentry-Hook-Resource, or GitHub's event name.
	Resource string
	Action   string
	// ProblemKey is the problem the delivery was about ("" when none).
	ProblemKey string
	// EventID is the Sentry event (Sentry only).
	EventID string
	// Outcome is what booty made of it: for Sentry the decision, an action
	// (create, comment, reopen, fold) or the reason it was ignored
	// (alert.Reason); for GitHub the intake.GitHubOutcome.
	Outcome string
	// JobID is the job that carries a Sentry decision out (0: none).
	JobID int64
	// Route is the route a Sentry delivery took ("" when none).
	Route string
	// Issue is the issue number a GitHub delivery named (0: none).
	Issue int
}

// Accepted reports whether the delivery led booty to write to GitHub: a
// Sentry decision that is an action, not a reason to ignore.
func (d DeliveryRecord) Accepted() bool {
	if d.Source != SourceSentry {
		return false
	}
	switch alert.Action(d.Outcome) {
	case alert.ActionCreate, alert.ActionComment, alert.ActionReopen, alert.ActionFold:
		return true
	}
	return d.JobID != 0
}

// deliveriesSQL selects both delivery tables as DeliveryRecord columns,
// each under cond (a condition on the columns both tables have, its
// arguments shared), the newest first. The order column keeps Sentry's
// deliveries of one millisecond in the order booty recorded them.
func deliveriesSQL(cond string) string {
	return `SELECT received_at_ms, source, id, resource, action, problem_key, event_id, outcome, job_id, route, issue_number
		FROM (
			SELECT received_at_ms, 'sentry' AS source, id AS seq, request_id AS id, resource, action, problem_key,
				event_id, decision AS outcome, coalesce(job_id, 0) AS job_id, route, 0 AS issue_number
			FROM booty_deliveries WHERE ` + cond + `
			UNION ALL
			SELECT received_at_ms, 'github', 0, delivery_id, event, action, problem_key,
				'', outcome, 0, '', issue_number
			FROM booty_github_deliveries WHERE ` + cond + `
		) AS d ORDER BY received_at_ms DESC, source DESC, seq DESC`
}

// Deliveries returns the deliveries, Sentry's and GitHub's, received at or
// after since: the newest limit of them (all when limit is 0 or less),
// oldest first. Records older than the delivery retention are pruned.
func (s *Store) Deliveries(ctx context.Context, since time.Time, limit int) ([]DeliveryRecord, error) {
	recs, err := s.readDeliveries(ctx, `received_at_ms >= $1`, limit, toMillis(since))
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	return recs, nil
}

// ProblemDeliveries returns the deliveries, Sentry's and GitHub's, about
// the problem with key: the newest limit of them (all when limit is 0 or
// less), oldest first.
func (s *Store) ProblemDeliveries(ctx context.Context, key string, limit int) ([]DeliveryRecord, error) {
	recs, err := s.readDeliveries(ctx, `problem_key = $1`, limit, key)
	if err != nil {
		return nil, fmt.Errorf("read deliveries of %s: %w", key, err)
	}
	return recs, nil
}

func (s *Store) readDeliveries(ctx context.Context, cond string, limit int, arg any) ([]DeliveryRecord, error) {
	query, args := deliveriesSQL(cond), []any{arg}
	if limit > 0 {
		query += ` LIMIT $2`
		args = append(args, limit)
	}
	rs, err := s.db.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []DeliveryRecord
	for rs.Next() {
		var (
			d  DeliveryRecord
			ms int64
		)
		if err := rs.Scan(&ms, &d.Source, &d.ID, &d.Resource, &d.Action, &d.ProblemKey, &d.EventID, &d.Outcome,
			&d.JobID, &d.Route, &d.Issue); err != nil {
			return nil, err
		}
		d.ReceivedAt = fromMillis(ms)
		out = append(out, d)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}
