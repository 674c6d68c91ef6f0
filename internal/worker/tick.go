package worker

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"booty/internal/intake"
	"booty/internal/store"
)

// TickArgs is the job that settles a flapping issue once it has been quiet
// for an hour: the lifecycle's clock input. One waits per problem.
type TickArgs struct {
	ProblemKey string `json:"problem_key" river:"unique"`
}

// Kind names the job in River's tables.
func (TickArgs) Kind() string { return "lifecycle_tick" }

// tickOpts keep one tick per problem waiting; a later flip's tick finds it
// and the tick waits on for the new quiet hour.
var tickOpts = river.UniqueOpts{ByArgs: true, ByState: liveStates}

// TickScheduler returns the intake.TickFunc that schedules TickArgs jobs
// with c.
func TickScheduler(c *Client) intake.TickFunc {
	return func(ctx context.Context, tx *store.Tx, key string, at time.Time) error {
		_, err := c.InsertTx(ctx, tx, TickArgs{ProblemKey: key}, &river.InsertOpts{ScheduledAt: at, UniqueOpts: tickOpts})
		return err
	}
}

// ticker runs TickArgs jobs.
type ticker struct {
	river.WorkerDefaults[TickArgs]
	w *Worker
}

// Timeout bounds one attempt.
func (t *ticker) Timeout(*river.Job[TickArgs]) time.Duration { return AttemptTimeout }

// Work takes the clock's step, in one transaction with the jobs of its
// writes; a tick that came early waits for the quiet hour.
func (t *ticker) Work(ctx context.Context, job *river.Job[TickArgs]) error {
	w := t.w
	if w.tick == nil {
		return nil
	}
	wait, err := w.tick(ctx, job.Args.ProblemKey)
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}

// tick is the lifecycle's clock step of problem key, over the store and
// queue NewClient gives it.
func (c *Client) tick(ctx context.Context, st *store.Store, w *Worker, key string) (time.Duration, error) {
	var wait time.Duration
	err := st.Transact(ctx, func(tx *store.Tx) error {
		var syncs intake.SyncFunc
		if w.cfg.Policy.SyncSentry {
			syncs = SentrySyncEnqueuer(c)
		}
		var err error
		wait, err = intake.Tick(ctx, tx, key, w.cfg.Policy, NoteEnqueuer(c), syncs, w.cfg.Now())
		return err
	})
	return wait, err
}
