package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/web"
)

const problemsShowAbout = `Shows one problem, named by its key (sentry:ID) or by its issue: OWNER/REPO#N,
#N in the default repository, or the issue's URL. It prints the problem's
title, route, issue, counts, latest release and state, then its timeline:
every delivery booty kept of it (time, resource, action, decision, reason),
the GitHub deliveries about its issue with their outcome, every step of its
lifecycle (the issue's state after it, and why), and its GitHub
jobs, queued and finished; then its builder and verifier runs, newest first
(booty runs show RUN prints one with its log); last, its jobs with any parked
one and the command that retries it.

Deliveries are kept for BOOTY_DELIVERY_RETENTION (30 days unless set), and
River deletes finished jobs after a day, so the timeline reaches back that
far.`

func problemsShow(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("problems show", "KEY | OWNER/REPO#N [--json]", problemsShowAbout)
	asJSON := fs.Bool("json", false, "print a JSON object for scripts")
	arg, code, stop := parseOneArg(fs, args, "a problem key or OWNER/REPO#N", stdout, stderr)
	if stop {
		return code
	}
	st, err := openOperatorStore(ctx, getenv, stderr)
	if err != nil {
		return 1
	}
	defer st.Close()
	links := newIssueLinks(getenv)
	p, err := findProblem(ctx, st, links, arg)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	v, err := web.ReadProblemView(ctx, st, p)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	if v.MoreDeliveries {
		fmt.Fprintf(stderr, "booty: showing the newest %d deliveries of %s\n", web.MaxDeliveries, p.Key)
	}
	if *asJSON {
		if err := writeJSON(stdout, v.JSON(links)); err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		return 0
	}
	printProblemView(stdout, isTerminal(stdout), v, links, time.Now())
	return 0
}

// parseOneArg parses args for a command that takes one positional argument,
// what it names, with its flags before or after it, answering --help and
// mistakes the way parseFlags does.
func parseOneArg(fs *flag.FlagSet, args []string, what string, stdout, stderr io.Writer) (arg string, code int, stop bool) {
	if err := parseOnly(fs, args, stdout, stderr); err != nil {
		return "", exitCode(err), true
	}
	if fs.NArg() == 0 {
		return "", usageError(fs, stderr, errors.New("missing argument: "+what)), true
	}
	arg = fs.Arg(0)
	if err := parseOnly(fs, fs.Args()[1:], stdout, stderr); err != nil {
		return "", exitCode(err), true
	}
	if fs.NArg() > 0 {
		return "", usageError(fs, stderr, fmt.Errorf("unexpected argument %q", fs.Arg(0))), true
	}
	return arg, 0, false
}

// findProblem finds the problem arg names: its key, else its issue. The
// default repository's issues are found whichever way the problem stored
// its repository.
func findProblem(ctx context.Context, st *store.Store, links issueLinks, arg string) (alert.Problem, error) {
	p, err := st.Problem(ctx, arg)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return p, err
	}
	repo, n, ok := parseIssueRef(arg)
	if !ok {
		return alert.Problem{}, fmt.Errorf("no problem %q in the store: %w", cleanField(arg, 100), store.ErrNotFound)
	}
	repos := []string{repo}
	switch {
	case repo == "" && links.DefaultRepo != "":
		repos = append(repos, links.DefaultRepo)
	case repo != "" && strings.EqualFold(repo, links.DefaultRepo):
		repos = append(repos, "")
	}
	for _, r := range repos {
		p, err := st.ProblemByIssue(ctx, r, n)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return p, err
		}
	}
	return alert.Problem{}, fmt.Errorf("no problem has issue %s in the store: %w", links.Ref(repo, n), store.ErrNotFound)
}

// printProblemView writes v for a person; cut bounds long fields, for a
// terminal.
func printProblemView(w io.Writer, cut bool, v *web.ProblemView, links issueLinks, now time.Time) {
	p := v.Problem
	facts := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fact := func(name, value string) {
		if value = cleanField(value, maxFieldRunes); value != "" {
			fmt.Fprintf(facts, "%s\t%s\n", name, value)
		}
	}
	fact("problem", p.Key)
	fact("title", p.Title)
	fact("state", string(store.StateOf(p)))
	if p.IssueNumber > 0 {
		fact("issue", strings.TrimSpace(links.Ref(p.Repo, p.IssueNumber)+"  "+links.URL(p.Repo, p.IssueNumber)))
	} else {
		fact("issue", "none yet")
	}
	if p.IssueClosed {
		var closed []string
		if !p.IssueClosedAt.IsZero() {
			closed = append(closed, formatTime(p.IssueClosedAt))
		}
		if p.IssueCloseReason != "" {
			closed = append(closed, "as "+p.IssueCloseReason)
		}
		if len(closed) == 0 {
			closed = append(closed, "yes (booty does not know when or why)")
		}
		fact("closed", strings.Join(closed, ", "))
	}
	if v.Digest != nil {
		d := v.Digest
		folded := fmt.Sprintf("digest %d of route %s", d.ID, d.Route)
		if d.IssueNumber > 0 {
			folded += ", issue " + links.Ref(d.Repo, d.IssueNumber) + "  " + links.URL(d.Repo, d.IssueNumber)
		}
		fact("folded", folded)
	} else if p.DigestID != 0 {
		fact("folded", fmt.Sprintf("digest %d (no longer stored)", p.DigestID))
	}
	repo := links.Repo(p.Repo)
	if p.Repo == "" && repo != web.DefaultRepoName {
		repo += " (the default repository)"
	}
	fact("repository", repo)
	fact("route", p.Route)
	fact("events", fmt.Sprintf("%d, first seen %s, last seen %s", p.Count, formatTime(p.FirstSeen), formatTime(p.LastSeen)))
	fact("last event", p.LastEventID)
	fact("last write", formatTime(p.LastWriteAt))
	fact("level", p.Level)
	fact("project", p.Project)
	fact("environment", p.Environment)
	if p.Release != "" {
		fact("release", p.Release+" (latest)")
	}
	if names := v.ReleaseNames(); len(names) > 0 {
		fact("releases seen", strings.Join(names, ", "))
	}
	fact("sentry", p.Link)
	facts.Flush()

	fmt.Fprintln(w, "\nTimeline:")
	widths := []int{}
	if cut {
		widths = []int{0, 0, 0, 0, 0, 60, 60}
	}
	tl := v.Timeline()
	if len(tl) == 0 {
		fmt.Fprintln(w, "  nothing kept: deliveries are pruned after BOOTY_DELIVERY_RETENTION")
	} else {
		t := newTable(w, true, []string{"TIME", "SOURCE", "RESOURCE", "ACTION", "DECISION", "REASON", "DETAIL"}, widths...)
		for _, e := range tl {
			t.row(formatInstant(e.At), e.Source, e.Resource, e.Action, e.Decision, e.Reason, e.Detail)
		}
		t.flush()
	}

	printRuns(w, cut, v.Runs, links, now)

	fmt.Fprintln(w, "\nJobs:")
	if len(v.Jobs) == 0 {
		fmt.Fprintln(w, "  none kept: finished jobs are deleted after a day")
		return
	}
	t := newTable(w, true, []string{"JOB", "ACTION", "STATE", "ATTEMPTS", "CREATED", "FINISHED", "LAST ERROR"}, 0, 0, 0, 0, 0, 0, 100)
	var parked []int64
	for _, j := range v.Jobs {
		t.row(strconv.FormatInt(j.ID, 10), j.Action, web.JobStateName(j.State), fmt.Sprintf("%d/%d", j.Attempt, j.MaxAttempts),
			formatTime(j.CreatedAt), formatTime(j.FinalizedAt), j.LastError)
		if store.IsParked(j.State) {
			parked = append(parked, j.ID)
		}
	}
	t.flush()
	for _, id := range parked {
		fmt.Fprintf(w, "job %d is parked; run it again with: %s\n", id, web.RetryCommand(id))
	}
}
