package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"booty/internal/config"
	"booty/internal/github"
	"booty/internal/store"
	"booty/internal/worker"
)

const recoverAbout = `Rebuilds booty's problem → issue map from the issues that carry booty's
hidden marker in TARGET_REPO_URL, open or closed, and records those the
store does not know. booty serve does this by itself when it starts on an
empty store; run it by hand after restoring an old backup. It needs the
whole configuration (GITHUB_TOKEN, TARGET_REPO_URL, BOOTY_DATABASE_URL) and
works beside a running booty.
`

// markedIssues lists the issues that carry booty's marker:
// github.Client.MarkedIssues.
type markedIssues interface {
	MarkedIssues(ctx context.Context) ([]github.MarkedIssue, error)
}

var _ markedIssues = (*github.Client)(nil)

// recoverTimeout bounds one rebuild: a thousand pages at GitHub's pace.
const recoverTimeout = 5 * time.Minute

// repoIssues is one repository to recover from: its name ("OWNER/NAME"),
// whether it is the default one, and its marked issues.
type repoIssues struct {
	repo   string
	def    bool
	lister markedIssues
}

// recoverIssues records the issue of every marked problem st does not know,
// from every repository of from, and returns how many marked issues there
// were and how many it added.
func recoverIssues(ctx context.Context, st *store.Store, from ...repoIssues) (found, added int, err error) {
	ctx, cancel := context.WithTimeout(ctx, recoverTimeout)
	defer cancel()
	var links []store.IssueLink
	for _, r := range from {
		issues, err := r.lister.MarkedIssues(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("recover issues of %s: %w", r.repo, err)
		}
		for _, is := range issues {
			links = append(links, store.IssueLink{ProblemKey: is.ProblemKey, Number: is.Number, Closed: is.Closed,
				CreatedAt: is.CreatedAt, Repo: r.repo, Default: r.def})
		}
	}
	added, err = st.RestoreIssues(ctx, links)
	if err != nil {
		return len(links), 0, fmt.Errorf("recover issues: %w", err)
	}
	return len(links), added, nil
}

// needsRecovery returns what to rebuild the problem → issue map from when
// the store knows no problem (a new install, or a lost database), else nil:
// the default repository (gh) and every other routed repository
// (issuesFor). A dry run (gh is not a GitHub client) has nothing to
// recover.
func needsRecovery(ctx context.Context, st *store.Store, cfg *config.Config, gh any, issuesFor worker.IssuesFor) ([]repoIssues, error) {
	lister, ok := gh.(markedIssues)
	if !ok {
		return nil, nil
	}
	if has, err := st.HasProblems(ctx); err != nil || has {
		return nil, err
	}
	from := []repoIssues{{repo: cfg.Repo(), def: true, lister: lister}}
	for _, repo := range routedRepos(cfg)[1:] {
		if issuesFor == nil {
			break
		}
		is, err := issuesFor(ctx, repo)
		if err != nil {
			return nil, err
		}
		if l, ok := is.(markedIssues); ok {
			from = append(from, repoIssues{repo: repo, lister: l})
		}
	}
	return from, nil
}

// recoverThenRelease is serve's start on an empty store: it rebuilds the map
// from GitHub, retrying until GitHub answers, and then calls release, which
// lets the worker's held jobs run. A lost database must never mean a second
// issue for every open problem, and GitHub being down must not stop booty
// from accepting alerts: they are decided and their jobs wait meanwhile, and
// a problem decided meanwhile is linked to the issue it already has.
func recoverThenRelease(ctx context.Context, st *store.Store, from []repoIssues, log *slog.Logger, release func()) {
	wait := time.Second
	for {
		found, added, err := recoverIssues(ctx, st, from...)
		if err == nil {
			if found > 0 {
				log.Warn("empty store: recovered problems from the issues carrying booty's marker", "issues", found, "problems", added)
			}
			release()
			return
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("empty store: cannot read booty's issues from GitHub yet; alerts are accepted, "+
			"no issue is filed until booty knows those it filed", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// recoverCommand is booty recover.
func recoverCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("recover", "", recoverAbout)
	if code, stop := parseArgs(fs, args, 0, stdout, stderr); stop {
		return code
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		printConfigErrors(stderr, err)
		return 1
	}
	if cfg.DryRun {
		fmt.Fprintln(stderr, "booty: recover reads GitHub, which a dry run never does; unset BOOTY_DRY_RUN")
		return 1
	}
	st, err := openOperatorStore(ctx, getenv, stderr)
	if err != nil {
		return 1
	}
	defer st.Close()
	gh, err := github.NewClient(&http.Client{Timeout: 30 * time.Second}, cfg.GitHubAPIURL, cfg.GitHubToken,
		cfg.RepoOwner, cfg.RepoName, buildVersion())
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	found, added, err := recoverIssues(ctx, st, repoIssues{repo: cfg.Repo(), def: true, lister: gh})
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d issues in %s carry booty's marker; recorded %d problems the store did not know\n", found, cfg.Repo(), added)
	return 0
}
