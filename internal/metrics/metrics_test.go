package metrics_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"booty/internal/metrics"
	"booty/internal/store"
)

// openStore returns a real store whose river_job table holds jobs in the
// given River states.
func openStore(t *testing.T, states ...string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "booty.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, s := range states {
		_, err := st.DB().ExecContext(t.Context(), `INSERT INTO river_job (kind, max_attempts, state, finalized_at)
			VALUES ('github_issue', 160, $1, CASE WHEN $1 IN ('cancelled', 'completed', 'discarded') THEN CURRENT_TIMESTAMP END)`, s)
		if err != nil {
			t.Fatalf("insert %s job: %v", s, err)
		}
	}
	return st
}

// TestLint runs the client library's own lint over every metric booty
// exports, each with a sample so that it is gathered.
func TestLint(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	reg.MustRegister(metrics.NewJobsCollector(openStore(t, "available")))
	m.Deliveries.WithLabelValues("event_alert", "create").Inc()
	m.Decisions.WithLabelValues("create").Inc()
	m.AnswerSeconds.Observe(0.003)
	m.LastWebhook.Set(1)
	m.GitHubRequest("create_issue", 201)
	m.GitHubRateLimit(4999, time.Unix(1_900_000_000, 0))
	m.BuildInfo.WithLabelValues("v1", "r1", "production").Set(1)

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(mfs), 9; got != want {
		t.Errorf("gathered %d metric families, want %d", got, want)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestJobsCollector(t *testing.T) {
	t.Parallel()
	st := openStore(t, "available", "available", "retryable", "cancelled", "discarded", "discarded", "scheduled", "completed")
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewJobsCollector(st))
	want := `
# HELP booty_jobs GitHub jobs by state: available, scheduled (snoozed through a rate limit), running, retrying (failed, waiting for the next attempt), parked (stopped for good: needs an operator), completed, pending.
# TYPE booty_jobs gauge
booty_jobs{state="available"} 2
booty_jobs{state="completed"} 1
booty_jobs{state="parked"} 3
booty_jobs{state="pending"} 0
booty_jobs{state="retrying"} 1
booty_jobs{state="running"} 0
booty_jobs{state="scheduled"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "booty_jobs"); err != nil {
		t.Error(err)
	}

	// A store that does not answer fails the series, not the process.
	st.Close()
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "count jobs by state") {
		t.Errorf("gather with the store closed: got %v, want the store's error", err)
	}
}

// TestRefusedDeliveriesSeriesFromTheStart checks that the series an
// operator alerts on for refused deliveries is there, at 0, before the
// first refusal: increase() over a series that appears at 1 misses it.
func TestRefusedDeliveriesSeriesFromTheStart(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	metrics.New(reg)
	want := `
# HELP booty_webhook_deliveries_total Webhook deliveries by resource and outcome (decision, ignore reason or error).
# TYPE booty_webhook_deliveries_total counter
booty_webhook_deliveries_total{outcome="unavailable",resource="event_alert"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "booty_webhook_deliveries_total"); err != nil {
		t.Error(err)
	}
}

func TestGitHubRequestWithoutAnswer(t *testing.T) {
	t.Parallel()
	m := metrics.New(prometheus.NewRegistry())
	if n := testutil.CollectAndCount(m.GitHubRateRemaining) + testutil.CollectAndCount(m.GitHubRateReset); n != 0 {
		t.Errorf("rate limit series before GitHub answered: got %d, want 0", n)
	}
	m.GitHubRequest("get_issue", 0)
	m.GitHubRequest("get_issue", 0)
	m.GitHubRequest("get_issue", 404)
	if got := testutil.ToFloat64(m.GitHubRequests.WithLabelValues("get_issue", "error")); got != 2 {
		t.Errorf("error: got %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.GitHubRequests.WithLabelValues("get_issue", "404")); got != 1 {
		t.Errorf("404: got %v, want 1", got)
	}
}
