// Package server is booty's HTTP surface: the Sentry webhook, health,
// metrics and booty's self-test of its own error reporting. It maps outcomes
// to status codes in one place (toFailure) and holds no decisions of its
// own. Every route runs behind sentry-go's HTTP middleware and a recover
// that answers a panic with 500, so one bad request never takes booty down.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	sentrygo "github.com/getsentry/sentry-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"

	"booty/internal/intake"
	"booty/internal/metrics"
)

// Receiver turns a verified delivery into a durable decision:
// intake.Intake.
type Receiver interface {
	Receive(ctx context.Context, resource, requestID string, body []byte) (intake.Result, error)
}

// Health reports on the store.
type Health interface {
	Ping(ctx context.Context) error
	ParkedJobs(ctx context.Context) (int, error)
}

// Access checks that the GitHub token is valid and may write issues to the
// target repository: github.Client.CheckAccess.
type Access interface {
	CheckAccess(ctx context.Context) error
}

// Options configure a Server.
type Options struct {
	// Secret is the Sentry integration's client secret.
	Secret []byte
	// MaxBody is the largest webhook body accepted, in bytes.
	MaxBody int64
	// ParseBudget bounds the webhook body bytes being parsed and recorded
	// at once; each delivery counts at least minParseWeight. Zero means
	// 2 × GOMAXPROCS × MaxBody: a few of the largest bodies, or hundreds of
	// ordinary ones.
	ParseBudget int64
	// ParseWait is how long a verified delivery waits for room in the
	// budget before it is answered 503; zero means defaultParseWait.
	ParseWait time.Duration
	// Version, Release and Environment are what /health reports booty
	// runs as.
	Version     string
	Release     string
	Environment string
	// Backend names the store's engine and Replica this process among
	// those sharing it, for /health.
	Backend string
	Replica string
	// Started is when booty started, for uptime.
	Started time.Time
	// LastWebhook is when the last webhook was recorded before this
	// process started (zero when never).
	LastWebhook time.Time

	// GitHubHooks, when set, serves POST /webhooks/github: deliveries
	// signed with one of GitHubSecrets (GITHUB_WEBHOOK_SECRET; two while
	// it is rotated).
	GitHubHooks   GitHubReceiver
	GitHubSecrets [][]byte

	// Storms returns the routes in a storm now, for /health; nil reports
	// none.
	Storms func(ctx context.Context) ([]string, error)

	// GitHub is checked by /health?deep=1. Nil in a dry run, where deep
	// health reports github "dry_run".
	GitHub Access
	// Sentry is the hub booty's own errors are captured on, cloned per
	// request (apm.Reporter.Hub). Nil means reporting is off.
	Sentry *sentrygo.Hub
	// InternalTestToken, when set, is the X-Internal-Token that
	// /internal/sentry-test requires.
	InternalTestToken string
	// Production makes /internal/sentry-test refuse every request (403)
	// while no InternalTestToken is set.
	Production bool
	// Now is the clock (rate limits, caches, uptime); nil means time.Now.
	Now func() time.Time

	// Status, when set, serves the status page and its JSON API (web.New)
	// at /, /problems/ and /api/v1/; nil leaves them unrouted (404).
	Status http.Handler
}

// defaultParseWait is how long a delivery waits for room to be parsed:
// half of the second Sentry waits for an answer, so an overloaded booty
// says so while Sentry still listens.
const defaultParseWait = 500 * time.Millisecond

// defaultParseBodies is how many bodies at the size limit may be parsed at
// once. Decoding is streamed and bounded (a 1 MiB hostile body allocates a
// few MB), so sixteen stay far below the unit's MemoryMax, while a burst of
// large deliveries, which Sentry will not send again, is still accepted.
const defaultParseBodies = 16

// Server holds the handlers' dependencies.
type Server struct {
	opts     Options
	receiver Receiver
	health   Health
	metrics  *metrics.Metrics
	gatherer prometheus.Gatherer
	log      *slog.Logger
	now      func() time.Time

	lastWebhook atomic.Int64 // Unix ms
	bufs        sync.Pool

	parse       *semaphore.Weighted
	parseBudget int64
	parseWait   time.Duration
	rejected    *logSampler

	hub             *sentrygo.Hub
	access          accessCache
	selfTestLimiter *clientLimiter
}

// New returns a Server. gatherer serves /metrics.
func New(opts Options, rcv Receiver, h Health, m *metrics.Metrics, gatherer prometheus.Gatherer, log *slog.Logger) *Server {
	s := &Server{opts: opts, receiver: rcv, health: h, metrics: m, gatherer: gatherer, log: log, now: opts.Now, hub: opts.Sentry}
	if s.now == nil {
		s.now = time.Now
	}
	if s.hub == nil {
		s.hub = sentrygo.NewHub(nil, sentrygo.NewScope())
	}
	s.parseBudget = opts.ParseBudget
	if s.parseBudget <= 0 {
		s.parseBudget = defaultParseBodies * max(opts.MaxBody, minParseWeight)
	}
	s.parse = semaphore.NewWeighted(s.parseBudget)
	s.parseWait = opts.ParseWait
	if s.parseWait <= 0 {
		s.parseWait = defaultParseWait
	}
	s.rejected = newLogSampler(rejectedLogsPerSecond, rejectedLogBurst)
	s.selfTestLimiter = newClientLimiter(selfTestPerMinute, time.Minute, maxLimitedClients)
	s.bufs.New = func() any { return new(bytes.Buffer) }
	if !opts.LastWebhook.IsZero() {
		s.lastWebhook.Store(opts.LastWebhook.UnixMilli())
		m.LastWebhook.Set(float64(opts.LastWebhook.Unix()))
	}
	return s
}

// Handler returns booty's routes, behind the panic recovery and Sentry
// middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/sentry", s.sentryWebhook)
	if s.opts.GitHubHooks != nil {
		mux.HandleFunc("POST /webhooks/github", s.githubWebhook)
	}
	mux.HandleFunc("GET /health", s.healthCheck)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{
		// A collector that fails (the store, for booty_jobs) costs its
		// own series, not the whole scrape.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}))
	mux.HandleFunc("GET /internal/sentry-test", s.selfTest)
	if s.opts.Status != nil {
		// Any method: the status handler answers all but GET with 405.
		mux.Handle("/{$}", s.opts.Status)
		mux.Handle("/problems/", s.opts.Status)
		mux.Handle("/api/v1/", s.opts.Status)
	}
	return s.recoverPanics(s.withSentry(mux))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
