package worker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
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
	// access to the repository. "" is booty itself: the issue was filed
	// with the label, or the verifier asks for another attempt.
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
	// AnyIssue builds issues booty did not file too.
	AnyIssue bool
	Author   builder.Author
	// TestCommand is BOOTY_TEST_COMMAND: given to the builder in its task,
	// and run by the verifier.
	TestCommand []string
	// MaxAttempts is BOOTY_BUILDER_MAX_ATTEMPTS: the builds of one issue
	// while its verification fails.
	MaxAttempts int
	// RunLink is the address of a run's page on the status page, which
	// commit statuses link to; nil links nothing.
	RunLink func(id int64) string
	// Getenv is booty's environment, for the passed variables.
	Getenv func(string) string
	// Concurrency is BOOTY_BUILDER_CONCURRENCY, the builds run at once.
	Concurrency int
	// Trigger is the trigger label of a route: an issue booty files with
	// it is built at once.
	Trigger func(route string) string
}

// Builds is the part of GitHub builds and verifications use besides
// Issues.
type Builds interface {
	DefaultBranch(ctx context.Context) (string, error)
	Permission(ctx context.Context, login string) (string, error)
	CreateDraftPull(ctx context.Context, title, head, base, body string) (int, string, error)
	OpenPull(ctx context.Context, head string) (int, string, error)
	GitToken(ctx context.Context) (string, error)
	CreateStatus(ctx context.Context, sha, statusContext, state, description, targetURL string) error
	// Creator is booty's own login, the author of the issues it opened.
	Creator(ctx context.Context) (string, error)
}

var _ Builds = (*github.Client)(nil)

// BuildEnqueuer returns the intake.BuildFunc that queues BuildArgs jobs
// with c.
func BuildEnqueuer(c *Client) intake.BuildFunc {
	return func(ctx context.Context, tx *store.Tx, p alert.Problem, sender string) (int64, error) {
		res, err := c.InsertTx(ctx, tx, BuildArgs{ProblemKey: p.Key, Repo: p.Repo, Issue: p.IssueNumber, Sender: sender, Attempt: 1}, buildOpts())
		if err != nil {
			return 0, err
		}
		return res.Job.ID, nil
	}
}

// buildOnCreate queues the build of issue n, just filed for p with
// labels, when they hold the route's trigger label. A retried create
// queues it again, which the job's uniqueness absorbs while it is live.
func (w *Worker) buildOnCreate(ctx context.Context, log *slog.Logger, p alert.Problem, labels []string, n int) error {
	cfg := w.cfg.Builder
	if cfg == nil || cfg.Trigger == nil || w.rebuild == nil || n <= 0 {
		return nil
	}
	trigger := cfg.Trigger(p.Route)
	if !slices.ContainsFunc(labels, func(l string) bool { return strings.EqualFold(l, trigger) }) {
		return nil
	}
	log.Info("the issue was filed with the trigger label; build queued", "issue", n)
	return w.rebuild(ctx, BuildArgs{ProblemKey: p.Key, Repo: p.Repo, Issue: n, Attempt: 1})
}

// buildWorker runs BuildArgs jobs.
type buildWorker struct {
	river.WorkerDefaults[BuildArgs]
	w *Worker
}

// Timeout lets a build run its command's limit and a margin for git and
// GitHub; River's rescuer waits for it too.
func (b *buildWorker) Timeout(*river.Job[BuildArgs]) time.Duration { return b.w.runTimeout() }

// Work builds.
func (b *buildWorker) Work(ctx context.Context, job *river.Job[BuildArgs]) error {
	w := b.w
	a := job.Args
	log := w.cfg.Log.With("job_id", job.ID, "problem_key", a.ProblemKey, "issue", a.Issue, "build", a.Attempt)
	return w.runJob(ctx, log, job.JobRow, store.Run{Kind: store.RunBuild, JobID: job.ID, ProblemKey: a.ProblemKey,
		Repo: w.repoName(a.Repo), Issue: a.Issue, Attempt: a.Attempt}, func(int64) (runEnd, error) { return w.build(ctx, log, a) })
}

// Build outcomes, for the run's record and the metric.
const (
	buildPullOpened = "pull_opened"
	buildPushed     = "pushed"
	buildNoChange   = "no_change"
	buildRefused    = "refused"
	buildFailed     = "failed"
	buildTimedOut   = "timed_out"
	buildSkipped    = "skipped"
)

// repoName is repo, or the default repository for "".
func (w *Worker) repoName(repo string) string {
	if repo == "" {
		return w.cfg.DefaultRepo
	}
	return repo
}

// workDir makes a job's temporary directory with its tree, home and task
// directories; remove it with os.RemoveAll(dirs.root).
type workDir struct{ root, tree, home, task string }

func newWorkDir(prefix string) (workDir, error) {
	root, err := os.MkdirTemp("", prefix)
	if err != nil {
		return workDir{}, err
	}
	d := workDir{root: root, tree: filepath.Join(root, "tree"), home: filepath.Join(root, "home"), task: filepath.Join(root, "task")}
	for _, dir := range []string{d.tree, d.home, d.task} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			os.RemoveAll(root)
			return workDir{}, err
		}
	}
	return d, nil
}

// cloneURL is the git remote of repo ("OWNER/NAME"), from the template.
func (cfg *Builder) cloneURL(repo string) string {
	owner, name, _ := strings.Cut(repo, "/")
	return strings.NewReplacer("{owner}", owner, "{repo}", name).Replace(cfg.GitURL)
}

func (w *Worker) build(ctx context.Context, log *slog.Logger, a BuildArgs) (runEnd, error) {
	cfg := w.cfg.Builder
	if cfg == nil {
		log.Warn("builds are off (BOOTY_BUILDER=label); dropping the build")
		return runEnd{outcome: buildSkipped, detail: "builds are off"}, nil
	}
	p, err := w.cfg.Store.Problem(ctx, a.ProblemKey)
	if err != nil {
		return runEnd{}, err
	}
	if p.IssueNumber != a.Issue {
		log.Info("the problem's issue changed; no build", "now", p.IssueNumber)
		return runEnd{outcome: buildSkipped, detail: "the problem's issue changed"}, nil
	}
	gh, bgh, err := w.buildsOf(ctx, a.Repo)
	if err != nil || bgh == nil {
		return runEnd{outcome: buildSkipped, detail: "a dry run builds nothing"}, err
	}
	// A person who asked needs to be able to push; booty's own requests
	// (an issue filed with the label, a later attempt) need nothing more.
	if a.Sender != "" {
		perm, err := bgh.Permission(ctx, a.Sender)
		if err != nil {
			return runEnd{}, err
		}
		if !github.CanWrite(perm) {
			log.Warn("the trigger label was added by someone without write access; no build", "sender", a.Sender, "permission", perm)
			return runEnd{outcome: buildRefused, detail: a.Sender + " may not push to the repository"}, nil
		}
	}
	is, err := gh.Issue(ctx, a.Issue)
	if err != nil {
		return runEnd{}, err
	}
	if !cfg.AnyIssue {
		if is.ProblemKey != a.ProblemKey {
			log.Warn("booty did not file this issue (no marker of the problem); no build")
			return runEnd{outcome: buildRefused, detail: "booty did not file the issue"}, nil
		}
		// The marker is text anyone can copy; the author is booty's
		// identity only on an issue booty created.
		login, err := bgh.Creator(ctx)
		if err != nil {
			return runEnd{}, err
		}
		if !strings.EqualFold(login, is.Author) {
			log.Warn("the issue was opened by someone else than booty; no build", "author", is.Author)
			return runEnd{outcome: buildRefused, detail: "booty did not open the issue"}, nil
		}
	}
	base, err := bgh.DefaultBranch(ctx)
	if err != nil {
		return runEnd{}, err
	}
	token, err := bgh.GitToken(ctx)
	if err != nil {
		return runEnd{}, err
	}
	repo := w.repoName(a.Repo)
	dirs, err := newWorkDir("booty-build-")
	if err != nil {
		return runEnd{}, err
	}
	defer os.RemoveAll(dirs.root)
	url := cfg.cloneURL(repo)
	branch := intake.BootyBranch(a.Issue)
	// An issue's first build starts from the default branch; once its
	// branch exists, builds go on from it, so that every push
	// fast-forwards.
	from := base
	if head, err := builder.BranchHead(ctx, url, token, branch); err != nil {
		return runEnd{}, err
	} else if head != "" {
		from = branch
	}
	if err := builder.Clone(ctx, builder.Checkout{URL: url, Token: token, Base: from, Branch: branch, Dir: dirs.tree}); err != nil {
		return runEnd{}, err
	}
	sha, err := builder.Head(ctx, dirs.tree)
	if err != nil {
		return runEnd{}, err
	}
	var task builder.Task
	task.Repository, task.BaseBranch, task.BaseSHA, task.Branch = repo, base, sha, branch
	task.Issue.Number, task.Issue.Title, task.Issue.Body, task.Issue.URL = a.Issue, is.Title, is.Body, is.URL
	task.Attempt, task.PreviousFailure = a.Attempt, a.PreviousFailure
	task.MaxFiles, task.MaxLines, task.ProtectedPaths = cfg.Limits.MaxFiles, cfg.Limits.MaxLines, cfg.Limits.Protected
	task.TimeoutSeconds, task.TestCommand = int(cfg.Timeout.Seconds()), cfg.TestCommand
	vars, err := task.Write(dirs.task)
	if err != nil {
		return runEnd{}, err
	}
	log.Info("build started", "base", base, "from", from, "sha", sha, "branch", branch)
	res, err := builder.Run(ctx, builder.Command{Argv: cfg.Command, Dir: dirs.tree, Home: dirs.home, Task: vars, Pass: cfg.Pass,
		Stdin: task.Prompt(), Timeout: cfg.Timeout, MaxOutput: maxRunOutput}, cfg.Getenv)
	end := runEnd{sha: sha, log: output(res)}
	if err != nil {
		end.outcome, end.detail = buildFailed, fmt.Sprintf("could not run the builder command: %v", err)
		return end, w.buildComment(ctx, log, gh, a.Issue, end.detail, nil)
	}
	if res.TimedOut || res.ExitCode != 0 {
		end.outcome, end.detail = buildFailed, fmt.Sprintf("the builder command exited with status %d", res.ExitCode)
		if res.TimedOut {
			end.outcome, end.detail = buildTimedOut, "the builder command ran out of time ("+cfg.Timeout.String()+") and was stopped"
		}
		return end, w.buildComment(ctx, log, gh, a.Issue, end.detail, res.Stdout)
	}
	change, err := builder.Read(ctx, dirs.tree)
	if err != nil {
		return end, err
	}
	if len(change.Files) == 0 {
		end.outcome, end.detail = buildNoChange, "the builder command changed nothing"
		return end, w.buildComment(ctx, log, gh, a.Issue, end.detail, nil)
	}
	if err := builder.Check(change, cfg.Limits); err != nil {
		end.outcome, end.detail = buildRefused, err.Error()+"; nothing was pushed"
		return end, w.buildComment(ctx, log, gh, a.Issue, end.detail, nil)
	}
	commit, err := builder.Commit(ctx, dirs.tree, cfg.Author, builder.CommitMessage(is.Title, a.Issue, a.Attempt))
	if err != nil {
		return end, err
	}
	if err := builder.Push(ctx, dirs.tree, url, branch, token); err != nil {
		return end, err
	}
	end.sha = commit
	end.outcome, end.detail = buildPushed, fmt.Sprintf("pushed %d files, %d lines to %s", len(change.Files), change.Lines(), branch)
	// A retried job, or a later attempt, finds the pull request open.
	n, prURL, err := bgh.OpenPull(ctx, branch)
	if err != nil {
		return end, err
	}
	if n == 0 {
		if err := w.pace(ctx); err != nil {
			return end, err
		}
		body := fmt.Sprintf("booty's builder proposes this change for #%d (%d files, %d lines).\n\nFixes #%d", a.Issue, len(change.Files), change.Lines(), a.Issue)
		if n, prURL, err = bgh.CreateDraftPull(ctx, "Fix #"+strconv.Itoa(a.Issue)+": "+is.Title, branch, base, body); err != nil {
			return end, err
		}
		end.outcome = buildPullOpened
		log.Info("draft pull request opened", "pull", n, "url", prURL, "files", len(change.Files), "lines", change.Lines())
	} else {
		log.Info("pushed to the open pull request", "pull", n, "url", prURL, "files", len(change.Files), "lines", change.Lines())
	}
	end.pull = n
	return end, nil
}

// maxRunOutput caps what is kept of a command's stdout and of its stderr.
const maxRunOutput = 64 << 10

// output is a run's stdout, then its stderr, for the run's log.
func output(res builder.Result) string {
	out := string(res.Stdout)
	if len(res.Stderr) > 0 {
		out += "\n--- stderr ---\n" + string(res.Stderr)
	}
	if res.Truncated {
		out += "\n[output cut at " + strconv.Itoa(maxRunOutput) + " bytes]"
	}
	return out
}

// buildComment tells the issue a build ended without a pull request: why,
// and the tail of the command's output in a fence, as data.
func (w *Worker) buildComment(ctx context.Context, log *slog.Logger, gh Issues, issue int, why string, output []byte) error {
	log.Warn("build ended without a pull request", "why", why)
	if err := w.pace(ctx); err != nil {
		return err
	}
	return gh.Comment(ctx, issue, w.cfg.Render.BuildFailed(why, tail(output, 40)))
}

// tail is the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
