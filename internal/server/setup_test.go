package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"booty/internal/alert"
	"booty/internal/apm"
	"booty/internal/apm/apmtest"
	"booty/internal/clocktest"
	fixtureload "booty/internal/fixture"
	"booty/internal/intake"
	"booty/internal/logtest"
	"booty/internal/metrics"
	"booty/internal/server"
	"booty/internal/store"
	"booty/internal/worker"
)

// Distinctive secrets, so a test can search logs and events for them.
const (
	testSecret = "whsec-9f8e7d6c5b4a-SECRET"
	testToken  = "ghp_SrvTestTokenSrvTestTokenSrvTest00"
	testIToken = "itok-31415926-INTERNAL"
)

// bundle is a booty HTTP surface over real parts: a SQLite store, the real
// intake with River's inserts, and, when asked for, booty's Sentry
// reporting pointed at a stand-in.
type bundle struct {
	h      http.Handler
	st     *store.Store
	m      *metrics.Metrics
	reg    *prometheus.Registry
	logs   *logtest.Buffer
	clock  *clocktest.Clock
	sentry *apmtest.Server // nil unless setupOptions.sentry
	rep    *apm.Reporter
}

type setupOptions struct {
	opts server.Options
	// sentry turns booty's reporting on, to a stand-in.
	sentry bool
	// receiver replaces the real intake.
	receiver server.Receiver
	// wrap, when set, wraps the receiver (to instrument the real intake).
	wrap func(server.Receiver) server.Receiver
}

func setup(t *testing.T, so setupOptions) *bundle {
	t.Helper()
	b := &bundle{logs: &logtest.Buffer{}, clock: clocktest.New(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))}
	log := slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "booty.db"))
	if err != nil {
		t.Fatal(err)
	}
	b.st = st
	t.Cleanup(func() { st.Close() })

	ropts := apm.Options{DSN: "", Release: "rel-7", Environment: "development", SampleRate: 1, Repo: "acme/shop",
		Secrets: []string{testSecret, testToken, testIToken}}
	if so.sentry {
		b.sentry = apmtest.NewServer(t)
		ropts.DSN = b.sentry.DSN
	}
	b.rep, err = apm.New(ropts, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.rep.Close)

	rcv := so.receiver
	if rcv == nil {
		jobs, err := worker.NewClient(st, nil, log, 1)
		if err != nil {
			t.Fatal(err)
		}
		rcv = intake.New(alert.NewPipeline(alert.SeverityError, time.Hour), st, worker.Enqueuer(jobs), func(s string) string { return s }, log, b.clock.Now)
	}
	if so.wrap != nil {
		rcv = so.wrap(rcv)
	}
	b.reg = prometheus.NewRegistry()
	b.m = metrics.New(b.reg)
	b.reg.MustRegister(metrics.NewJobsCollector(st))

	opts := so.opts
	opts.Secret = []byte(testSecret)
	if opts.MaxBody == 0 {
		opts.MaxBody = 1 << 20
	}
	opts.Version, opts.Release = "v-test", "rel-7"
	if opts.Environment == "" {
		opts.Environment = "development"
	}
	opts.Started = b.clock.Now().Add(-90 * time.Second)
	opts.Sentry = b.rep.Hub()
	opts.Now = b.clock.Now
	b.h = server.New(opts, rcv, st, b.m, b.reg, log).Handler()
	return b
}

// do sends a request to the handler and returns the answer.
func (b *bundle) do(t *testing.T, method, target string, body []byte, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequestWithContext(t.Context(), method, target, rd)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	return rec
}

// fixture returns a Sentry test payload, compacted as Sentry sends it.
func fixture(t *testing.T, name string) []byte { return fixtureload.Sentry(t, name) }

// webhookHeader signs body with secret, as Sentry does.
func webhookHeader(secret string, resource string, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Sentry-Hook-Resource", resource)
	h.Set("Sentry-Hook-Signature", hex.EncodeToString(mac.Sum(nil)))
	h.Set("Request-ID", "0123456789abcdef0123456789abcdef")
	h.Set("User-Agent", "sentry/24.1 (https://sentry.io)")
	return h
}

// decode decodes a JSON answer.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return v
}

// panicReceiver panics on every delivery, standing in for a bug.
type panicReceiver struct{}

func (panicReceiver) Receive(context.Context, string, string, []byte) (intake.Result, error) {
	panic("receiver bug: index out of range")
}

func contains(s string, subs ...string) []string {
	var found []string
	for _, x := range subs {
		if strings.Contains(s, x) {
			found = append(found, x)
		}
	}
	return found
}
