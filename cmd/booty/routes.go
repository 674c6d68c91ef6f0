package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"booty/internal/alert"
	"booty/internal/config"
	"booty/internal/github"
	"booty/internal/route"
	"booty/internal/sentry"
)

const routesAbout = `Commands for the routes file (BOOTY_ROUTES_FILE). test shows which route a
Sentry payload takes, and why.`

const routesTestAbout = `Routes a Sentry event alert payload the way serve would and prints the route it
takes: the repository, labels and assignees its issue would get, or that the
route drops it; and for each route before it, what did not match. The routes
file is --routes, else BOOTY_ROUTES_FILE, else the one default route of
TARGET_REPO_URL; routes inherit TRIGGER_LABEL, OBSV_MIN_SEVERITY and
OBSV_COOLDOWN_HOURS from the environment. No secret is needed and nothing is
sent. Exits 0 when a route matches, 1 when none does or the file or the payload
is bad.`

// routesCommand runs the routes file's subcommands.
func routesCommand(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("routes", "test --fixture FILE [--routes FILE]", routesAbout)
	if code, stop := parseArgs(fs, args, -1, stdout, stderr); stop {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, stderr, errors.New("missing command: test"))
	}
	sub, rest := fs.Arg(0), fs.Args()[1:]
	if sub != "test" {
		return usageError(fs, stderr, fmt.Errorf("unexpected argument %q: want test", sub))
	}
	sfs := newFlags("routes test", "--fixture FILE [--routes FILE]", routesTestAbout)
	fixture := sfs.String("fixture", "", "the Sentry webhook payload (JSON) to route (required)")
	routesFile := sfs.String("routes", "", "the routes file (default: BOOTY_ROUTES_FILE)")
	if code, stop := parseArgs(sfs, rest, 0, stdout, stderr); stop {
		return code
	}
	if *fixture == "" {
		return usageError(sfs, stderr, errors.New("--fixture is required"))
	}
	table, file, err := config.RouteTable(getenv, *routesFile)
	if err != nil {
		printConfigErrors(stderr, err)
		return 1
	}
	for _, w := range table.Warnings {
		fmt.Fprintf(stderr, "booty: %s\n", w.Error())
	}
	body, err := os.ReadFile(*fixture)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	d, err := sentry.Parse("event_alert", body)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %s: %v\n", *fixture, err)
		return 1
	}
	if d.Alert == nil {
		fmt.Fprintf(stderr, "booty: %s is not a triggered event alert (%s): booty ignores it before routing\n", *fixture, d.Ignore)
		return 1
	}
	if file == "" {
		file = "no routes file: the default route of TARGET_REPO_URL"
	}
	fmt.Fprintf(stdout, "routes: %s\n", file)
	v := table.Match(d.Alert)
	printVerdict(stdout, d.Alert, v)
	if !v.Matched() {
		return 1
	}
	return 0
}

// printVerdict says which route a takes and why, then which routes it
// passed over and why. What comes from the payload is quoted and cut.
func printVerdict(w io.Writer, a *alert.Alert, v route.Verdict) {
	crash := "none"
	if f, ok := a.CrashFrame(); ok {
		crash = show(f.Filename)
		if f.Filename == "" {
			crash = show(f.AbsPath)
		}
	}
	fmt.Fprintf(w, "alert: org %s, project %s, environment %s, level %s, crashing frame %s\n",
		show(route.Org(a)), show(a.Project), show(a.Environment), a.Level, crash)

	switch r := v.Route; {
	case r == nil:
		fmt.Fprintln(w, "no route matches: booty would ignore the alert (no_route)")
	case r.Drop:
		fmt.Fprintf(w, "route: %s drops it: booty answers 200 with reason dropped_by_route and files nothing\n", r)
		printLines(w, "  matched:   ", v.Why)
	default:
		fmt.Fprintf(w, "route: %s\n", r)
		printLines(w, "  matched:   ", v.Why)
		fmt.Fprintf(w, "  repo:      %s\n", r.Repo)
		fmt.Fprintf(w, "  labels:    %s\n", strings.Join(v.Labels, ", "))
		assignees := "none"
		if len(r.Assignees) > 0 {
			assignees = strings.Join(r.Assignees, ", ")
		}
		fmt.Fprintf(w, "  assignees: %s\n", assignees)
		printCodeMappings(w, a, r.CodeMappings)
		fmt.Fprintf(w, "  min_level %s, min_events %d, cooldown %s, budget %s\n", r.MinLevel, r.MinEvents, r.Cooldown, r.Budget)
		if a.Level < r.MinLevel {
			fmt.Fprintf(w, "  but level %s is below the route's min_level %s: booty would ignore the alert (below_threshold)\n",
				a.Level, r.MinLevel)
		}
	}
	if len(v.Skipped) > 0 {
		fmt.Fprintln(w, "skipped:")
		for _, s := range v.Skipped {
			printLines(w, "  "+s.Route.String()+": ", s.Failed)
		}
	}
}

// printCodeMappings prints a route's code mappings, if any, and where the
// crashing frame is in the repository by them.
func printCodeMappings(w io.Writer, a *alert.Alert, mappings []route.CodeMapping) {
	if len(mappings) == 0 {
		return
	}
	fmt.Fprintf(w, "  code:      %s\n", codeMappingList(mappings))
	f, ok := a.CrashFrame()
	if !ok {
		return
	}
	if p, ok := github.MapFrame(mappings, f); ok {
		fmt.Fprintf(w, "             the crashing frame is %s in the repository\n", show(p))
	} else {
		fmt.Fprintln(w, "             no mapping takes the crashing frame: it is shown unlinked")
	}
}

// codeMappingList lists mappings as BOOTY_CODE_MAPPINGS spells them.
func codeMappingList(mappings []route.CodeMapping) string {
	ms := make([]string, len(mappings))
	for i, m := range mappings {
		ms[i] = m.String()
	}
	return strings.Join(ms, ", ")
}

// printLines prints lines, the first after prefix and the rest under it.
func printLines(w io.Writer, prefix string, lines []string) {
	indent := strings.Repeat(" ", len(prefix))
	for i, l := range lines {
		if i == 0 {
			fmt.Fprintf(w, "%s%s\n", prefix, l)
		} else {
			fmt.Fprintf(w, "%s%s\n", indent, l)
		}
	}
}

// show quotes a value from the payload for the terminal, or says it is
// missing.
func show(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", printable(s))
}
