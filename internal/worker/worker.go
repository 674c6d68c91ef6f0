// Package worker applies booty's decisions to GitHub. Each accepted alert is
// a River job, committed with the decision; the worker files, comments on or
// reopens the problem's issue, and backs off, waits out rate limits or parks
// the job when GitHub fails. It also heals duplicates: a problem filed twice
// keeps its older issue, and the newer is closed as its duplicate.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/route"
)

// Issues is the part of GitHub the worker uses: github.Client, or
// github.DryRun.
type Issues interface {
	CreateAssignedIssue(ctx context.Context, title, body string, labels, assignees []string) (github.Issue, error)
	FindIssues(ctx context.Context, problemKey string, since time.Time) ([]github.Issue, error)
	FindRecentIssues(ctx context.Context, problemKey string, since time.Time) ([]github.Issue, error)
	OwnIssues(ctx context.Context, since time.Time) ([]github.Issue, error)
	Issue(ctx context.Context, number int) (github.Issue, error)
	Comment(ctx context.Context, number int, body string) error
	HasComment(ctx context.Context, number int, marker string, since time.Time) (bool, error)
	Reopen(ctx context.Context, number int) error
	EditIssue(ctx context.Context, number int, title, body string) error
	Close(ctx context.Context, number int, reason string) error
	EditBody(ctx context.Context, number int, body string) error
	AddLabel(ctx context.Context, number int, label string) error
	CloseDuplicate(ctx context.Context, number, of int) error
	EnsureLabel(ctx context.Context, name string) error
}

// Store is the part of booty's store the worker uses: store.Store.
type Store interface {
	Problem(ctx context.Context, key string) (alert.Problem, error)
	SetIssue(ctx context.Context, key string, number int, closed bool, closedAt time.Time) error
}

// Budget is the GitHub write budget the worker spends: store.WriteBudget,
// one budget and one rate limit pause for every replica of booty.
type Budget interface {
	// Take asks to make one write at now. It returns 0 when the write may
	// go ahead, having used its share of the budget, or how long to wait
	// before asking again, having used nothing.
	Take(ctx context.Context, now time.Time) (time.Duration, error)
	// Pause stops every write until until; it never shortens a pause.
	Pause(ctx context.Context, until time.Time) error
}

// Retry schedule: quick first retries for blips, then every maxBackoff, for
// at least a day of GitHub outage before a job gives up.
const (
	firstBackoff = time.Second
	maxBackoff   = 10 * time.Minute
	// MaxAttempts is enough attempts for RetrySpan of backoff.
	MaxAttempts = 160
	// RetrySpan is how long a job keeps trying through failures.
	RetrySpan = 24 * time.Hour
	// shortWait is the longest pacing delay a worker sleeps through; longer
	// ones snooze the job and free the worker.
	shortWait = 2 * time.Second
	// DefaultLateCommitWait is Config.LateCommitWait's default.
	DefaultLateCommitWait = 30 * time.Second
	// AttemptTimeout bounds one attempt of a job. It is short enough for
	// RescueAfter: River may only rescue a job that can no longer be
	// running.
	AttemptTimeout = 45 * time.Second
	// RescueAfter is how long a job may stay running before River's
	// rescuer, on the leader replica, makes it available again: a replica
	// that died mid-job leaves it running. The rescuer looks every 30 s and
	// a dead leader is replaced within 15 s, so another replica takes a
	// dead one's job within RescueAfter + 45 s, under 2 minutes.
	RescueAfter = 60 * time.Second
	// healWindow is how far back duplicates are looked for.
	healWindow = 24 * time.Hour
)

// Backoff returns the delay after the attempt-th failed attempt (1-based).
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 20 {
		return maxBackoff
	}
	return min(firstBackoff<<(attempt-1), maxBackoff)
}

// Failures is told of jobs that stop for good, for booty's own error
// reporting. It is called once per parked job.
type Failures interface {
	JobFailed(ctx context.Context, f JobFailure)
}

// JobFailure describes a job that stopped for good.
type JobFailure struct {
	Kind       string
	JobID      int64
	ProblemKey string
	Attempt    int
	Err        error
	// Repo, Issue and BuildAttempt name the issue, and the build attempt,
	// of a build or verify job; zero for other jobs.
	Repo         string
	Issue        int
	BuildAttempt int
}

// IssuesFor returns the Issues of the repository "OWNER/NAME".
type IssuesFor func(ctx context.Context, repo string) (Issues, error)

// Config is what a Worker needs.
type Config struct {
	// Issues is the default repository's: where jobs without a repository
	// (every job before routes) write.
	Issues Issues
	// DefaultRepo names the default repository, "OWNER/NAME"; a job for
	// it writes to Issues.
	DefaultRepo string
	// IssuesFor gives the Issues of a job's other repository. Nil writes
	// every job to Issues (a dry run, or a single repository).
	IssuesFor IssuesFor
	// Repos are the repositories the duplicate sweep covers besides the
	// default one: every repository of the routes.
	Repos []string
	Store Store
	// Digests is where storm digests are kept; nil takes Store when it
	// keeps them (store.Store does).
	Digests Digests
	// DigestEvery is the least time between two edits of a digest, and
	// StormQuiet how long a storm lasts after its last fold
	// (route.Table's); zero means route.DefaultDigestEvery and
	// route.DefaultStormQuiet.
	DigestEvery time.Duration
	StormQuiet  time.Duration
	// Sentry is where the lifecycle's syncs go; nil turns them off.
	Sentry Sentry
	// Policy is the lifecycle's, for the tick that settles a flapping
	// issue.
	Policy alert.Policy
	// Builder runs command-mode builds; nil when BOOTY_BUILDER=label.
	Builder *Builder
	// Runs records builds and verifications; nil takes Store when it
	// keeps them (store.Store does). RunMetrics counts them; may be nil.
	Runs       Runs
	RunMetrics RunMetrics
	// Budget paces the writes to GitHub.
	Budget Budget
	// Label is the trigger label of a job that names no labels.
	Label    string
	Log      *slog.Logger
	Failures Failures // may be nil
	Now      func() time.Time
	// LateCommitWait is how long after a create whose outcome is unknown
	// the worker waits before it files again, so that a create GitHub
	// commits late is found by its marker instead of being filed twice.
	// Zero means DefaultLateCommitWait.
	LateCommitWait time.Duration
	// Hold, when set, says how long jobs must wait before touching GitHub
	// (0: not at all). serve holds them while an empty store rebuilds its
	// problem → issue map, so that no create runs before booty knows the
	// issues it already filed.
	Hold func() time.Duration
	// Render writes issue text; nil renders for github.com. Give it the
	// host booty files into, so that issue URLs on a GitHub Enterprise
	// host in alert text cannot cross-reference.
	Render *github.Renderer
}

// Worker carries out IssueArgs jobs.
type Worker struct {
	river.WorkerDefaults[IssueArgs]
	cfg Config

	// refreshDigest makes a digest show a change at its next edit; NewClient
	// sets it.
	refreshDigest func(ctx context.Context, id int64) error
	// finishDigest completes a digest job unless the digest changed since
	// it was shown; NewClient sets it.
	finishDigest func(ctx context.Context, job *river.Job[DigestArgs]) (stale bool, err error)
	// tick takes the lifecycle's clock step of a problem; NewClient sets
	// it.
	tick func(ctx context.Context, key string) (time.Duration, error)
	// rebuild queues a later build attempt; NewClient sets it.
	rebuild func(ctx context.Context, a BuildArgs) error

	labelMu sync.Mutex
	// labelOK holds the repository and label pairs known to exist.
	labelOK map[[2]string]bool
}

// New returns a Worker.
func New(cfg Config) *Worker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LateCommitWait <= 0 {
		cfg.LateCommitWait = DefaultLateCommitWait
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Render == nil {
		cfg.Render = github.NewRenderer(github.RenderOptions{})
	}
	if d, ok := cfg.Store.(Digests); ok && cfg.Digests == nil {
		cfg.Digests = d
	}
	if r, ok := cfg.Store.(Runs); ok && cfg.Runs == nil {
		cfg.Runs = r
	}
	if cfg.DigestEvery <= 0 {
		cfg.DigestEvery = route.DefaultDigestEvery
	}
	if cfg.StormQuiet <= 0 {
		cfg.StormQuiet = route.DefaultStormQuiet
	}
	return &Worker{cfg: cfg, labelOK: make(map[[2]string]bool)}
}

// isDefault reports whether repo ("OWNER/NAME", or "") is the default
// repository.
func (w *Worker) isDefault(repo string) bool {
	return repo == "" || strings.EqualFold(repo, w.cfg.DefaultRepo)
}

// issuesOf returns the Issues of repo ("" for the default repository).
func (w *Worker) issuesOf(ctx context.Context, repo string) (Issues, error) {
	if w.isDefault(repo) || w.cfg.IssuesFor == nil {
		return w.cfg.Issues, nil
	}
	is, err := w.cfg.IssuesFor(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("github client for %s: %w", repo, err)
	}
	return is, nil
}

// NextRetry backs off exponentially from a second to ten minutes.
func (w *Worker) NextRetry(job *river.Job[IssueArgs]) time.Time {
	return w.cfg.Now().Add(Backoff(job.Attempt))
}

// Timeout bounds one attempt: lookups, writes and the store update.
func (w *Worker) Timeout(*river.Job[IssueArgs]) time.Duration { return AttemptTimeout }

// Work applies the job's decision to GitHub.
func (w *Worker) Work(ctx context.Context, job *river.Job[IssueArgs]) error {
	log := w.cfg.Log.With("job_id", job.ID, "problem_key", job.Args.ProblemKey, "action", job.Args.Action, "attempt", job.Attempt)
	if job.Args.Repo != "" {
		log = log.With("repo", job.Args.Repo)
	}
	return w.verdict(ctx, log, job.JobRow, job.Args.ProblemKey, w.work(ctx, log, job))
}

func (w *Worker) work(ctx context.Context, log *slog.Logger, job *river.Job[IssueArgs]) error {
	if w.cfg.Hold != nil {
		if wait := w.cfg.Hold(); wait > 0 {
			return &errSnooze{wait: wait, why: "held until booty knows the issues it filed"}
		}
	}
	a, err := job.Args.Alert()
	if err != nil {
		return &errBadJob{err}
	}
	p, err := w.cfg.Store.Problem(ctx, job.Args.ProblemKey)
	if err != nil {
		return err
	}
	// The job's repository is the problem's, recorded with the decision.
	gh, err := w.issuesOf(ctx, job.Args.Repo)
	if err != nil {
		return err
	}
	switch job.Args.Action {
	case alert.ActionCreate:
		return w.create(ctx, log, gh, job, a, p)
	case alert.ActionComment, alert.ActionReopen:
		return w.update(ctx, log, gh, job, a, p)
	case alert.ActionUpdate:
		return w.updateBody(ctx, log, gh, job, a, p)
	}
	return &errBadJob{fmt.Errorf("unknown action %q", job.Args.Action)}
}

// filed reports whether number names an issue this worker's GitHub knows:
// a dry run's negative numbers mean nothing to GitHub, so once the dry run
// is over such a problem is filed for real.
func (w *Worker) filed(number int) bool {
	if _, dry := w.cfg.Issues.(*github.DryRun); dry {
		return number != 0
	}
	return number > 0
}

func (w *Worker) create(ctx context.Context, log *slog.Logger, gh Issues, job *river.Job[IssueArgs], a *alert.Alert, p alert.Problem) error {
	if w.filed(p.IssueNumber) {
		log.Info("issue already filed", "issue", p.IssueNumber)
		return nil
	}
	labels := job.Args.Labels
	if len(labels) == 0 {
		labels = []string{w.cfg.Label}
	}
	if err := w.ensureLabel(ctx, gh, job.Args.Repo, labels[0]); err != nil {
		return err
	}
	key := job.Args.ProblemKey
	since := job.CreatedAt.Add(-time.Minute)
	if job.Attempt > 1 {
		// An earlier attempt may have created the issue and lost the
		// answer, or GitHub may still commit it: look for its marker
		// before creating again.
		found, err := gh.FindIssues(ctx, key, since)
		if err != nil {
			return err
		}
		if len(found) > 0 {
			is := found[0]
			log.Info("found the issue of an earlier attempt", "issue", is.Number, "url", is.URL)
			if err := w.cfg.Store.SetIssue(ctx, key, is.Number, is.Closed, is.ClosedAt); err != nil {
				return err
			}
			w.heal(ctx, log, gh, key, is.Number, since)
			if is.Closed {
				return nil
			}
			return w.buildOnCreate(ctx, log, p, labels, is.Number)
		}
		if wait := w.lateCommitWait(job.JobRow); wait > 0 {
			return &errSnooze{wait: wait, why: "waiting for a create GitHub may still commit"}
		}
	}
	if err := w.pace(ctx); err != nil {
		return err
	}
	title, body := w.cfg.Render.Title(a), w.cfg.Render.IssueBody(a, p)
	if digest := w.promotedFrom(ctx, p); digest > 0 {
		body = github.PromotedNote(digest) + body
	}
	if old := job.Args.RegressionOf; old > 0 {
		body = github.RegressionNote(old, a.Release) + body
	}
	is, err := gh.CreateAssignedIssue(ctx, title, body, labels, job.Args.Assignees)
	if errors.Is(err, github.ErrAssigneesRefused) {
		// An assignee who left, or a typo in the routes file, must not
		// keep the problem from being filed: file it unassigned. GitHub
		// created nothing, so this is no second create.
		log.Warn("GitHub refused the route's assignees; filing the issue unassigned", "assignees", job.Args.Assignees, "err", err)
		if err := w.pace(ctx); err != nil {
			return err
		}
		is, err = gh.CreateAssignedIssue(ctx, title, body, labels, nil)
	}
	if err != nil {
		return err
	}
	if is.URL != "" {
		log.Info("issue created", "issue", is.Number, "url", is.URL)
	} else {
		log.Info("issue recorded", "issue", is.Number)
	}
	if err := w.cfg.Store.SetIssue(ctx, key, is.Number, false, time.Time{}); err != nil {
		return err
	}
	if err := w.buildOnCreate(ctx, log, p, labels, is.Number); err != nil {
		return err
	}
	if p.DigestID != 0 && w.refreshDigest != nil {
		// The digest's line for the problem links its new issue. The
		// issue exists whatever happens here: a digest that misses the
		// link still lists the problem.
		if err := w.refreshDigest(ctx, p.DigestID); err != nil {
			log.Warn("cannot update the storm digest with the promoted issue", "digest", p.DigestID, "err", err)
		}
	}
	w.heal(ctx, log, gh, key, is.Number, since)
	return nil
}

// promotedFrom returns the issue of the storm digest p was folded into, or
// 0 when it was never folded (or its digest has no issue yet).
func (w *Worker) promotedFrom(ctx context.Context, p alert.Problem) int {
	if p.DigestID == 0 || w.cfg.Digests == nil {
		return 0
	}
	d, err := w.cfg.Digests.Digest(ctx, p.DigestID)
	if err != nil {
		w.cfg.Log.Warn("cannot read the storm digest of a promoted problem; filing without its link", "digest", p.DigestID, "err", err)
		return 0
	}
	return d.IssueNumber
}

// lateCommitWait returns how much longer a create must wait before it is
// sent again: until LateCommitWait after the last failed attempt, when
// that attempt's outcome was unknown (River keeps only the text of a
// job's errors, so the sentinel's text is what says so). It waits once per
// failure: a rerun after the wait finds it over. A refusal or a failed
// lookup made nothing that could land late.
func (w *Worker) lateCommitWait(job *rivertype.JobRow) time.Duration {
	if len(job.Errors) == 0 {
		return 0
	}
	last := job.Errors[len(job.Errors)-1]
	if !strings.Contains(last.Error, github.ErrOutcomeUnknown.Error()) {
		return 0
	}
	return last.At.Add(w.cfg.LateCommitWait).Sub(w.cfg.Now())
}

func (w *Worker) update(ctx context.Context, log *slog.Logger, gh Issues, job *river.Job[IssueArgs], a *alert.Alert, p alert.Problem) error {
	n := p.IssueNumber
	if !w.filed(n) {
		if n != 0 {
			// A dry run's issue: file the problem for real.
			log.Info("problem has only a dry-run issue; filing it", "dry_run_issue", n)
			return w.refile(ctx, log, gh, job, a, p)
		}
		// Decisions to comment are only made for filed issues; a job
		// replayed after its problem was reset has nothing to do.
		log.Warn("problem has no issue; nothing to update")
		return nil
	}
	is, err := gh.Issue(ctx, n)
	if errors.Is(err, github.ErrIssueGone) {
		// Someone deleted the issue. The problem is still happening, so
		// it gets a new one.
		log.Warn("issue was deleted; filing a new one", "issue", n)
		return w.refile(ctx, log, gh, job, a, p)
	}
	if err != nil {
		return err
	}
	marker := "<!-- booty:job=" + strconv.FormatInt(job.ID, 10) + " -->"
	if job.Attempt > 1 {
		done, err := gh.HasComment(ctx, n, marker, job.CreatedAt.Add(-time.Minute))
		if err != nil {
			return err
		}
		if done {
			log.Info("comment of an earlier attempt found", "issue", n)
			return w.cfg.Store.SetIssue(ctx, job.Args.ProblemKey, n, is.Closed, is.ClosedAt)
		}
	}
	if is.Closed && !is.ClosedAt.IsZero() && !a.Timestamp.After(is.ClosedAt) {
		// The event happened before the issue was closed: the fix may
		// well postdate it, so it is no regression. It was counted; the
		// close is recorded so the next decision knows of it.
		log.Info("event predates the close; not reopening", "issue", n, "closed_at", is.ClosedAt, "event_at", a.Timestamp)
		return w.cfg.Store.SetIssue(ctx, job.Args.ProblemKey, n, true, is.ClosedAt)
	}
	// A reopen stays a regression when a retry finds the issue open
	// because an earlier attempt reopened it before its comment failed.
	regression := is.Closed || job.Args.Action == alert.ActionReopen
	if is.Closed {
		if err := w.pace(ctx); err != nil {
			return err
		}
		if err := gh.Reopen(ctx, n); err != nil {
			return err
		}
		log.Info("issue reopened", "issue", n, "url", is.URL)
	}
	if err := w.pace(ctx); err != nil {
		return err
	}
	body := w.cfg.Render.CommentBody(a, p, regression) + "\n" + marker
	if err := gh.Comment(ctx, n, body); err != nil {
		return err
	}
	log.Info("issue commented", "issue", n, "count", p.Count, "url", is.URL)
	if err := w.cfg.Store.SetIssue(ctx, job.Args.ProblemKey, n, false, time.Time{}); err != nil {
		return err
	}
	w.heal(ctx, log, gh, job.Args.ProblemKey, n, w.cfg.Now().Add(-healWindow))
	return nil
}

// updateBody rewrites the Occurrences section of the problem's open issue
// (a quiet repeat). An issue closed meanwhile, or whose body lost the
// section, gets what a repeat got before: the comment (or the reopen).
func (w *Worker) updateBody(ctx context.Context, log *slog.Logger, gh Issues, job *river.Job[IssueArgs], a *alert.Alert, p alert.Problem) error {
	n := p.IssueNumber
	if !w.filed(n) {
		return w.update(ctx, log, gh, job, a, p)
	}
	is, err := gh.Issue(ctx, n)
	if err != nil {
		// Gone, or GitHub failing: update knows what to do with both.
		return w.update(ctx, log, gh, job, a, p)
	}
	body, ok := w.cfg.Render.UpdateOccurrences(is.Body, a, p)
	if is.Closed || !ok {
		log.Info("cannot rewrite the issue's occurrences; commenting", "issue", n, "closed", is.Closed)
		return w.update(ctx, log, gh, job, a, p)
	}
	if err := w.pace(ctx); err != nil {
		return err
	}
	if err := gh.EditBody(ctx, n, body); err != nil {
		return err
	}
	log.Info("issue occurrences updated", "issue", n, "count", p.Count, "url", is.URL)
	return nil
}

// refile forgets the problem's issue and files a new one.
func (w *Worker) refile(ctx context.Context, log *slog.Logger, gh Issues, job *river.Job[IssueArgs], a *alert.Alert, p alert.Problem) error {
	if err := w.cfg.Store.SetIssue(ctx, job.Args.ProblemKey, 0, false, time.Time{}); err != nil {
		return err
	}
	p.IssueNumber, p.IssueClosed = 0, false
	return w.create(ctx, log, gh, job, a, p)
}

// ensureLabel makes sure the trigger label exists in repo, once per
// repository and label.
func (w *Worker) ensureLabel(ctx context.Context, gh Issues, repo, label string) error {
	if w.isDefault(repo) {
		repo = ""
	}
	k := [2]string{strings.ToLower(repo), strings.ToLower(label)}
	w.labelMu.Lock()
	defer w.labelMu.Unlock()
	if w.labelOK[k] {
		return nil
	}
	if err := gh.EnsureLabel(ctx, label); err != nil {
		// GitHub creates a label it does not know when an issue carries
		// it, so a refusal here (a token that may not manage labels) must
		// not hold up the issue. Outages and rate limits still wait.
		if !w.refused(err) {
			return err
		}
		w.cfg.Log.Warn("cannot check or create the trigger label; filing issues with it anyway", "label", label, "repo", repo, "err", err)
	}
	w.labelOK[k] = true
	return nil
}

// pace waits for the write budget: a short wait in place, a long one by
// snoozing the job so the worker is free. A budget the store cannot answer
// for fails the attempt like any transient failure: the job retries.
func (w *Worker) pace(ctx context.Context) error {
	at := w.cfg.Now()
	for {
		wait, err := w.cfg.Budget.Take(ctx, at)
		if err != nil {
			return err
		}
		if wait == 0 {
			return nil
		}
		if wait > shortWait {
			return &errSnooze{wait: wait, why: "paced"}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		// The clock may be a test's, which does not move while the
		// worker sleeps: ask again for the moment the wait ended.
		at = later(w.cfg.Now(), at.Add(wait))
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
