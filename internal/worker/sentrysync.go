package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"booty/internal/alert"
	"booty/internal/intake"
	"booty/internal/sentryapi"
	"booty/internal/store"
)

// SentrySyncArgs is the job that tells Sentry what a person did to the
// problem's GitHub issue: closed as completed resolves the Sentry issue in
// the next release, closed as not planned archives it until it escalates,
// reopened unresolves it.
type SentrySyncArgs struct {
	ProblemKey string `json:"problem_key"`
	// Do is the effect: alert.EffectSentryResolve, EffectSentryArchive
	// or EffectSentryUnresolve.
	Do string `json:"do"`
}

// Kind names the job in River's tables.
func (SentrySyncArgs) Kind() string { return "sentry_sync" }

// Sentry is the part of Sentry's API the sync uses: sentryapi.Client.
type Sentry interface {
	ResolveInNextRelease(ctx context.Context, issueID string) error
	Resolve(ctx context.Context, issueID string) error
	ArchiveUntilEscalating(ctx context.Context, issueID string) error
	Unresolve(ctx context.Context, issueID string) error
}

var _ Sentry = (*sentryapi.Client)(nil)

// SentrySyncEnqueuer returns the intake.SyncFunc that inserts
// SentrySyncArgs jobs with c.
func SentrySyncEnqueuer(c *Client) intake.SyncFunc {
	return func(ctx context.Context, tx *store.Tx, p alert.Problem, e alert.Effect) (int64, error) {
		res, err := c.InsertTx(ctx, tx, SentrySyncArgs{ProblemKey: p.Key, Do: string(e.Kind)}, nil)
		if err != nil {
			return 0, err
		}
		return res.Job.ID, nil
	}
}

// syncer runs SentrySyncArgs jobs.
type syncer struct {
	river.WorkerDefaults[SentrySyncArgs]
	w *Worker
}

// NextRetry backs off as GitHub jobs do.
func (s *syncer) NextRetry(job *river.Job[SentrySyncArgs]) time.Time {
	return s.w.cfg.Now().Add(Backoff(job.Attempt))
}

// Timeout bounds one attempt.
func (s *syncer) Timeout(*river.Job[SentrySyncArgs]) time.Duration { return AttemptTimeout }

// Work makes the Sentry call, with Sentry's failure classes: network
// errors and 5xx retry, a 429 waits its Retry-After without spending an
// attempt, another 4xx parks the job, and an issue Sentry no longer has
// ends it.
func (s *syncer) Work(ctx context.Context, job *river.Job[SentrySyncArgs]) error {
	w := s.w
	log := w.cfg.Log.With("job_id", job.ID, "problem_key", job.Args.ProblemKey, "sync", job.Args.Do, "attempt", job.Attempt)
	err := w.sync(ctx, log, job.Args)
	if err == nil {
		return nil
	}
	if errors.Is(err, sentryapi.ErrIssueGone) {
		log.Warn("Sentry has no such issue; nothing to sync", "err", err)
		return nil
	}
	f := sentryapi.Classify(err)
	switch f.Class {
	case sentryapi.RateLimited:
		log.Warn("sentry rate limit: waiting", "wait", f.Wait)
		return river.JobSnooze(f.Wait)
	case sentryapi.Permanent:
		return w.park(ctx, log, job.JobRow, job.Args.ProblemKey, fmt.Errorf("sentry answered %d: %s", f.Status, f.Message))
	}
	if job.Attempt >= job.MaxAttempts {
		log.Error("giving up after the last attempt; job parked", "err", err)
		w.report(ctx, job.JobRow, job.Args.ProblemKey, err)
		return err
	}
	log.Warn("sentry call failed; will retry", "err", err, "next_in", Backoff(job.Attempt))
	return err
}

func (w *Worker) sync(ctx context.Context, log *slog.Logger, a SentrySyncArgs) error {
	if w.cfg.Sentry == nil {
		log.Warn("Sentry sync is off (SENTRY_API_TOKEN, SENTRY_ORG); dropping the job")
		return nil
	}
	id, ok := sentryapi.IssueIDFromKey(a.ProblemKey)
	if !ok {
		return &errBadJob{fmt.Errorf("problem key %q names no Sentry issue", a.ProblemKey)}
	}
	switch alert.EffectKind(a.Do) {
	case alert.EffectSentryResolve:
		err := w.cfg.Sentry.ResolveInNextRelease(ctx, id)
		if errors.Is(err, sentryapi.ErrNoRelease) {
			// A project without releases cannot wait for the next one.
			err = w.cfg.Sentry.Resolve(ctx, id)
		}
		if err != nil {
			return err
		}
	case alert.EffectSentryArchive:
		if err := w.cfg.Sentry.ArchiveUntilEscalating(ctx, id); err != nil {
			return err
		}
	case alert.EffectSentryUnresolve:
		if err := w.cfg.Sentry.Unresolve(ctx, id); err != nil {
			return err
		}
	default:
		return &errBadJob{fmt.Errorf("unknown sync %q", a.Do)}
	}
	log.Info("Sentry issue synced", "sentry_issue", id)
	return nil
}
