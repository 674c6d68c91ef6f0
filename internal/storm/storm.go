// Package storm holds booty's answer to a storm of new problems, as pure
// decisions: each route's budget of new issues and the global one, whether
// a new problem is filed or folded into its route's digest, and when a
// storm is over.
package storm

import (
	"time"

	"booty/internal/route"
)

// Allowance is what a budget of new issues remembers: the theoretical
// arrival time of the generic cell rate algorithm (GCRA). The budget is
// whole when TAT is not after now; each issue moves TAT on by one share
// (Per/Issues), and an issue may be filed while TAT stays within Per of
// now. So a budget of 10 per 10 minutes files a burst of 10, then one a
// minute. A zero Allowance is a budget nothing has used.
//
// It is written out here, and stored in a row, because x/time/rate keeps
// its state in memory, out of reach of the other replicas.
type Allowance struct {
	TAT time.Time
}

// share is the time one issue takes from budget b.
func share(b route.Budget) time.Duration {
	return b.Per / time.Duration(max(b.Issues, 1))
}

// after returns the allowance with one more issue counted at now.
func (a Allowance) after(b route.Budget, now time.Time) Allowance {
	tat := a.TAT
	if tat.Before(now) {
		tat = now
	}
	return Allowance{TAT: tat.Add(share(b))}
}

// Allows reports whether budget b has room for one more issue at now.
func (a Allowance) Allows(b route.Budget, now time.Time) bool {
	return !a.after(b, now).TAT.After(now.Add(b.Per))
}

// Left returns how many issues budget b could still file at now.
func (a Allowance) Left(b route.Budget, now time.Time) int {
	used := a.TAT.Sub(now)
	if used <= 0 {
		return b.Issues
	}
	left := int((b.Per - used) / share(b))
	return max(0, min(left, b.Issues))
}

// Verdict is what becomes of a new problem in a storm.
type Verdict int

// The verdicts.
const (
	// File gives the problem its own issue.
	File Verdict = iota
	// Fold lists the problem in its route's digest instead.
	Fold
)

func (v Verdict) String() string {
	if v == Fold {
		return "fold"
	}
	return "file"
}

// Budgets are the two allowances a new issue is taken from.
type Budgets struct {
	// Route is the problem's route's, under its route.Route.Budget.
	Route Allowance
	// Global is the deployment's, under route.Table.Storm.
	Global Allowance
}

// Decide says whether a new problem is filed or folded at now, and
// returns the allowances with its issue counted. A problem is filed while
// both its route's budget and the global one have room, and counts against
// both; otherwise it is folded and counts against neither. A fatal problem
// is always filed: a crash is never hidden in a digest, but it still counts
// against the global budget, so that a storm of crashes leaves less room for
// the rest.
func Decide(b Budgets, routeBudget, global route.Budget, fatal bool, now time.Time) (Verdict, Budgets) {
	if fatal {
		b.Global = b.Global.after(global, now)
		return File, b
	}
	if !b.Route.Allows(routeBudget, now) || !b.Global.Allows(global, now) {
		return Fold, b
	}
	return File, Budgets{Route: b.Route.after(routeBudget, now), Global: b.Global.after(global, now)}
}

// Quiet reports whether a storm whose last fold was at lastFold is over at
// now: nothing folded for quiet.
func Quiet(lastFold, now time.Time, quiet time.Duration) bool {
	return !now.Before(lastFold.Add(quiet))
}

// NextEdit returns when a digest last shown at shown may be edited again,
// at most one edit every every; a digest never shown may be written at
// once.
func NextEdit(shown time.Time, every time.Duration) time.Time {
	if shown.IsZero() {
		return time.Time{}
	}
	return shown.Add(every)
}
