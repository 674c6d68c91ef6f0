package store_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
)

// testJob is a River job that fails when Fail is set.
type testJob struct {
	Fail bool `json:"fail"`
}

func (testJob) Kind() string { return "store_test_job" }

type testWorker struct {
	river.WorkerDefaults[testJob]
}

func (testWorker) Work(_ context.Context, j *river.Job[testJob]) error {
	if j.Args.Fail {
		return errors.New("failing on purpose")
	}
	return nil
}

// jobs is River's client over a store of either backend: the part of
// *river.Client[TTx] the tests use, which is the same for every TTx, and
// InsertTx over a store.Tx.
type jobs struct {
	riverJobs
	insertTx func(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	executor func() riverdriver.Executor
}

type riverJobs interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// InsertTx inserts a job inside tx, to commit with it.
func (j *jobs) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return j.insertTx(ctx, tx, args, opts)
}

// newJobs returns River's client over st with cfg and the test's worker.
func newJobs(t *testing.T, st *store.Store, cfg *river.Config) *jobs {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &testWorker{})
	cfg.Workers = workers
	cfg.Logger = slog.New(slog.DiscardHandler)
	if st.Backend() == store.Postgres {
		return newJobsOf(t, st.PostgresDriver(), cfg, (*store.Tx).Postgres)
	}
	return newJobsOf(t, st.SQLiteDriver(), cfg, (*store.Tx).SQLite)
}

func newJobsOf[TTx any](t *testing.T, driver riverdriver.Driver[TTx], cfg *river.Config, txOf func(*store.Tx) TTx) *jobs {
	t.Helper()
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		t.Fatalf("river client: %v", err)
	}
	return &jobs{
		riverJobs: c,
		executor:  driver.GetExecutor,
		insertTx: func(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
			return c.InsertTx(ctx, txOf(tx), args, opts)
		},
	}
}

// insertOnly returns a River client over st that runs no job, as before a
// restart.
func insertOnly(t *testing.T, st *store.Store) *jobs {
	t.Helper()
	return newJobs(t, st, &river.Config{})
}

// riverClient returns a started River client over st.
func riverClient(t *testing.T, st *store.Store) *jobs {
	t.Helper()
	c := newJobs(t, st, &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
	})
	if err := c.Start(t.Context()); err != nil {
		t.Fatalf("start river: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop river: %v", err)
		}
	})
	return c
}

func waitState(t *testing.T, c *jobs, id int64, want rivertype.JobState) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		j, err := c.JobGet(t.Context(), id)
		if err != nil {
			t.Fatalf("JobGet(%d): %v", id, err)
		}
		if j.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d: got state %s, want %s", id, j.State, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestParkedJobs(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := riverClient(t, st)

		if n, err := st.ParkedJobs(ctx); err != nil || n != 0 {
			t.Fatalf("ParkedJobs of an empty store: got %d, %v, want 0, nil", n, err)
		}

		insert := func(args testJob, opts *river.InsertOpts) int64 {
			t.Helper()
			res, err := c.Insert(ctx, args, opts)
			if err != nil {
				t.Fatalf("Insert: %v", err)
			}
			return res.Job.ID
		}
		later := &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}

		discarded := insert(testJob{Fail: true}, &river.InsertOpts{MaxAttempts: 1})
		completed := insert(testJob{}, nil)
		cancelled := insert(testJob{}, later)
		insert(testJob{}, later) // stays scheduled
		if _, err := c.JobCancel(ctx, cancelled); err != nil {
			t.Fatalf("JobCancel: %v", err)
		}
		waitState(t, c, discarded, rivertype.JobStateDiscarded)
		waitState(t, c, completed, rivertype.JobStateCompleted)
		waitState(t, c, cancelled, rivertype.JobStateCancelled)

		n, err := st.ParkedJobs(ctx)
		if err != nil {
			t.Fatalf("ParkedJobs: %v", err)
		}
		if n != 2 {
			t.Errorf("ParkedJobs: got %d, want 2 (one cancelled, one discarded)", n)
		}

		byState, err := st.JobsByState(ctx)
		if err != nil {
			t.Fatalf("JobsByState: %v", err)
		}
		if diff := cmp.Diff(map[string]int{"parked": 2, "completed": 1, "scheduled": 1}, byState); diff != "" {
			t.Errorf("JobsByState (-want +got):\n%s", diff)
		}
	})
}

func TestRequeueOrphans(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		// Nothing works the jobs, as before a restart.
		c := insertOnly(t, st)
		var ids []int64
		for range 3 {
			res, err := c.Insert(ctx, testJob{}, nil)
			if err != nil {
				t.Fatalf("Insert: %v", err)
			}
			ids = append(ids, res.Job.ID)
		}
		// Two were running when the process died.
		for _, id := range ids[:2] {
			storetest.Exec(t, st, `UPDATE river_job SET state = 'running', attempt = 1 WHERE id = $1`, id)
		}
		byState, err := st.JobsByState(ctx)
		if err != nil {
			t.Fatalf("JobsByState: %v", err)
		}
		if diff := cmp.Diff(map[string]int{"running": 2, "available": 1}, byState); diff != "" {
			t.Errorf("JobsByState before (-want +got):\n%s", diff)
		}

		n, err := st.RequeueOrphans(ctx)
		if st.Backend() == store.Postgres {
			// Another replica may be running them: River's rescuer, not
			// a restart, hands them over.
			if err == nil {
				t.Errorf("RequeueOrphans on PostgreSQL: requeued %d, want a refusal", n)
			}
			for _, id := range ids[:2] {
				if j, err := c.JobGet(ctx, id); err != nil || j.State != rivertype.JobStateRunning {
					t.Errorf("job %d after the refusal: %v, %v; want still running", id, j, err)
				}
			}
			return
		}
		if err != nil || n != 2 {
			t.Fatalf("RequeueOrphans: got %d, %v, want 2, nil", n, err)
		}
		for _, id := range ids[:2] {
			j, err := c.JobGet(ctx, id)
			if err != nil {
				t.Fatalf("JobGet: %v", err)
			}
			// The attempt stays spent: the next one is a retry, which looks
			// for what the lost one may have done.
			if j.State != rivertype.JobStateAvailable || j.Attempt != 1 {
				t.Errorf("job %d: got %s at attempt %d, want available at attempt 1", id, j.State, j.Attempt)
			}
		}
		if n, err := st.RequeueOrphans(ctx); err != nil || n != 0 {
			t.Errorf("second RequeueOrphans: got %d, %v, want 0, nil", n, err)
		}
	})
}

func TestJobsByStateEmpty(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		got, err := st.JobsByState(t.Context())
		if err != nil {
			t.Fatalf("JobsByState: %v", err)
		}
		if len(got) != 0 {
			t.Errorf("JobsByState of an empty store: got %v, want none", got)
		}
	})
}

// TestAcceptRollsBackJob checks that the job Accept's enqueue inserts
// commits and rolls back with the decision: River's insert runs in the
// store's transaction.
func TestAcceptRollsBackJob(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := riverClient(t, st)
		a := &alert.Alert{ProblemKey: "sentry:15", EventID: "ev1", Level: alert.SeverityError}
		p := alert.Problem{Key: a.ProblemKey, FirstSeen: base, LastSeen: base, Count: 1}
		decide := func(alert.Problem) (alert.Decision, alert.Problem) {
			return alert.Decision{Action: alert.ActionCreate}, p
		}

		var jobID int64
		errAfterInsert := errors.New("failed after the insert")
		failing := func(ctx context.Context, tx *store.Tx, _ *alert.Alert, _ alert.Decision) (int64, error) {
			res, err := c.InsertTx(ctx, tx, testJob{}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
			if err != nil {
				return 0, err
			}
			jobID = res.Job.ID
			return 0, errAfterInsert
		}
		if _, err := accept(ctx, st, newDelivery(a.ProblemKey, "ev1", base), a, decide, failing); !errors.Is(err, errAfterInsert) {
			t.Fatalf("Accept: got err %v, want %v", err, errAfterInsert)
		}
		if _, err := c.JobGet(ctx, jobID); !errors.Is(err, river.ErrNotFound) {
			t.Errorf("job inserted in a rolled back Accept: got err %v, want ErrNotFound", err)
		}

		working := func(ctx context.Context, tx *store.Tx, _ *alert.Alert, _ alert.Decision) (int64, error) {
			res, err := c.InsertTx(ctx, tx, testJob{}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
			if err != nil {
				return 0, err
			}
			return res.Job.ID, nil
		}
		if _, err := accept(ctx, st, newDelivery(a.ProblemKey, "ev1", base), a, decide, working); err != nil {
			t.Fatalf("Accept: %v", err)
		}
		rows := deliveries(t, st)
		if len(rows) != 1 || !rows[0].JobID.Valid {
			t.Fatalf("deliveries: got %+v, want one with a job", rows)
		}
		j, err := c.JobGet(ctx, rows[0].JobID.Int64)
		if err != nil {
			t.Fatalf("JobGet of the delivery's job: %v", err)
		}
		if j.Kind != (testJob{}).Kind() {
			t.Errorf("job kind: got %q, want %q", j.Kind, (testJob{}).Kind())
		}
	})
}

// TestRiverSchema fails when a River upgrade moves what booty reads or
// writes in River's tables directly (riverjobs.go): the columns must exist
// with the types booty's SQL assumes, and the states it names must be
// River's.
func TestRiverSchema(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		got := map[string]string{}
		storetest.Query(t, st, riverColumnsQuery[st.Backend()], nil, func(scan func(...any)) {
			var name, typ string
			scan(&name, &typ)
			got[name] = strings.ToLower(typ)
		})
		for col, want := range riverColumnTypes[st.Backend()] {
			if got[col] != want {
				t.Errorf("river_job.%s: type %q, want %q", col, got[col], want)
			}
		}
		known := map[rivertype.JobState]bool{}
		for _, s := range rivertype.JobStates() {
			known[s] = true
		}
		for _, s := range append(store.ParkedStates(), rivertype.JobStateRunning, rivertype.JobStateAvailable) {
			if !known[s] {
				t.Errorf("state %q is not one of River's", s)
			}
		}
	})
}

// riverColumnsQuery lists river_job's columns and their types on each
// backend.
var riverColumnsQuery = map[store.Backend]string{
	store.SQLite: `SELECT name, type FROM pragma_table_info('river_job')`,
	store.Postgres: `SELECT column_name, udt_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'river_job'`,
}

// riverColumnTypes are the types of the river_job columns booty uses, as
// riverColumnsQuery names them.
var riverColumnTypes = map[store.Backend]map[string]string{
	store.SQLite:   {"id": "integer", "state": "text", "attempt": "integer", "max_attempts": "integer"},
	store.Postgres: {"id": "int8", "state": "river_job_state", "attempt": "int2", "max_attempts": "int2"},
}

// TestGrantAttempts gives a job that used up its attempts a fresh set,
// keeping the attempt count.
func TestGrantAttempts(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := insertOnly(t, st)
		res, err := c.Insert(ctx, testJob{}, &river.InsertOpts{MaxAttempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		id := res.Job.ID
		storetest.Exec(t, st, `UPDATE river_job SET attempt = 3, state = 'discarded', finalized_at = CURRENT_TIMESTAMP WHERE id = $1`, id)
		if err := store.GrantAttempts(ctx, c.executor(), id, 5); err != nil {
			t.Fatalf("GrantAttempts: %v", err)
		}
		j, err := c.JobGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Attempt != 3 || j.MaxAttempts != 8 {
			t.Errorf("got attempt %d of %d, want 3 of 8", j.Attempt, j.MaxAttempts)
		}
		if !store.IsParked(j.State) {
			t.Errorf("IsParked(%s) = false, want true", j.State)
		}
	})
}
