// Package worker applies booty's decisions to GitHub. Each accepted alert is
// a River job, committed with the decision; the worker files, comments on or
// reopens the problem's issue, and backs off, waits out rate limits or parks
// the job when GitHub fails.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/store"
)

// IssueArgs is the job that makes GitHub match a decision.
type IssueArgs struct {
	// ProblemKey and Action make a create unique while it waits or runs
	// (see createOpts).
	ProblemKey string       `json:"problem_key" river:"unique"`
	Action     alert.Action `json:"action" river:"unique"`
	// Alert is the alert that led to the decision: the issue text is
	// rendered from it when the job runs, with the problem's counts then.
	Alert *alert.Alert `json:"alert"`
}

// Kind names the job in River's tables.
func (IssueArgs) Kind() string { return "github_issue" }

// Issues is the part of GitHub the worker uses: github.Client, or
// github.DryRun.
type Issues interface {
	CreateIssue(ctx context.Context, title, body string, labels []string) (github.Issue, error)
	FindIssue(ctx context.Context, problemKey, label string, since time.Time) (github.Issue, bool, error)
	Issue(ctx context.Context, number int) (github.Issue, error)
	Comment(ctx context.Context, number int, body string) error
	HasComment(ctx context.Context, number int, marker string, since time.Time) (bool, error)
	Reopen(ctx context.Context, number int) error
	EnsureLabel(ctx context.Context, name string) error
}

// Problems is the part of the store the worker uses.
type Problems interface {
	Problem(ctx context.Context, key string) (alert.Problem, error)
	SetIssue(ctx context.Context, key string, number int, closed bool, closedAt time.Time) error
}

var (
	_ Issues   = (*github.Client)(nil)
	_ Issues   = (*github.DryRun)(nil)
	_ Problems = (*store.Store)(nil)
)

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
// reporting. It is called once per parked or abandoned job.
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
}

// Config is what a Worker needs.
type Config struct {
	Issues   Issues
	Problems Problems
	Limiter  *github.Limiter
	// Label is the trigger label every issue carries.
	Label    string
	Log      *slog.Logger
	Failures Failures // may be nil
	Now      func() time.Time
}

// Worker carries out IssueArgs jobs.
type Worker struct {
	river.WorkerDefaults[IssueArgs]
	cfg Config

	labelMu sync.Mutex
	labelOK bool
}

// New returns a Worker.
func New(cfg Config) *Worker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Worker{cfg: cfg}
}

// NextRetry backs off exponentially from a second to ten minutes.
func (w *Worker) NextRetry(job *river.Job[IssueArgs]) time.Time {
	return w.cfg.Now().Add(Backoff(job.Attempt))
}

// Timeout bounds one attempt: a lookup, a write and the store update.
func (w *Worker) Timeout(*river.Job[IssueArgs]) time.Duration { return time.Minute }

// Work applies the job's decision to GitHub.
func (w *Worker) Work(ctx context.Context, job *river.Job[IssueArgs]) error {
	log := w.cfg.Log.With("job_id", job.ID, "problem_key", job.Args.ProblemKey, "action", job.Args.Action, "attempt", job.Attempt)
	if job.Args.Alert == nil {
		return w.park(ctx, log, job, errors.New("job has no alert"))
	}
	p, err := w.cfg.Problems.Problem(ctx, job.Args.ProblemKey)
	if err != nil {
		return w.fail(ctx, log, job, err)
	}
	switch job.Args.Action {
	case alert.ActionCreate:
		err = w.create(ctx, log, job, p)
	case alert.ActionComment, alert.ActionReopen:
		err = w.update(ctx, log, job, p)
	default:
		return w.park(ctx, log, job, fmt.Errorf("unknown action %q", job.Args.Action))
	}
	if err != nil {
		return w.fail(ctx, log, job, err)
	}
	return nil
}

func (w *Worker) create(ctx context.Context, log *slog.Logger, job *river.Job[IssueArgs], p alert.Problem) error {
	if p.IssueNumber != 0 {
		log.Info("issue already filed", "issue", p.IssueNumber)
		return nil
	}
	if err := w.ensureLabel(ctx); err != nil {
		return err
	}
	key := job.Args.ProblemKey
	if job.Attempt > 1 {
		// An earlier attempt may have created the issue and lost the
		// answer: look for its marker before creating again.
		is, found, err := w.cfg.Issues.FindIssue(ctx, key, w.cfg.Label, job.CreatedAt.Add(-time.Minute))
		if err != nil {
			return err
		}
		if found {
			log.Info("found issue of an earlier attempt", "issue", is.Number)
			return w.cfg.Problems.SetIssue(ctx, key, is.Number, is.Closed, time.Time{})
		}
	}
	if err := w.pace(ctx); err != nil {
		return err
	}
	a := job.Args.Alert
	is, err := w.cfg.Issues.CreateIssue(ctx, github.Title(a), github.IssueBody(a, p), []string{w.cfg.Label})
	if err != nil {
		return err
	}
	log.Info("issue created", "issue", is.Number, "url", is.URL)
	return w.cfg.Problems.SetIssue(ctx, key, is.Number, false, time.Time{})
}

func (w *Worker) update(ctx context.Context, log *slog.Logger, job *river.Job[IssueArgs], p alert.Problem) error {
	n := p.IssueNumber
	if n == 0 {
		// Decisions to comment are only made for filed issues; a job
		// replayed after its problem was reset has nothing to do.
		log.Warn("problem has no issue; nothing to update")
		return nil
	}
	is, err := w.cfg.Issues.Issue(ctx, n)
	if f := github.Classify(err, w.cfg.Now()); err != nil && f.Class == github.Permanent && f.Status == http.StatusGone {
		// Someone deleted the issue. The problem is still happening, so
		// it gets a new one.
		log.Warn("issue was deleted; filing a new one", "issue", n)
		if err := w.cfg.Problems.SetIssue(ctx, job.Args.ProblemKey, 0, false, time.Time{}); err != nil {
			return err
		}
		p.IssueNumber, p.IssueClosed = 0, false
		return w.create(ctx, log, job, p)
	}
	if err != nil {
		return err
	}
	marker := "<!-- booty:job=" + strconv.FormatInt(job.ID, 10) + " -->"
	if job.Attempt > 1 {
		done, err := w.cfg.Issues.HasComment(ctx, n, marker, job.CreatedAt.Add(-time.Minute))
		if err != nil {
			return err
		}
		if done {
			log.Info("comment of an earlier attempt found", "issue", n)
			return w.cfg.Problems.SetIssue(ctx, job.Args.ProblemKey, n, is.Closed, time.Time{})
		}
	}
	// A reopen stays a regression when a retry finds the issue open
	// because an earlier attempt reopened it before its comment failed.
	regression := is.Closed || job.Args.Action == alert.ActionReopen
	if is.Closed {
		if err := w.pace(ctx); err != nil {
			return err
		}
		if err := w.cfg.Issues.Reopen(ctx, n); err != nil {
			return err
		}
		log.Info("issue reopened", "issue", n)
	}
	if err := w.pace(ctx); err != nil {
		return err
	}
	body := github.CommentBody(job.Args.Alert, p, regression) + "\n" + marker
	if err := w.cfg.Issues.Comment(ctx, n, body); err != nil {
		return err
	}
	log.Info("issue commented", "issue", n, "count", p.Count)
	return w.cfg.Problems.SetIssue(ctx, job.Args.ProblemKey, n, false, time.Time{})
}

func (w *Worker) ensureLabel(ctx context.Context) error {
	w.labelMu.Lock()
	defer w.labelMu.Unlock()
	if w.labelOK {
		return nil
	}
	if err := w.cfg.Issues.EnsureLabel(ctx, w.cfg.Label); err != nil {
		// GitHub creates a label it does not know when an issue carries
		// it, so a refusal here (a token that may not manage labels) must
		// not hold up the issue. Outages and rate limits still wait.
		if github.Classify(err, w.cfg.Now()).Class != github.Permanent {
			return err
		}
		w.cfg.Log.Warn("cannot check or create the trigger label; filing issues with it anyway", "label", w.cfg.Label, "err", err)
	}
	w.labelOK = true
	return nil
}

// errPaced is returned by pace when the job should wait its turn.
type errPaced struct{ wait time.Duration }

func (e *errPaced) Error() string { return "paced: wait " + e.wait.String() }

// pace waits for the write budget: a short wait in place, a long one by
// snoozing the job so the worker is free.
func (w *Worker) pace(ctx context.Context) error {
	for {
		wait := w.cfg.Limiter.Take(w.cfg.Now())
		if wait == 0 {
			return nil
		}
		if wait > shortWait {
			return &errPaced{wait: wait}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// fail turns an error into River's verdict: retry with backoff, snooze
// through a rate limit without spending an attempt, or park.
func (w *Worker) fail(ctx context.Context, log *slog.Logger, job *river.Job[IssueArgs], err error) error {
	var paced *errPaced
	if errors.As(err, &paced) {
		return river.JobSnooze(paced.wait)
	}
	f := github.Classify(err, w.cfg.Now())
	switch f.Class {
	case github.RateLimited:
		w.cfg.Limiter.Pause(w.cfg.Now().Add(f.Wait))
		log.Warn("github rate limit: pausing writes", "status", f.Status, "wait", f.Wait)
		return river.JobSnooze(f.Wait)
	case github.Permanent:
		return w.park(ctx, log, job, fmt.Errorf("github answered %d: %s", f.Status, f.Message))
	}
	if job.Attempt >= job.MaxAttempts {
		log.Error("giving up after the last attempt; job parked", "err", err)
		w.report(ctx, job, err)
		return err
	}
	// Only the first failure of a run is worth a warning; the rest repeat it.
	level := slog.LevelInfo
	if job.Attempt == 1 {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "github call failed; will retry", "err", err, "status", f.Status, "next_in", Backoff(job.Attempt))
	return err
}

func (w *Worker) park(ctx context.Context, log *slog.Logger, job *river.Job[IssueArgs], err error) error {
	log.Error("job parked: needs an operator (booty spool list)", "err", err)
	w.report(ctx, job, err)
	return river.JobCancel(err)
}

func (w *Worker) report(ctx context.Context, job *river.Job[IssueArgs], err error) {
	if w.cfg.Failures == nil {
		return
	}
	w.cfg.Failures.JobFailed(ctx, JobFailure{
		Kind: job.Kind, JobID: job.ID, ProblemKey: job.Args.ProblemKey, Attempt: job.Attempt, Err: err,
	})
}
