// Package metrics holds booty's Prometheus collectors. They are registered
// on a registry passed in, never on the global one.
package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are booty's own collectors.
type Metrics struct {
	// Deliveries counts webhook deliveries by resource and outcome: the
	// decision (create, comment, reopen), the reason it was ignored, or the
	// error answered (invalid_signature, body_too_large, bad_request,
	// invalid_payload, unavailable). The server maps the resource header
	// onto a fixed set of values, so a sender cannot add series.
	Deliveries *prometheus.CounterVec
	// Decisions counts accepted and filtered event alerts by decision.
	Decisions *prometheus.CounterVec
	// AnswerSeconds is the time from request to answer on the webhook.
	AnswerSeconds prometheus.Histogram
	// LastWebhook is the Unix time of the last accepted or ignored delivery.
	// An operator alerts on time() minus it.
	LastWebhook prometheus.Gauge
	// GitHubRequests counts GitHub API calls by operation and status.
	GitHubRequests *prometheus.CounterVec
	// GitHubRateRemaining and GitHubRateReset mirror GitHub's rate limit
	// headers, labelled with the limit's resource ("core"). They have no
	// series until GitHub has answered once, so a fresh start or a dry run
	// never reads as a used-up limit.
	GitHubRateRemaining *prometheus.GaugeVec
	GitHubRateReset     *prometheus.GaugeVec
	// BuildInfo is 1, labelled with what runs.
	BuildInfo *prometheus.GaugeVec
	// GitHubWebhooks counts GitHub webhook deliveries by event and
	// outcome (what booty recorded, or the error answered).
	GitHubWebhooks *prometheus.CounterVec
	// StormFolded counts new problems folded into a storm digest, by
	// route. A route's series exists once it folds.
	StormFolded *prometheus.CounterVec
	// Builds and Verifications count finished builder and verifier runs
	// by outcome; RunSeconds is how long runs took, by kind.
	Builds        *prometheus.CounterVec
	Verifications *prometheus.CounterVec
	RunSeconds    *prometheus.HistogramVec
}

// New creates booty's collectors and registers them on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booty_webhook_deliveries_total",
			Help: "Webhook deliveries by resource and outcome (decision, ignore reason or error).",
		}, []string{"resource", "outcome"}),
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booty_decisions_total",
			Help: "Decisions on event alerts: create, comment, reopen, or the reason they were ignored.",
		}, []string{"decision"}),
		AnswerSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "booty_webhook_answer_seconds",
			Help:    "Time from receiving a webhook to answering it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		LastWebhook: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "booty_last_webhook_timestamp_seconds",
			Help: "Unix time of the last webhook booty verified and recorded.",
		}),
		GitHubRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booty_github_requests_total",
			Help: "GitHub API requests by operation and HTTP status (\"error\" when no answer came).",
		}, []string{"operation", "status"}),
		GitHubRateRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "booty_github_rate_limit_remaining",
			Help: "Requests left in GitHub's primary rate limit window, as GitHub last reported.",
		}, []string{"resource"}),
		GitHubRateReset: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "booty_github_rate_limit_reset_timestamp_seconds",
			Help: "Unix time when GitHub's primary rate limit window resets, as GitHub last reported.",
		}, []string{"resource"}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "booty_build_info",
			Help: "Always 1; labelled with the version, release and environment booty runs as.",
		}, []string{"version", "release", "environment"}),
		GitHubWebhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booty_github_webhooks_total",
			Help: "GitHub webhook deliveries by event (issues, pull_request, ping, other, none) and outcome.",
		}, []string{"event", "outcome"}),
		StormFolded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booty_storm_folded_total",
			Help: "New problems folded into a route's storm digest instead of getting an issue of their own.",
		}, []string{"route"}),
		Builds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booty_builds_total",
			Help: "Builder runs by outcome: pull_opened, pushed, no_change, refused, failed, timed_out, skipped, error.",
		}, []string{"outcome"}),
		Verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "booty_verifications_total",
			Help: "Verifier runs by outcome: success, failure, superseded, skipped, error.",
		}, []string{"outcome"}),
		RunSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "booty_run_duration_seconds",
			Help:    "Time a builder (kind build) or verifier (kind verify) run took, clone and GitHub calls included.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600},
		}, []string{"kind"}),
	}
	// The refused event alerts' series exists from the start at 0, so an
	// alert on its increase sees the first refusal too.
	m.Deliveries.WithLabelValues("event_alert", "unavailable")
	reg.MustRegister(m.Deliveries, m.Decisions, m.AnswerSeconds, m.LastWebhook,
		m.GitHubRequests, m.GitHubRateRemaining, m.GitHubRateReset, m.BuildInfo, m.StormFolded, m.GitHubWebhooks,
		m.Builds, m.Verifications, m.RunSeconds)
	return m
}

// GitHubRequest counts one GitHub API call: operation as github.Operation
// names it, status the HTTP status, or 0 when no answer came.
func (m *Metrics) GitHubRequest(operation string, status int) {
	code := "error"
	if status > 0 {
		code = strconv.Itoa(status)
	}
	m.GitHubRequests.WithLabelValues(operation, code).Inc()
}

// GitHubRateLimit records what GitHub last said of its primary ("core")
// rate limit.
func (m *Metrics) GitHubRateLimit(remaining int, reset time.Time) {
	m.GitHubRateRemaining.WithLabelValues("core").Set(float64(remaining))
	m.GitHubRateReset.WithLabelValues("core").Set(float64(reset.Unix()))
}

// jobStates are the states booty_jobs reports, each always present so that
// an alert on one of them never looks at a missing series.
var jobStates = []string{"available", "scheduled", "running", "retrying", "parked", "completed", "pending"}

// JobCounter counts jobs by state (available, scheduled, running,
// retrying, parked, completed, pending): store.Store.JobsByState.
type JobCounter interface {
	JobsByState(ctx context.Context) (map[string]int, error)
}

// jobsTimeout bounds the query behind a scrape.
const jobsTimeout = 2 * time.Second

// JobsCollector reports booty_jobs{state}, counted when Prometheus scrapes:
// a count kept in memory would drift from the jobs table, which other
// processes (the spool commands) change too.
type JobsCollector struct {
	src  JobCounter
	desc *prometheus.Desc
}

// NewJobsCollector returns the collector of booty_jobs over src; register it
// on the same registry as New's.
func NewJobsCollector(src JobCounter) *JobsCollector {
	return &JobsCollector{src: src, desc: prometheus.NewDesc("booty_jobs",
		"GitHub jobs by state: available, scheduled (snoozed through a rate limit), running, retrying (failed, waiting for the next attempt), parked (stopped for good: needs an operator), completed, pending.",
		[]string{"state"}, nil)}
}

// Describe sends the one descriptor.
func (c *JobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect counts the jobs. When the store does not answer, the scrape goes
// on without booty_jobs and the error is logged by the handler.
func (c *JobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jobsTimeout)
	defer cancel()
	counts, err := c.src.JobsByState(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, st := range jobStates {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), st)
	}
}

// RunFinished counts a builder or verifier run of kind ("build", "verify")
// that ended with outcome after took.
func (m *Metrics) RunFinished(kind, outcome string, took time.Duration) {
	switch kind {
	case "build":
		m.Builds.WithLabelValues(outcome).Inc()
	case "verify":
		m.Verifications.WithLabelValues(outcome).Inc()
	default:
		return
	}
	m.RunSeconds.WithLabelValues(kind).Observe(took.Seconds())
}
