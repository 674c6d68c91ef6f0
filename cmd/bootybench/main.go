// Command bootybench measures booty against the targets of
// docs/benchmarks.md. It builds booty, starts it as a process on the
// embedded SQLite store, on PostgreSQL, or both (-store), with a GitHub
// stand-in on loopback, drives signed deliveries of a real Sentry payload,
// and measures in the same run a bare handler that verifies the HMAC and
// decodes the fields booty uses, as the baseline. On PostgreSQL it also
// runs two replicas on one database, one of them killed half-way. It
// prints one PASS or FAIL line per target and exits 1 when a target is
// missed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitMet    = 0 // every target met
	exitMissed = 1 // at least one target missed
	exitUsage  = 2 // bad flags
	exitBroken = 3 // the benchmark could not measure (build, start, I/O)
)

// scenarioNames returns the scenarios in the order they run.
func scenarioNames() []string {
	return []string{"throughput", "rate", "many", "crash", "memory", "storm", "storm-routes", "replicas", "replicas-kill"}
}

// postgresOnly says whether the scenario needs PostgreSQL: replicas share
// one database, which an SQLite file cannot be for two processes.
func postgresOnly(scenario string) bool { return scenario == "replicas" || scenario == "replicas-kill" }

// runsOnSQLite says whether the scenario runs on SQLite as well.
func runsOnSQLite(scenario string) bool { return !postgresOnly(scenario) }

// envPostgresURL names the variable that gives the PostgreSQL server, as
// for booty's tests, when -postgres-url does not.
const envPostgresURL = "BOOTY_TEST_POSTGRES_URL"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command's flags.
type options struct {
	booty       string
	fixture     string
	n           int
	rate        int
	rateFor     time.Duration
	problems    int
	events      int
	concurrency int
	oversizeMB  int
	flood       int
	storm       int
	stormEvery  time.Duration
	scenarios   []string
	stores      []string
	postgresURL string
}

// run runs the command with args; getenv reads the environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == baselineFlag {
		if err := serveBaseline(ctx, args[1]); err != nil {
			fmt.Fprintln(stderr, "bootybench baseline:", err)
			return exitBroken
		}
		return exitMet
	}
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitMet
		}
		return exitUsage
	}
	b, err := newBench(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bootybench:", err)
		return exitBroken
	}
	defer b.close()
	var (
		verdicts []verdict
		notes    []string
	)
	for _, name := range o.scenarios {
		for _, store := range o.stores {
			if store == storeSQLite && postgresOnly(name) {
				fmt.Fprintf(stdout, "\n== %s [%s]: skipped: two replicas need one shared PostgreSQL database\n", name, store)
				continue
			}
			vs, err := b.scenario(name)(ctx, store)
			for i := range vs {
				vs[i].store = store
			}
			verdicts = append(verdicts, vs...)
			if err != nil {
				fmt.Fprintf(stderr, "bootybench: %s [%s]: %v\n", name, store, err)
				report(stdout, verdicts, notes)
				return exitBroken
			}
		}
		if name == "throughput" {
			if note, ok := storeRatio(b.throughputs); ok {
				fmt.Fprintf(stdout, "  %s\n", note)
				notes = append(notes, note)
			}
		}
	}
	return report(stdout, verdicts, notes)
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (o options, err error) {
	fs := flag.NewFlagSet("bootybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: bootybench [flags]\n\n"+
			"Measures booty against the targets of docs/benchmarks.md, from the repository root.\n"+
			"Exit status: 0 every target met, 1 a target missed, 2 bad flags, 3 could not measure.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.booty, "booty", "", "booty binary (default: build ./cmd/booty)")
	fs.StringVar(&o.fixture, "fixture", "testdata/sentry/event_alert.triggered.vue-breadcrumbs-zulip-2023.json", "payload to deliver")
	fs.IntVar(&o.n, "n", 20000, "deliveries of one problem in the throughput run")
	fs.IntVar(&o.rate, "rate", 1000, "requests per second in the latency run")
	fs.DurationVar(&o.rateFor, "rate-for", 10*time.Second, "length of the latency run")
	fs.IntVar(&o.problems, "problems", 1000, "problems in the many-problems runs")
	fs.IntVar(&o.events, "events", 20, "deliveries per problem in the many-problems runs")
	fs.IntVar(&o.concurrency, "c", 32, "concurrent connections")
	fs.IntVar(&o.oversizeMB, "oversize-mb", 300, "size of the oversized GitHub answer in the memory run, MB")
	fs.IntVar(&o.flood, "flood", 16, "1 MiB bodies of empty frames sent at once in the memory run")
	fs.IntVar(&o.storm, "storm", 1000, "new problems in the storm runs")
	fs.DurationVar(&o.stormEvery, "storm-every", time.Minute, "least time between two edits of a storm digest (booty's default is 1m)")
	only := fs.String("only", strings.Join(scenarioNames(), ","), "scenarios to run, comma-separated")
	store := fs.String("store", storeSQLite, "store booty runs on: sqlite, postgres or both")
	fs.StringVar(&o.postgresURL, "postgres-url", "",
		"PostgreSQL server to create each scenario's database on, as a user allowed to create databases\n"+
			"(default $"+envPostgresURL+"; when both are empty, a throwaway cluster is started with .ci/postgres.sh)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bootybench: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return o, errors.New("unexpected arguments")
	}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(scenarioNames(), s) {
			fmt.Fprintf(stderr, "bootybench: -only: unknown scenario %q (have %s)\n", s, strings.Join(scenarioNames(), ", "))
			return o, errors.New("unknown scenario")
		}
		o.scenarios = append(o.scenarios, s)
	}
	if o.stores, err = storesOf(*store); err != nil {
		fmt.Fprintln(stderr, "bootybench:", err)
		return o, err
	}
	if !slices.Contains(o.stores, storePostgres) && len(o.scenarios) > 0 && !slices.ContainsFunc(o.scenarios, runsOnSQLite) {
		fmt.Fprintf(stderr, "bootybench: -only %s: these scenarios run on PostgreSQL only; add -store postgres or -store both\n", *only)
		return o, errors.New("PostgreSQL scenarios without PostgreSQL")
	}
	if o.postgresURL == "" {
		// Not the flag's default, which -h would print, password and all.
		o.postgresURL = getenv(envPostgresURL)
	}
	if o.n < 1 || o.rate < 1 || o.problems < 1 || o.events < 1 || o.concurrency < 1 || o.oversizeMB < 1 || o.flood < 1 || o.storm < 1 {
		fmt.Fprintln(stderr, "bootybench: -n, -rate, -problems, -events, -c, -oversize-mb, -flood and -storm must be at least 1")
		return o, errors.New("bad flag value")
	}
	return o, nil
}
