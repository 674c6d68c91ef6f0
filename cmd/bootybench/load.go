package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"booty/internal/progress"
	"booty/internal/sentry"
)

// request is one signed delivery, with the Request-ID that finds it in
// booty's delivery records.
type request struct {
	id   string
	body []byte
	sig  string
}

func signed(secret string, body []byte, id string) request {
	return request{id: id, body: body, sig: sentry.Sign([]byte(secret), body)}
}

// send posts r as Sentry does and returns the status, or 0 when no answer
// came (connection refused or cut: the delivery is lost to Sentry).
func send(ctx context.Context, c *http.Client, url string, r request) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/webhooks/sentry", bytes.NewReader(r.body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Request-ID", r.id)
	req.Header.Set("Sentry-Hook-Resource", "event_alert")
	req.Header.Set("Sentry-Hook-Signature", r.sig)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// result is what a load run measured.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration // of the answered requests, sorted
	codes     map[int]int     // status → count; 0 is "no answer"
	total     int
}

func (r result) rps() float64 { return float64(len(r.latencies)) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[int(p*float64(len(r.latencies)-1))]
}

// answered2xx counts the requests answered 200-299.
func (r result) answered2xx() int {
	n := 0
	for c, k := range r.codes {
		if c/100 == 2 {
			n += k
		}
	}
	return n
}

// answers describes the statuses, e.g. "19999×200 1×202".
func (r result) answers() string {
	var codes []int
	for c := range r.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%d×%s", r.codes[c], name))
	}
	return strings.Join(parts, " ")
}

func printResult(w io.Writer, name string, r result) {
	fmt.Fprintf(w, "  %-34s %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  answers %s\n", name, r.rps(),
		ms(r.pct(0.50)), ms(r.pct(0.99)), r.answers())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// warm sends the first few requests so that connections and caches are up
// before a measured run.
func warm(ctx context.Context, c *http.Client, url string, rs []request) {
	for i := 0; i < 200 && i < len(rs); i++ {
		send(ctx, c, url, rs[i])
	}
}

// closedLoop is closedLoopStatus to one url.
func closedLoop(ctx context.Context, c *http.Client, url string, rs []request, conc int, sent *progress.Reporter) result {
	return closedLoopStatus(ctx, c, func(int) string { return url }, rs, conc, make([]int, len(rs)), func() {}, sent)
}

// closedLoopStatus sends rs from conc connections, each sending its next
// request as soon as the last is answered, rs[i] to url(i), recording each
// status in statuses; after runs after each request. sent counts the
// requests sent, answered or not, and is done when the loop ends.
func closedLoopStatus(ctx context.Context, c *http.Client, url func(i int) string, rs []request, conc int, statuses []int, after func(), sent *progress.Reporter) result {
	defer sent.Done()
	lat := make([]time.Duration, len(rs))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rs) || ctx.Err() != nil {
					return
				}
				t := time.Now()
				statuses[i] = send(ctx, c, url(i), rs[i])
				lat[i] = time.Since(t)
				sent.Add(1)
				after()
			}
		})
	}
	wg.Wait()
	return summarize(time.Since(start), lat, statuses)
}

// openLoop sends rs at rate per second whatever the answers, so a slow
// answer cannot hide by slowing the load down. sent counts the requests
// sent, answered or not, and is done when the loop ends.
func openLoop(ctx context.Context, c *http.Client, url string, rs []request, rate int, sent *progress.Reporter) result {
	defer sent.Done()
	lat := make([]time.Duration, len(rs))
	statuses := make([]int, len(rs))
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
	start := time.Now()
	for i := range rs {
		// Each request has its slot on the schedule; a late loop sends at
		// once rather than dropping the rate, as a ticker would.
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
			case <-timer.C:
			}
		}
		wg.Go(func() {
			t := time.Now()
			statuses[i] = send(ctx, c, url, rs[i])
			lat[i] = time.Since(t)
			sent.Add(1)
		})
	}
	wg.Wait()
	return summarize(time.Since(start), lat, statuses)
}

// sends returns the progress of n requests of the run named what, shown on
// stderr (stdout is the report) and cleared from a terminal when done.
func (b *bench) sends(what string, n int) *progress.Reporter {
	return progress.New(b.stderr, n, "sending: "+what, progress.Transient(),
		progress.Line("bootybench: "+strings.ReplaceAll(what, "%", "%%")+": sent %d/%d requests"))
}

func summarize(elapsed time.Duration, lat []time.Duration, statuses []int) result {
	r := result{elapsed: elapsed, codes: map[int]int{}, total: len(statuses)}
	for i, s := range statuses {
		r.codes[s]++
		if s != 0 {
			r.latencies = append(r.latencies, lat[i])
		}
	}
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	return r
}
