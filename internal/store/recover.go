package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"booty/internal/alert"
)

// IssueLink ties a problem to the GitHub issue that carries its marker.
type IssueLink struct {
	ProblemKey string
	Number     int
	Closed     bool
	CreatedAt  time.Time
	// Repo is the issue's repository, "OWNER/NAME"; "" is the default
	// repository. Default marks a Repo that is the default repository,
	// so that the problems stored before routes (repo '') match it.
	Repo    string
	Default bool
}

// holds reports whether a problem stored with repo may take the link's
// issue: the issue is in the problem's repository.
func (l IssueLink) holds(repo string) bool {
	return strings.EqualFold(repo, l.Repo) || (repo == "" && (l.Default || l.Repo == ""))
}

// HasProblems reports whether the store knows any problem. An empty store
// on a repository booty already filed into is a lost database: its issues
// must be found again before any alert is decided.
func (s *Store) HasProblems(ctx context.Context) (bool, error) {
	var found bool
	if err := s.db.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM booty_problems)`).Scan(&found); err != nil {
		return false, fmt.Errorf("look for problems: %w", err)
	}
	return found, nil
}

// RestoreIssues records the issue of every linked problem the store does
// not know yet, as if booty had just filed it, and returns how many it
// added. Known problems are left alone, and of two issues for one problem
// the first in links wins: pass them oldest first. It commits through the
// writer, so it is refused like any write once the file is lost.
func (s *Store) RestoreIssues(ctx context.Context, links []IssueLink) (int, error) {
	added := 0
	err := s.Transact(ctx, func(tx *Tx) error {
		added = 0
		for _, l := range links {
			if l.ProblemKey == "" || l.Number <= 0 {
				continue
			}
			prev, err := tx.Problem(ctx, l.ProblemKey)
			if err == nil {
				if prev.IssueNumber > 0 || !l.holds(prev.Repo) {
					// Filed, or the problem's issue is to be in
					// another repository.
					continue
				}
				// Decided while booty was still recovering (serve accepts
				// alerts before its worker starts): link the issue, so the
				// queued create finds it instead of filing a second one.
				if _, err := tx.exec(ctx, `UPDATE booty_problems SET issue_number = $1, issue_closed = $2
					WHERE key = $3 AND issue_number <= 0`, l.Number, boolInt(l.Closed), l.ProblemKey); err != nil {
					return fmt.Errorf("link issue of %s: %w", l.ProblemKey, err)
				}
				added++
				continue
			}
			if !errors.Is(err, ErrNotFound) {
				return err
			}
			// No cooldown and no count: the next alert comments on the
			// open issue, or reopens the closed one, which is what booty
			// would do had it never lost track.
			seen := l.CreatedAt
			if seen.IsZero() {
				seen = time.Now()
			}
			p := alert.Problem{Key: l.ProblemKey, FirstSeen: seen, LastSeen: seen, IssueNumber: l.Number, IssueClosed: l.Closed,
				Repo: l.Repo}
			n, err := insertProblem(ctx, tx, p)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("restore issue of %s: %w", l.ProblemKey, errConcurrent)
			}
			added++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("restore issues: %w", err)
	}
	return added, nil
}
