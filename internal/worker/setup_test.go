package worker_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/clocktest"
	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/worker"
)

const (
	owner = "acme"
	repo  = "app"
	token = "test-token-worker"
	label = "agent:builder"
	// issuesPath is where issues are created and listed.
	issuesPath = "/repos/" + owner + "/" + repo + "/issues"
	// waitLong bounds every wait for River. Jobs are fetched every 20 ms,
	// and backoffs and snoozes pass on the test clock, which waitFor moves
	// on to the next due job: no wait is spent on them.
	waitLong = 25 * time.Second
	// lateCommitWait is Config.LateCommitWait in tests, on the test clock.
	lateCommitWait = 3 * time.Second
)

// A clocktest.Clock is the clock of River (river.Config.Test.Time), the
// worker and the stand-in in one test.
var _ rivertype.TimeGenerator = (*clocktest.Clock)(nil)

// The implementations the worker runs with in booty.
var (
	_ worker.Issues = (*github.Client)(nil)
	_ worker.Issues = (*github.DryRun)(nil)
	_ worker.Store  = (*store.Store)(nil)
	_ worker.Budget = (*store.WriteBudget)(nil)
)

// failures records the jobs the worker gives up on.
type failures struct {
	mu  sync.Mutex
	got []worker.JobFailure
}

var _ worker.Failures = (*failures)(nil)

func (f *failures) JobFailed(_ context.Context, jf worker.JobFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, jf)
}

func (f *failures) list() []worker.JobFailure {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]worker.JobFailure(nil), f.got...)
}

// bundle is one running booty worker: its store, River client, GitHub
// stand-in and the parts tests look at.
type bundle struct {
	clock    *clocktest.Clock
	st       *store.Store
	srv      *githubtest.Server
	client   *worker.Client
	spool    *worker.Spool
	failures *failures
	pipeline *alert.Pipeline
	worker   *worker.Worker
	// cfg is the worker's configuration, for a test that starts another
	// worker over the same store and GitHub (a restart).
	cfg worker.Config
	log *slog.Logger
}

type setupOpts struct {
	// issues replaces the GitHub client (a dry run).
	issues worker.Issues
	// cooldown is the pipeline's quiet period; 0 lets every new event
	// through to GitHub.
	cooldown time.Duration
	// labels and issues are the repository's at the start.
	labels  []githubtest.Label
	issues0 []githubtest.Issue
	// manualStart leaves River's client stopped until the test calls
	// start, as a process that has not come up yet.
	manualStart bool
	// github changes the stand-in's options.
	github func(*githubtest.Options)
	// timeout is the GitHub client's; 0 means 10 s.
	timeout time.Duration
	// budget, when set, is the worker's write budget over the store;
	// without it pacing is lifted.
	budget func(*store.Store) worker.Budget
	// backend is the store's; the zero value is SQLite.
	backend storetest.Backend
	// wrapIssues, when set, wraps the worker's GitHub client; now is the
	// test clock.
	wrapIssues func(is worker.Issues, now func() time.Time) worker.Issues
	// builder turns command-mode builds on.
	builder *worker.Builder
}

// eachBackend runs test once per store backend, in parallel subtests named
// after them.
//
// Only the tests where the worker meets the store run over both: every
// exactness test (exactness_test.go), and those that create, comment on,
// reopen, file again, park, drop and retry, which read and write problems
// and River's unique and parked jobs. The others (labels, rate limits,
// outages, dry runs, the orphan's SQLite requeue) stay on SQLite: they use
// the store no differently, and the whole suite over PostgreSQL as well
// made `go test -race` of this package about half as long again.
func eachBackend(t *testing.T, test func(t *testing.T, backend storetest.Backend)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

// setup starts a worker over a fresh store and stand-in, stopped when the
// test ends.
func setup(t *testing.T, o setupOpts) *bundle {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))

	// GitHub and the store keep whole seconds and milliseconds.
	clock := clocktest.New(time.Now().UTC().Truncate(time.Second))
	gopts := githubtest.Options{Token: token, Owner: owner, Repo: repo, Labels: o.labels, Issues: o.issues0, Now: clock.Now}
	if o.github != nil {
		o.github(&gopts)
	}
	b := &bundle{
		clock:    clock,
		srv:      githubtest.NewServer(t, gopts),
		failures: &failures{},
		pipeline: alert.NewPipeline(alert.SeverityError, o.cooldown),
	}
	url := storetest.SQLiteURL(t)
	if o.backend.Name != "" {
		url = o.backend.URL(t)
	}
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b.st = st
	budget := liftedBudget(st)
	if o.budget != nil {
		budget = o.budget(st)
	}

	issues := o.issues
	if issues == nil {
		timeout := cmp.Or(o.timeout, 10*time.Second)
		gc, err := github.NewClient(&http.Client{Timeout: timeout}, b.srv.URL, token, owner, repo, "test")
		if err != nil {
			t.Fatalf("github client: %v", err)
		}
		issues = gc
	}
	if o.wrapIssues != nil {
		issues = o.wrapIssues(issues, clock.Now)
	}
	b.cfg = worker.Config{
		Issues:         issues,
		DefaultRepo:    owner + "/" + repo,
		Store:          st,
		Budget:         budget,
		Label:          label,
		Log:            log,
		Failures:       b.failures,
		Now:            clock.Now,
		LateCommitWait: lateCommitWait,
		Builder:        o.builder,
	}
	b.log = log
	b.worker = worker.New(b.cfg)
	c, err := worker.NewClient(st, b.worker, log, 2, worker.WithTime(clock), worker.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	b.client = c
	b.spool = worker.NewSpool(c)
	if !o.manualStart {
		b.start(t)
	}
	return b
}

// liftedBudget is the store's write budget with pacing lifted: pacing is
// the store's to test, and most tests here are about something else.
func liftedBudget(st *store.Store) worker.Budget {
	return st.WriteBudget(store.NewWritePolicy(100_000_000, 100_000_000, 0))
}

// pausedUntil returns the end of the write budget's rate limit pause.
func (b *bundle) pausedUntil(t *testing.T) time.Time {
	t.Helper()
	until, err := b.st.WritesPausedUntil(t.Context())
	if err != nil {
		t.Fatalf("WritesPausedUntil: %v", err)
	}
	return until
}

// start starts River's client, which stops when the test ends.
func (b *bundle) start(t *testing.T) {
	t.Helper()
	// Not t.Context(): it ends before the cleanups run, and River would
	// take that for a hard stop.
	if err := b.client.Start(context.Background()); err != nil {
		t.Fatalf("start River: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.client.Stop(ctx); err != nil {
			t.Errorf("stop River: %v", err)
		}
	})
}

// newAlert returns an error alert of problem key, event eventID.
func newAlert(key, eventID string) *alert.Alert {
	return &alert.Alert{
		ProblemKey:     key,
		EventID:        eventID,
		Project:        "web",
		Level:          alert.SeverityError,
		ExceptionType:  "TypeError",
		ExceptionValue: "Cannot read properties of undefined (reading 'id')",
		Culprit:        "render(app/components/List)",
		Platform:       "javascript",
		Environment:    "production",
		Release:        "web@1.4.2",
		Rule:           "Errors in production",
		Timestamp:      time.Now().UTC().Truncate(time.Millisecond),
		EventURL:       "https://sentry.example/organizations/acme/issues/4711/events/" + eventID + "/",
		IssueURL:       "https://sentry.example/organizations/acme/issues/4711/",
		Frames: []alert.Frame{
			{Filename: "node_modules/react-dom/index.js", Function: "renderRoot", Lineno: 900},
			{Filename: "app/components/List.js", Function: "render", Lineno: 42, InApp: true},
		},
	}
}

// accept runs a through the store and the pipeline as intake does, and
// returns the decision with the id of the job it enqueued (0 for none).
func (b *bundle) accept(t *testing.T, a *alert.Alert) (alert.Decision, int64) {
	t.Helper()
	now := b.clock.Now()
	var (
		d     alert.Decision
		jobID int64
	)
	err := b.st.Transact(t.Context(), func(tx *store.Tx) error {
		ctx := t.Context()
		prev, err := tx.ProblemEvent(ctx, a.ProblemKey, a.EventID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var next alert.Problem
		d, next = b.pipeline.Decide(a, prev, now)
		if err := tx.SaveProblem(ctx, prev, next); err != nil {
			return err
		}
		if next.EventCounted && !prev.EventCounted {
			if err := tx.CountEvent(ctx, a.ProblemKey, a.EventID, now); err != nil {
				return err
			}
		}
		jobID = 0
		if d.Accepted() {
			if jobID, err = worker.Enqueuer(b.client)(ctx, tx, a, d); err != nil {
				return err
			}
		}
		return tx.RecordDelivery(ctx, store.Delivery{ReceivedAt: now, ProblemKey: a.ProblemKey, EventID: a.EventID}, d.String(), jobID)
	})
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	return d, jobID
}

// acceptJob stores problem p and, in the same transaction, inserts args with
// opts: a job the pipeline would not make, or one with other insert options.
func (b *bundle) acceptJob(t *testing.T, p alert.Problem, args worker.IssueArgs, opts *river.InsertOpts) int64 {
	t.Helper()
	var jobID int64
	err := b.st.Transact(t.Context(), func(tx *store.Tx) error {
		ctx := t.Context()
		prev, err := tx.Problem(ctx, p.Key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.SaveProblem(ctx, prev, p); err != nil {
			return err
		}
		res, err := b.client.InsertTx(ctx, tx, args, opts)
		if err != nil {
			return err
		}
		jobID = res.Job.ID
		return nil
	})
	if err != nil {
		t.Fatalf("acceptJob: %v", err)
	}
	return jobID
}

// waitFor polls cond until it holds or d passes (in real time). cond
// returns whether it holds and, for the failure message, what it saw.
// While it waits, the test clock moves on to the next job that waits for
// its time (a backoff, a snooze), so that no test spends time on them.
func (b *bundle) waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	poll(t, d, what, cond, func() { b.tick(t) })
}

// waitStill is waitFor with the test clock held: jobs that wait for their
// time keep waiting, so a test can act between two attempts.
func (b *bundle) waitStill(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	poll(t, d, what, cond, func() {})
}

// poll checks cond every 10 ms until it holds, calling between after each
// miss, and fails the test once d has passed.
func poll(t *testing.T, d time.Duration, what string, cond func() (bool, string), between func()) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s: got %s", d, what, saw)
		}
		time.Sleep(10 * time.Millisecond)
		between()
	}
}

// waitErrors waits, with the clock held, until job id has failed n times
// and is not running.
func (b *bundle) waitErrors(t *testing.T, id int64, n int) *rivertype.JobRow {
	t.Helper()
	var j *rivertype.JobRow
	b.waitStill(t, waitLong, fmt.Sprintf("%d failed attempts of job %d", n, id), func() (bool, string) {
		j = b.job(t, id)
		return len(j.Errors) >= n && j.State != rivertype.JobStateRunning, fmt.Sprintf("%d errors, state %s", len(j.Errors), j.State)
	})
	return j
}

// tick moves the test clock on to the earliest time a waiting job is due.
func (b *bundle) tick(t *testing.T) {
	t.Helper()
	var next time.Time
	storetest.QueryRow(t, b.st, `SELECT min(scheduled_at) FROM river_job WHERE state IN ('available', 'retryable', 'scheduled')`,
		nil, &nullTime{&next})
	b.clock.AdvanceTo(next)
}

// nullTime scans River's scheduled_at (SQLite text, a PostgreSQL
// timestamptz) or NULL.
type nullTime struct{ t *time.Time }

func (n *nullTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		*n.t = v
		return nil
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
			if tt, err := time.Parse(layout, v); err == nil {
				*n.t = tt
				return nil
			}
		}
		return fmt.Errorf("scheduled_at %q: unknown layout", v)
	}
	return fmt.Errorf("scheduled_at: unexpected %T", v)
}

// waitIssue waits until the store records an issue for key and returns
// that issue as the stand-in has it.
func (b *bundle) waitIssue(t *testing.T, key string) githubtest.Issue {
	t.Helper()
	var n int
	b.waitFor(t, waitLong, "issue number of "+key, func() (bool, string) {
		p, err := b.st.Problem(t.Context(), key)
		if err != nil {
			return false, err.Error()
		}
		n = p.IssueNumber
		return n != 0, fmt.Sprintf("problem %+v", p)
	})
	is, ok := b.srv.Issue(n)
	if !ok {
		t.Fatalf("the store names issue %d, which the stand-in does not have", n)
	}
	return is
}

// job returns job id.
func (b *bundle) job(t *testing.T, id int64) *rivertype.JobRow {
	t.Helper()
	j, err := b.client.JobGet(t.Context(), id)
	if err != nil {
		t.Fatalf("JobGet(%d): %v", id, err)
	}
	return j
}

// waitState waits until job id is in state.
func (b *bundle) waitState(t *testing.T, id int64, state rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	var j *rivertype.JobRow
	b.waitFor(t, waitLong, fmt.Sprintf("state of job %d", id), func() (bool, string) {
		j = b.job(t, id)
		return j.State == state, fmt.Sprintf("state %s, attempt %d, errors %v", j.State, j.Attempt, j.Errors)
	})
	return j
}

// jobMarker is the marker the worker ends its comments with.
func jobMarker(id int64) string { return fmt.Sprintf("<!-- booty:job=%d -->", id) }
