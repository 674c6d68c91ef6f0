package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"

	"booty/internal/alert"
	"booty/internal/builder"
	"booty/internal/intake"
	"booty/internal/store"
)

// StatusContext names the verifier's commit status.
const StatusContext = "booty/verifier"

// VerifyArgs is the job that runs BOOTY_TEST_COMMAND on the head commit of
// a pull request from booty's branch of an issue, and posts the verdict
// as a commit status. One per pull request and commit lives at a time.
type VerifyArgs struct {
	ProblemKey string `json:"problem_key"`
	Repo       string `json:"repo" river:"unique"`
	Issue      int    `json:"issue"`
	Pull       int    `json:"pull" river:"unique"`
	Branch     string `json:"branch"`
	SHA        string `json:"sha" river:"unique"`
}

// Kind names the job in River's tables.
func (VerifyArgs) Kind() string { return "verify" }

// buildOpts are the insert options of builds and verifications: their own
// queue, a few attempts for booty's own failures (git, GitHub), and one
// live job per unique arguments.
func buildOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: BuilderQueue, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

// VerifyEnqueuer returns the intake.VerifyFunc that queues VerifyArgs jobs
// with c.
func VerifyEnqueuer(c *Client) intake.VerifyFunc {
	return func(ctx context.Context, tx *store.Tx, p alert.Problem, pr intake.PullHead) (int64, error) {
		res, err := c.InsertTx(ctx, tx, VerifyArgs{ProblemKey: p.Key, Repo: p.Repo, Issue: p.IssueNumber,
			Pull: pr.Number, Branch: pr.Branch, SHA: pr.SHA}, buildOpts())
		if err != nil {
			return 0, err
		}
		return res.Job.ID, nil
	}
}

// verifier runs VerifyArgs jobs.
type verifier struct {
	river.WorkerDefaults[VerifyArgs]
	w *Worker
}

// Timeout lets the tests run their limit and a margin for git and GitHub.
func (v *verifier) Timeout(*river.Job[VerifyArgs]) time.Duration { return v.w.runTimeout() }

// Work verifies.
func (v *verifier) Work(ctx context.Context, job *river.Job[VerifyArgs]) error {
	w := v.w
	a := job.Args
	log := w.cfg.Log.With("job_id", job.ID, "problem_key", a.ProblemKey, "issue", a.Issue, "pull", a.Pull, "sha", a.SHA)
	return w.runJob(ctx, log, job.JobRow, store.Run{Kind: store.RunVerify, JobID: job.ID, ProblemKey: a.ProblemKey,
		Repo: w.repoName(a.Repo), Issue: a.Issue, Pull: a.Pull, SHA: a.SHA}, func(id int64) (runEnd, error) { return w.verify(ctx, log, a, id) })
}

// Verification outcomes, for the run's record and the metric.
const (
	verifySuccess    = "success"
	verifyFailure    = "failure"
	verifySuperseded = "superseded"
	verifySkipped    = "skipped"
)

// runLink is the status page's page of run id, "" without one.
func (cfg *Builder) runLink(id int64) string {
	if cfg.RunLink == nil || id == 0 {
		return ""
	}
	return cfg.RunLink(id)
}

func (w *Worker) verify(ctx context.Context, log *slog.Logger, a VerifyArgs, runID int64) (runEnd, error) {
	cfg := w.cfg.Builder
	if cfg == nil || len(cfg.TestCommand) == 0 {
		log.Info("no BOOTY_TEST_COMMAND (or builds are off): nothing to verify")
		return runEnd{outcome: verifySkipped, detail: "no test command"}, nil
	}
	gh, bgh, err := w.buildsOf(ctx, a.Repo)
	if err != nil || bgh == nil {
		return runEnd{outcome: verifySkipped, detail: "a dry run verifies nothing"}, err
	}
	link := cfg.runLink(runID)
	status := func(state, description string) error {
		if err := w.pace(ctx); err != nil {
			return err
		}
		return bgh.CreateStatus(ctx, a.SHA, StatusContext, state, description, link)
	}
	if err := status("pending", "booty is running the tests"); err != nil {
		return runEnd{}, err
	}
	token, err := bgh.GitToken(ctx)
	if err != nil {
		return runEnd{}, err
	}
	dirs, err := newWorkDir("booty-verify-")
	if err != nil {
		return runEnd{}, err
	}
	defer os.RemoveAll(dirs.root)
	url := cfg.cloneURL(w.repoName(a.Repo))
	err = builder.Clone(ctx, builder.Checkout{URL: url, Token: token, Base: a.Branch, SHA: a.SHA, Dir: dirs.tree})
	if errors.Is(err, builder.ErrNoCommit) {
		log.Info("the pull request's branch no longer holds the commit; a later one is verified instead")
		end := runEnd{outcome: verifySuperseded, detail: a.Branch + " no longer holds the commit"}
		return end, status("error", end.detail)
	}
	if err != nil {
		return runEnd{}, err
	}
	attempt, ours, err := builder.Attempt(ctx, dirs.tree)
	if err != nil {
		return runEnd{}, err
	}
	log.Info("verification started", "branch", a.Branch, "build", attempt)
	res, err := builder.Run(ctx, builder.Command{Argv: cfg.TestCommand, Dir: dirs.tree, Home: dirs.home,
		Task:    map[string]string{"BOOTY_VERIFY_SHA": a.SHA, "BOOTY_VERIFY_BRANCH": a.Branch},
		Timeout: cfg.Timeout, MaxOutput: maxRunOutput}, cfg.Getenv)
	end := runEnd{sha: a.SHA, pull: a.Pull, log: output(res)}
	switch {
	case err != nil:
		end.outcome, end.detail = verifyFailure, fmt.Sprintf("could not run the tests: %v", err)
		end.log = end.detail
	case res.TimedOut:
		end.outcome, end.detail = verifyFailure, "the tests ran out of time ("+cfg.Timeout.String()+")"
	case res.ExitCode != 0:
		end.outcome, end.detail = verifyFailure, fmt.Sprintf("the tests failed (exit status %d)", res.ExitCode)
	default:
		end.outcome, end.detail = verifySuccess, "the tests passed in "+res.Elapsed.Round(time.Second).String()
	}
	// What happens next is in the status, for the person reading it. A
	// branch that moved on since (a person's push, a later attempt) has
	// its own verification coming: only its head is built on.
	var rebuild, giveUp bool
	if end.outcome == verifyFailure && ours {
		head, err := builder.BranchHead(ctx, url, token, a.Branch)
		if err != nil {
			return end, err
		}
		switch {
		case head != a.SHA:
			end.detail += "; the branch has moved on"
		case attempt < cfg.MaxAttempts:
			rebuild = true
			end.detail += fmt.Sprintf("; build attempt %d queued", attempt+1)
		default:
			giveUp = true
			end.detail += fmt.Sprintf("; no build attempts left (%d)", cfg.MaxAttempts)
		}
	}
	state := "success"
	if end.outcome == verifyFailure {
		state = "failure"
	}
	if err := status(state, end.detail); err != nil {
		return end, err
	}
	log.Info("verification finished", "outcome", end.outcome, "detail", end.detail)
	if rebuild {
		failure := end.detail + "\n\n" + tail([]byte(end.log), 60)
		next := BuildArgs{ProblemKey: a.ProblemKey, Repo: a.Repo, Issue: a.Issue, Attempt: attempt + 1, PreviousFailure: failure}
		return end, w.rebuild(ctx, next)
	}
	if !giveUp {
		// Passed, or a person's commit on booty's branch: theirs to fix.
		return end, nil
	}
	why := fmt.Sprintf("the verifier found the tests failing on #%d after %d build attempts (%s); booty leaves it to a person",
		a.Pull, attempt, end.detail)
	return end, w.buildComment(ctx, log, gh, a.Issue, why, []byte(end.log))
}
