package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"booty/internal/storm"
)

// globalScope is the row of the budget of new issues across all routes.
const globalScope = "*"

func routeScope(route string) string { return "route:" + route }

// IssueBudgets returns the allowances of route's budget of new issues and
// of the global one, locked until the transaction ends, so that replicas
// deciding new problems at once take turns. Save them back with
// SaveIssueBudgets.
func (tx *Tx) IssueBudgets(ctx context.Context, route string) (storm.Budgets, error) {
	// The rows are made first, so that there is a row to lock: two
	// transactions that both found none would each count from zero.
	scopes := []string{globalScope, routeScope(route)}
	for _, s := range scopes {
		if _, err := tx.exec(ctx, `INSERT INTO booty_issue_budgets (scope, tat_ns) VALUES ($1, 0) ON CONFLICT (scope) DO NOTHING`, s); err != nil {
			return storm.Budgets{}, fmt.Errorf("read issue budgets: %w", err)
		}
	}
	var b storm.Budgets
	for _, s := range scopes {
		var tat int64
		if err := tx.queryRow(ctx, `SELECT tat_ns FROM booty_issue_budgets WHERE scope = $1`+tx.forUpdate(), s).Scan(&tat); err != nil {
			return storm.Budgets{}, fmt.Errorf("read issue budgets: %w", err)
		}
		if s == globalScope {
			b.Global.TAT = fromNanos(tat)
		} else {
			b.Route.TAT = fromNanos(tat)
		}
	}
	return b, nil
}

// SaveIssueBudgets stores the allowances read with IssueBudgets.
func (tx *Tx) SaveIssueBudgets(ctx context.Context, route string, b storm.Budgets) error {
	for _, r := range []struct {
		scope string
		tat   time.Time
	}{{globalScope, b.Global.TAT}, {routeScope(route), b.Route.TAT}} {
		if _, err := tx.exec(ctx, `UPDATE booty_issue_budgets SET tat_ns = $1 WHERE scope = $2`, toNanos(r.tat), r.scope); err != nil {
			return fmt.Errorf("save issue budgets: %w", err)
		}
	}
	return nil
}

// RouteAllowances returns the allowance of every route that has used its
// budget of new issues, by route name, and the global one.
func (s *Store) RouteAllowances(ctx context.Context) (routes map[string]storm.Allowance, global storm.Allowance, err error) {
	rs, err := s.db.query(ctx, `SELECT scope, tat_ns FROM booty_issue_budgets`)
	if err != nil {
		return nil, global, fmt.Errorf("read issue budgets: %w", err)
	}
	defer rs.Close()
	routes = map[string]storm.Allowance{}
	for rs.Next() {
		var scope string
		var tat int64
		if err := rs.Scan(&scope, &tat); err != nil {
			return nil, global, fmt.Errorf("read issue budgets: %w", err)
		}
		if scope == globalScope {
			global.TAT = fromNanos(tat)
		} else if name, ok := strings.CutPrefix(scope, "route:"); ok {
			routes[name] = storm.Allowance{TAT: fromNanos(tat)}
		}
	}
	if err := rs.Err(); err != nil {
		return nil, global, fmt.Errorf("read issue budgets: %w", err)
	}
	return routes, global, nil
}

const digestColumns = `id, route, repo, issue_number, opened_ms, last_fold_ms, version, shown_version, shown_ms`

func scanDigest(r row) (storm.Digest, error) {
	var (
		d                         storm.Digest
		opened, lastFold, shownAt int64
	)
	err := r.Scan(&d.ID, &d.Route, &d.Repo, &d.IssueNumber, &opened, &lastFold, &d.Version, &d.ShownVersion, &shownAt)
	if errors.Is(err, sql.ErrNoRows) {
		return storm.Digest{}, ErrNotFound
	}
	if err != nil {
		return storm.Digest{}, fmt.Errorf("read digest: %w", err)
	}
	d.OpenedAt, d.LastFoldAt, d.ShownAt = fromMillis(opened), fromMillis(lastFold), fromMillis(shownAt)
	return d, nil
}

// Fold lists a problem in route's current digest at now, and returns that
// digest. A digest whose storm has been quiet for quiet is done: the fold
// opens a new one, in repo. The digest's row stays locked until the
// transaction ends; two replicas opening a route's first digest at once
// meet on its unique index, and Transact decides the loser again.
func (tx *Tx) Fold(ctx context.Context, route, repo string, now time.Time, quiet time.Duration) (storm.Digest, error) {
	d, err := scanDigest(tx.queryRow(ctx, `SELECT `+digestColumns+` FROM booty_digests
		WHERE route = $1 AND is_current = 1`+tx.forUpdate(), route))
	switch {
	case err == nil && !storm.Quiet(d.LastFoldAt, now, quiet):
		if _, err := tx.exec(ctx, `UPDATE booty_digests SET last_fold_ms = $1, version = version + 1 WHERE id = $2`,
			toMillis(now), d.ID); err != nil {
			return storm.Digest{}, fmt.Errorf("fold into digest: %w", err)
		}
		d.LastFoldAt, d.Version = now, d.Version+1
		return d, nil
	case err == nil:
		if _, err := tx.exec(ctx, `UPDATE booty_digests SET is_current = 0 WHERE id = $1`, d.ID); err != nil {
			return storm.Digest{}, fmt.Errorf("end digest: %w", err)
		}
	case !errors.Is(err, ErrNotFound):
		return storm.Digest{}, err
	}
	d = storm.Digest{Route: route, Repo: repo, OpenedAt: now, LastFoldAt: now, Version: 1}
	err = tx.queryRow(ctx, `INSERT INTO booty_digests (route, repo, opened_ms, last_fold_ms, version)
		VALUES ($1, $2, $3, $3, 1) RETURNING id`, route, repo, toMillis(now)).Scan(&d.ID)
	if err != nil {
		return storm.Digest{}, fmt.Errorf("open digest: %w", err)
	}
	return d, nil
}

// Digest returns the digest with id, locked until the transaction ends.
func (tx *Tx) Digest(ctx context.Context, id int64) (storm.Digest, error) {
	return scanDigest(tx.queryRow(ctx, `SELECT `+digestColumns+` FROM booty_digests WHERE id = $1`+tx.forUpdate(), id))
}

// TouchDigest marks what digest id lists as changed (a folded problem's
// count, a promoted problem's issue), so that its next edit shows it.
func (tx *Tx) TouchDigest(ctx context.Context, id int64) error {
	if _, err := tx.exec(ctx, `UPDATE booty_digests SET version = version + 1 WHERE id = $1`, id); err != nil {
		return fmt.Errorf("touch digest: %w", err)
	}
	return nil
}

// Digest returns the digest with id.
func (s *Store) Digest(ctx context.Context, id int64) (storm.Digest, error) {
	return scanDigest(s.db.queryRow(ctx, `SELECT `+digestColumns+` FROM booty_digests WHERE id = $1`, id))
}

// DigestEntries returns every problem folded into digest id, in the order
// the digest lists them (storm.Sort).
func (s *Store) DigestEntries(ctx context.Context, id int64) ([]storm.Entry, error) {
	rs, err := s.db.query(ctx, `SELECT key, title, level, event_count, first_seen_ms, link, project, environment, release, issue_number
		FROM booty_problems WHERE digest_id = $1 ORDER BY event_count DESC, first_seen_ms, key`, id)
	if err != nil {
		return nil, fmt.Errorf("read digest %d: %w", id, err)
	}
	defer rs.Close()
	var es []storm.Entry
	for rs.Next() {
		var e storm.Entry
		var first int64
		if err := rs.Scan(&e.Key, &e.Title, &e.Level, &e.Count, &first, &e.Link, &e.Project, &e.Environment, &e.Release, &e.Issue); err != nil {
			return nil, fmt.Errorf("read digest %d: %w", id, err)
		}
		e.FirstSeen = fromMillis(first)
		es = append(es, e)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read digest %d: %w", id, err)
	}
	return es, nil
}

// SetDigestIssue records the GitHub issue of digest id.
func (s *Store) SetDigestIssue(ctx context.Context, id int64, number int) error {
	n, err := s.db.exec(ctx, `UPDATE booty_digests SET issue_number = $1 WHERE id = $2`, number, id)
	if err != nil {
		return fmt.Errorf("set issue of digest %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("set issue of digest %d: %w", id, ErrNotFound)
	}
	return nil
}

// DigestShown records that GitHub shows version of digest id since at. A
// version older than the one recorded changes nothing.
func (s *Store) DigestShown(ctx context.Context, id, version int64, at time.Time) error {
	_, err := s.db.exec(ctx, `UPDATE booty_digests SET shown_version = $1, shown_ms = $2 WHERE id = $3 AND shown_version <= $1`,
		version, toMillis(at), id)
	if err != nil {
		return fmt.Errorf("record digest %d shown: %w", id, err)
	}
	return nil
}

// Storms returns the current digests whose storm is not over at now (a
// fold within quiet), oldest first: the routes in a storm.
func (s *Store) Storms(ctx context.Context, now time.Time, quiet time.Duration) ([]storm.Digest, error) {
	rs, err := s.db.query(ctx, `SELECT `+digestColumns+` FROM booty_digests
		WHERE is_current = 1 AND last_fold_ms > $1 ORDER BY opened_ms, id`, toMillis(now.Add(-quiet)))
	if err != nil {
		return nil, fmt.Errorf("read storms: %w", err)
	}
	defer rs.Close()
	var ds []storm.Digest
	for rs.Next() {
		d, err := scanDigest(rs)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read storms: %w", err)
	}
	return ds, nil
}
