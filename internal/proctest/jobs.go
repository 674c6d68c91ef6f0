package proctest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// jobsMetric is booty's gauge of its GitHub jobs by state, counted from the
// store at each scrape.
const jobsMetric = "booty_jobs"

// pendingStates are the job states that still have work to do: a job in
// any of them can yet call GitHub (and so, if booty is wrong, file a
// duplicate). Completed and parked jobs are done for good.
var pendingStates = []string{"available", "scheduled", "running", "retrying", "pending"}

// ErrNoJobsMetric is returned when a scrape holds no booty_jobs: booty
// leaves it out when its store does not answer, and "no gauge" must never
// pass for "no jobs".
var ErrNoJobsMetric = errors.New("no " + jobsMetric + " in the metrics")

// JobStates reads booty_jobs from a Prometheus text exposition (what
// /metrics serves) and returns the count per state.
func JobStates(r io.Reader) (map[string]int, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	fam, ok := families[jobsMetric]
	if !ok || len(fam.GetMetric()) == 0 {
		return nil, ErrNoJobsMetric
	}
	states := make(map[string]int, len(fam.GetMetric()))
	for _, m := range fam.GetMetric() {
		var state string
		for _, l := range m.GetLabel() {
			if l.GetName() == "state" {
				state = l.GetValue()
			}
		}
		var v float64
		switch {
		case m.GetGauge() != nil:
			v = m.GetGauge().GetValue()
		case m.GetUntyped() != nil:
			v = m.GetUntyped().GetValue()
		default:
			return nil, fmt.Errorf("parse metrics: %s is not a gauge", jobsMetric)
		}
		if state == "" {
			return nil, fmt.Errorf("parse metrics: %s sample without a state", jobsMetric)
		}
		states[state] += int(v)
	}
	return states, nil
}

// Jobs scrapes url's /metrics (url as Process.URL) and returns booty_jobs
// by state.
func Jobs(ctx context.Context, client *http.Client, url string) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape metrics: status %d", resp.StatusCode)
	}
	return JobStates(resp.Body)
}

// Pending returns how many jobs in states are still to run, and which
// states hold them.
func Pending(states map[string]int) (int, map[string]int) {
	n, left := 0, map[string]int{}
	for _, s := range pendingStates {
		if states[s] > 0 {
			n += states[s]
			left[s] = states[s]
		}
	}
	return n, left
}

// WaitJobsDone waits until booty at url has no job left to run (none
// available, scheduled, running, retrying or pending, per its booty_jobs
// gauge), so that whatever the jobs were going to do to GitHub is done and
// can be counted. It returns the final counts, or an error naming what was
// still pending when ctx ended. Call it only once every delivery that
// makes a job has been answered: an answer means its job is on disk.
func WaitJobsDone(ctx context.Context, url string) (map[string]int, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var last error
	for {
		states, err := Jobs(ctx, client, url)
		switch {
		case err != nil && ctx.Err() != nil:
			// The scrape was cut by the deadline: keep what the last
			// whole scrape said.
		case err == nil:
			n, left := Pending(states)
			if n == 0 {
				return states, nil
			}
			last = fmt.Errorf("jobs still to run: %v", left)
		default:
			last = err
		}
		if last == nil {
			last = context.Cause(ctx)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for jobs to finish: %w (%w)", context.Cause(ctx), last)
		case <-tick.C:
		}
	}
}

// WaitJobsDone waits, as the package function does, until p has no job left
// to run.
func (p *Process) WaitJobsDone(ctx context.Context) (map[string]int, error) {
	return WaitJobsDone(ctx, p.URL)
}
