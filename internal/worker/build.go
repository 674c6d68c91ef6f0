package worker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"booty/internal/alert"
	"booty/internal/builder"
	"booty/internal/github"
	"booty/internal/intake"
	"booty/internal/store"
)

// BuilderQueue is the River queue builds run on, apart from GitHub writes:
// a build takes minutes, and must not hold an alert's issue up.
const BuilderQueue = "builder"

// BuildArgs is the job that turns a labelled issue booty filed into a
// draft pull request: a clean checkout, the builder command, booty's own
// check of the change, a commit, a push and the PR. One per issue lives
// at a time.
type BuildArgs struct {
	ProblemKey string `json:"problem_key"`
	Repo       string `json:"repo" river:"unique"`
	Issue      int    `json:"issue" river:"unique"`
	// Sender is who added the trigger label: a build needs their write
	// access to the repository.
	Sender string `json:"sender"`
	// Attempt counts builds of the issue, and PreviousFailure is what the
	// last one's verification said.
	Attempt         int    `json:"attempt"`
	PreviousFailure string `json:"previous_failure,omitempty"`
}

// Kind names the job in River's tables.
func (BuildArgs) Kind() string { return "build" }

// Builder configures command-mode builds (BOOTY_BUILDER=command).
type Builder struct {
	// Command is the argv of BOOTY_BUILDER_COMMAND.
	Command []string
	// Timeout is BOOTY_BUILDER_TIMEOUT; Pass the variables of
	// BOOTY_BUILDER_ENV.
	Timeout time.Duration
	Pass    []string
	Limits  builder.Limits
	// GitURL is the clone URL template, {owner} and {repo} filled in.
	GitURL string
	// Token authenticates the clone and the push.
	Token string
	// AnyIssue builds issues booty did not file too.
	AnyIssue bool
	Author   builder.Author
	// TestCommand is BOOTY_TEST_COMMAND, given to the builder in its task.
	TestCommand []string
	// Getenv is booty's environment, for the passed variables.
	Getenv func(string) string
	// Concurrency is BOOTY_BUILDER_CONCURRENCY, the builds run at once.
	Concurrency int
}

// Builds is the part of GitHub a build uses besides Issues.
type Builds interface {
	DefaultBranch(ctx context.Context) (string, error)
	Permission(ctx context.Context, login string) (string, error)
	CreateDraftPull(ctx context.Context, title, head, base, body string) (int, string, error)
}

var _ Builds = (*github.Client)(nil)

// BuildEnqueuer returns the intake.BuildFunc that queues BuildArgs jobs
// with c.
func BuildEnqueuer(c *Client) intake.BuildFunc {
	return func(ctx context.Context, tx *store.Tx, p alert.Problem, sender string) (int64, error) {
		res, err := c.InsertTx(ctx, tx, BuildArgs{ProblemKey: p.Key, Repo: p.Repo, Issue: p.IssueNumber, Sender: sender, Attempt: 1},
			&river.InsertOpts{Queue: BuilderQueue, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}})
		if err != nil {
			return 0, err
		}
		return res.Job.ID, nil
	}
}

// buildWorker runs BuildArgs jobs.
type buildWorker struct {
	river.WorkerDefaults[BuildArgs]
	w *Worker
}

// Timeout lets a build run its command's limit and a margin for git and
// GitHub; River's rescuer waits for it too.
func (b *buildWorker) Timeout(*river.Job[BuildArgs]) time.Duration {
	if c := b.w.cfg.Builder; c != nil {
		return c.Timeout + 5*time.Minute
	}
	return AttemptTimeout
}

// Work builds.
func (b *buildWorker) Work(ctx context.Context, job *river.Job[BuildArgs]) error {
	w := b.w
	log := w.cfg.Log.With("job_id", job.ID, "problem_key", job.Args.ProblemKey, "issue", job.Args.Issue, "build", job.Args.Attempt)
	return w.verdict(ctx, log, job.JobRow, job.Args.ProblemKey, w.build(ctx, log, job.Args))
}

func (w *Worker) build(ctx context.Context, log *slog.Logger, a BuildArgs) error {
	cfg := w.cfg.Builder
	if cfg == nil {
		log.Warn("builds are off (BOOTY_BUILDER=label); dropping the build")
		return nil
	}
	p, err := w.cfg.Store.Problem(ctx, a.ProblemKey)
	if err != nil {
		return err
	}
	if p.IssueNumber != a.Issue {
		log.Info("the problem's issue changed; no build", "now", p.IssueNumber)
		return nil
	}
	gh, err := w.issuesOf(ctx, a.Repo)
	if err != nil {
		return err
	}
	bgh, ok := gh.(Builds)
	if !ok {
		log.Info("a dry run builds nothing")
		return nil
	}
	perm, err := bgh.Permission(ctx, a.Sender)
	if err != nil {
		return err
	}
	if !github.CanWrite(perm) {
		log.Warn("the trigger label was added by someone without write access; no build", "sender", a.Sender, "permission", perm)
		return nil
	}
	is, err := gh.Issue(ctx, a.Issue)
	if err != nil {
		return err
	}
	if !cfg.AnyIssue && is.ProblemKey != a.ProblemKey {
		log.Warn("booty did not file this issue (no marker of the problem); no build")
		return nil
	}
	base, err := bgh.DefaultBranch(ctx)
	if err != nil {
		return err
	}
	repo := a.Repo
	if repo == "" {
		repo = w.cfg.DefaultRepo
	}
	owner, name, _ := strings.Cut(repo, "/")
	work, err := os.MkdirTemp("", "booty-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	tree, home, taskDir := filepath.Join(work, "tree"), filepath.Join(work, "home"), filepath.Join(work, "task")
	for _, d := range []string{tree, home, taskDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	url := strings.NewReplacer("{owner}", owner, "{repo}", name).Replace(cfg.GitURL)
	branch := "booty/issue-" + strconv.Itoa(a.Issue)
	if err := builder.Clone(ctx, builder.Checkout{URL: url, Token: cfg.Token, Base: base, Branch: branch, Dir: tree}); err != nil {
		return err
	}
	sha, err := builder.Head(ctx, tree)
	if err != nil {
		return err
	}
	var task builder.Task
	task.Repository, task.BaseBranch, task.BaseSHA, task.Branch = repo, base, sha, branch
	task.Issue.Number, task.Issue.Title, task.Issue.Body, task.Issue.URL = a.Issue, is.Title, is.Body, is.URL
	task.Attempt, task.PreviousFailure = a.Attempt, a.PreviousFailure
	task.MaxFiles, task.MaxLines, task.ProtectedPaths = cfg.Limits.MaxFiles, cfg.Limits.MaxLines, cfg.Limits.Protected
	task.TimeoutSeconds, task.TestCommand = int(cfg.Timeout.Seconds()), cfg.TestCommand
	vars, err := task.Write(taskDir)
	if err != nil {
		return err
	}
	log.Info("build started", "base", base, "sha", sha, "branch", branch)
	res, err := builder.Run(ctx, builder.Command{Argv: cfg.Command, Dir: tree, Home: home, Task: vars, Pass: cfg.Pass,
		Stdin: task.Prompt(), Timeout: cfg.Timeout, MaxOutput: 64 << 10}, cfg.Getenv)
	if err != nil {
		return w.buildComment(ctx, log, gh, a, fmt.Sprintf("could not run the builder command: %v", err), nil)
	}
	if res.TimedOut || res.ExitCode != 0 {
		why := fmt.Sprintf("the builder command exited with status %d", res.ExitCode)
		if res.TimedOut {
			why = "the builder command ran out of time (" + cfg.Timeout.String() + ") and was stopped"
		}
		return w.buildComment(ctx, log, gh, a, why, res.Stdout)
	}
	change, err := builder.Read(ctx, tree)
	if err != nil {
		return err
	}
	if len(change.Files) == 0 {
		return w.buildComment(ctx, log, gh, a, "the builder command changed nothing", nil)
	}
	if err := builder.Check(change, cfg.Limits); err != nil {
		return w.buildComment(ctx, log, gh, a, err.Error()+"; nothing was pushed", nil)
	}
	msg := fmt.Sprintf("Fix %s\n\nFixes #%d", is.Title, a.Issue)
	if _, err := builder.Commit(ctx, tree, cfg.Author, msg); err != nil {
		return err
	}
	if err := builder.Push(ctx, tree, url, branch, cfg.Token); err != nil {
		return err
	}
	if err := w.pace(ctx); err != nil {
		return err
	}
	body := fmt.Sprintf("booty's builder proposes this change for #%d (%d files, %d lines).\n\nFixes #%d", a.Issue, len(change.Files), change.Lines(), a.Issue)
	n, prURL, err := bgh.CreateDraftPull(ctx, "Fix #"+strconv.Itoa(a.Issue)+": "+is.Title, branch, base, body)
	if err != nil {
		return err
	}
	log.Info("draft pull request opened", "pull", n, "url", prURL, "files", len(change.Files), "lines", change.Lines())
	return nil
}

// buildComment tells the issue a build ended without a pull request: why,
// and the tail of the command's output in a fence, as data.
func (w *Worker) buildComment(ctx context.Context, log *slog.Logger, gh Issues, a BuildArgs, why string, output []byte) error {
	log.Warn("build ended without a pull request", "why", why)
	if err := w.pace(ctx); err != nil {
		return err
	}
	return gh.Comment(ctx, a.Issue, w.cfg.Render.BuildFailed(why, tail(output, 40)))
}

// tail is the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
