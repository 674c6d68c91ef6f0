package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"booty/internal/github"
	"booty/internal/githubtest"
)

// stormRepos are the repositories of the storm-routes run, one per route.
var stormRepos = []string{"acme/r0", "acme/r1", "acme/r2", "acme/r3", "acme/r4"}

// storm sends -storm new distinct problems of one project and environment
// as fast as booty takes them, under booty's default budgets with pacing
// lifted: about 10 issues and one digest, with its coalesced edits.
func (b *bench) storm(ctx context.Context, store string) ([]verdict, error) {
	fmt.Fprintf(b.out, "\n== storm [%s]: %d new problems at once, default budgets (digest edits every %s)\n", store, b.o.storm, b.o.stormEvery)
	routes := fmt.Sprintf("storm: {update_every: %s}\nroutes:\n  - name: shop\n    repo: %s/%s\n", b.o.stormEvery, owner, repo)
	run, err := b.stormRun(ctx, store, "storm", routes, []string{owner + "/" + repo}, func(int) string { return "production" })
	if err != nil {
		return nil, err
	}
	return []verdict{
		check(run.writes <= 30, fmt.Sprintf("a storm of %d new problems makes at most 30 GitHub writes", b.o.storm),
			"%d writes (%d issues, %d digests): %.3f writes a problem", run.writes, run.filed, run.digests, float64(run.writes)/float64(b.o.storm)),
		check(run.shown == b.o.storm && run.dups == 0, "every problem of the storm is filed or in its digest, none twice",
			"%d of %d shown, %d filed twice; GitHub showed the last after %s", run.shown, b.o.storm, run.dups, run.last.Round(time.Millisecond)),
	}, nil
}

// stormRoutes sends the same storm spread over 5 routes, by environment,
// each filing into a repository of its own.
func (b *bench) stormRoutes(ctx context.Context, store string) ([]verdict, error) {
	fmt.Fprintf(b.out, "\n== storm-routes [%s]: %d new problems at once over %d routes\n", store, b.o.storm, len(stormRepos))
	var routes strings.Builder
	fmt.Fprintf(&routes, "storm: {update_every: %s}\nroutes:\n", b.o.stormEvery)
	for i, r := range stormRepos {
		fmt.Fprintf(&routes, "  - name: r%d\n    match: {environment: env-%d}\n    repo: %s\n", i, i, r)
	}
	run, err := b.stormRun(ctx, store, "storm-routes", routes.String(), stormRepos, func(i int) string {
		return fmt.Sprintf("env-%d", i%len(stormRepos))
	})
	if err != nil {
		return nil, err
	}
	return []verdict{
		check(run.shown == b.o.storm && run.dups == 0 && run.misrouted == 0,
			fmt.Sprintf("a storm over %d routes lands every problem in its route's repository, none twice", len(stormRepos)),
			"%d of %d shown, %d misrouted, %d filed twice; %d writes (%.3f a problem); GitHub showed the last after %s",
			run.shown, b.o.storm, run.misrouted, run.dups, run.writes, float64(run.writes)/float64(b.o.storm), run.last.Round(time.Millisecond)),
	}, nil
}

// stormResult is what GitHub shows after a storm.
type stormResult struct {
	writes, filed, digests int
	// shown counts the problems GitHub shows: filed, or counted in a
	// digest's title; misrouted those shown outside their repository.
	shown, misrouted, dups int
	// last is the time from the first delivery until GitHub showed the
	// last problem.
	last time.Duration
}

// digestTitle reads the count of a digest's title.
var digestTitle = regexp.MustCompile(`^Sentry storm: .* — (\d+) new problems?`)

// stormRun starts booty with the routes file routes against a stand-in
// for repos, sends the storm (problem i in environment envOf(i)) and waits
// until GitHub shows every problem.
func (b *bench) stormRun(ctx context.Context, store, name, routes string, repos []string, envOf func(int) string) (stormResult, error) {
	var res stormResult
	path := filepath.Join(b.dir, name+"-routes.yaml")
	if err := os.WriteFile(path, []byte(routes), 0o600); err != nil {
		return res, err
	}
	dbURL, drop, err := b.database(ctx, store, name)
	if err != nil {
		return res, err
	}
	defer drop()
	// The default repository too: booty reads it at startup.
	gh, err := githubtest.StartRepos(githubtest.Options{Token: benchToken}, append([]string{owner + "/" + repo}, repos...)...)
	if err != nil {
		return res, err
	}
	defer gh.Close()
	p, err := b.startBooty(ctx, gh.URL, dbURL, "", "BOOTY_ROUTES_FILE="+path,
		"BOOTY_ROUTE_BUDGET=10/10m", "BOOTY_STORM_BUDGET=30/10m") // booty's defaults, stated
	if err != nil {
		return res, err
	}
	defer func() { _ = p.Kill() }()

	reqs := make([]request, b.o.storm)
	for i := range reqs {
		body, err := withEvent(b.payload, strconv.Itoa(8000000+i), fmt.Sprintf("%032x", 8000000+i))
		if err != nil {
			return res, err
		}
		if body, err = withEnvironment(body, envOf(i)); err != nil {
			return res, err
		}
		reqs[i] = signed(benchSecret, body, fmt.Sprintf("%032x", i))
	}
	start := time.Now()
	sent := closedLoop(ctx, b.client, p.URL, reqs, b.o.concurrency, b.sends(name+" ["+store+"]", len(reqs)))
	printResult(b.out, "booty", sent)
	if sent.answered2xx() != sent.total {
		return res, fmt.Errorf("%s: deliveries not all answered 2xx: %s", name, sent.answers())
	}
	deadline := time.Now().Add(b.o.stormEvery + 2*time.Minute)
	var last time.Duration
	for {
		if stormShown(gh, repos, envOf).shown >= b.o.storm || time.Now().After(deadline) || ctx.Err() != nil {
			last = time.Since(start)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := waitJobsDone(ctx, p, time.Minute); err != nil {
		return res, err
	}
	res = stormShown(gh, repos, envOf)
	res.last = last
	for _, r := range repos {
		res.writes += gh.Repo(r).Writes()
	}
	fmt.Fprintf(b.out, "  %d GitHub writes: %d issues, %d digests; every problem shown after %s\n",
		res.writes, res.filed, res.digests, res.last.Round(time.Millisecond))
	return res, nil
}

// stormShown reads what the stand-in shows of a storm.
func stormShown(gh *githubtest.Repos, repos []string, envOf func(int) string) stormResult {
	var res stormResult
	for ri, r := range repos {
		s := gh.Repo(r)
		res.dups += duplicates(s)
		for _, is := range s.Issues() {
			if m := digestTitle.FindStringSubmatch(is.Title); m != nil {
				n, _ := strconv.Atoi(m[1])
				res.shown += n
				res.digests++
				continue
			}
			res.filed++
			res.shown++
			// The issue's marker names the problem, whose number gives its
			// environment and so its route.
			key, _ := github.MarkerKey(is.Body)
			if num, err := strconv.Atoi(strings.TrimPrefix(key, "sentry:")); err == nil && len(repos) > 1 &&
				envOf(num-8000000) != fmt.Sprintf("env-%d", ri) {
				res.misrouted++
			}
		}
	}
	return res
}

// withEnvironment returns payload with data.event's environment set.
func withEnvironment(payload []byte, env string) ([]byte, error) {
	return editEvent(payload, func(ev map[string]any) { ev["environment"] = env })
}
