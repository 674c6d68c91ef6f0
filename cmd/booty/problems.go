package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/web"
)

const problemsAbout = `What booty knows of each problem (a Sentry issue): list shows them, with
their GitHub issue as OWNER/REPO#N and its URL; show tells one problem's
story: its issue, counts and state, every delivery booty kept of it, its
GitHub writes and any parked job with the command that retries it.

Both only read the store BOOTY_DATABASE_URL names, beside a running booty,
on either backend; they never create a database. On a terminal they print
aligned tables, else tab-separated lines; --json prints JSON for scripts.
`

// problems lists and shows booty's problems.
func problems(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("problems", "list [FLAGS] | show KEY|OWNER/REPO#N", problemsAbout)
	if code, stop := parseArgs(fs, args, -1, stdout, stderr); stop {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, stderr, errors.New("missing command: list or show"))
	}
	switch sub, rest := fs.Arg(0), fs.Args()[1:]; sub {
	case "list":
		return problemsList(ctx, rest, getenv, stdout, stderr)
	case "show":
		return problemsShow(ctx, rest, getenv, stdout, stderr)
	default:
		return usageError(fs, stderr, fmt.Errorf("unexpected argument %q: want list or show", sub))
	}
}

const problemsListAbout = `Lists the problems booty knows, the most recently seen first, with their
state: pending (no issue yet), open, closed, or folded (into a storm's
digest). The issue is shown as OWNER/REPO#N with its URL.`

// defaultListLimit is how many problems list shows unless --limit says.
const defaultListLimit = 100

func problemsList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("problems list", "[--state S] [--repo OWNER/REPO] [--route NAME] [--since D|TIME] [--search TEXT] [--json]",
		problemsListAbout)
	state := fs.String("state", "", "only problems in this state: pending, open, closed or folded")
	repo := fs.String("repo", "", "only problems filed in this repository, OWNER/REPO")
	route := fs.String("route", "", "only problems that took this route")
	since := fs.String("since", "", "only problems seen since: a duration back from now (1h, 30m) or an RFC 3339 time")
	search := fs.String("search", "", "only problems whose key or title holds this text (any case)")
	limit := fs.Int("limit", defaultListLimit, "show at most this many problems; 0 shows all")
	asJSON := fs.Bool("json", false, "print a JSON array for scripts")
	if code, stop := parseArgs(fs, args, 0, stdout, stderr); stop {
		return code
	}
	links := newIssueLinks(getenv)
	filter, err := listFilter(*state, *repo, *route, *since, *search, *limit, links, time.Now())
	if err != nil {
		return usageError(fs, stderr, err)
	}
	st, err := openOperatorStore(ctx, getenv, stderr)
	if err != nil {
		return 1
	}
	defer st.Close()
	if filter.Limit > 0 {
		filter.Limit++ // one more, to tell whether there are more
	}
	list, err := st.ListProblems(ctx, filter)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	if *limit > 0 && len(list) > *limit {
		list = list[:*limit]
		fmt.Fprintf(stderr, "booty: showing the %d most recently seen; --limit 0 shows all\n", *limit)
	}
	if *asJSON {
		out := make([]web.ProblemJSON, 0, len(list))
		for _, p := range list {
			out = append(out, web.NewProblemJSON(p, links))
		}
		if err := writeJSON(stdout, out); err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		return 0
	}
	printProblems(stdout, isTerminal(stdout), list, links)
	return 0
}

// listFilter turns list's flags into the store's filter (web.Filter).
func listFilter(state, repo, route, since, search string, limit int, links issueLinks, now time.Time) (store.ProblemFilter, error) {
	f, err := web.Filter{State: state, Repo: repo, Route: route, Since: since, Search: search, Limit: limit}.StoreFilter(links, now)
	return f, asFlag(err)
}

// printProblems prints list as a table, aligned for a terminal.
func printProblems(w io.Writer, aligned bool, list []alert.Problem, links issueLinks) {
	if len(list) == 0 && aligned {
		fmt.Fprintln(w, "no problems")
		return
	}
	t := newTable(w, aligned, []string{"KEY", "STATE", "ISSUE", "EVENTS", "LAST SEEN", "ROUTE", "TITLE", "URL"},
		40, 0, 40, 0, 0, 20, 60)
	for _, p := range list {
		t.row(p.Key, string(store.StateOf(p)), links.Ref(p.Repo, p.IssueNumber), strconv.FormatInt(p.Count, 10),
			formatTime(p.LastSeen), p.Route, p.Title, links.URL(p.Repo, p.IssueNumber))
	}
	t.flush()
}
