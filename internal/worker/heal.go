package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"booty/internal/github"
	"booty/internal/store"
)

// heal makes sure problem key has one open issue by booty: when GitHub
// holds a second one with its marker (a create GitHub committed after
// booty had given up on it), the newer is closed as a duplicate of the
// older, and the older is the one the store keeps. current is the issue
// the store names. It runs after every write to a problem's issue; a
// failure only logs, since the periodic sweep tries again.
func (w *Worker) heal(ctx context.Context, log *slog.Logger, gh Issues, key string, current int, since time.Time) {
	found, err := gh.FindRecentIssues(ctx, key, since)
	if err != nil {
		log.Warn("could not look for duplicate issues; the sweep will", "err", err)
		return
	}
	if err := w.healFound(ctx, log, gh, key, current, found); err != nil {
		log.Warn("could not close a duplicate issue; the sweep will", "err", err)
	}
}

// healFound closes the newer of found (one problem's issues, oldest first)
// as duplicates of the oldest, and points the store at the oldest when it
// named another (current; 0 when unknown).
func (w *Worker) healFound(ctx context.Context, log *slog.Logger, gh Issues, key string, current int, found []github.Issue) error {
	if len(found) < 2 {
		return nil
	}
	keep := found[0]
	for _, dup := range found[1:] {
		if dup.Closed {
			continue
		}
		if err := w.pace(ctx); err != nil {
			return err
		}
		if err := gh.CloseDuplicate(ctx, dup.Number, keep.Number); err != nil {
			return fmt.Errorf("close duplicate issue %d of %s: %w", dup.Number, key, err)
		}
		log.Warn("closed a duplicate issue", "problem_key", key, "issue", dup.Number, "url", dup.URL, "kept", keep.Number, "kept_url", keep.URL)
	}
	if current != 0 && current != keep.Number {
		if err := w.cfg.Store.SetIssue(ctx, key, keep.Number, keep.Closed, keep.ClosedAt); err != nil {
			return err
		}
		log.Info("problem now points at its older issue", "problem_key", key, "issue", keep.Number, "was", current)
	}
	return nil
}

// Sweep looks at the issues booty's identity created in the last day, in
// the default repository and every other of Config.Repos, and heals every
// problem that has more than one in a repository (see heal). It is what
// the periodic SweepArgs job runs, so that a duplicate is closed even when
// its problem never alerts again.
func (w *Worker) Sweep(ctx context.Context) error {
	var errs []error
	if err := w.sweep(ctx, w.cfg.Issues, ""); err != nil {
		errs = append(errs, err)
	}
	seen := map[string]bool{}
	for _, repo := range w.cfg.Repos {
		k := strings.ToLower(repo)
		if w.isDefault(repo) || seen[k] || w.cfg.IssuesFor == nil {
			continue
		}
		seen[k] = true
		gh, err := w.issuesOf(ctx, repo)
		if err == nil {
			err = w.sweep(ctx, gh, repo)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", repo, err))
		}
	}
	return errors.Join(errs...)
}

// sweep heals the duplicates among the issues of one repository, repo (""
// for the default one).
func (w *Worker) sweep(ctx context.Context, gh Issues, repo string) error {
	own, err := gh.OwnIssues(ctx, w.cfg.Now().Add(-healWindow))
	if err != nil {
		return fmt.Errorf("sweep for duplicate issues: %w", err)
	}
	byKey := make(map[string][]github.Issue)
	var keys []string
	for _, is := range own {
		if _, ok := byKey[is.ProblemKey]; !ok {
			keys = append(keys, is.ProblemKey)
		}
		byKey[is.ProblemKey] = append(byKey[is.ProblemKey], is)
	}
	log := w.cfg.Log.With("job", "sweep")
	if repo != "" {
		log = log.With("repo", repo)
	}
	var errs []error
	for _, key := range keys {
		found := byKey[key]
		if len(found) < 2 {
			continue
		}
		current := 0
		p, err := w.cfg.Store.Problem(ctx, key)
		switch {
		case err == nil && w.sameRepo(p.Repo, repo):
			current = p.IssueNumber
		case err == nil:
			// The store's issue of this problem is in another
			// repository: close the duplicates here, and leave the
			// store alone.
		case !errors.Is(err, store.ErrNotFound):
			errs = append(errs, err)
			continue
		}
		if err := w.healFound(ctx, log, gh, key, current, found); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sameRepo reports whether two repositories ("" for the default) are one.
func (w *Worker) sameRepo(a, b string) bool {
	if w.isDefault(a) || w.isDefault(b) {
		return w.isDefault(a) && w.isDefault(b)
	}
	return strings.EqualFold(a, b)
}

// SweepArgs is the periodic job that runs Worker.Sweep.
type SweepArgs struct{}

// Kind names the job in River's tables.
func (SweepArgs) Kind() string { return "github_sweep" }

// SweepEvery is how often the sweep runs.
const SweepEvery = 10 * time.Minute

// sweeper runs SweepArgs jobs with a Worker.
type sweeper struct {
	river.WorkerDefaults[SweepArgs]
	w *Worker
}

// Work sweeps. A failed sweep is logged, not retried or parked: the next
// one is minutes away, and a parked sweep would ask an operator for
// nothing.
func (s *sweeper) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	if err := s.w.Sweep(ctx); err != nil {
		s.w.cfg.Log.Warn("sweep for duplicate issues failed; the next sweep tries again", "err", err)
	}
	return nil
}
