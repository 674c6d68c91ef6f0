package worker

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/intake"
	"booty/internal/store"
)

// Client is River's client over booty's store, whichever its backend. River's
// client is generic over the driver's transaction type; booty's code sees
// only what does not depend on it, and InsertTx takes a store.Tx.
type Client struct {
	riverClient
	executor func() riverdriver.Executor
	insertTx func(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// completeDigestTx marks a digest job completed inside tx.
	completeDigestTx func(ctx context.Context, tx *store.Tx, job *river.Job[DigestArgs]) error
}

// riverClient is the part of *river.Client[TTx] that is the same for every
// TTx.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Stopped() <-chan struct{}
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobDelete(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// InsertTx inserts a job inside tx, to commit with it.
func (c *Client) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return c.insertTx(ctx, tx, args, opts)
}

// Executor runs SQL on River's tables outside any transaction, for
// store.GrantAttempts.
func (c *Client) Executor() riverdriver.Executor { return c.executor() }

func newClient[TDriver riverdriver.Driver[TTx], TTx any](driver TDriver, cfg *river.Config, txOf func(*store.Tx) TTx) (*Client, error) {
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, err
	}
	return &Client{
		riverClient: c,
		executor:    driver.GetExecutor,
		insertTx: func(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
			return c.InsertTx(ctx, txOf(tx), args, opts)
		},
		completeDigestTx: func(ctx context.Context, tx *store.Tx, job *river.Job[DigestArgs]) error {
			_, err := river.JobCompleteTx[TDriver](ctx, txOf(tx), job)
			return err
		},
	}, nil
}

// ClientOption changes how NewClient sets River up.
type ClientOption func(*river.Config)

// WithTime gives River a clock, River's test clock (river.Config.Test.Time),
// so that tests move time on instead of waiting: backoffs and snoozes come
// due when the clock passes them. Give the Worker the same clock.
func WithTime(t rivertype.TimeGenerator) ClientOption {
	return func(c *river.Config) { c.Test.Time = t }
}

// WithID names the client among the replicas that share the store (River's
// client id, seen in leader election and in its logs).
func WithID(id string) ClientOption {
	return func(c *river.Config) { c.ID = id }
}

// WithPollInterval sets how often River looks for due jobs.
func WithPollInterval(d time.Duration) ClientOption {
	return func(c *river.Config) { c.FetchPollInterval, c.FetchCooldown = d, min(d, c.FetchCooldown) }
}

// NewClient returns a River client over st. With a nil w the client only
// inserts and manages jobs (the operator commands); otherwise Start runs w
// with concurrency workers, and the sweep for duplicate issues every
// SweepEvery.
func NewClient(st *store.Store, w *Worker, log *slog.Logger, concurrency int, opts ...ClientOption) (*Client, error) {
	cfg := &river.Config{
		Logger:      log,
		MaxAttempts: MaxAttempts,
		// Parked jobs wait for an operator however long that takes;
		// finished ones are kept a day for inspection.
		CancelledJobRetentionPeriod: -1,
		DiscardedJobRetentionPeriod: -1,
		CompletedJobRetentionPeriod: 24 * time.Hour,
		// SQLite has no LISTEN/NOTIFY, and a job inserted inside the
		// webhook's transaction wakes no producer: polling is how jobs are
		// found. A poll is one indexed query, so a quick one costs the
		// handler nothing measurable and keeps issues seconds-fresh.
		FetchPollInterval: 250 * time.Millisecond,
		FetchCooldown:     100 * time.Millisecond,
		// On SQLite booty requeues its own orphans at startup and this is
		// a backstop; on PostgreSQL it is how a dead replica's jobs reach
		// a live one.
		JobTimeout:           AttemptTimeout,
		RescueStuckJobsAfter: RescueAfter,
	}
	workers := river.NewWorkers()
	if w != nil {
		river.AddWorker(workers, w)
		river.AddWorker(workers, &sweeper{w: w})
		river.AddWorker(workers, &digester{w: w})
		river.AddWorker(workers, &noter{w: w})
		river.AddWorker(workers, &syncer{w: w})
		river.AddWorker(workers, &ticker{w: w})
		river.AddWorker(workers, &buildWorker{w: w})
		river.AddWorker(workers, &verifier{w: w})
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: concurrency}}
		if w.cfg.Builder != nil {
			cfg.Queues[BuilderQueue] = river.QueueConfig{MaxWorkers: max(w.cfg.Builder.Concurrency, 1)}
		}
		cfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(SweepEvery),
			func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, &river.InsertOpts{MaxAttempts: 1} }, nil)}
	} else {
		river.AddWorker(workers, &Worker{})
		river.AddWorker(workers, &sweeper{})
		river.AddWorker(workers, &digester{})
		river.AddWorker(workers, &noter{})
		river.AddWorker(workers, &syncer{})
		river.AddWorker(workers, &ticker{})
		river.AddWorker(workers, &buildWorker{})
		river.AddWorker(workers, &verifier{})
	}
	cfg.Workers = workers
	for _, o := range opts {
		o(cfg)
	}
	var (
		c   *Client
		err error
	)
	if st.Backend() == store.Postgres {
		c, err = newClient(st.PostgresDriver(), cfg, (*store.Tx).Postgres)
	} else {
		c, err = newClient(st.SQLiteDriver(), cfg, (*store.Tx).SQLite)
	}
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	if w != nil {
		w.refreshDigest = func(ctx context.Context, id int64) error { return c.refreshDigest(ctx, st, id) }
		w.finishDigest = func(ctx context.Context, job *river.Job[DigestArgs]) (bool, error) {
			return c.finishDigest(ctx, st, job)
		}
		w.tick = func(ctx context.Context, key string) (time.Duration, error) { return c.tick(ctx, st, w, key) }
		w.rebuild = func(ctx context.Context, a BuildArgs) error {
			return st.Transact(ctx, func(tx *store.Tx) error {
				_, err := c.InsertTx(ctx, tx, a, buildOpts())
				return err
			})
		}
	}
	return c, nil
}

var (
	_ riverClient = (*river.Client[*sql.Tx])(nil)
	_ riverClient = (*river.Client[pgx.Tx])(nil)
)

// Enqueuer returns the intake.EnqueueFunc that inserts IssueArgs jobs with c.
func Enqueuer(c *Client) intake.EnqueueFunc {
	return func(ctx context.Context, tx *store.Tx, a *alert.Alert, d alert.Decision) (int64, error) {
		if d.Digest != 0 {
			args := DigestArgs{DigestID: d.Digest}
			if t := d.Target; t != nil {
				args.Repo, args.Labels = t.Repo, slices.Clone(t.Labels)
			}
			res, err := c.InsertTx(ctx, tx, args, digestOpts)
			if err != nil {
				return 0, err
			}
			return res.Job.ID, nil
		}
		var opts *river.InsertOpts
		if d.Action == alert.ActionCreate {
			opts = createOpts
		}
		res, err := c.InsertTx(ctx, tx, NewTargetedIssueArgs(a, d), opts)
		if err != nil {
			return 0, err
		}
		return res.Job.ID, nil
	}
}

// liveStates are the states of a job that has not finished: waiting,
// running, or due to run again.
var liveStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}

// createOpts keep one create per problem waiting or running, so a create
// decided while an earlier one still waits on GitHub joins it instead of
// racing it: two creates at once could file two issues. Finished and parked
// creates do not count, so a problem whose create was dropped can be filed
// again. Comments and reopens are not merged: a running one has already
// read the issue, and a later event must still be told.
var createOpts = &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
