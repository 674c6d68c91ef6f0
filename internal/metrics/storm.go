package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// StormStats is what booty knows of storms when Prometheus scrapes.
type StormStats struct {
	// OpenDigests counts the digests whose storm goes on.
	OpenDigests int
	// RouteLeft is how many new issues each route may still file now,
	// by route name; GlobalLeft the deployment's.
	RouteLeft  map[string]int
	GlobalLeft int
}

// StormReader reads StormStats from the store, which every replica shares.
type StormReader interface {
	StormStats(ctx context.Context) (StormStats, error)
}

// StormCollector reports booty_digests_open and the budgets of new issues
// left, read from the store at each scrape like booty_jobs.
type StormCollector struct {
	src                    StormReader
	open, routeLeft, total *prometheus.Desc
}

// NewStormCollector returns the storm collector over src.
func NewStormCollector(src StormReader) *StormCollector {
	return &StormCollector{
		src: src,
		open: prometheus.NewDesc("booty_digests_open",
			"Storm digests whose storm goes on: a route folded a new problem within the storm's quiet period.", nil, nil),
		routeLeft: prometheus.NewDesc("booty_storm_budget_left",
			"New issues a route may still file now before new problems fold into its digest.", []string{"route"}, nil),
		total: prometheus.NewDesc("booty_storm_global_budget_left",
			"New issues booty may still file now across all routes.", nil, nil),
	}
}

// Describe sends the descriptors.
func (c *StormCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.routeLeft
	ch <- c.total
}

// Collect reads the stats; a store that does not answer makes the scrape
// go on without them, the error logged by the handler.
func (c *StormCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jobsTimeout)
	defer cancel()
	st, err := c.src.StormStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.open, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(st.OpenDigests))
	for route, left := range st.RouteLeft {
		ch <- prometheus.MustNewConstMetric(c.routeLeft, prometheus.GaugeValue, float64(left), route)
	}
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(st.GlobalLeft))
}
