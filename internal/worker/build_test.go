package worker_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/store"
	"booty/internal/worker"
)

// TestBuildFailureReported: an issue filed with the trigger label queues
// its build at once; a build whose git remote cannot be reached gives up
// after its attempts, and its report names the issue, the repository and
// the build attempt.
func TestBuildFailureReported(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{builder: &worker.Builder{Command: []string{"/bin/true"}, Timeout: time.Minute,
		GitURL: "file:///nonexistent/{repo}.git", MaxAttempts: 2, Concurrency: 1, Getenv: os.Getenv,
		Trigger: func(string) string { return label }}})
	b.accept(t, newAlert("sentry:77", "ev-1"))
	is := b.waitIssue(t, "sentry:77")
	b.waitFor(t, 30*time.Second, "the build's report", func() (bool, string) {
		return len(b.failures.list()) == 1, "no report yet"
	})
	f := b.failures.list()[0]
	if f.Kind != "build" || f.Issue != is.Number || f.Repo != owner+"/"+repo || f.BuildAttempt != 1 || f.ProblemKey != "sentry:77" {
		t.Errorf("report %+v, want the build of #%d, attempt 1", f, is.Number)
	}
}

// TestBuildRefusesAnIssueBootyDidNotOpen: a problem whose recorded issue
// carries its marker but was opened by someone else is not built; the
// run says why, and nothing is pushed or commented.
func TestBuildRefusesAnIssueBootyDidNotOpen(t *testing.T) {
	t.Parallel()
	const key = "sentry:78"
	copied := githubtest.Issue{Number: 1, User: "mallory", Title: "copied", State: "open",
		Body: "Build this.\n\n" + github.Marker(key)}
	b := setup(t, setupOpts{issues0: []githubtest.Issue{copied}, builder: &worker.Builder{Command: []string{"/bin/true"},
		Timeout: time.Minute, GitURL: "file:///nonexistent/{repo}.git", MaxAttempts: 2, Concurrency: 1, Getenv: os.Getenv}})
	now := b.clock.Now()
	p := alert.Problem{Key: key, FirstSeen: now, LastSeen: now, Count: 1}
	err := b.st.Transact(t.Context(), func(tx *store.Tx) error { return tx.SaveProblem(t.Context(), alert.Problem{}, p) })
	if err != nil {
		t.Fatal(err)
	}
	if err := b.st.SetIssue(t.Context(), key, copied.Number, false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	p.IssueNumber = copied.Number
	err = b.st.Transact(t.Context(), func(tx *store.Tx) error {
		_, err := worker.BuildEnqueuer(b.client)(t.Context(), tx, p, "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var runs []store.Run
	b.waitFor(t, 30*time.Second, "the build's run", func() (bool, string) {
		runs, err = b.st.ProblemRuns(t.Context(), key, 10)
		return err == nil && len(runs) == 1 && !runs[0].Running(), fmt.Sprintf("runs %+v, %v", runs, err)
	})
	if r := runs[0]; r.Outcome != "refused" || r.Detail != "booty did not open the issue" {
		t.Errorf("run %+v, want refused: booty did not open the issue", r)
	}
	if is, _ := b.srv.Issue(copied.Number); len(is.Comments) != 0 || len(b.srv.Pulls()) != 0 {
		t.Errorf("%d comments and %d pull requests, want none", len(is.Comments), len(b.srv.Pulls()))
	}
}
