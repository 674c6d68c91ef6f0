package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/worker"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		attempt int
		want    time.Duration
	}{
		{-1, time.Second},
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{10, 512 * time.Second},
		{11, 10 * time.Minute}, // 1024 s, capped
		{20, 10 * time.Minute},
		{21, 10 * time.Minute},
		{64, 10 * time.Minute}, // a shift this far would overflow
		{worker.MaxAttempts, 10 * time.Minute},
		{1 << 30, 10 * time.Minute},
	} {
		if got := worker.Backoff(c.attempt); got != c.want {
			t.Errorf("Backoff(%d): got %s, want %s", c.attempt, got, c.want)
		}
	}
	for a := 2; a <= 40; a++ {
		if prev, got := worker.Backoff(a-1), worker.Backoff(a); got < prev {
			t.Errorf("Backoff(%d) = %s is shorter than Backoff(%d) = %s", a, got, a-1, prev)
		}
	}
}

func TestBackoffCoversRetrySpan(t *testing.T) {
	t.Parallel()
	// A job is retried after each of its first MaxAttempts-1 failures.
	var total time.Duration
	for a := 1; a < worker.MaxAttempts; a++ {
		total += worker.Backoff(a)
	}
	if total < worker.RetrySpan {
		t.Errorf("backoff over %d attempts: got %s, want at least %s", worker.MaxAttempts, total, worker.RetrySpan)
	}
	// Not far more either: a dead job is reported within the hour after
	// the span.
	if total > worker.RetrySpan+2*time.Hour {
		t.Errorf("backoff over %d attempts: got %s, want at most %s", worker.MaxAttempts, total, worker.RetrySpan+2*time.Hour)
	}
}

func TestNextRetry(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	w := worker.New(worker.Config{Now: func() time.Time { return now }})
	for attempt, want := range map[int]time.Time{
		1:  now.Add(time.Second),
		3:  now.Add(4 * time.Second),
		50: now.Add(10 * time.Minute),
	} {
		job := &river.Job[worker.IssueArgs]{JobRow: &rivertype.JobRow{Attempt: attempt}}
		if got := w.NextRetry(job); !got.Equal(want) {
			t.Errorf("NextRetry at attempt %d: got %v, want %v", attempt, got, want)
		}
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: time.Hour})
		alerts := []*alert.Alert{newAlert("sentry:4711", "ev1"), newAlert("sentry:4712", "ev2")}
		alerts[1].ExceptionType = "RangeError"
		var jobs []int64
		for _, a := range alerts {
			d, id := b.accept(t, a)
			if d.Action != alert.ActionCreate || id == 0 {
				t.Fatalf("accept %s: got %v, job %d, want create with a job", a.ProblemKey, d, id)
			}
			jobs = append(jobs, id)
		}

		for i, a := range alerts {
			is := b.waitIssue(t, a.ProblemKey)
			p, err := b.st.Problem(t.Context(), a.ProblemKey)
			if err != nil {
				t.Fatalf("Problem: %v", err)
			}
			// The body is rendered from the problem as it was when the job
			// ran, before it had an issue.
			atRun := p
			atRun.IssueNumber = 0
			want := githubtest.Issue{
				Number: p.IssueNumber,
				User:   githubtest.DefaultLogin,
				Title:  github.Title(a),
				Body:   github.IssueBody(a, atRun),
				Labels: []string{label},
				State:  "open",
			}
			got := is
			got.Comments, got.CreatedAt, got.UpdatedAt = nil, time.Time{}, time.Time{}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("issue of %s (-want +got):\n%s", a.ProblemKey, diff)
			}
			if !github.ContainsMarker(is.Body, a.ProblemKey) {
				t.Errorf("issue of %s lacks its marker:\n%s", a.ProblemKey, is.Body)
			}
			if p.IssueClosed {
				t.Errorf("problem %s: IssueClosed is true, want false", a.ProblemKey)
			}
			j := b.waitState(t, jobs[i], rivertype.JobStateCompleted)
			if j.Attempt != 1 || len(j.Errors) != 0 {
				t.Errorf("job %d: got attempt %d, errors %v, want one clean attempt", j.ID, j.Attempt, j.Errors)
			}
		}

		if got := len(b.srv.Issues()); got != 2 {
			t.Errorf("got %d issues, want 2", got)
		}
		// The label was looked up and created once for both issues.
		if got := b.srv.Count("GET", "/repos/"+owner+"/"+repo+"/labels/*"); got != 1 {
			t.Errorf("label lookups: got %d, want 1", got)
		}
		if got := b.srv.Count("POST", "/repos/"+owner+"/"+repo+"/labels"); got != 1 {
			t.Errorf("label creations: got %d, want 1", got)
		}
		var names []string
		for _, l := range b.srv.Labels() {
			names = append(names, l.Name)
		}
		if diff := cmp.Diff([]string{label}, names); diff != "" {
			t.Errorf("repository labels (-want +got):\n%s", diff)
		}
		if got := b.failures.list(); len(got) != 0 {
			t.Errorf("failures: got %v, want none", got)
		}
	})
}

func TestCreateWithExistingLabel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		// lookup404 makes the lookup miss a label that exists, as when
		// another booty creates it at the same moment: the create is
		// answered already_exists, which is fine.
		lookup404 bool
		posts     int
	}{
		{"found", false, 0},
		{"created meanwhile", true, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{cooldown: time.Hour, labels: []githubtest.Label{{Name: label, Color: "00ff00"}}})
			if c.lookup404 {
				b.srv.FailNextMatching("GET", "/repos/"+owner+"/"+repo+"/labels/*", 1, githubtest.Status(404))
			}
			a := newAlert("sentry:4713", "ev1")
			_, id := b.accept(t, a)
			is := b.waitIssue(t, a.ProblemKey)
			if diff := cmp.Diff([]string{label}, is.Labels); diff != "" {
				t.Errorf("issue labels (-want +got):\n%s", diff)
			}
			if got := b.srv.Count("POST", "/repos/"+owner+"/"+repo+"/labels"); got != c.posts {
				t.Errorf("label creations: got %d, want %d", got, c.posts)
			}
			if diff := cmp.Diff([]githubtest.Label{{Name: label, Color: "00ff00"}}, b.srv.Labels()); diff != "" {
				t.Errorf("repository labels (-want +got):\n%s", diff)
			}
			if j := b.waitState(t, id, rivertype.JobStateCompleted); j.Attempt != 1 {
				t.Errorf("job: got attempt %d, want 1", j.Attempt)
			}
		})
	}
}

// TestCreateWhenLabelsAreRefused files the issue even when the token may
// not read or create labels: GitHub creates the label with the issue.
func TestCreateWhenLabelsAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{cooldown: time.Hour})
	b.srv.FailNextMatching("GET", "/repos/"+owner+"/"+repo+"/labels/*", 1, githubtest.Status(403))
	b.srv.FailNextMatching("POST", "/repos/"+owner+"/"+repo+"/labels", 1, githubtest.Status(403))
	a := newAlert("sentry:4714", "ev1")
	_, id := b.accept(t, a)
	is := b.waitIssue(t, a.ProblemKey)
	if diff := cmp.Diff([]string{label}, is.Labels); diff != "" {
		t.Errorf("issue labels (-want +got):\n%s", diff)
	}
	if j := b.waitState(t, id, rivertype.JobStateCompleted); j.Attempt != 1 {
		t.Errorf("job: got attempt %d, want 1", j.Attempt)
	}
}

func TestComment(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: 0})
		key := "sentry:4720"
		b.accept(t, newAlert(key, "ev1"))
		is := b.waitIssue(t, key)

		a2 := newAlert(key, "ev2")
		d, id := b.accept(t, a2)
		if d.Action != alert.ActionComment {
			t.Fatalf("second alert: got %v, want comment", d)
		}
		b.waitState(t, id, rivertype.JobStateCompleted)
		is, _ = b.srv.Issue(is.Number)
		if len(is.Comments) != 1 {
			t.Fatalf("got %d comments, want 1: %q", len(is.Comments), is.Comments)
		}
		c := is.Comments[0]
		for _, want := range []string{"**Still happening:**", jobMarker(id), github.CommentMarker("ev2")} {
			if !strings.Contains(c, want) {
				t.Errorf("comment lacks %q:\n%s", want, c)
			}
		}
		if strings.Contains(c, "**Regression:**") {
			t.Errorf("comment on an open issue speaks of a regression:\n%s", c)
		}
		if is.State != "open" {
			t.Errorf("issue state: got %s, want open", is.State)
		}
		p, err := b.st.Problem(t.Context(), key)
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if p.Count != 2 || p.IssueNumber != is.Number || p.IssueClosed {
			t.Errorf("problem: got count %d, issue %d, closed %t, want 2, %d, false", p.Count, p.IssueNumber, p.IssueClosed, is.Number)
		}
	})
}

func TestReopen(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		for _, c := range []struct {
			name string
			// storeKnows is whether booty learnt of the close before the
			// alert (then it decides to reopen); otherwise the worker finds
			// out from GitHub when it comes to comment.
			storeKnows bool
			want       alert.Action
		}{
			{"store knows", true, alert.ActionReopen},
			{"found at GitHub", false, alert.ActionComment},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, setupOpts{backend: backend, cooldown: 0})
				key := "sentry:4730"
				b.accept(t, newAlert(key, "ev1"))
				is := b.waitIssue(t, key)
				if err := b.srv.CloseIssue(is.Number); err != nil {
					t.Fatalf("CloseIssue: %v", err)
				}
				if c.storeKnows {
					if err := b.st.SetIssue(t.Context(), key, is.Number, true, time.Time{}); err != nil {
						t.Fatalf("SetIssue: %v", err)
					}
				}

				closed, _ := b.srv.Issue(is.Number)
				ev := newAlert(key, "ev2")
				ev.Timestamp = closed.ClosedAt.Add(time.Second)
				d, id := b.accept(t, ev)
				if d.Action != c.want {
					t.Fatalf("alert after close: got %v, want %s", d, c.want)
				}
				b.waitState(t, id, rivertype.JobStateCompleted)
				is, _ = b.srv.Issue(is.Number)
				if is.State != "open" || is.StateReason != "reopened" {
					t.Errorf("issue: got state %s (%s), want open (reopened)", is.State, is.StateReason)
				}
				if len(is.Comments) != 1 {
					t.Fatalf("got %d comments, want 1: %q", len(is.Comments), is.Comments)
				}
				for _, want := range []string{"**Regression:**", jobMarker(id)} {
					if !strings.Contains(is.Comments[0], want) {
						t.Errorf("comment lacks %q:\n%s", want, is.Comments[0])
					}
				}
				p, err := b.st.Problem(t.Context(), key)
				if err != nil {
					t.Fatalf("Problem: %v", err)
				}
				if p.IssueClosed {
					t.Error("problem: IssueClosed is true after the reopen, want false")
				}
				if len(b.srv.Issues()) != 1 {
					t.Errorf("got %d issues, want 1", len(b.srv.Issues()))
				}
			})
		}
	})
}

// TestEventBeforeCloseFoundAtGitHub: a comment job that finds the issue
// closed after its event happened neither reopens nor comments (replay 7.9,
// the worker's half: the decision could not know of the close).
func TestEventBeforeCloseFoundAtGitHub(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: 0})
		key := "sentry:4731"
		first := newAlert(key, "ev1")
		b.accept(t, first)
		is := b.waitIssue(t, key)
		if err := b.srv.CloseIssue(is.Number); err != nil {
			t.Fatalf("CloseIssue: %v", err)
		}
		closed, _ := b.srv.Issue(is.Number)
		old := newAlert(key, "ev0")
		old.Timestamp = closed.ClosedAt.Add(-time.Hour)
		d, id := b.accept(t, old)
		if d.Action != alert.ActionComment {
			t.Fatalf("decision: got %v, want comment (booty does not know of the close yet)", d)
		}
		b.waitState(t, id, rivertype.JobStateCompleted)
		got, _ := b.srv.Issue(is.Number)
		if got.State != "closed" || len(got.Comments) != 0 {
			t.Errorf("issue: got state %s with %d comments, want closed with none", got.State, len(got.Comments))
		}
		p, err := b.st.Problem(t.Context(), key)
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if !p.IssueClosed || !p.IssueClosedAt.Equal(closed.ClosedAt) {
			t.Errorf("problem: closed %v at %v, want closed at %v", p.IssueClosed, p.IssueClosedAt, closed.ClosedAt)
		}
	})
}

func TestCreateCommittedThenFailed(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: time.Hour})
		b.srv.FailNextMatching("POST", issuesPath, 1, githubtest.CommitThenFail(502))
		a := newAlert("sentry:4740", "ev1")
		_, id := b.accept(t, a)

		is := b.waitIssue(t, a.ProblemKey)
		j := b.waitState(t, id, rivertype.JobStateCompleted)
		if got := len(b.srv.Issues()); got != 1 {
			t.Errorf("got %d issues, want 1: the retry must find the first", got)
		}
		if got := b.srv.Count("POST", issuesPath); got != 1 {
			t.Errorf("issue creations sent: got %d, want 1", got)
		}
		if got := b.srv.Count("GET", issuesPath); got < 1 {
			t.Errorf("issue lookups: got %d, want at least 1", got)
		}
		if j.Attempt != 2 || len(j.Errors) != 1 {
			t.Errorf("job: got attempt %d, %d errors, want attempt 2 after 1 error", j.Attempt, len(j.Errors))
		}
		if !github.ContainsMarker(is.Body, a.ProblemKey) {
			t.Errorf("issue lacks the marker of %s", a.ProblemKey)
		}
		if got := b.failures.list(); len(got) != 0 {
			t.Errorf("failures: got %v, want none", got)
		}
	})
}

func TestCommentCommittedThenFailed(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{cooldown: 0})
	key := "sentry:4741"
	b.accept(t, newAlert(key, "ev1"))
	is := b.waitIssue(t, key)

	b.srv.FailNextMatching("POST", issuesPath+"/*/comments", 1, githubtest.CommitThenFail(504))
	_, id := b.accept(t, newAlert(key, "ev2"))
	j := b.waitState(t, id, rivertype.JobStateCompleted)
	is, _ = b.srv.Issue(is.Number)
	if len(is.Comments) != 1 {
		t.Errorf("got %d comments, want 1: the retry must find the first: %q", len(is.Comments), is.Comments)
	}
	if j.Attempt != 2 {
		t.Errorf("job: got attempt %d, want 2", j.Attempt)
	}
}

func TestOutage(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{cooldown: time.Hour})
	b.srv.SetDown(true)
	a := newAlert("sentry:4750", "ev1")
	_, id := b.accept(t, a)

	b.waitFor(t, waitLong, "failed attempts during the outage", func() (bool, string) {
		j := b.job(t, id)
		return len(j.Errors) >= 2, fmt.Sprintf("%d errors, state %s", len(j.Errors), j.State)
	})
	if got := len(b.srv.Issues()); got != 0 {
		t.Fatalf("got %d issues during the outage, want 0", got)
	}
	b.srv.SetDown(false)

	b.waitIssue(t, a.ProblemKey)
	j := b.waitState(t, id, rivertype.JobStateCompleted)
	if got := len(b.srv.Issues()); got != 1 {
		t.Errorf("got %d issues, want 1", got)
	}
	if j.Attempt < 3 {
		t.Errorf("job: got attempt %d, want at least 3", j.Attempt)
	}
	if got := b.failures.list(); len(got) != 0 {
		t.Errorf("failures: got %v, want none: an outage is retried", got)
	}
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		fault func() githubtest.Fault
	}{
		{"secondary", func() githubtest.Fault { return githubtest.SecondaryRateLimit(time.Second) }},
		{"secondary 429", func() githubtest.Fault { return githubtest.TooMany(time.Second) }},
		{"primary", func() githubtest.Fault { return githubtest.PrimaryRateLimit(time.Now().Add(time.Second)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{cooldown: time.Hour})
			b.srv.FailNextMatching("POST", issuesPath, 1, c.fault())
			a := newAlert("sentry:4760", "ev1")
			start := b.clock.Now()
			_, id := b.accept(t, a)

			b.waitIssue(t, a.ProblemKey)
			j := b.waitState(t, id, rivertype.JobStateCompleted)
			// Snoozed, not failed: the attempt was given back.
			if j.Attempt != 1 || len(j.Errors) != 0 {
				t.Errorf("job: got attempt %d, errors %v, want attempt 1 without errors", j.Attempt, j.Errors)
			}
			var meta struct {
				Snoozes int `json:"snoozes"`
			}
			if err := json.Unmarshal(j.Metadata, &meta); err != nil || meta.Snoozes != 1 {
				t.Errorf("job metadata %s: got %d snoozes (%v), want 1", j.Metadata, meta.Snoozes, err)
			}
			if p := b.pausedUntil(t); !p.After(start) {
				t.Errorf("writes paused until %v, want after the start %v", p, start)
			}
			if got := len(b.srv.Issues()); got != 1 {
				t.Errorf("got %d issues, want 1", got)
			}
			if got := b.srv.Count("POST", issuesPath); got != 2 {
				t.Errorf("issue creations sent: got %d, want 2", got)
			}
			if got := b.failures.list(); len(got) != 0 {
				t.Errorf("failures: got %v, want none", got)
			}
		})
	}
}

func TestRateLimitPausesOtherWrites(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{cooldown: time.Hour})
	b.srv.FailNextMatching("POST", issuesPath, 1, githubtest.SecondaryRateLimit(2*time.Second))
	first := newAlert("sentry:4770", "ev1")
	b.accept(t, first)

	var until time.Time
	b.waitFor(t, waitLong, "write pause", func() (bool, string) {
		until = b.pausedUntil(t)
		return !until.IsZero(), "no pause"
	})
	second := newAlert("sentry:4771", "ev2")
	_, id := b.accept(t, second)

	// No issue may be created before the pause ends, on the clock booty
	// keeps. Issues is read before the clock, so an issue seen at t was
	// created before t.
	b.waitFor(t, waitLong, "both issues", func() (bool, string) {
		n := len(b.srv.Issues())
		if now := b.clock.Now(); n > 0 && now.Before(until) {
			t.Fatalf("an issue exists at %v, before the pause ends at %v", now, until)
		}
		return n == 2, fmt.Sprintf("%d issues", n)
	})
	// The second job waited in place: the pause was short.
	j := b.waitState(t, id, rivertype.JobStateCompleted)
	if j.Attempt != 1 || len(j.Errors) != 0 {
		t.Errorf("second job: got attempt %d, errors %v, want one clean attempt", j.Attempt, j.Errors)
	}
}

// TestWritesPacedByTheStore files 3 fresh problems at 12 writes a minute:
// the budget grants the creates at least 5 s apart on booty's clock, and the
// jobs are snoozed (a wait that long frees the worker) rather than failed.
// The grants are what is measured: the stand-in stamps an issue when the
// request arrives, and the test clock may move on between a grant and its
// request. The store's tests show replicas sharing that budget.
func TestWritesPacedByTheStore(t *testing.T) {
	t.Parallel()
	policy := store.NewWritePolicy(12, 500, 0)
	rb := &recordingBudget{}
	b := setup(t, setupOpts{cooldown: time.Hour, budget: func(st *store.Store) worker.Budget {
		rb.Budget = st.WriteBudget(policy)
		return rb
	}})
	var jobs []int64
	for i := range 3 {
		_, id := b.accept(t, newAlert(fmt.Sprintf("sentry:479%d", i), fmt.Sprintf("ev%d", i)))
		jobs = append(jobs, id)
	}
	for _, id := range jobs {
		if j := b.waitState(t, id, rivertype.JobStateCompleted); j.Attempt != 1 || len(j.Errors) != 0 {
			t.Errorf("job %d: got attempt %d, errors %v, want one clean attempt", id, j.Attempt, j.Errors)
		}
	}
	if got := len(b.srv.Issues()); got != len(jobs) {
		t.Fatalf("got %d issues, want %d", got, len(jobs))
	}
	granted := rb.grants()
	if len(granted) != len(jobs) {
		t.Fatalf("budget granted %d writes, want %d", len(granted), len(jobs))
	}
	slices.SortFunc(granted, time.Time.Compare)
	for i := 1; i < len(granted); i++ {
		if d := granted[i].Sub(granted[i-1]); d < policy.Spacing {
			t.Errorf("writes %d and %d were granted %s apart, want at least %s", i, i+1, d, policy.Spacing)
		}
	}
}

// recordingBudget is a write budget that remembers when it granted writes.
type recordingBudget struct {
	worker.Budget
	mu      sync.Mutex
	granted []time.Time
}

func (r *recordingBudget) Take(ctx context.Context, now time.Time) (time.Duration, error) {
	wait, err := r.Budget.Take(ctx, now)
	if err == nil && wait == 0 {
		r.mu.Lock()
		r.granted = append(r.granted, now)
		r.mu.Unlock()
	}
	return wait, err
}

func (r *recordingBudget) grants() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.granted)
}

// failingBudget is the store's write budget failing its first takes, as
// when the database does not answer.
type failingBudget struct {
	worker.Budget
	fail atomic.Int32
}

func (f *failingBudget) Take(ctx context.Context, now time.Time) (time.Duration, error) {
	if f.fail.Add(-1) >= 0 {
		return 0, errors.New("read write budget: database is locked")
	}
	return f.Budget.Take(ctx, now)
}

// TestBudgetFailureRetries: a budget the store cannot answer for fails the
// attempt, and the job retries until it files its issue.
func TestBudgetFailureRetries(t *testing.T) {
	t.Parallel()
	fb := &failingBudget{}
	fb.fail.Store(2)
	b := setup(t, setupOpts{cooldown: time.Hour, budget: func(st *store.Store) worker.Budget {
		fb.Budget = liftedBudget(st)
		return fb
	}})
	a := newAlert("sentry:4775", "ev1")
	_, id := b.accept(t, a)

	b.waitIssue(t, a.ProblemKey)
	j := b.waitState(t, id, rivertype.JobStateCompleted)
	if j.Attempt != 3 || len(j.Errors) != 2 {
		t.Errorf("job: got attempt %d, %d errors, want attempt 3 after 2 failures", j.Attempt, len(j.Errors))
	}
	for _, e := range j.Errors {
		if !strings.Contains(e.Error, "read write budget") {
			t.Errorf("job error %q, want the budget's", e.Error)
		}
	}
	if got := len(b.srv.Issues()); got != 1 {
		t.Errorf("got %d issues, want 1", got)
	}
	if got := b.failures.list(); len(got) != 0 {
		t.Errorf("failures: got %v, want none: the store failing is retried", got)
	}
}

func TestPermanentFailureParks(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		for _, c := range []struct {
			status  int
			message string
		}{
			{422, "github answered 422: Unprocessable Entity"},
			{404, "github answered 404: Not Found"},
		} {
			t.Run(fmt.Sprint(c.status), func(t *testing.T) {
				t.Parallel()
				b := setup(t, setupOpts{backend: backend, cooldown: time.Hour})
				ctx := t.Context()
				b.srv.FailNextMatching("POST", issuesPath, 1, githubtest.Status(c.status))
				a := newAlert("sentry:4780", "ev1")
				_, id := b.accept(t, a)

				j := b.waitState(t, id, rivertype.JobStateCancelled)
				got := b.failures.list()
				if len(got) != 1 {
					t.Fatalf("failures: got %d, want 1: %v", len(got), got)
				}
				f := got[0]
				if f.Err == nil || f.Err.Error() != c.message {
					t.Errorf("failure error: got %v, want %q", f.Err, c.message)
				}
				f.Err = nil
				want := worker.JobFailure{Kind: "github_issue", JobID: id, ProblemKey: a.ProblemKey, Attempt: 1}
				if diff := cmp.Diff(want, f); diff != "" {
					t.Errorf("failure (-want +got):\n%s", diff)
				}

				parked, err := b.spool.List(ctx)
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				if len(parked) != 1 {
					t.Fatalf("parked jobs: got %+v, want job %d", parked, id)
				}
				// River keeps the error with its own prefix ("JobCancelError: ").
				if !strings.Contains(parked[0].LastError, c.message) {
					t.Errorf("parked job's last error: got %q, want it to hold %q", parked[0].LastError, c.message)
				}
				wantParked := worker.Parked{
					ID: id, State: worker.ParkedRefused, ProblemKey: a.ProblemKey, Action: alert.ActionCreate, Attempt: 1,
					CreatedAt: j.CreatedAt, StoppedAt: *j.FinalizedAt, LastError: parked[0].LastError,
				}
				if diff := cmp.Diff(wantParked, parked[0]); diff != "" {
					t.Errorf("parked job (-want +got):\n%s", diff)
				}
				if n, err := b.st.ParkedJobs(ctx); err != nil || n != 1 {
					t.Errorf("ParkedJobs: got %d, %v, want 1", n, err)
				}
				if got := len(b.srv.Issues()); got != 0 {
					t.Errorf("got %d issues, want 0", got)
				}

				// The operator fixed the cause: the job runs again.
				if err := b.spool.Retry(ctx, id); err != nil {
					t.Fatalf("Retry: %v", err)
				}
				b.waitIssue(t, a.ProblemKey)
				b.waitState(t, id, rivertype.JobStateCompleted)
				if got := len(b.srv.Issues()); got != 1 {
					t.Errorf("got %d issues after the retry, want 1", got)
				}
				if got := len(b.failures.list()); got != 1 {
					t.Errorf("failures after the retry: got %d, want still 1", got)
				}
				if parked, err := b.spool.List(ctx); err != nil || len(parked) != 0 {
					t.Errorf("List after the retry: got %v, %v, want none", parked, err)
				}

				// A job that is not parked is neither retried nor dropped.
				if err := b.spool.Retry(ctx, id); err == nil {
					t.Error("Retry of a completed job: got nil error, want one")
				}
				if err := b.spool.Drop(ctx, id); err == nil {
					t.Error("Drop of a completed job: got nil error, want one")
				}
				if _, err := b.client.JobGet(ctx, id); err != nil {
					t.Errorf("the completed job is gone after a refused Drop: %v", err)
				}
			})
		}
	})
}

func TestSpoolDrop(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: time.Hour})
		ctx := t.Context()
		b.srv.FailNextMatching("POST", issuesPath, 1, githubtest.Status(422))
		_, id := b.accept(t, newAlert("sentry:4790", "ev1"))
		b.waitState(t, id, rivertype.JobStateCancelled)

		if err := b.spool.Drop(ctx, id); err != nil {
			t.Fatalf("Drop: %v", err)
		}
		if _, err := b.client.JobGet(ctx, id); !errors.Is(err, river.ErrNotFound) {
			t.Errorf("JobGet after Drop: got err %v, want ErrNotFound", err)
		}
		if parked, err := b.spool.List(ctx); err != nil || len(parked) != 0 {
			t.Errorf("List after Drop: got %v, %v, want none", parked, err)
		}
		if n, err := b.st.ParkedJobs(ctx); err != nil || n != 0 {
			t.Errorf("ParkedJobs after Drop: got %d, %v, want 0", n, err)
		}
		if err := b.spool.Drop(ctx, id); err == nil {
			t.Error("second Drop: got nil error, want one")
		}
		if err := b.spool.Retry(ctx, id); err == nil {
			t.Error("Retry of a dropped job: got nil error, want one")
		}
	})
}

// TestLastAttemptParks runs a job out of attempts: it is discarded, reported
// once, listed, and a Retry gives it a fresh set of attempts.
func TestLastAttemptParks(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: time.Hour})
		ctx := t.Context()
		b.srv.SetDown(true)
		a := newAlert("sentry:4800", "ev1")
		p := alert.Problem{Key: a.ProblemKey, FirstSeen: time.Now(), LastSeen: time.Now(), Count: 1, LastEventID: a.EventID}
		id := b.acceptJob(t, p, worker.NewIssueArgs(a, alert.ActionCreate),
			&river.InsertOpts{MaxAttempts: 2})

		b.waitState(t, id, rivertype.JobStateDiscarded)
		got := b.failures.list()
		if len(got) != 1 || got[0].JobID != id || got[0].Attempt != 2 {
			t.Fatalf("failures: got %+v, want one for job %d at attempt 2", got, id)
		}
		parked, err := b.spool.List(ctx)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(parked) != 1 || parked[0].State != worker.ParkedGaveUp || !strings.Contains(parked[0].LastError, "503") {
			t.Fatalf("parked: got %+v, want job %d discarded after a 503", parked, id)
		}

		// GitHub is still failing when the operator retries: the job must get
		// a fresh set of attempts (Spool.Retry's promise), not a single one.
		if err := b.spool.Retry(ctx, id); err != nil {
			t.Fatalf("Retry: %v", err)
		}
		b.waitFor(t, waitLong, "a failed attempt after the retry", func() (bool, string) {
			j := b.job(t, id)
			return len(j.Errors) >= 3 && j.State != rivertype.JobStateRunning,
				fmt.Sprintf("%d errors, state %s", len(j.Errors), j.State)
		})
		b.srv.SetDown(false)
		if j := b.job(t, id); j.State == rivertype.JobStateDiscarded {
			t.Errorf("after Retry the job was discarded again at attempt %d of %d; want a fresh set of attempts", j.Attempt, j.MaxAttempts)
			// Finish the job so the rest of the test still checks something.
			if err := b.spool.Retry(ctx, id); err != nil {
				t.Fatalf("second Retry: %v", err)
			}
		}
		b.waitIssue(t, a.ProblemKey)
		if got := len(b.srv.Issues()); got != 1 {
			t.Errorf("got %d issues, want 1", got)
		}
	})
}

// TestJobsWithNothingToDo covers jobs that must not write to GitHub, or
// cannot.
func TestJobsWithNothingToDo(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		a := newAlert("sentry:4810", "ev1")
		known := alert.Problem{Key: a.ProblemKey, FirstSeen: time.Now(), LastSeen: time.Now(), Count: 1, LastEventID: "ev1"}
		filed := known
		filed.IssueNumber = 1
		for _, c := range []struct {
			name    string
			problem alert.Problem
			args    worker.IssueArgs
			state   rivertype.JobState
			failed  bool
		}{
			{"create of a filed problem", filed, worker.NewIssueArgs(a, alert.ActionCreate), rivertype.JobStateCompleted, false},
			{"comment without an issue", known, worker.NewIssueArgs(a, alert.ActionComment), rivertype.JobStateCompleted, false},
			{"no alert", known, worker.IssueArgs{ProblemKey: a.ProblemKey, Action: alert.ActionCreate}, rivertype.JobStateCancelled, true},
			{"unknown action", known, worker.IssueArgs{ProblemKey: a.ProblemKey, Action: "delete", Version: worker.PayloadVersion, Event: worker.NewIssueArgs(a, "").Event}, rivertype.JobStateCancelled, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, setupOpts{backend: backend, cooldown: time.Hour})
				id := b.acceptJob(t, c.problem, c.args, nil)
				b.waitState(t, id, c.state)
				if got := b.srv.Writes(); got != 0 {
					t.Errorf("GitHub writes: got %d, want 0", got)
				}
				if got := len(b.failures.list()); (got == 1) != c.failed || got > 1 {
					t.Errorf("failures: got %d, want reported %t", got, c.failed)
				}
			})
		}
	})
}

// TestOrphanFindsItsIssue restarts after a crash in the middle of a create:
// the issue exists at GitHub, the job is still marked running. Requeued, the
// job finds the issue by its marker instead of filing a second one. SQLite
// only: RequeueOrphans is its restart's; on PostgreSQL River's rescuer hands
// a dead replica's jobs over (cmd/booty's TestReplicas).
func TestOrphanFindsItsIssue(t *testing.T) {
	t.Parallel()
	key := "sentry:4820"
	filed := githubtest.Issue{
		Number: 7,
		Title:  "[error] TypeError — app/components/List.js:42",
		Body:   "Filed before the crash.\n\n" + github.Marker(key),
		Labels: []string{label},
	}
	b := setup(t, setupOpts{cooldown: time.Hour, manualStart: true, issues0: []githubtest.Issue{filed}})
	ctx := t.Context()
	_, id := b.accept(t, newAlert(key, "ev1"))
	// What a crash mid-call leaves: the attempt taken, the job running.
	storetest.Exec(t, b.st, `UPDATE river_job SET state = 'running', attempt = 1 WHERE id = $1`, id)
	n, err := b.st.RequeueOrphans(ctx)
	if err != nil || n != 1 {
		t.Fatalf("RequeueOrphans: got %d, %v, want 1, nil", n, err)
	}
	b.start(t)

	j := b.waitState(t, id, rivertype.JobStateCompleted)
	p, err := b.st.Problem(ctx, key)
	if err != nil {
		t.Fatalf("Problem: %v", err)
	}
	if p.IssueNumber != filed.Number {
		t.Errorf("problem's issue: got %d, want %d", p.IssueNumber, filed.Number)
	}
	if got := b.srv.Count("POST", issuesPath); got != 0 {
		t.Errorf("issue creations sent: got %d, want 0", got)
	}
	if j.Attempt != 2 {
		t.Errorf("job: got attempt %d, want 2", j.Attempt)
	}
}

// TestReopenThenCommentRetried fails the comment after the reopen went
// through: the retry finds the issue open, and must still say that the
// problem came back.
func TestReopenThenCommentRetried(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: 0})
		key := "sentry:4830"
		b.accept(t, newAlert(key, "ev1"))
		is := b.waitIssue(t, key)
		if err := b.srv.CloseIssue(is.Number); err != nil {
			t.Fatalf("CloseIssue: %v", err)
		}
		if err := b.st.SetIssue(t.Context(), key, is.Number, true, time.Time{}); err != nil {
			t.Fatalf("SetIssue: %v", err)
		}

		b.srv.FailNextMatching("POST", issuesPath+"/*/comments", 1, githubtest.Status(502))
		d, id := b.accept(t, newAlert(key, "ev2"))
		if d.Action != alert.ActionReopen {
			t.Fatalf("alert after close: got %v, want reopen", d)
		}
		j := b.waitState(t, id, rivertype.JobStateCompleted)
		if j.Attempt != 2 {
			t.Errorf("job: got attempt %d, want 2", j.Attempt)
		}
		is, _ = b.srv.Issue(is.Number)
		if is.State != "open" || len(is.Comments) != 1 {
			t.Fatalf("issue: got state %s with %d comments, want open with 1", is.State, len(is.Comments))
		}
		if !strings.Contains(is.Comments[0], "**Regression:**") {
			t.Errorf("the comment after the retried reopen does not report the regression:\n%s", is.Comments[0])
		}
	})
}

// TestOneCreateInFlight asks twice for an issue before the first job runs:
// the second decision joins the first job instead of racing it.
func TestOneCreateInFlight(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: 0, manualStart: true})
		d1, id1 := b.accept(t, newAlert("sentry:4720", "ev1"))
		d2, id2 := b.accept(t, newAlert("sentry:4720", "ev2"))
		if d1.Action != alert.ActionCreate || d2.Action != alert.ActionCreate {
			t.Fatalf("decisions %v, %v; want create twice", d1, d2)
		}
		if id1 != id2 {
			t.Errorf("second create got job %d, want the first job %d", id2, id1)
		}
		b.start(t)
		b.waitIssue(t, "sentry:4720")
		b.waitState(t, id1, rivertype.JobStateCompleted)
		if n := len(b.srv.Issues()); n != 1 {
			t.Errorf("got %d issues, want 1", n)
		}
	})
}

// TestCreateAgainAfterParkedCreate files the issue on the next alert after
// the cooldown when the first create was parked.
func TestCreateAgainAfterParkedCreate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: 0})
		b.srv.FailNextMatching("POST", "/repos/"+owner+"/"+repo+"/issues", 1, githubtest.Status(422))
		_, id1 := b.accept(t, newAlert("sentry:4721", "ev1"))
		b.waitState(t, id1, rivertype.JobStateCancelled)

		d, id2 := b.accept(t, newAlert("sentry:4721", "ev2"))
		if d.Action != alert.ActionCreate || id2 == id1 {
			t.Fatalf("after the park: decision %v job %d, want create with a new job (first was %d)", d, id2, id1)
		}
		b.waitIssue(t, "sentry:4721")
		if n := len(b.srv.Issues()); n != 1 {
			t.Errorf("got %d issues, want 1", n)
		}
	})
}

// TestDeletedIssueIsFiledAgain files a new issue when the problem's issue
// was deleted (GitHub answers 410 Gone).
func TestDeletedIssueIsFiledAgain(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: 0})
		_, id1 := b.accept(t, newAlert("sentry:4722", "ev1"))
		b.waitState(t, id1, rivertype.JobStateCompleted)

		if err := b.srv.DeleteIssue(1); err != nil {
			t.Fatal(err)
		}
		d, id2 := b.accept(t, newAlert("sentry:4722", "ev2"))
		if d.Action != alert.ActionComment {
			t.Fatalf("decision %v, want comment", d)
		}
		b.waitState(t, id2, rivertype.JobStateCompleted)
		p, err := b.st.Problem(t.Context(), "sentry:4722")
		if err != nil {
			t.Fatal(err)
		}
		if n := len(b.srv.Issues()); n != 2 || p.IssueNumber != 2 {
			t.Errorf("got %d issues and problem issue %d, want 2 and 2", n, p.IssueNumber)
		}
	})
}
