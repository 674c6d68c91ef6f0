package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"booty/internal/progress"
	"booty/internal/web"
	"booty/internal/worker"
)

const parkedAbout = `A parked GitHub write stopped for good (GitHub refused it, or it ran out of
attempts) and waits for you: list shows them, retry runs one (or all) again
with a fresh set of attempts, drop deletes one for good. These commands work
on the store BOOTY_DATABASE_URL names, beside a running booty, which picks a
retried write up within seconds.
`

// parked shows and replays parked GitHub writes. "spool" is its old name.
func parked(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("parked", "list | retry ID|--all | drop ID", parkedAbout)
	if code, stop := parseArgs(fs, args, -1, stdout, stderr); stop {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, stderr, errors.New("missing command: list, retry or drop"))
	}
	sub, rest := fs.Arg(0), fs.Args()[1:]
	switch sub {
	case "list":
		sfs := newFlags("parked list", "", "Lists the parked GitHub writes, and why each stopped.")
		if code, stop := parseArgs(sfs, rest, 0, stdout, stderr); stop {
			return code
		}
		return withParked(ctx, getenv, stderr, func(sp *worker.Spool) int { return parkedList(ctx, sp, stdout, stderr) })
	case "retry":
		sfs := newFlags("parked retry", "ID | --all", "Runs a parked write again, with a fresh set of attempts.")
		all := sfs.Bool("all", false, "retry every parked write")
		if code, stop := parseArgs(sfs, rest, -1, stdout, stderr); stop {
			return code
		}
		if *all {
			if sfs.NArg() != 0 {
				return usageError(sfs, stderr, errors.New("--all takes no ID"))
			}
			return withParked(ctx, getenv, stderr, func(sp *worker.Spool) int { return parkedRetryAll(ctx, sp, stdout, stderr) })
		}
		return parkedOne(ctx, sfs, getenv, stdout, stderr, "retrying", (*worker.Spool).Retry)
	case "drop":
		sfs := newFlags("parked drop", "ID", "Deletes a parked write for good: it will never reach GitHub.")
		if code, stop := parseArgs(sfs, rest, -1, stdout, stderr); stop {
			return code
		}
		return parkedOne(ctx, sfs, getenv, stdout, stderr, "dropped", (*worker.Spool).Drop)
	}
	return usageError(fs, stderr, fmt.Errorf("unexpected argument %q: want list, retry or drop", sub))
}

// withParked opens the store for an operator and runs fn on its parked jobs.
func withParked(ctx context.Context, getenv func(string) string, stderr io.Writer, fn func(*worker.Spool) int) int {
	st, err := openOperatorStore(ctx, getenv, stderr)
	if err != nil {
		return 1
	}
	defer st.Close()
	jobs, err := worker.NewClient(st, nil, slog.New(slog.DiscardHandler), 0)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	return fn(worker.NewSpool(jobs))
}

func parkedList(ctx context.Context, sp *worker.Spool, stdout, stderr io.Writer) int {
	list, err := sp.List(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no parked jobs")
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHY\tACTION\tPROBLEM\tATTEMPTS\tSTOPPED\tLAST ERROR")
	for _, p := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", p.ID, web.ParkedWhy(p.State), p.Action, p.ProblemKey, p.Attempt,
			p.StoppedAt.UTC().Format(time.RFC3339), oneLine(p.LastError, 120))
	}
	tw.Flush()
	return 0
}

func parkedRetryAll(ctx context.Context, sp *worker.Spool, stdout, stderr io.Writer) int {
	list, err := sp.List(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	retried := progress.New(stderr, len(list), "retrying parked jobs", progress.Line("booty: retried %d/%d parked jobs"))
	failed := 0
	for _, p := range list {
		if err := sp.Retry(ctx, p.ID); err != nil {
			retried.Printf("booty: %v", err)
			failed++
			continue
		}
		retried.Add(1)
	}
	retried.Done()
	fmt.Fprintf(stdout, "retrying %d parked jobs\n", len(list)-failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// parkedOne runs do on the one job ID fs holds.
func parkedOne(ctx context.Context, fs *flag.FlagSet, getenv func(string) string, stdout, stderr io.Writer, done string, do func(*worker.Spool, context.Context, int64) error) int {
	if fs.NArg() != 1 {
		return usageError(fs, stderr, errors.New("want one job ID"))
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(stderr, "booty: %q is not a job id\n", fs.Arg(0))
		return 2
	}
	return withParked(ctx, getenv, stderr, func(sp *worker.Spool) int {
		if err := do(sp, ctx, id); err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: job %d\n", done, id)
		return 0
	})
}

func oneLine(s string, n int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\r' || c == '\t' {
			r[i] = ' '
		}
	}
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}
