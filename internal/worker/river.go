package worker

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/store"
)

// Client is River's client over booty's store.
type Client = river.Client[*sql.Tx]

// NewClient returns a River client over st. With a nil w the client only
// inserts and manages jobs (the operator commands); otherwise Start runs w
// with concurrency workers.
func NewClient(st *store.Store, w *Worker, log *slog.Logger, concurrency int) (*Client, error) {
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
		// A backstop: booty requeues its own orphans at startup.
		RescueStuckJobsAfter: 5 * time.Minute,
	}
	workers := river.NewWorkers()
	if w != nil {
		river.AddWorker(workers, w)
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: concurrency}}
	} else {
		river.AddWorker(workers, &Worker{})
	}
	cfg.Workers = workers
	c, err := river.NewClient(st.Driver(), cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return c, nil
}

// Enqueuer returns the store.EnqueueFunc that inserts IssueArgs jobs with c.
func Enqueuer(c *Client) store.EnqueueFunc {
	return func(ctx context.Context, tx *sql.Tx, a *alert.Alert, d alert.Decision) (int64, error) {
		var opts *river.InsertOpts
		if d.Action == alert.ActionCreate {
			opts = createOpts
		}
		res, err := c.InsertTx(ctx, tx, IssueArgs{ProblemKey: a.ProblemKey, Action: d.Action, Alert: a}, opts)
		if err != nil {
			return 0, err
		}
		return res.Job.ID, nil
	}
}

// createOpts keep one create per problem waiting or running, so a create
// decided while an earlier one still waits on GitHub joins it instead of
// racing it: two creates at once could file two issues. Finished and parked
// creates do not count, so a problem whose create was dropped can be filed
// again. Comments and reopens are not merged: a running one has already
// read the issue, and a later event must still be told.
var createOpts = &river.InsertOpts{UniqueOpts: river.UniqueOpts{
	ByArgs: true,
	ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	},
}}

// Parked is a job that stopped for good and waits for an operator.
type Parked struct {
	ID         int64
	State      string
	ProblemKey string
	Action     alert.Action
	Attempt    int
	CreatedAt  time.Time
	StoppedAt  time.Time
	LastError  string
}

// Spool is the operator's view of parked jobs: the spool of undeliverable
// GitHub writes, replayable at will.
type Spool struct{ c *Client }

// NewSpool returns a Spool over c.
func NewSpool(c *Client) *Spool { return &Spool{c: c} }

var parkedStates = []rivertype.JobState{rivertype.JobStateCancelled, rivertype.JobStateDiscarded}

// List returns every parked job, oldest first.
func (s *Spool) List(ctx context.Context) ([]Parked, error) {
	var out []Parked
	params := river.NewJobListParams().Kinds(IssueArgs{}.Kind()).States(parkedStates...).First(1000)
	for {
		res, err := s.c.JobList(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("list parked jobs: %w", err)
		}
		for _, j := range res.Jobs {
			out = append(out, toParked(j))
		}
		if len(res.Jobs) < 1000 {
			return out, nil
		}
		params = params.After(res.LastCursor)
	}
}

func toParked(j *rivertype.JobRow) Parked {
	p := Parked{ID: j.ID, State: string(j.State), Attempt: j.Attempt, CreatedAt: j.CreatedAt}
	var args IssueArgs
	if json.Unmarshal(j.EncodedArgs, &args) == nil {
		p.ProblemKey, p.Action = args.ProblemKey, args.Action
	}
	if j.FinalizedAt != nil {
		p.StoppedAt = *j.FinalizedAt
	}
	if n := len(j.Errors); n > 0 {
		p.LastError = j.Errors[n-1].Error
	}
	return p
}

// Retry makes parked job id run again at once, with a fresh set of attempts.
func (s *Spool) Retry(ctx context.Context, id int64) error {
	if err := s.checkParked(ctx, "retry", id); err != nil {
		return err
	}
	// River's JobRetry gives a job that used up its attempts just one more.
	// The attempt count itself stays: it is what makes a create look for
	// its marker first.
	if err := s.c.Driver().GetExecutor().Exec(ctx,
		`UPDATE river_job SET max_attempts = attempt + $1 WHERE id = $2`, MaxAttempts, id); err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	if _, err := s.c.JobRetry(ctx, id); err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	return nil
}

// Drop deletes parked job id: its GitHub write will never happen.
func (s *Spool) Drop(ctx context.Context, id int64) error {
	if err := s.checkParked(ctx, "drop", id); err != nil {
		return err
	}
	if _, err := s.c.JobDelete(ctx, id); err != nil {
		return fmt.Errorf("drop job %d: %w", id, err)
	}
	return nil
}

// checkParked refuses to touch a job that is not parked: retrying or
// dropping a live job would race the worker running it.
func (s *Spool) checkParked(ctx context.Context, verb string, id int64) error {
	j, err := s.c.JobGet(ctx, id)
	if err != nil {
		return fmt.Errorf("%s job %d: %w", verb, id, err)
	}
	if j.State != rivertype.JobStateCancelled && j.State != rivertype.JobStateDiscarded {
		return fmt.Errorf("%s job %d: it is %s, not parked", verb, id, j.State)
	}
	return nil
}
