package apm_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/apm"
	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/store"
	"booty/internal/worker"
)

// TestWorkerReportsOnlyJobsThatStop runs the real worker against the GitHub
// stand-in with the Reporter as its Failures: a transient failure is
// retried and not reported, a refusal parks the job and is reported once,
// and so is the last attempt giving up.
func TestWorkerReportsOnlyJobsThatStop(t *testing.T) {
	t.Parallel()
	b := setup(t, apm.Options{Release: "r9", Environment: "staging", Repo: "acme/shop", Secrets: []string{githubToken}})
	gh := githubtest.NewServer(t, githubtest.Options{Token: githubToken, Owner: "acme", Repo: "shop"})
	client, err := github.NewClient(&http.Client{Timeout: 10 * time.Second}, gh.URL, githubToken, "acme", "shop", "test")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "booty.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	a := &alert.Alert{ProblemKey: "4711", EventID: "ev1", Level: alert.SeverityError, ExceptionType: "KeyError", Timestamp: now}
	decide := func(alert.Problem) (alert.Decision, alert.Problem) {
		return alert.Decision{Action: alert.ActionCreate}, alert.Problem{Key: a.ProblemKey, FirstSeen: now, LastSeen: now, Count: 1, LastEventID: "ev1"}
	}
	enqueue := func(context.Context, *sql.Tx, *alert.Alert, alert.Decision) (int64, error) { return 1, nil }
	if _, err := st.Accept(t.Context(), store.Delivery{ReceivedAt: now, ProblemKey: a.ProblemKey, EventID: "ev1"}, a, decide, enqueue); err != nil {
		t.Fatal(err)
	}
	w := worker.New(worker.Config{
		Issues: client, Store: st, Limiter: github.NewLimiter(1000, 10000, 0), Label: "agent:builder",
		Log: slog.New(slog.DiscardHandler), Failures: b.rep,
	})
	job := func(id int64, attempt int) *river.Job[worker.IssueArgs] {
		return &river.Job[worker.IssueArgs]{
			JobRow: &rivertype.JobRow{ID: id, Kind: worker.IssueArgs{}.Kind(), Attempt: attempt, MaxAttempts: worker.MaxAttempts, CreatedAt: now},
			Args:   worker.NewIssueArgs(a, alert.ActionCreate),
		}
	}
	const createPath = "/repos/acme/shop/issues"

	steps := []struct {
		name       string
		fault      githubtest.Fault
		id         int64
		attempt    int
		wantEvents int
		wantCancel bool
	}{
		{"transient 502 is retried, not reported", githubtest.Status(http.StatusBadGateway), 1, 1, 0, false},
		{"422 parks and is reported", githubtest.Status(http.StatusUnprocessableEntity), 1, 2, 1, true},
		{"last attempt gives up and is reported", githubtest.Status(http.StatusBadGateway), 2, worker.MaxAttempts, 2, false},
	}
	for _, s := range steps {
		gh.FailNextMatching(http.MethodPost, createPath, 1, s.fault)
		err := w.Work(t.Context(), job(s.id, s.attempt))
		if err == nil {
			t.Fatalf("%s: Work returned nil, want an error", s.name)
		}
		var cancel *rivertype.JobCancelError
		if got := errors.As(err, &cancel); got != s.wantCancel {
			t.Errorf("%s: job cancelled %v, want %v (err %v)", s.name, got, s.wantCancel, err)
		}
		b.flush(t)
		if got := len(b.sentry.Events()); got != s.wantEvents {
			t.Fatalf("%s: got %d events, want %d:\n%s", s.name, got, s.wantEvents, b.sentry)
		}
	}
	evs := b.sentry.Events()
	for i, want := range []struct{ jobID, attempt string }{{"1", "2"}, {"2", "160"}} {
		ev := evs[i]
		if ev.Tags["job_id"] != want.jobID || ev.Tags["attempt"] != want.attempt || ev.Tags["job_kind"] != "github_issue" ||
			ev.Tags["problem_key"] != "4711" || ev.Tags["repo"] != "acme/shop" {
			t.Errorf("event %d tags: got %v, want job_id %s attempt %s github_issue 4711 acme/shop", i, ev.Tags, want.jobID, want.attempt)
		}
		if ev.Release != "r9" || ev.Environment != "staging" || !ev.HasExceptionType("*apm.JobError") {
			t.Errorf("event %d: got release %q environment %q exceptions %+v", i, ev.Release, ev.Environment, ev.Exception)
		}
	}
}
