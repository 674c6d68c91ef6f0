package worker_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// TestCreateRetryFindsIssueWithoutLabel retries a create whose first
// attempt was committed but answered 502, after the issue lost its trigger
// label: the retry must find it by its marker among booty's own issues,
// labelled or not, and file no second one.
func TestCreateRetryFindsIssueWithoutLabel(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		for _, c := range []struct {
			name string
			// dropLabels files issues unlabelled, as GitHub does for a token
			// without push access.
			dropLabels bool
			// unlabel takes the label off before the retry, as a person or
			// the builder agent picking the issue up does.
			unlabel bool
		}{
			{"labels dropped by GitHub", true, false},
			{"label removed by a person", false, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, setupOpts{backend: backend, cooldown: time.Hour, github: func(o *githubtest.Options) { o.DropLabels = c.dropLabels }})
				b.srv.FailNextMatching("POST", issuesPath, 1, githubtest.CommitThenFail(502))
				a := newAlert("sentry:4850", "ev1")
				_, id := b.accept(t, a)
				b.waitErrors(t, id, 1)
				if c.unlabel {
					if err := b.srv.RemoveLabel(1, label); err != nil {
						t.Fatal(err)
					}
				}
				if is, _ := b.srv.Issue(1); len(is.Labels) != 0 {
					t.Fatalf("issue 1 still has labels %v; the test needs it without", is.Labels)
				}
				b.waitState(t, id, rivertype.JobStateCompleted)
				if n := len(b.srv.Issues()); n != 1 {
					t.Errorf("got %d issues, want 1", n)
				}
				if got := b.srv.Count("POST", issuesPath); got != 1 {
					t.Errorf("issue creations sent: got %d, want 1", got)
				}
				if p, _ := b.st.Problem(t.Context(), a.ProblemKey); p.IssueNumber != 1 {
					t.Errorf("problem's issue: got %d, want 1", p.IssueNumber)
				}
			})
		}
	})
}

// TestCreateRetryIgnoresOthersMarkers: an issue by someone else that
// carries the problem's marker is not booty's and is not taken for it.
func TestCreateRetryIgnoresOthersMarkers(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		key := "sentry:4851"
		forged := githubtest.Issue{Number: 1, User: "mallory", Title: "forged", Body: "x\n" + github.Marker(key), Labels: []string{label}}
		b := setup(t, setupOpts{backend: backend, cooldown: time.Hour, issues0: []githubtest.Issue{forged}})
		b.srv.FailNextMatching("POST", issuesPath, 1, githubtest.Status(502))
		_, id := b.accept(t, newAlert(key, "ev1"))
		b.waitState(t, id, rivertype.JobStateCompleted)
		p, err := b.st.Problem(t.Context(), key)
		if err != nil || p.IssueNumber != 2 {
			t.Errorf("problem's issue: got %d, %v, want booty's own, 2", p.IssueNumber, err)
		}
		if is, _ := b.srv.Issue(1); is.State != "open" {
			t.Errorf("someone else's issue was touched: %+v", is)
		}
	})
}

// TestCreateCommittedLate: GitHub holds the create past booty's timeout and
// commits it later. The retry waits for the late commit before it files
// again, finds it, and sends no second create.
func TestCreateCommittedLate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: time.Hour, timeout: time.Second})
		b.srv.FailNextMatching("POST", issuesPath, 1, githubtest.LateCommit(5*time.Second))
		a := newAlert("sentry:4860", "ev1")
		_, id := b.accept(t, a)
		j := b.waitErrors(t, id, 1)
		if !strings.Contains(j.Errors[0].Error, github.ErrOutcomeUnknown.Error()) {
			t.Errorf("first error %q does not say the outcome is unknown", j.Errors[0].Error)
		}
		// The retry comes due, looks, finds nothing yet, and waits.
		b.tick(t)
		b.waitStill(t, waitLong, "the retry to wait for a late commit", func() (bool, string) {
			j := b.job(t, id)
			return j.State == rivertype.JobStateAvailable || j.State == rivertype.JobStateScheduled || len(b.srv.Issues()) == 1,
				fmt.Sprintf("state %s", j.State)
		})
		b.waitStill(t, waitLong, "the late commit", func() (bool, string) {
			return len(b.srv.Issues()) == 1, fmt.Sprintf("%d issues", len(b.srv.Issues()))
		})
		b.waitState(t, id, rivertype.JobStateCompleted)
		if got := b.srv.Count("POST", issuesPath); got != 1 {
			t.Errorf("issue creations sent: got %d, want 1", got)
		}
		if n := len(b.srv.Issues()); n != 1 {
			t.Errorf("got %d issues, want 1", n)
		}
		if p, _ := b.st.Problem(t.Context(), a.ProblemKey); p.IssueNumber != 1 {
			t.Errorf("problem's issue: got %d, want 1", p.IssueNumber)
		}
	})
}

// TestCreateAnswerWithoutNumber: GitHub creates the issue but answers
// without its number. That is an unknown outcome: the retry finds the issue
// by its marker, and issue 0 is never recorded.
func TestCreateAnswerWithoutNumber(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		for _, body := range []string{"{}", "", `{"number":`} {
			t.Run(fmt.Sprintf("%q", body), func(t *testing.T) {
				t.Parallel()
				b := setup(t, setupOpts{backend: backend, cooldown: time.Hour})
				b.srv.FailNextMatching("POST", issuesPath, 1, githubtest.CommitThenAnswer(201, body))
				a := newAlert("sentry:4870", "ev1")
				_, id := b.accept(t, a)
				j := b.waitState(t, id, rivertype.JobStateCompleted)
				if j.Attempt != 2 {
					t.Errorf("job: got attempt %d, want 2", j.Attempt)
				}
				if p, _ := b.st.Problem(t.Context(), a.ProblemKey); p.IssueNumber != 1 {
					t.Errorf("problem's issue: got %d, want 1", p.IssueNumber)
				}
				if got := b.srv.Count("POST", issuesPath); got != 1 {
					t.Errorf("issue creations sent: got %d, want 1", got)
				}
			})
		}
	})
}

// TestIssuesDisabledParks: a 410 because the repository's issues are off
// parks the job; only a deleted issue is filed again
// (TestDeletedIssueIsFiledAgain).
func TestIssuesDisabledParks(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		for _, action := range []alert.Action{alert.ActionComment, alert.ActionCreate} {
			t.Run(string(action), func(t *testing.T) {
				t.Parallel()
				b := setup(t, setupOpts{backend: backend, cooldown: 0})
				key := "sentry:4880"
				if action == alert.ActionComment {
					_, id := b.accept(t, newAlert(key, "ev1"))
					b.waitState(t, id, rivertype.JobStateCompleted)
				}
				b.srv.SetIssuesDisabled(true)
				d, id := b.accept(t, newAlert(key, "ev2"))
				if d.Action != action {
					t.Fatalf("decision %v, want %s", d, action)
				}
				j := b.waitState(t, id, rivertype.JobStateCancelled)
				if last := j.Errors[len(j.Errors)-1].Error; !strings.Contains(last, "issues are disabled") {
					t.Errorf("parked job's error %q does not say issues are disabled", last)
				}
				// One create either way: the first alert's, or the refused one;
				// never a second.
				if got := b.srv.Count("POST", issuesPath); got != 1 {
					t.Errorf("issue creations sent: got %d, want 1", got)
				}
				if got := len(b.failures.list()); got != 1 {
					t.Errorf("failures reported: got %d, want 1", got)
				}
			})
		}
	})
}

// TestHealOnWrite: the problem's issue is a second one with its marker (a
// late commit filed twice). The next write to it closes the newer as a
// duplicate of the older, and the store keeps the older.
func TestHealOnWrite(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		key := "sentry:4890"
		older := githubtest.Issue{Number: 1, Title: "first", Body: "b\n" + github.Marker(key)}
		newer := githubtest.Issue{Number: 2, Title: "second", Body: "b\n" + github.Marker(key)}
		b := setup(t, setupOpts{backend: backend, cooldown: 0, issues0: []githubtest.Issue{older, newer}})
		a := newAlert(key, "ev2")
		p := alert.Problem{Key: key, FirstSeen: b.clock.Now(), LastSeen: b.clock.Now(), Count: 2, LastEventID: "ev2", IssueNumber: 2}
		id := b.acceptJob(t, p, worker.NewIssueArgs(a, alert.ActionComment), nil)
		b.waitState(t, id, rivertype.JobStateCompleted)
		checkHealed(t, b, key, 1, 2)
	})
}

// TestSweep heals what no write touches: the periodic sweep closes every
// newer duplicate among booty's issues of the last day.
func TestSweep(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		k1, k2 := "sentry:4891", "sentry:4892"
		b := setup(t, setupOpts{backend: backend, cooldown: 0, manualStart: true, issues0: []githubtest.Issue{
			{Number: 1, Title: "k1", Body: "b\n" + github.Marker(k1)},
			{Number: 2, Title: "k1 again", Body: "b\n" + github.Marker(k1)},
			{Number: 3, Title: "k2", Body: "b\n" + github.Marker(k2)},
			{Number: 4, Title: "k1 by a person", User: "octocat", Body: "b\n" + github.Marker(k1)},
			{Number: 5, Title: "k2 again, closed", Body: "b\n" + github.Marker(k2), State: "closed"},
		}})
		a := newAlert(k1, "ev1")
		p := alert.Problem{Key: k1, FirstSeen: b.clock.Now(), LastSeen: b.clock.Now(), Count: 1, LastEventID: "ev1", IssueNumber: 2}
		b.acceptJob(t, p, worker.NewIssueArgs(a, alert.ActionComment), nil)
		if err := b.worker.Sweep(t.Context()); err != nil {
			t.Fatalf("Sweep: %v", err)
		}
		checkHealed(t, b, k1, 1, 2)
		for _, n := range []int{3, 4} {
			if is, _ := b.srv.Issue(n); is.State != "open" || len(is.Comments) != 0 {
				t.Errorf("issue %d was touched: %+v", n, is)
			}
		}
		if is, _ := b.srv.Issue(5); is.StateReason != "completed" {
			t.Errorf("an already closed duplicate was closed again: %+v", is)
		}
		// A second sweep has nothing left to do.
		writes := b.srv.Writes()
		if err := b.worker.Sweep(t.Context()); err != nil {
			t.Fatalf("second Sweep: %v", err)
		}
		if got := b.srv.Writes(); got != writes {
			t.Errorf("second sweep wrote %d times, want none", got-writes)
		}
	})
}

func checkHealed(t *testing.T, b *bundle, key string, keep, dup int) {
	t.Helper()
	is, _ := b.srv.Issue(dup)
	if is.State != "closed" || is.StateReason != "duplicate" {
		t.Errorf("newer issue %d: got %s (%s), want closed (duplicate)", dup, is.State, is.StateReason)
	}
	if n := len(is.Comments); n == 0 || !strings.Contains(is.Comments[n-1], fmt.Sprintf("#%d", keep)) {
		t.Errorf("newer issue %d has no comment linking #%d: %q", dup, keep, is.Comments)
	}
	if is, _ := b.srv.Issue(keep); is.State != "open" {
		t.Errorf("older issue %d: got %s, want open", keep, is.State)
	}
	p, err := b.st.Problem(t.Context(), key)
	if err != nil || p.IssueNumber != keep {
		t.Errorf("problem's issue: got %d, %v, want the older, %d", p.IssueNumber, err, keep)
	}
}

// TestSpoolRetryWithNewerCreate refuses to retry a parked create while a
// newer create for its problem is queued, with an error that says so.
func TestSpoolRetryWithNewerCreate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: 0})
		b.srv.FailNextMatching("POST", issuesPath, 1, githubtest.Status(422))
		_, id1 := b.accept(t, newAlert("sentry:4895", "ev1"))
		b.waitState(t, id1, rivertype.JobStateCancelled)
		b.srv.SetDown(true)
		d, id2 := b.accept(t, newAlert("sentry:4895", "ev2"))
		if d.Action != alert.ActionCreate || id2 == id1 {
			t.Fatalf("second alert: got %v job %d, want a new create", d, id2)
		}
		b.waitErrors(t, id2, 1)

		err := b.spool.Retry(t.Context(), id1)
		if !errors.Is(err, worker.ErrNewerCreateQueued) {
			t.Fatalf("Retry: got %v, want ErrNewerCreateQueued", err)
		}
		if strings.Contains(err.Error(), "UNIQUE") {
			t.Errorf("Retry error shows the database's words: %v", err)
		}
		if j := b.job(t, id1); j.State != rivertype.JobStateCancelled {
			t.Errorf("refused job: got state %s, want still parked", j.State)
		}
		// Dropping it is what the error suggests, and works.
		if err := b.spool.Drop(t.Context(), id1); err != nil {
			t.Errorf("Drop: %v", err)
		}
	})
}
