package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// throughput delivers one problem n times from c connections, closed loop,
// to the baseline and then to booty.
func (b *bench) throughput(ctx context.Context, store string) ([]verdict, error) {
	fmt.Fprintf(b.out, "\n== throughput [%s]: one problem delivered %d times (closed loop)\n", store, b.o.n)
	same := b.sameProblem(0, b.o.n)
	base, err := b.startBaseline(ctx)
	if err != nil {
		return nil, err
	}
	warm(ctx, b.client, base.URL, same)
	baseRes := closedLoop(ctx, b.client, base.URL, same, b.o.concurrency, b.sends("throughput ["+store+"], baseline", len(same)))
	_ = base.Kill()

	gh, p, stop, err := b.bootyOnStandIn(ctx, store, "throughput", nil)
	if err != nil {
		return nil, err
	}
	defer stop()
	warm(ctx, b.client, p.URL, same)
	bootyRes := closedLoop(ctx, b.client, p.URL, same, b.o.concurrency, b.sends("throughput ["+store+"], booty", len(same)))
	printResult(b.out, "baseline (HMAC + typed decode)", baseRes)
	printResult(b.out, "booty", bootyRes)
	if _, err := waitJobsDone(ctx, p, time.Minute); err != nil {
		return nil, err
	}
	ratio := bootyRes.rps() / baseRes.rps()
	b.throughputs[store] = throughputFigures{booty: bootyRes.rps(), baseline: baseRes.rps()}
	issues := len(gh.Issues())
	return []verdict{
		check(ratio >= throughputTarget(b.o.concurrency),
			fmt.Sprintf("throughput at least %.1f × the baseline's with %d senders", throughputTarget(b.o.concurrency), b.o.concurrency),
			"booty %.0f req/s, baseline %.0f req/s: %.2f × the baseline", bootyRes.rps(), baseRes.rps(), ratio),
		check(bootyRes.answered2xx() == bootyRes.total && baseRes.answered2xx() == baseRes.total,
			"every delivery of the throughput run answered 2xx", "booty %s; baseline %s", bootyRes.answers(), baseRes.answers()),
		check(issues == 1, "one problem delivered many times files exactly 1 issue",
			"%d issues, %d GitHub writes", issues, gh.Writes()),
	}, nil
}

// throughputTarget is the least share of the baseline's throughput booty
// is to reach with c senders: 0.6 with 16 or fewer and 0.8 with 64 or more
// (the ingest targets), and 0.5 between (the shared store's, at the
// default 32).
func throughputTarget(c int) float64 {
	switch {
	case c <= 16:
		return 0.6
	case c >= 64:
		return 0.8
	}
	return 0.5
}

// rate delivers one problem at a fixed rate, open loop, for the time to
// answer under a steady load.
func (b *bench) rate(ctx context.Context, store string) ([]verdict, error) {
	fmt.Fprintf(b.out, "\n== rate [%s]: one problem at %d requests/s for %v (open loop)\n", store, b.o.rate, b.o.rateFor)
	gh, p, stop, err := b.bootyOnStandIn(ctx, store, "rate", nil)
	if err != nil {
		return nil, err
	}
	defer stop()
	paced := b.sameProblem(b.o.n, int(float64(b.o.rate)*b.o.rateFor.Seconds()))
	warm(ctx, b.client, p.URL, paced)
	res := openLoop(ctx, b.client, p.URL, paced, b.o.rate, b.sends("rate ["+store+"]", len(paced)))
	printResult(b.out, "booty", res)
	if _, err := waitJobsDone(ctx, p, time.Minute); err != nil {
		return nil, err
	}
	sent := res.rps()
	issues := len(gh.Issues())
	return []verdict{
		check(res.pct(0.99) <= 50*time.Millisecond, fmt.Sprintf("p99 time to answer at most 50 ms at %d req/s", b.o.rate),
			"p50 %.2f ms, p99 %.2f ms (answered %.0f req/s)", ms(res.pct(0.5)), ms(res.pct(0.99)), sent),
		check(res.answered2xx() == res.total, "every delivery of the rate run answered 2xx", "%s", res.answers()),
		check(issues == 1, "one problem at a steady rate files exactly 1 issue", "%d issues, %d GitHub writes", issues, gh.Writes()),
	}, nil
}

// many delivers problems × events, closed loop, with write pacing lifted:
// one issue per problem, and hardly a GitHub write more.
func (b *bench) many(ctx context.Context, store string) ([]verdict, error) {
	fmt.Fprintf(b.out, "\n== many [%s]: %d problems × %d deliveries (closed loop, pacing lifted)\n", store, b.o.problems, b.o.events)
	many, err := b.manyProblems()
	if err != nil {
		return nil, err
	}
	gh, p, stop, err := b.bootyOnStandIn(ctx, store, "many", nil)
	if err != nil {
		return nil, err
	}
	defer stop()
	res := closedLoop(ctx, b.client, p.URL, many, b.o.concurrency, b.sends("many ["+store+"]", len(many)))
	printResult(b.out, "booty", res)
	start := time.Now()
	if _, err := waitJobsDone(ctx, p, 10*time.Minute); err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "  every job done %.1f s after the last answer\n", time.Since(start).Seconds())
	// One create per problem, plus 5 % (rounded up) for the label and the
	// odd retry.
	issues, writes, maxWrites := len(gh.Issues()), gh.Writes(), b.o.problems+(b.o.problems*5+99)/100
	return []verdict{
		check(res.answered2xx() == res.total, "every delivery of the many-problems run answered 2xx", "%s", res.answers()),
		check(issues == b.o.problems, fmt.Sprintf("%d problems file exactly %d issues", b.o.problems, b.o.problems),
			"%d issues, %d duplicates", issues, duplicates(gh)),
		check(writes <= maxWrites, fmt.Sprintf("at most %d GitHub writes for %d problems", maxWrites, b.o.problems),
			"%d writes", writes),
	}, nil
}

// crash is many with booty killed (SIGKILL) half-way through the
// deliveries and restarted on the same database; the deliveries that got
// no answer are sent again, as a retrying sender would.
func (b *bench) crash(ctx context.Context, store string) ([]verdict, error) {
	fmt.Fprintf(b.out, "\n== crash [%s]: %d problems × %d deliveries, booty killed with SIGKILL half-way and restarted\n",
		store, b.o.problems, b.o.events)
	many, err := b.manyProblems()
	if err != nil {
		return nil, err
	}
	gh, ghURL, stopGH, err := standIn(nil)
	if err != nil {
		return nil, err
	}
	defer stopGH()
	dbURL, drop, err := b.database(ctx, store, "crash")
	if err != nil {
		return nil, err
	}
	defer drop()
	p, err := b.startBooty(ctx, ghURL, dbURL, "")
	if err != nil {
		return nil, err
	}
	addr := p.Addr
	statuses := make([]int, len(many))
	var sent atomic.Int64
	var killOnce sync.Once
	issuesAtKill := 0
	res := closedLoopStatus(ctx, b.client, func(int) string { return p.URL }, many, b.o.concurrency, statuses, func() {
		if sent.Add(1) == int64(len(many)/2) {
			killOnce.Do(func() {
				_ = p.Kill()
				issuesAtKill = len(gh.Issues())
			})
		}
	}, b.sends("crash ["+store+"]", len(many)))
	killOnce.Do(func() { _ = p.Kill() }) // a run too small to reach half-way
	lost := 0
	for _, s := range statuses {
		if s == 0 {
			lost++
		}
	}
	if p, err = b.startBooty(ctx, ghURL, dbURL, addr); err != nil {
		return nil, err
	}
	defer func() { _ = p.Kill() }()
	for i := range many {
		if statuses[i] == 0 {
			statuses[i] = send(ctx, b.client, p.URL, many[i])
		}
	}
	if _, err := waitJobsDone(ctx, p, 10*time.Minute); err != nil {
		return nil, err
	}
	recorded, err := recordedRequests(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	missing, answered, unanswered := 0, 0, 0
	for i, r := range many {
		switch {
		case statuses[i]/100 == 2:
			answered++
			if !recorded[r.id] {
				missing++
			}
		case statuses[i] == 0:
			unanswered++
		}
	}
	printResult(b.out, "booty (until the kill)", res)
	fmt.Fprintf(b.out, "  issues filed before the kill: %d; deliveries cut off by the kill and sent again: %d\n", issuesAtKill, lost)
	issues, dups := len(gh.Issues()), duplicates(gh)
	return []verdict{
		check(issues == b.o.problems && dups == 0, fmt.Sprintf("after a SIGKILL and restart, still exactly %d issues", b.o.problems),
			"%d issues, %d duplicates, %d GitHub writes", issues, dups, gh.Writes()),
		check(missing == 0 && unanswered == 0, "every delivery answered 2xx is in booty's records",
			"%d answered 2xx, %d of them missing from the store, %d never answered", answered, missing, unanswered),
	}, nil
}
