package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storm"
)

const problemsShowAbout = `Shows one problem, named by its key (sentry:ID) or by its issue: OWNER/REPO#N,
#N in the default repository, or the issue's URL. It prints the problem's
title, route, issue, counts, latest release and state, then its timeline:
every delivery booty kept of it (time, resource, action, decision, reason),
the GitHub deliveries about its issue with their outcome, every step of its
lifecycle (the issue's state after it, and why), and its GitHub
jobs, queued and finished; last, its jobs with any parked one and the command
that retries it.

Deliveries are kept for BOOTY_DELIVERY_RETENTION (30 days unless set), and
River deletes finished jobs after a day, so the timeline reaches back that
far.`

// showDeliveries is the most deliveries show prints, the newest.
const showDeliveries = 1000

func problemsShow(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("problems show", "KEY | OWNER/REPO#N [--json]", problemsShowAbout)
	asJSON := fs.Bool("json", false, "print a JSON object for scripts")
	arg, code, stop := parseOneArg(fs, args, stdout, stderr)
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
	v, err := readProblemView(ctx, st, p)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	if v.moreDeliveries {
		fmt.Fprintf(stderr, "booty: showing the newest %d deliveries of %s\n", showDeliveries, p.Key)
	}
	if *asJSON {
		if err := writeJSON(stdout, v.json(links)); err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		return 0
	}
	v.print(stdout, isTerminal(stdout), links)
	return 0
}

// parseOneArg parses args for a command that takes one positional argument
// with its flags before or after it, answering --help and mistakes the
// way parseFlags does.
func parseOneArg(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (arg string, code int, stop bool) {
	if err := parseOnly(fs, args, stdout, stderr); err != nil {
		return "", exitCode(err), true
	}
	if fs.NArg() == 0 {
		return "", usageError(fs, stderr, errors.New("missing argument: a problem key or OWNER/REPO#N")), true
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
	case repo == "" && links.defaultRepo != "":
		repos = append(repos, links.defaultRepo)
	case repo != "" && strings.EqualFold(repo, links.defaultRepo):
		repos = append(repos, "")
	}
	for _, r := range repos {
		p, err := st.ProblemByIssue(ctx, r, n)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return p, err
		}
	}
	return alert.Problem{}, fmt.Errorf("no problem has issue %s in the store: %w", links.ref(repo, n), store.ErrNotFound)
}

// problemView is what show prints of a problem.
type problemView struct {
	p              alert.Problem
	digest         *storm.Digest // the digest it is folded into, if any
	deliveries     []store.DeliveryRecord
	moreDeliveries bool // deliveries holds only the newest showDeliveries
	jobs           []store.ProblemJob
	transitions    []alert.Transition
}

func readProblemView(ctx context.Context, st *store.Store, p alert.Problem) (*problemView, error) {
	v := &problemView{p: p}
	var err error
	if v.deliveries, err = st.ProblemDeliveries(ctx, p.Key, showDeliveries+1); err != nil {
		return nil, err
	}
	if len(v.deliveries) > showDeliveries {
		v.deliveries, v.moreDeliveries = v.deliveries[1:], true
	}
	if v.jobs, err = st.ProblemJobs(ctx, p.Key); err != nil {
		return nil, err
	}
	if v.transitions, err = st.Transitions(ctx, p.Key, showDeliveries); err != nil {
		return nil, err
	}
	if p.DigestID != 0 {
		d, err := st.Digest(ctx, p.DigestID)
		switch {
		case err == nil:
			v.digest = &d
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return v, nil
}

// event is one line of a problem's timeline.
type event struct {
	At       time.Time
	Source   string // sentry, github, lifecycle or job
	Resource string // Sentry's hook resource, GitHub's event, or "job N"
	Action   string
	Decision string
	Reason   string
	Detail   string
	JobID    int64
}

// timeline merges the problem's deliveries and jobs by time.
func (v *problemView) timeline() []event {
	var out []event
	for _, d := range v.deliveries {
		e := event{At: d.ReceivedAt, Source: d.Source, Resource: d.Resource, Action: d.Action, JobID: d.JobID}
		e.Decision, e.Reason = decisionOf(d)
		e.Detail = deliveryDetail(d)
		out = append(out, e)
	}
	for _, j := range v.jobs {
		name := "job " + strconv.FormatInt(j.ID, 10)
		out = append(out, event{At: j.CreatedAt, Source: "job", Resource: name, Action: j.Action, Decision: "queued", JobID: j.ID})
		if !j.FinalizedAt.IsZero() {
			e := event{At: j.FinalizedAt, Source: "job", Resource: name, Action: j.Action, Decision: jobStateName(j.State),
				Detail: attempts(j), JobID: j.ID}
			if store.IsParked(j.State) {
				e.Reason = j.LastError
			}
			out = append(out, e)
		}
	}
	for _, t := range v.transitions {
		e := event{At: t.At, Source: "lifecycle", Resource: string(t.Input), Decision: string(t.To), Reason: string(t.Reason)}
		if t.From != t.To {
			e.Detail = "from " + string(t.From)
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].At.Before(out[b].At) })
	return out
}

// decisionOf splits what booty made of a delivery into a decision and,
// for an ignored Sentry alert, the reason.
func decisionOf(d store.DeliveryRecord) (decision, reason string) {
	if d.Source == store.SourceSentry && !d.Accepted() {
		return "ignored", d.Outcome
	}
	return d.Outcome, ""
}

// deliveryDetail is the rest of what booty recorded of d.
func deliveryDetail(d store.DeliveryRecord) string {
	var parts []string
	if d.EventID != "" {
		parts = append(parts, "event "+d.EventID)
	}
	if d.Route != "" {
		parts = append(parts, "route "+d.Route)
	}
	if d.JobID != 0 {
		parts = append(parts, "job "+strconv.FormatInt(d.JobID, 10))
	}
	if d.Issue != 0 {
		parts = append(parts, "issue #"+strconv.Itoa(d.Issue))
	}
	return strings.Join(parts, ", ")
}

// jobStateName names a River job state in booty's words.
func jobStateName(s rivertype.JobState) string {
	switch s {
	case rivertype.JobStateAvailable:
		return "queued"
	case rivertype.JobStateRetryable:
		return "retrying"
	case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		return "parked: " + parkedWhy(string(s))
	}
	return string(s)
}

func attempts(j store.ProblemJob) string {
	return fmt.Sprintf("attempt %d of %d", j.Attempt, j.MaxAttempts)
}

// retryCommand is how the operator runs parked job id again.
func retryCommand(id int64) string { return "booty parked retry " + strconv.FormatInt(id, 10) }

// print writes the view for a person; cut bounds long fields, for a
// terminal.
func (v *problemView) print(w io.Writer, cut bool, links issueLinks) {
	p := v.p
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
		fact("issue", strings.TrimSpace(links.ref(p.Repo, p.IssueNumber)+"  "+links.url(p.Repo, p.IssueNumber)))
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
	if v.digest != nil {
		d := v.digest
		folded := fmt.Sprintf("digest %d of route %s", d.ID, d.Route)
		if d.IssueNumber > 0 {
			folded += ", issue " + links.ref(d.Repo, d.IssueNumber) + "  " + links.url(d.Repo, d.IssueNumber)
		}
		fact("folded", folded)
	} else if p.DigestID != 0 {
		fact("folded", fmt.Sprintf("digest %d (no longer stored)", p.DigestID))
	}
	repo := links.repo(p.Repo)
	if p.Repo == "" && repo != defaultRepoName {
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
	fact("sentry", p.Link)
	facts.Flush()

	fmt.Fprintln(w, "\nTimeline:")
	widths := []int{}
	if cut {
		widths = []int{0, 0, 0, 0, 0, 60, 60}
	}
	tl := v.timeline()
	if len(tl) == 0 {
		fmt.Fprintln(w, "  nothing kept: deliveries are pruned after BOOTY_DELIVERY_RETENTION")
	} else {
		t := newTable(w, true, []string{"TIME", "SOURCE", "RESOURCE", "ACTION", "DECISION", "REASON", "DETAIL"}, widths...)
		for _, e := range tl {
			t.row(formatInstant(e.At), e.Source, e.Resource, e.Action, e.Decision, e.Reason, e.Detail)
		}
		t.flush()
	}

	fmt.Fprintln(w, "\nJobs:")
	if len(v.jobs) == 0 {
		fmt.Fprintln(w, "  none kept: finished jobs are deleted after a day")
		return
	}
	t := newTable(w, true, []string{"JOB", "ACTION", "STATE", "ATTEMPTS", "CREATED", "FINISHED", "LAST ERROR"}, 0, 0, 0, 0, 0, 0, 100)
	var parked []int64
	for _, j := range v.jobs {
		t.row(strconv.FormatInt(j.ID, 10), j.Action, jobStateName(j.State), fmt.Sprintf("%d/%d", j.Attempt, j.MaxAttempts),
			formatTime(j.CreatedAt), formatTime(j.FinalizedAt), j.LastError)
		if store.IsParked(j.State) {
			parked = append(parked, j.ID)
		}
	}
	t.flush()
	for _, id := range parked {
		fmt.Fprintf(w, "job %d is parked; run it again with: %s\n", id, retryCommand(id))
	}
}

// problemShowJSON is show --json: names are for scripts, add, never rename.
type problemShowJSON struct {
	Problem  problemJSON `json:"problem"`
	Digest   *digestJSON `json:"digest"`
	Timeline []eventJSON `json:"timeline"`
	Jobs     []jobJSON   `json:"jobs"`
}

type digestJSON struct {
	ID       int64  `json:"id"`
	Route    string `json:"route"`
	Repo     string `json:"repo"`
	Issue    int    `json:"issue"`
	IssueRef string `json:"issue_ref"`
	IssueURL string `json:"issue_url"`
}

type eventJSON struct {
	Time     *string `json:"time"`
	Source   string  `json:"source"`
	Resource string  `json:"resource"`
	Action   string  `json:"action"`
	Decision string  `json:"decision"`
	Reason   string  `json:"reason"`
	Detail   string  `json:"detail"`
	JobID    int64   `json:"job_id"`
}

type jobJSON struct {
	ID          int64   `json:"id"`
	Kind        string  `json:"kind"`
	Action      string  `json:"action"`
	State       string  `json:"state"`
	Parked      bool    `json:"parked"`
	Attempt     int     `json:"attempt"`
	MaxAttempts int     `json:"max_attempts"`
	CreatedAt   *string `json:"created_at"`
	FinishedAt  *string `json:"finished_at"`
	LastError   string  `json:"last_error"`
	// RetryCommand is the command that runs a parked job again; "" for
	// any other.
	RetryCommand string `json:"retry_command"`
}

func (v *problemView) json(links issueLinks) problemShowJSON {
	out := problemShowJSON{Problem: newProblemJSON(v.p, links), Timeline: []eventJSON{}, Jobs: []jobJSON{}}
	if d := v.digest; d != nil {
		out.Digest = &digestJSON{ID: d.ID, Route: d.Route, Repo: links.jsonRepo(d.Repo), Issue: d.IssueNumber,
			IssueRef: links.ref(d.Repo, d.IssueNumber), IssueURL: links.url(d.Repo, d.IssueNumber)}
	}
	for _, e := range v.timeline() {
		out.Timeline = append(out.Timeline, eventJSON{Time: jsonTime(e.At), Source: e.Source, Resource: e.Resource,
			Action: e.Action, Decision: e.Decision, Reason: e.Reason, Detail: e.Detail, JobID: e.JobID})
	}
	for _, j := range v.jobs {
		jj := jobJSON{ID: j.ID, Kind: j.Kind, Action: j.Action, State: jobStateName(j.State), Parked: store.IsParked(j.State),
			Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, CreatedAt: jsonTime(j.CreatedAt), FinishedAt: jsonTime(j.FinalizedAt),
			LastError: j.LastError}
		if jj.Parked {
			jj.RetryCommand = retryCommand(j.ID)
		}
		out.Jobs = append(out.Jobs, jj)
	}
	return out
}
