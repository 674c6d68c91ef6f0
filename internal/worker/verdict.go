package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/github"
)

// errSnooze asks River to run the job again after wait, without spending
// an attempt: pacing, or the wait for a late commit.
type errSnooze struct {
	wait time.Duration
	why  string
}

func (e *errSnooze) Error() string { return e.why + ": wait " + e.wait.String() }

// errBadJob is a job booty cannot carry out, whatever GitHub does.
type errBadJob struct{ err error }

func (e *errBadJob) Error() string { return e.err.Error() }
func (e *errBadJob) Unwrap() error { return e.err }

// verdict turns the outcome of one attempt into River's answer, in one
// place (alertmanager's Retrier.Check): done, snooze without spending an
// attempt, retry with backoff, or park for an operator. Whether a create
// looks for its marker first is not decided here but by the attempt
// itself: every attempt after the first may follow one that reached
// GitHub (github.ErrOutcomeUnknown, or a crash), so it looks.
// The job is River's row of an issue or a digest job; key names its problem
// (or digest) for booty's error report.
func (w *Worker) verdict(ctx context.Context, log *slog.Logger, job *rivertype.JobRow, key string, err error) error {
	if err == nil {
		return nil
	}
	var (
		snooze *errSnooze
		bad    *errBadJob
	)
	switch {
	case errors.As(err, &snooze):
		log.Debug("job snoozed", "why", snooze.why, "wait", snooze.wait)
		return river.JobSnooze(snooze.wait)
	case errors.As(err, &bad):
		return w.park(ctx, log, job, key, bad.err)
	case errors.Is(err, github.ErrIssuesDisabled):
		// Filing again would only make a duplicate once they are back.
		return w.park(ctx, log, job, key, fmt.Errorf("issues are disabled on the repository; turn them on, then retry the job: %w", err))
	}
	f := github.Classify(err, w.cfg.Now())
	switch f.Class {
	case github.RateLimited:
		log.Warn("github rate limit: pausing writes", "status", f.Status, "wait", f.Wait)
		w.pause(ctx, log, w.cfg.Now().Add(f.Wait))
		return river.JobSnooze(f.Wait)
	case github.Permanent:
		return w.park(ctx, log, job, key, fmt.Errorf("github answered %d: %s", f.Status, f.Message))
	}
	if job.Attempt >= job.MaxAttempts {
		log.Error("giving up after the last attempt; job parked", "err", err)
		w.report(ctx, job, key, err)
		return err
	}
	// Only the first failure of a run is worth a warning; the rest repeat it.
	level := slog.LevelInfo
	if job.Attempt == 1 {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "github call failed; will retry", "err", err, "status", f.Status,
		"outcome_unknown", errors.Is(err, github.ErrOutcomeUnknown), "next_in", Backoff(job.Attempt))
	return err
}

// pauseTimeout bounds recording a rate limit pause in the store.
const pauseTimeout = 10 * time.Second

// pause stops every replica's writes until until. The attempt's context
// may be over (GitHub's answer came at its deadline), and the pause matters
// more than the attempt: it gets a context of its own. When the store
// cannot record it, only this job waits: the others find the rate limit
// for themselves.
func (w *Worker) pause(ctx context.Context, log *slog.Logger, until time.Time) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pauseTimeout)
	defer cancel()
	if err := w.cfg.Budget.Pause(ctx, until); err != nil {
		log.Error("cannot record the rate limit pause; other jobs may meet the limit too", "err", err)
	}
}

// refused reports whether GitHub refused a call for good (not an outage or
// a rate limit), by the same classification as verdict.
func (w *Worker) refused(err error) bool {
	return github.Classify(err, w.cfg.Now()).Class == github.Permanent
}

func (w *Worker) park(ctx context.Context, log *slog.Logger, job *rivertype.JobRow, key string, err error) error {
	log.Error("job parked: needs an operator (booty spool list)", "err", err)
	w.report(ctx, job, key, err)
	return river.JobCancel(err)
}

func (w *Worker) report(ctx context.Context, job *rivertype.JobRow, key string, err error) {
	if w.cfg.Failures == nil {
		return
	}
	f := JobFailure{Kind: job.Kind, JobID: job.ID, ProblemKey: key, Attempt: job.Attempt, Err: err}
	switch job.Kind {
	case BuildArgs{}.Kind(), VerifyArgs{}.Kind():
		// Both carry the issue; a build its attempt.
		var a struct {
			Repo    string `json:"repo"`
			Issue   int    `json:"issue"`
			Attempt int    `json:"attempt"`
		}
		if json.Unmarshal(job.EncodedArgs, &a) == nil {
			f.Repo, f.Issue, f.BuildAttempt = w.repoName(a.Repo), a.Issue, a.Attempt
		}
	}
	w.cfg.Failures.JobFailed(ctx, f)
}
