package worker_test

import (
	"os"
	"testing"
	"time"

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
