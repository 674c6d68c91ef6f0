package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"booty/internal/config"
	"booty/internal/store"
	"booty/internal/worker"
)

const spoolUsage = "usage: booty spool list | retry ID|--all | drop ID\n"

// spool shows and replays parked GitHub writes. It works on the store
// directly, so it runs beside a serving booty or on its own; a running
// booty picks retried jobs up within seconds.
func spool(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, spoolUsage)
		return 2
	}
	dbURL, err := config.DatabaseURL(getenv)
	if err != nil {
		printConfigErrors(stderr, err)
		return 1
	}
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	defer st.Close()
	jobs, err := worker.NewClient(st, nil, slog.New(slog.DiscardHandler), 0)
	if err != nil {
		fmt.Fprintf(stderr, "booty: %v\n", err)
		return 1
	}
	sp := worker.NewSpool(jobs)

	switch {
	case args[0] == "list" && len(args) == 1:
		parked, err := sp.List(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		if len(parked) == 0 {
			fmt.Fprintln(stdout, "no parked jobs")
			return 0
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tACTION\tPROBLEM\tATTEMPTS\tSTOPPED\tLAST ERROR")
		for _, p := range parked {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", p.ID, p.State, p.Action, p.ProblemKey, p.Attempt,
				p.StoppedAt.UTC().Format(time.RFC3339), oneLine(p.LastError, 120))
		}
		tw.Flush()
		return 0
	case args[0] == "retry" && len(args) == 2 && args[1] == "--all":
		parked, err := sp.List(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		failed := 0
		for _, p := range parked {
			if err := sp.Retry(ctx, p.ID); err != nil {
				fmt.Fprintf(stderr, "booty: %v\n", err)
				failed++
			}
		}
		fmt.Fprintf(stdout, "retrying %d parked jobs\n", len(parked)-failed)
		if failed > 0 {
			return 1
		}
		return 0
	case (args[0] == "retry" || args[0] == "drop") && len(args) == 2:
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "booty: %q is not a job id\n", args[1])
			return 2
		}
		if args[0] == "retry" {
			err = sp.Retry(ctx, id)
		} else {
			err = sp.Drop(ctx, id)
		}
		if err != nil {
			fmt.Fprintf(stderr, "booty: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: job %d\n", map[string]string{"retry": "retrying", "drop": "dropped"}[args[0]], id)
		return 0
	}
	fmt.Fprint(stderr, spoolUsage)
	return 2
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
