package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river/rivertype"

	"booty/internal/store"
)

// Runs keeps the record of each build and verification: store.Store.
type Runs interface {
	StartRun(ctx context.Context, r store.Run) (int64, error)
	FinishRun(ctx context.Context, id int64, end store.RunEnd) error
}

// RunMetrics counts finished runs: metrics.Metrics.
type RunMetrics interface {
	RunFinished(kind, outcome string, took time.Duration)
}

// runEnd is how a build or a verification ended, for its record.
type runEnd struct {
	outcome, detail, log, sha string
	pull                      int
}

// runError is the outcome of a run that ended for booty's own reasons: its
// job will retry, or park and be reported.
const runError = "error"

// runTimeout bounds a build or verify job: the command's limit, and a
// margin for git and GitHub. River's rescuer waits for it too.
func (w *Worker) runTimeout() time.Duration {
	if c := w.cfg.Builder; c != nil {
		return c.Timeout + 5*time.Minute
	}
	return AttemptTimeout
}

// runJob carries out job as run r: do does the work given the run's id,
// the run is recorded and counted, and do's error goes to verdict.
func (w *Worker) runJob(ctx context.Context, log *slog.Logger, job *rivertype.JobRow, r store.Run, do func(runID int64) (runEnd, error)) error {
	sr := w.startRun(ctx, log, r)
	end, err := do(sr.id)
	w.finishRun(ctx, log, sr, r.Kind, end, err)
	return w.verdict(ctx, log, job, r.ProblemKey, err)
}

// buildsOf returns repo's Issues and, unless it is a dry run's, what
// builds and verifications use of it.
func (w *Worker) buildsOf(ctx context.Context, repo string) (Issues, Builds, error) {
	gh, err := w.issuesOf(ctx, repo)
	if err != nil {
		return nil, nil, err
	}
	b, _ := gh.(Builds)
	return gh, b, nil
}

// startedRun is a run in the store, and when it started.
type startedRun struct {
	id    int64
	start time.Time
}

// startRun records run as started. A store that cannot record it costs
// the record, not the build.
func (w *Worker) startRun(ctx context.Context, log *slog.Logger, r store.Run) startedRun {
	r.StartedAt = w.cfg.Now()
	sr := startedRun{start: r.StartedAt}
	if w.cfg.Runs == nil {
		return sr
	}
	id, err := w.cfg.Runs.StartRun(ctx, r)
	if err != nil {
		log.Error("cannot record the run's start", "err", err)
		return sr
	}
	sr.id = id
	return sr
}

// finishRun records how the run ended: end, or err when it ended for
// booty's reasons, and counts it.
func (w *Worker) finishRun(ctx context.Context, log *slog.Logger, sr startedRun, kind store.RunKind, end runEnd, err error) {
	if err != nil {
		end.outcome, end.detail = runError, err.Error()
	}
	now := w.cfg.Now()
	if w.cfg.RunMetrics != nil {
		w.cfg.RunMetrics.RunFinished(string(kind), end.outcome, now.Sub(sr.start))
	}
	if w.cfg.Runs == nil || sr.id == 0 {
		return
	}
	// A cancelled job still gets its record.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pauseTimeout)
	defer cancel()
	if err := w.cfg.Runs.FinishRun(ctx, sr.id, store.RunEnd{Outcome: end.outcome, Detail: end.detail, Log: end.log,
		SHA: end.sha, Pull: end.pull, At: now}); err != nil {
		log.Error("cannot record the run's end", "err", err)
	}
}
