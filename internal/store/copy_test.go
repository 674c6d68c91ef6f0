package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/storm"
	"booty/internal/worker"
)

// storeURL returns the URL of a new, empty database of backend.
func storeURL(t *testing.T, backend store.Backend) string {
	t.Helper()
	if backend == store.Postgres {
		return storetest.PostgresURL(t)
	}
	return storetest.SQLiteURL(t)
}

// openSource opens the existing store at u as migrate-store does: for an
// operator, keeping the schema as it is.
func openSource(t *testing.T, u string) *store.Store {
	t.Helper()
	st, err := store.OpenWith(t.Context(), u, store.Options{Access: store.Operate, KeepSchema: true})
	if err != nil {
		t.Fatalf("OpenWith: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// queryRows runs query under the store, whichever its backend, and calls
// scan for each row.
func queryRows(t *testing.T, st *store.Store, query string, scan func(scan func(dest ...any) error) error) {
	t.Helper()
	ctx := t.Context()
	if st.Backend() == store.Postgres {
		rows, err := st.Pool().Query(ctx, query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows.Scan); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return
	}
	rows, err := st.DB().QueryContext(ctx, query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows.Scan); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// execSQL runs a statement under the store, whichever its backend.
func execSQL(t *testing.T, st *store.Store, stmt string, args ...any) {
	t.Helper()
	var err error
	if st.Backend() == store.Postgres {
		_, err = st.Pool().Exec(t.Context(), stmt, args...)
	} else {
		_, err = st.DB().ExecContext(t.Context(), stmt, args...)
	}
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// jobClient is River's client over st as booty's operator commands make it:
// it inserts and manages jobs, and runs none.
func jobClient(t *testing.T, st *store.Store) *worker.Client {
	t.Helper()
	c, err := worker.NewClient(st, nil, slog.New(slog.DiscardHandler), 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testQueue is the queue of workTestJobs' jobs, which booty's jobs are not
// in: its client runs none of them.
const testQueue = "store_test"

// laterRetry makes a failed job wait an hour, so that it stays retryable.
type laterRetry struct{}

func (laterRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Hour) }

// workTestJobs runs three test jobs on st with a River client of its own
// until one is retryable, one discarded and one completed, and stops it.
func workTestJobs(t *testing.T, st *store.Store) (retryable, discarded, completed int64) {
	t.Helper()
	if st.Backend() == store.Postgres {
		return workTestJobsWith(t, st.PostgresDriver())
	}
	return workTestJobsWith(t, st.SQLiteDriver())
}

func workTestJobsWith[TTx any](t *testing.T, driver riverdriver.Driver[TTx]) (retryable, discarded, completed int64) {
	t.Helper()
	ctx := t.Context()
	workers := river.NewWorkers()
	river.AddWorker(workers, &testWorker{})
	c, err := river.NewClient(driver, &river.Config{
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{testQueue: {MaxWorkers: 2}},
		Workers:           workers,
		RetryPolicy:       laterRetry{},
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	insert := func(args testJob, opts *river.InsertOpts) int64 {
		t.Helper()
		res, err := c.Insert(ctx, args, opts)
		if err != nil {
			t.Fatal(err)
		}
		return res.Job.ID
	}
	retryable = insert(testJob{Fail: true}, &river.InsertOpts{Queue: testQueue, MaxAttempts: 5, Priority: 2, Tags: []string{"copy", "retry"}})
	discarded = insert(testJob{Fail: true}, &river.InsertOpts{Queue: testQueue, MaxAttempts: 1})
	completed = insert(testJob{}, &river.InsertOpts{Queue: testQueue})
	for id, want := range map[int64]rivertype.JobState{
		retryable: rivertype.JobStateRetryable, discarded: rivertype.JobStateDiscarded, completed: rivertype.JobStateCompleted,
	} {
		deadline := time.Now().Add(15 * time.Second)
		for {
			j, err := c.JobGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if j.State == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d: got state %s, want %s", id, j.State, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	return retryable, discarded, completed
}

// filled is what fill put in a store.
type filled struct {
	keys []string
	// createOf is the create job of each problem, by key.
	createOf map[string]int64
	// running was made running, as a crash leaves a job; completed
	// finished, and is not copied.
	running, completed int64
	// lastID is the highest job id the store handed out.
	lastID int64
}

// fill fills st through booty's own calls: three problems decided and
// filed as intake does (each with a unique create job, one of them left
// running by a crash), an ignored delivery, issues recorded for two, a
// scheduled comment, a cancelled one (parked), and a retryable, a
// discarded (parked) and a completed job run by River.
func fill(t *testing.T, st *store.Store) filled {
	t.Helper()
	ctx := t.Context()
	c := jobClient(t, st)
	enqueue := enqueueFunc(worker.Enqueuer(c))
	f := filled{createOf: map[string]int64{}}
	for i := range 3 {
		key := fmt.Sprintf("sentry:%d", 700+i)
		at := base.Add(time.Duration(i) * time.Minute)
		a := &alert.Alert{ProblemKey: key, EventID: fmt.Sprintf("ev%d", i), Level: alert.SeverityError,
			ExceptionType: "TypeError", Timestamp: at}
		decide := func(prev alert.Problem) (alert.Decision, alert.Problem) {
			return alert.Decision{Action: alert.ActionCreate}, alert.Problem{Key: key, FirstSeen: at, LastSeen: at, Count: 1,
				LastEventID: a.EventID, EventCounted: true, LastWriteAt: at}
		}
		if _, err := accept(ctx, st, newDelivery(key, a.EventID, at), a, decide, enqueue); err != nil {
			t.Fatal(err)
		}
		f.keys = append(f.keys, key)
	}
	// A second event of the first problem, counted in its cooldown.
	again := &alert.Alert{ProblemKey: f.keys[0], EventID: "ev9", Level: alert.SeverityError}
	if _, err := accept(ctx, st, newDelivery(f.keys[0], "ev9", base.Add(time.Hour)), again,
		func(prev alert.Problem) (alert.Decision, alert.Problem) {
			next := prev
			next.Count, next.LastSeen, next.LastEventID, next.EventCounted = 2, base.Add(time.Hour), "ev9", true
			return alert.Decision{Reason: alert.ReasonCooldown}, next
		}, noEnqueue(t)); err != nil {
		t.Fatal(err)
	}
	if err := recordIgnored(ctx, st, newDelivery("", "ev10", base.Add(2*time.Hour)), alert.ReasonBelowThreshold); err != nil {
		t.Fatal(err)
	}
	if err := st.SetIssue(ctx, f.keys[0], 41, true, base.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.SetIssue(ctx, f.keys[1], 42, false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// The third problem came in a storm: folded into a digest, with the
	// budgets it found spent.
	err := st.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.IssueBudgets(ctx, "web"); err != nil {
			return err
		}
		spent := storm.Budgets{Route: storm.Allowance{TAT: base.Add(time.Hour)}, Global: storm.Allowance{TAT: base.Add(2 * time.Hour)}}
		if err := tx.SaveIssueBudgets(ctx, "web", spent); err != nil {
			return err
		}
		d, err := tx.Fold(ctx, "web", "acme/web", base.Add(3*time.Minute), time.Hour)
		if err != nil {
			return err
		}
		prev, err := tx.Problem(ctx, f.keys[2])
		if err != nil {
			return err
		}
		next := prev
		next.DigestID = d.ID
		return tx.SaveProblem(ctx, prev, next)
	})
	if err != nil {
		t.Fatal(err)
	}
	queryRows(t, st, `SELECT problem_key, job_id FROM booty_deliveries WHERE job_id IS NOT NULL`, func(scan func(...any) error) error {
		var key string
		var id int64
		err := scan(&key, &id)
		f.createOf[key] = id
		return err
	})

	later := time.Now().Add(time.Hour).UTC()
	comment, err := c.Insert(ctx, worker.NewIssueArgs(again, alert.ActionComment), &river.InsertOpts{ScheduledAt: later})
	if err != nil {
		t.Fatal(err)
	}
	parked, err := c.Insert(ctx, worker.NewIssueArgs(again, alert.ActionComment), &river.InsertOpts{ScheduledAt: later})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.JobCancel(ctx, parked.Job.ID); err != nil {
		t.Fatal(err)
	}
	if comment.Job.ID == parked.Job.ID {
		t.Fatal("one job for two inserts")
	}
	_, _, f.completed = workTestJobs(t, st)
	// The first problem was built, and its pull request is being verified.
	build, err := st.StartRun(ctx, store.Run{Kind: store.RunBuild, JobID: f.completed, ProblemKey: f.keys[0], Repo: "acme/shop",
		Issue: 41, Attempt: 1, SHA: "base", Detail: "building", StartedAt: base.Add(4 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, build, store.RunEnd{Outcome: "pull_opened", Detail: "opened #43", Log: "diff ok\n", SHA: "head",
		Pull: 43, At: base.Add(5 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartRun(ctx, store.Run{Kind: store.RunVerify, JobID: f.completed + 1000, ProblemKey: f.keys[0],
		Repo: "acme/shop", Issue: 41, Pull: 43, Attempt: 1, SHA: "head", StartedAt: base.Add(6 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// The create of the third problem was running when booty died.
	f.running = f.createOf[f.keys[2]]
	execSQL(t, st, `UPDATE river_job SET state = 'running', attempt = 1 WHERE id = $1`, f.running)
	queryRows(t, st, `SELECT max(id) FROM river_job`, func(scan func(...any) error) error { return scan(&f.lastID) })
	return f
}

// fillURL fills the store at u as fill does, and closes it.
func fillURL(t *testing.T, u string) filled {
	t.Helper()
	st, err := store.Open(t.Context(), u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	return fill(t, st)
}

// dump is everything Copy moves, read back through the store and River.
type dump struct {
	Problems   []alert.Problem
	Events     []string
	Deliveries []string
	Digests    []storm.Digest
	Runs       []store.Run
	Budgets    []string
	Jobs       []job
}

// job is a River job as River reads it, its JSON decoded.
type job struct {
	ID           int64
	State        rivertype.JobState
	Attempt      int
	AttemptedAt  *time.Time
	AttemptedBy  []string
	CreatedAt    time.Time
	Args         any
	Errors       []rivertype.AttemptError
	FinalizedAt  *time.Time
	Kind         string
	MaxAttempts  int
	Metadata     any
	Priority     int
	Queue        string
	ScheduledAt  time.Time
	Tags         []string
	UniqueKey    []byte
	UniqueStates []rivertype.JobState
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return v
}

// dumpStore reads st: the problems through Problem, the events and
// deliveries in key order, and the jobs that had not finished through
// River's client.
func dumpStore(t *testing.T, st *store.Store) dump {
	t.Helper()
	ctx := t.Context()
	var d dump
	var keys []string
	queryRows(t, st, `SELECT key FROM booty_problems ORDER BY key`, func(scan func(...any) error) error {
		var k string
		err := scan(&k)
		keys = append(keys, k)
		return err
	})
	for _, k := range keys {
		p, err := st.Problem(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		d.Problems = append(d.Problems, p)
	}
	queryRows(t, st, `SELECT problem_key, event_id, counted_at_ms FROM booty_problem_events ORDER BY problem_key, event_id`,
		func(scan func(...any) error) error {
			var key, ev string
			var at int64
			err := scan(&key, &ev, &at)
			d.Events = append(d.Events, fmt.Sprintf("%s %s %d", key, ev, at))
			return err
		})
	queryRows(t, st, `SELECT received_at_ms, request_id, resource, action, problem_key, event_id, decision, job_id
		FROM booty_deliveries ORDER BY id`, func(scan func(...any) error) error {
		var at int64
		var req, res, action, key, ev, decision string
		var jobID *int64
		err := scan(&at, &req, &res, &action, &key, &ev, &decision, &jobID)
		line := fmt.Sprintf("%d %s %s %s %s %s %s", at, req, res, action, key, ev, decision)
		if jobID != nil {
			line += fmt.Sprintf(" job %d", *jobID)
		}
		d.Deliveries = append(d.Deliveries, line)
		return err
	})
	var digests []int64
	queryRows(t, st, `SELECT id FROM booty_digests ORDER BY id`, func(scan func(...any) error) error {
		var id int64
		err := scan(&id)
		digests = append(digests, id)
		return err
	})
	for _, id := range digests {
		dg, err := st.Digest(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		d.Digests = append(d.Digests, dg)
	}
	recent, err := st.RecentRuns(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recent {
		r, err := st.Run(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		d.Runs = append(d.Runs, r)
	}
	queryRows(t, st, `SELECT scope, tat_ns FROM booty_issue_budgets ORDER BY scope`, func(scan func(...any) error) error {
		var scope string
		var tat int64
		err := scan(&scope, &tat)
		d.Budgets = append(d.Budgets, fmt.Sprintf("%s %d", scope, tat))
		return err
	})
	var states []rivertype.JobState
	for _, s := range rivertype.JobStates() {
		if s != rivertype.JobStateCompleted {
			states = append(states, s)
		}
	}
	res, err := jobClient(t, st).JobList(ctx, river.NewJobListParams().States(states...).
		OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(10_000))
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range res.Jobs {
		d.Jobs = append(d.Jobs, job{ID: j.ID, State: j.State, Attempt: j.Attempt, AttemptedAt: j.AttemptedAt, AttemptedBy: j.AttemptedBy,
			CreatedAt: j.CreatedAt, Args: decodeJSON(t, j.EncodedArgs), Errors: j.Errors, FinalizedAt: j.FinalizedAt, Kind: j.Kind,
			MaxAttempts: j.MaxAttempts, Metadata: decodeJSON(t, j.Metadata), Priority: j.Priority, Queue: j.Queue,
			ScheduledAt: j.ScheduledAt, Tags: j.Tags, UniqueKey: j.UniqueKey, UniqueStates: j.UniqueStates})
	}
	return d
}

// copyOpts compare two dumps across backends: SQLite keeps River's times
// to the millisecond, PostgreSQL to the microsecond.
var copyOpts = cmp.Options{cmpopts.EquateApproxTime(time.Millisecond), cmpopts.EquateEmpty()}

// TestCopy fills a store of each backend through booty's and River's own
// calls, copies it into an empty store of each backend, and compares what
// the target holds, field by field, with what the source held.
func TestCopy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ from, to store.Backend }{
		{store.SQLite, store.SQLite},
		{store.SQLite, store.Postgres},
		{store.Postgres, store.SQLite},
		{store.Postgres, store.Postgres},
	} {
		t.Run(string(tc.from)+" to "+string(tc.to), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			fromURL, toURL := storeURL(t, tc.from), storeURL(t, tc.to)
			f := fillURL(t, fromURL)
			from := openSource(t, fromURL)
			source, want := dumpStore(t, from), dumpStore(t, from)
			to := openURL(t, toURL)

			var calls [][2]int
			stats, err := store.CopyInBatches(ctx, from, to, 2, func(done, total int) { calls = append(calls, [2]int{done, total}) })
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			if diff := cmp.Diff(store.CopyStats{Problems: 3, Events: 4, Deliveries: 5, Digests: 1, Runs: 2, Jobs: 7, Parked: 2}, stats); diff != "" {
				t.Errorf("CopyStats (-want +got):\n%s", diff)
			}
			total := 3 + 4 + 5 + 1 + 2 + 2 + 7 // 2 budgets: the route's and the global one; 2 runs
			if len(calls) < 2 || calls[0] != [2]int{0, total} || calls[len(calls)-1] != [2]int{total, total} {
				t.Errorf("progress: got %v, want from 0/%d to %d/%d", calls, total, total, total)
			}
			for i := 1; i < len(calls); i++ {
				if calls[i][0] < calls[i-1][0] || calls[i][0]-calls[i-1][0] > 2 {
					t.Errorf("progress: %v after %v: want batches of at most 2", calls[i], calls[i-1])
				}
			}

			// The running job becomes available on the target, its attempt
			// spent; the rest is as it was, ids included.
			for i := range want.Jobs {
				if want.Jobs[i].ID == f.running {
					if want.Jobs[i].State != rivertype.JobStateRunning {
						t.Fatalf("job %d in the source: %s, want running", f.running, want.Jobs[i].State)
					}
					want.Jobs[i].State = rivertype.JobStateAvailable
				}
			}
			got := dumpStore(t, to)
			if diff := cmp.Diff(want, got, copyOpts); diff != "" {
				t.Errorf("target (-source +target):\n%s", diff)
			}
			if slices.ContainsFunc(got.Jobs, func(j job) bool { return j.ID == f.completed }) {
				t.Errorf("the completed job %d was copied", f.completed)
			}
			var states []string
			for _, j := range got.Jobs {
				states = append(states, string(j.State))
			}
			slices.Sort(states)
			if diff := cmp.Diff([]string{"available", "available", "available", "cancelled", "discarded", "retryable", "scheduled"}, states); diff != "" {
				t.Errorf("job states on the target (-want +got):\n%s", diff)
			}

			// The target works as a store: the create still waiting is
			// unique there, parked jobs count, and a new job takes an id
			// above every one the source handed out.
			c := jobClient(t, to)
			a := &alert.Alert{ProblemKey: f.keys[1], EventID: "ev1", Level: alert.SeverityError}
			var dup *rivertype.JobInsertResult
			if err := to.Transact(ctx, func(tx *store.Tx) error {
				var err error
				dup, err = c.InsertTx(ctx, tx, worker.NewIssueArgs(a, alert.ActionCreate), uniqueCreate())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if !dup.UniqueSkippedAsDuplicate || dup.Job.ID != f.createOf[f.keys[1]] {
				t.Errorf("a second create of %s on the target: got job %d (duplicate %t), want the copied create %d",
					f.keys[1], dup.Job.ID, dup.UniqueSkippedAsDuplicate, f.createOf[f.keys[1]])
			}
			if n, err := to.ParkedJobs(ctx); err != nil || n != 2 {
				t.Errorf("ParkedJobs on the target: got %d, %v, want 2", n, err)
			}
			res, err := c.Insert(ctx, worker.NewIssueArgs(a, alert.ActionComment), nil)
			if err != nil {
				t.Fatal(err)
			}
			// A new run takes an id above the copied ones, which commit
			// statuses link to.
			run, err := to.StartRun(ctx, store.Run{Kind: store.RunVerify, JobID: res.Job.ID, ProblemKey: f.keys[1], StartedAt: base})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Runs) != 2 || run <= got.Runs[0].ID {
				t.Errorf("a new run on the target got id %d, want one above the copied runs %+v", run, got.Runs)
			}
			if res.Job.ID <= f.lastID {
				t.Errorf("a new job on the target got id %d, want one above the source's %d", res.Job.ID, f.lastID)
			}
			if diff := cmp.Diff(source, dumpStore(t, from)); diff != "" {
				t.Errorf("the source changed (-before +after):\n%s", diff)
			}
		})
	}
}

// uniqueCreate are the insert options booty makes a create with: unique
// among the waiting and running jobs (worker's createOpts).
func uniqueCreate() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// TestCopyRefusesNonEmptyTarget copies a store twice into one target: the
// second copy is refused, naming what the target holds, and doubles
// nothing.
func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	fromURL := storeURL(t, store.SQLite)
	fillURL(t, fromURL)
	from, to := openSource(t, fromURL), openURL(t, storeURL(t, store.SQLite))
	if _, err := store.Copy(ctx, from, to, nil); err != nil {
		t.Fatal(err)
	}
	want := dumpStore(t, to)
	_, err := store.Copy(ctx, from, to, nil)
	if !errors.Is(err, store.ErrNotEmpty) {
		t.Fatalf("second Copy: got %v, want ErrNotEmpty", err)
	}
	for _, s := range []string{"3 problems", "4 counted events", "5 deliveries", "2 runs", "7 jobs"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say the target holds %s", err, s)
		}
	}
	if diff := cmp.Diff(want, dumpStore(t, to)); diff != "" {
		t.Errorf("target after the refused copy (-before +after):\n%s", diff)
	}

	// A target holding only a delivery is not empty either.
	other := openURL(t, storeURL(t, store.SQLite))
	if err := recordIgnored(ctx, other, newDelivery("", "e", base), alert.ReasonBelowThreshold); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Copy(ctx, from, other, nil); !errors.Is(err, store.ErrNotEmpty) || !strings.Contains(err.Error(), "1 delivery;") {
		t.Errorf("Copy into a store holding a delivery: got %v, want ErrNotEmpty naming it", err)
	}
}

// TestCopyAllOrNothing stops a copy at its last row: the target is left
// empty, and the next copy fills it whole.
func TestCopyAllOrNothing(t *testing.T) {
	t.Parallel()
	for _, to := range []store.Backend{store.SQLite, store.Postgres} {
		t.Run(string(to), func(t *testing.T) {
			t.Parallel()
			fromURL := storeURL(t, store.SQLite)
			fillURL(t, fromURL)
			from, target := openSource(t, fromURL), openURL(t, storeURL(t, to))
			empty := dumpStore(t, target)

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			_, err := store.CopyInBatches(ctx, from, target, 1, func(done, total int) {
				if done == total-1 {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Copy cancelled before its last row: got %v, want context.Canceled", err)
			}
			if diff := cmp.Diff(empty, dumpStore(t, target)); diff != "" {
				t.Errorf("target after the failed copy (-empty +got):\n%s", diff)
			}
			if _, err := store.Copy(t.Context(), from, target, nil); err != nil {
				t.Fatalf("Copy after the failed one: %v", err)
			}
			if got := dumpStore(t, target); len(got.Problems) != 3 || len(got.Jobs) != 7 {
				t.Errorf("after the second copy: %d problems, %d jobs; want 3 and 7", len(got.Problems), len(got.Jobs))
			}
		})
	}
}

// TestCopyRefusesServedStore refuses to copy from, or into, a store a booty
// serves, and from a store whose schema is behind this build.
func TestCopyRefusesServedStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	t.Run("sqlite source served", func(t *testing.T) {
		t.Parallel()
		fromURL := storeURL(t, store.SQLite)
		fill(t, openURL(t, fromURL)) // still open to serve: holds the serve lock
		from, to := openSource(t, fromURL), openURL(t, storeURL(t, store.SQLite))
		_, err := store.Copy(ctx, from, to, nil)
		if !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), "process "+fmt.Sprint(os.Getpid())) ||
			!strings.Contains(err.Error(), "source") {
			t.Errorf("Copy from a served file: got %v, want ErrInUse naming the source and this process", err)
		}
		if got := dumpStore(t, to); len(got.Problems)+len(got.Deliveries)+len(got.Jobs) != 0 {
			t.Errorf("target after the refusal: %+v, want it empty", got)
		}
	})

	t.Run("sqlite target served", func(t *testing.T) {
		t.Parallel()
		fromURL, toURL := storeURL(t, store.SQLite), storeURL(t, store.SQLite)
		openURL(t, toURL) // serves the target
		seed, err := store.OpenWith(ctx, fromURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		seed.Close()
		from := openSource(t, fromURL)
		to, err := store.OpenWith(ctx, toURL, store.Options{Access: store.Operate})
		if err != nil {
			t.Fatal(err)
		}
		defer to.Close()
		if _, err := store.Copy(ctx, from, to, nil); !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), "target") {
			t.Errorf("Copy into a served file: got %v, want ErrInUse naming the target", err)
		}
	})

	t.Run("held for the copy", func(t *testing.T) {
		t.Parallel()
		fromURL := storeURL(t, store.SQLite)
		seed, err := store.Open(ctx, fromURL)
		if err != nil {
			t.Fatal(err)
		}
		seed.Close()
		from, to := openSource(t, fromURL), openURL(t, storeURL(t, store.SQLite))
		if _, err := store.Copy(ctx, from, to, nil); err != nil {
			t.Fatal(err)
		}
		// Until the source closes, no booty can serve it.
		if st, err := store.Open(ctx, fromURL); !errors.Is(err, store.ErrInUse) {
			if err == nil {
				st.Close()
			}
			t.Errorf("serve while Copy's source is open: got %v, want ErrInUse", err)
		}
	})

	t.Run("source not migrated", func(t *testing.T) {
		t.Parallel()
		fromURL := storeURL(t, store.SQLite)
		seed, err := store.OpenWith(ctx, fromURL, store.Options{KeepSchema: true})
		if err != nil {
			t.Fatal(err)
		}
		seed.Close()
		from, to := openSource(t, fromURL), openURL(t, storeURL(t, store.SQLite))
		if _, err := store.Copy(ctx, from, to, nil); err == nil || !strings.Contains(err.Error(), "booty migrate") {
			t.Errorf("Copy from an unmigrated store: got %v, want a refusal saying to run booty migrate", err)
		}
	})

	t.Run("same store", func(t *testing.T) {
		t.Parallel()
		u := storeURL(t, store.SQLite)
		a := openURL(t, u)
		b := openSource(t, u)
		if _, err := store.Copy(ctx, b, a, nil); err == nil || !strings.Contains(err.Error(), "same store") {
			t.Errorf("Copy of a store into itself: got %v, want a refusal", err)
		}
	})

	t.Run("postgres source served", func(t *testing.T) {
		t.Parallel()
		fromURL := storetest.PostgresURL(t)
		src := openURL(t, fromURL)
		c := riverClientOn(t, src.PostgresDriver())
		to := openURL(t, storeURL(t, store.SQLite))
		waitFor(t, "River's leader", func() bool {
			n := 0
			queryRows(t, src, `SELECT count(*) FROM river_leader`, func(scan func(...any) error) error { return scan(&n) })
			return n == 1
		})
		if _, err := store.Copy(ctx, src, to, nil); !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), "leader") {
			t.Errorf("Copy from a served PostgreSQL store: got %v, want ErrInUse naming River's leader", err)
		}
		ctxStop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Stop(ctxStop); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Copy(ctx, src, to, nil); err != nil {
			t.Errorf("Copy once the serving client stopped: %v", err)
		}
	})
}

// riverClientOn starts a River client that works test jobs over driver, as
// a serving booty's does; it is stopped when the test ends.
func riverClientOn[TTx any](t *testing.T, driver riverdriver.Driver[TTx]) *river.Client[TTx] {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &testWorker{})
	c, err := river.NewClient(driver, &river.Config{
		Logger:  slog.New(slog.DiscardHandler),
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		Workers: workers,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Stop(ctx)
	})
	return c
}

// TestRiverJobColumns fails when a River upgrade changes River's job table
// under Copy: it must move every column, each of the type its SQL reads
// and writes, on both backends.
func TestRiverJobColumns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		backend store.Backend
		query   string
		want    map[string]string
	}{
		{store.SQLite, `SELECT name, lower(type) FROM pragma_table_info('river_job')`, map[string]string{
			"id": "integer", "state": "text", "attempt": "integer", "max_attempts": "integer", "priority": "integer",
			"attempted_at": "timestamp", "finalized_at": "timestamp", "created_at": "timestamp", "scheduled_at": "timestamp",
			"args": "blob", "metadata": "blob", "tags": "blob", "attempted_by": "blob", "errors": "blob",
			"kind": "text", "queue": "text", "unique_key": "blob", "unique_states": "integer",
		}},
		{store.Postgres, `SELECT column_name, udt_name FROM information_schema.columns
			WHERE table_name = 'river_job' AND table_schema = current_schema()`, map[string]string{
			"id": "int8", "state": "river_job_state", "attempt": "int2", "max_attempts": "int2", "priority": "int2",
			"attempted_at": "timestamptz", "finalized_at": "timestamptz", "created_at": "timestamptz", "scheduled_at": "timestamptz",
			"args": "jsonb", "metadata": "jsonb", "tags": "_varchar", "attempted_by": "_text", "errors": "_jsonb",
			"kind": "text", "queue": "text", "unique_key": "bytea", "unique_states": "bit",
		}},
	} {
		t.Run(string(tc.backend), func(t *testing.T) {
			t.Parallel()
			st := openURL(t, storeURL(t, tc.backend))
			got := map[string]string{}
			queryRows(t, st, tc.query, func(scan func(...any) error) error {
				var name, typ string
				err := scan(&name, &typ)
				got[name] = typ
				return err
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("river_job columns (-want +got):\n%s", diff)
			}
			copied := map[string]bool{}
			for _, c := range store.RiverJobColumns {
				copied[c] = true
			}
			for c := range got {
				if !copied[c] {
					t.Errorf("river_job.%s is not copied", c)
				}
			}
			if len(copied) != len(got) {
				t.Errorf("Copy moves %d columns of river_job, which has %d", len(copied), len(got))
			}
			if tc.backend == store.SQLite {
				// Copy moves the job ids on in sqlite_sequence, which
				// only an AUTOINCREMENT table has.
				var ddl string
				queryRows(t, st, `SELECT sql FROM sqlite_master WHERE name = 'river_job'`, func(scan func(...any) error) error { return scan(&ddl) })
				if !strings.Contains(ddl, "AUTOINCREMENT") {
					t.Errorf("river_job is not AUTOINCREMENT:\n%s", ddl)
				}
				return
			}
			// Copy asks River's leader table who serves a PostgreSQL
			// store, and moves the job id sequence on.
			leader := map[string]string{}
			queryRows(t, st, `SELECT column_name, udt_name FROM information_schema.columns
				WHERE table_name = 'river_leader' AND table_schema = current_schema()
				AND column_name IN ('leader_id', 'expires_at')`, func(scan func(...any) error) error {
				var name, typ string
				err := scan(&name, &typ)
				leader[name] = typ
				return err
			})
			if diff := cmp.Diff(map[string]string{"leader_id": "text", "expires_at": "timestamptz"}, leader); diff != "" {
				t.Errorf("river_leader columns (-want +got):\n%s", diff)
			}
			var seq *string
			queryRows(t, st, `SELECT pg_get_serial_sequence('river_job', 'id')`, func(scan func(...any) error) error { return scan(&seq) })
			if seq == nil {
				t.Error("river_job.id has no sequence")
			}
		})
	}
}
