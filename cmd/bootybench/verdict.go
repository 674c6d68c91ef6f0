package main

import (
	"fmt"
	"io"
)

// verdict is the outcome of one target: what was asked, on which store,
// whether it was met, and the figures that decided it.
type verdict struct {
	target string
	store  string // set by run, after the scenario
	met    bool
	got    string
}

func check(met bool, target, format string, args ...any) verdict {
	return verdict{target: target, met: met, got: fmt.Sprintf(format, args...)}
}

// line formats v as report prints it: "PASS  [postgres] target: figures".
func (v verdict) line() string {
	word := "PASS"
	if !v.met {
		word = "FAIL"
	}
	store := ""
	if v.store != "" {
		store = "[" + v.store + "] "
	}
	return fmt.Sprintf("%s  %s%s: %s", word, store, v.target, v.got)
}

// report prints one PASS or FAIL line per target, then the notes (figures
// that are no target, such as the ratio of the stores' throughputs) and a
// summary, and returns the exit code: exitMissed when any target was
// missed.
func report(w io.Writer, vs []verdict, notes []string) int {
	fmt.Fprintln(w, "\n== targets")
	missed := 0
	for _, v := range vs {
		if !v.met {
			missed++
		}
		fmt.Fprintln(w, v.line())
	}
	for _, n := range notes {
		fmt.Fprintf(w, "NOTE  %s\n", n)
	}
	switch {
	case len(vs) == 0:
		fmt.Fprintln(w, "no target was measured")
		return exitBroken
	case missed > 0:
		fmt.Fprintf(w, "%d of %d targets missed\n", missed, len(vs))
		return exitMissed
	}
	fmt.Fprintf(w, "all %d targets met\n", len(vs))
	return exitMet
}

// throughputFigures are what one store's throughput run measured, in
// answered requests per second.
type throughputFigures struct {
	booty, baseline float64
}

// storeRatio describes booty's throughput on PostgreSQL against SQLite's
// in the same run, when both were measured. Each store's run has its own
// baseline, measured just before it; the ratio of booty's own figures is
// the headline, and each against its baseline shows how much of a
// difference is the machine's load moving between the two.
func storeRatio(figs map[string]throughputFigures) (string, bool) {
	lite, ok1 := figs[storeSQLite]
	pg, ok2 := figs[storePostgres]
	if !ok1 || !ok2 || lite.booty <= 0 || lite.baseline <= 0 || pg.baseline <= 0 {
		return "", false
	}
	return fmt.Sprintf("PostgreSQL/SQLite throughput: %.2f × (booty %.0f req/s on PostgreSQL, %.0f on SQLite; "+
		"against each run's baseline %.2f × and %.2f ×)",
		pg.booty/lite.booty, pg.booty, lite.booty, pg.booty/pg.baseline, lite.booty/lite.baseline), true
}
