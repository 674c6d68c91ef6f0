// Package server is booty's HTTP surface: the Sentry webhook, health,
// metrics and booty's self-test of its own error reporting. It maps outcomes to status codes and
// holds no decisions of its own. Every route runs behind sentry-go's HTTP
// middleware and a recover that answers a panic with 500, so one bad
// request never takes booty down.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	sentrygo "github.com/getsentry/sentry-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"booty/internal/intake"
	"booty/internal/metrics"
	"booty/internal/sentry"
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
	// Version, Release and Environment are what /health reports booty
	// runs as.
	Version     string
	Release     string
	Environment string
	// Started is when booty started, for uptime.
	Started time.Time
	// LastWebhook is when the last webhook was recorded before this
	// process started (zero when never).
	LastWebhook time.Time

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
}

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
	mux.HandleFunc("GET /health", s.healthCheck)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{
		// A collector that fails (the store, for booty_jobs) costs its
		// own series, not the whole scrape.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}))
	mux.HandleFunc("GET /internal/sentry-test", s.selfTest)
	return s.recoverPanics(s.withSentry(mux))
}

// The error codes of DESIGN.md's answer table.
const (
	errInvalidSignature = "invalid_signature"
	errBodyTooLarge     = "body_too_large"
	errInvalidPayload   = "invalid_payload"
	errUnavailable      = "unavailable"
	errBadRequest       = "bad_request"
)

// storeTimeout bounds the transaction behind an answer. Sentry stops
// waiting after about a second, but a commit that lands later still
// records the delivery and files its issue, so a slow store (a large group
// commit, a busy disk) gets this long; the bound only keeps a stuck store
// from holding handlers for ever.
const storeTimeout = 5 * time.Second

func (s *Server) sentryWebhook(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	resource := r.Header.Get("Sentry-Hook-Resource")
	log := s.log.With("request_id", r.Header.Get("Request-ID"), "resource", resource)

	buf := s.bufs.Get().(*bytes.Buffer)
	defer s.putBuf(buf)
	if r.ContentLength > 0 && r.ContentLength <= s.opts.MaxBody {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.opts.MaxBody)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.answerError(w, log, start, resource, http.StatusRequestEntityTooLarge, errBodyTooLarge, nil,
				"webhook body over the limit", "limit", s.opts.MaxBody)
			return
		}
		s.answerError(w, log, start, resource, http.StatusBadRequest, errBadRequest, nil, "reading webhook body failed", "err", err)
		return
	}
	body := buf.Bytes()

	if err := sentry.Verify(s.opts.Secret, body, r.Header.Get("Sentry-Hook-Signature")); err != nil {
		s.answerError(w, log, start, resource, http.StatusUnauthorized, errInvalidSignature, nil,
			"webhook signature missing or wrong", "signature_present", r.Header.Get("Sentry-Hook-Signature") != "")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	res, err := s.receiver.Receive(ctx, resource, r.Header.Get("Request-ID"), body)
	if err != nil {
		var bad *sentry.PayloadError
		if errors.As(err, &bad) {
			s.answerError(w, log, start, resource, http.StatusUnprocessableEntity, errInvalidPayload, bad.Missing,
				"webhook payload rejected", "err", err)
			return
		}
		s.answerError(w, log, start, resource, http.StatusServiceUnavailable, errUnavailable, nil,
			"store unavailable; delivery not accepted", "err", err)
		return
	}

	now := s.now()
	s.lastWebhook.Store(now.UnixMilli())
	s.metrics.LastWebhook.Set(float64(now.Unix()))
	d := res.Decision
	attrs := []any{"action", res.Action, "decision", d.String()}
	if res.Alert != nil {
		attrs = append(attrs, "problem_key", res.Alert.ProblemKey, "event_id", res.Alert.EventID, "level", res.Alert.Level.String())
		s.metrics.Decisions.WithLabelValues(d.String()).Inc()
	}
	if d.Accepted() {
		s.answer(w, start, resource, http.StatusAccepted, d.String(), acceptedBody{
			Status: "accepted", Decision: string(d.Action), ProblemKey: res.Alert.ProblemKey,
		})
		log.Info("webhook accepted", attrs...)
		return
	}
	s.answer(w, start, resource, http.StatusOK, d.String(), ignoredBody{Status: "ignored", Reason: string(d.Reason)})
	log.Info("webhook ignored", append(attrs, "reason", string(d.Reason))...)
}

func (s *Server) putBuf(b *bytes.Buffer) {
	// Keep the pool's buffers at the size of ordinary deliveries.
	if b.Cap() > 256<<10 {
		return
	}
	b.Reset()
	s.bufs.Put(b)
}

type acceptedBody struct {
	Status     string `json:"status"`
	Decision   string `json:"decision"`
	ProblemKey string `json:"problem_key"`
}

type ignoredBody struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

type errorBody struct {
	Error   string   `json:"error"`
	Missing []string `json:"missing,omitempty"`
}

func (s *Server) answerError(w http.ResponseWriter, log *slog.Logger, start time.Time, resource string, status int, code string, missing []string, msg string, attrs ...any) {
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	log.Log(context.Background(), level, msg, append(attrs, "status", status, "error", code)...)
	s.answer(w, start, resource, status, code, errorBody{Error: code, Missing: missing})
}

func (s *Server) answer(w http.ResponseWriter, start time.Time, resource string, status int, outcome string, body any) {
	writeJSON(w, status, body)
	if resource == "" {
		resource = "none"
	}
	s.metrics.Deliveries.WithLabelValues(metricResource(resource), outcome).Inc()
	s.metrics.AnswerSeconds.Observe(s.now().Sub(start).Seconds())
}

// metricResource keeps the label's values few: a sender can put anything in
// the header.
func metricResource(r string) string {
	switch r {
	case "event_alert", "metric_alert", "issue", "error", "comment", "installation", "seer", "none":
		return r
	}
	return "other"
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
