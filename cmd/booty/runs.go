package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"booty/internal/store"
	"booty/internal/web"
)

const runsAbout = `What booty recorded of its builder and verifier runs: one run per attempt of
a build (an issue turned into a pull request) or a verify (a pull request's
tests run on its head commit). show prints one run with its log.

It only reads the store BOOTY_DATABASE_URL names, beside a running booty, on
either backend; it never creates a database. booty problems show lists a
problem's runs with their ids.`

// runsCommand shows booty's runs.
func runsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("runs", "show ID", runsAbout)
	if code, stop := parseArgs(fs, args, -1, stdout, stderr); stop {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, stderr, errors.New("missing command: show"))
	}
	switch sub, rest := fs.Arg(0), fs.Args()[1:]; sub {
	case "show":
		return runsShow(ctx, rest, getenv, stdout, stderr)
	default:
		return usageError(fs, stderr, fmt.Errorf("unexpected argument %q: want show", sub))
	}
}

const runsShowAbout = `Shows one run, named by its id (the ID of the run's page, /runs/ID, on the
status page): its kind, job and attempt, outcome and detail, the issue, pull
request and commit it worked on, when it started and how long it took, then
the tail of its output (the last 64 KiB), control characters but line breaks
and tabs blanked. --json prints the log as it was kept.`

func runsShow(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("runs show", "ID [--json]", runsShowAbout)
	asJSON := fs.Bool("json", false, "print a JSON object for scripts")
	arg, code, stop := parseOneArg(fs, args, "a run id", stdout, stderr)
	if stop {
		return code
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return usageError(fs, stderr, fmt.Errorf("run id %q: want a whole number above 0", cleanField(arg, 100)))
	}
	st, err := openOperatorStore(ctx, getenv, stderr)
	if err != nil {
		return 1
	}
	defer st.Close()
	r, err := st.Run(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "booty: no run %d in the store\n", id)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	links := newIssueLinks(getenv)
	if *asJSON {
		if err := writeJSON(stdout, web.NewRunShowJSON(r, links)); err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		return 0
	}
	printRun(stdout, r, links, time.Now())
	return 0
}

// printRun writes r and its log for a person.
func printRun(w io.Writer, r store.Run, links issueLinks, now time.Time) {
	facts := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fact := func(name, value string) {
		if value = cleanField(value, maxFieldRunes); value != "" {
			fmt.Fprintf(facts, "%s\t%s\n", name, value)
		}
	}
	fact("run", fmt.Sprintf("%d (%s, job %d, attempt %d)", r.ID, r.Kind, r.JobID, r.Attempt))
	fact("outcome", web.RunState(r))
	fact("detail", r.Detail)
	fact("problem", r.ProblemKey)
	fact("issue", linked(links.Ref(r.Repo, r.Issue), links.URL(r.Repo, r.Issue)))
	if r.Pull > 0 {
		fact("pull request", linked(links.Ref(r.Repo, r.Pull), links.PullURL(r.Repo, r.Pull)))
	} else {
		fact("pull request", "none yet")
	}
	fact("commit", r.SHA)
	fact("started", formatTime(r.StartedAt))
	if r.Running() {
		fact("finished", "not yet: running for "+web.FormatDuration(r.Duration(now)))
	} else {
		fact("finished", formatTime(r.FinishedAt)+", after "+web.FormatDuration(r.Duration(now)))
	}
	fact("page", web.RunPath(r.ID))
	facts.Flush()

	fmt.Fprintln(w, "\nLog:")
	switch {
	case r.Log != "":
		log := cleanLog(r.Log)
		fmt.Fprint(w, log)
		if !strings.HasSuffix(log, "\n") {
			fmt.Fprintln(w)
		}
	case r.Running():
		fmt.Fprintln(w, "  no output yet: the log is kept when the run ends")
	default:
		fmt.Fprintln(w, "  no output kept")
	}
}

// linked is ref followed by its URL, when there is one.
func linked(ref, url string) string { return strings.TrimSpace(ref + "  " + url) }

// cleanLog makes a run's output safe to print on a terminal: its lines and
// tabs stay, every other control character (terminal escapes, carriage
// returns redrawing a line) and invisible format character becomes a
// space.
func cleanLog(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unprintable(r) {
			return ' '
		}
		return r
	}, s)
}

// printRuns writes a problem's runs, newest first, for booty problems show.
func printRuns(w io.Writer, cut bool, runs []store.Run, links issueLinks, now time.Time) {
	fmt.Fprintln(w, "\nRuns:")
	if len(runs) == 0 {
		fmt.Fprintln(w, "  none: the builder has not taken this problem's issue")
		return
	}
	widths := []int{}
	if cut {
		widths = []int{0, 0, 0, 0, 0, 0, 0, 100}
	}
	t := newTable(w, true, []string{"RUN", "KIND", "ATTEMPT", "OUTCOME", "STARTED", "DURATION", "PULL", "DETAIL"}, widths...)
	for _, r := range runs {
		t.row(strconv.FormatInt(r.ID, 10), string(r.Kind), strconv.Itoa(r.Attempt), web.RunState(r), formatTime(r.StartedAt),
			web.FormatDuration(r.Duration(now)), links.Ref(r.Repo, r.Pull), r.Detail)
	}
	t.flush()
	fmt.Fprintln(w, "show a run with its log: booty runs show RUN")
}
