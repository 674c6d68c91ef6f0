package main

import (
	"fmt"
	"io"
)

// verdict is the outcome of one target: what was asked, whether it was
// met, and the figures that decided it.
type verdict struct {
	target string
	met    bool
	got    string
}

func check(met bool, target, format string, args ...any) verdict {
	return verdict{target: target, met: met, got: fmt.Sprintf(format, args...)}
}

// report prints one PASS or FAIL line per target and a summary, and
// returns the exit code: exitMissed when any target was missed.
func report(w io.Writer, vs []verdict) int {
	fmt.Fprintln(w, "\n== targets")
	missed := 0
	for _, v := range vs {
		word := "PASS"
		if !v.met {
			word = "FAIL"
			missed++
		}
		fmt.Fprintf(w, "%s  %s: %s\n", word, v.target, v.got)
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
