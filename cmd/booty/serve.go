package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"booty/internal/alert"
	"booty/internal/apm"
	"booty/internal/config"
	"booty/internal/github"
	"booty/internal/intake"
	"booty/internal/metrics"
	"booty/internal/redact"
	"booty/internal/server"
	"booty/internal/store"
	"booty/internal/worker"
)

// Delivery records older than this are pruned; problems are kept for good.
const deliveryRetention = 30 * 24 * time.Hour

// workerConcurrency is how many GitHub jobs run at once. GitHub asks for
// writes one at a time; a few workers cover slow reads and lookups.
const workerConcurrency = 4

func checkConfig(getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(getenv)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	mode := "live"
	if cfg.DryRun {
		mode = "dry run"
	}
	fmt.Fprintf(stdout, "configuration ok: repo %s, store %s, listen %s, %s\n", cfg.Repo(), redactURL(cfg.DatabaseURL), cfg.Listen, mode)
	return 0
}

func printProblems(w io.Writer, err error) {
	var ps config.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintf(w, "booty: config: %s\n", p.Error())
		}
		return
	}
	fmt.Fprintf(w, "booty: config: %v\n", err)
}

// newLogger logs JSON unless stderr is a terminal; BOOTY_LOG_FORMAT
// overrides.
func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) int {
	started := time.Now()
	cfg, err := config.Load(getenv)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	log := newLogger(stderr, cfg.LogFormat)
	if err := serveWith(ctx, cfg, log, started); err != nil {
		log.Error("booty stopped", "err", err)
		return 1
	}
	return 0
}

func serveWith(ctx context.Context, cfg *config.Config, log *slog.Logger, started time.Time) error {
	a, err := newApp(ctx, cfg, log, started)
	if err != nil {
		return err
	}
	defer a.close()

	httpSrv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if err := a.start(ctx); err != nil {
		ln.Close()
		return err
	}
	log.Info("booty serving", "addr", ln.Addr().String(), "version", a.version, "release", a.release,
		"environment", cfg.SentryEnvironment, "repo", cfg.Repo(), "dry_run", cfg.DryRun,
		"store", redactURL(cfg.DatabaseURL))
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()

	select {
	case err := <-errc:
		err = fmt.Errorf("http server: %w", err)
		a.apm.CaptureError(ctx, err, map[string]string{"phase": "serve"})
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Fresh contexts: the one we were given is already cancelled.
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	a.stop(shutCtx)
	return nil
}

// app is booty wired together: what serve runs, and what tests boot
// in-process.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	version  string
	release  string
	apm      *apm.Reporter
	store    *store.Store
	jobs     *worker.Client
	handler  http.Handler
	registry *prometheus.Registry
	metrics  *metrics.Metrics

	stopHousekeeping context.CancelFunc
	housekeepingDone chan struct{}
}

func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, started time.Time) (_ *app, err error) {
	a := &app{cfg: cfg, log: log, version: buildVersion(), release: cfg.SentryRelease}
	if a.release == "" {
		a.release = a.version
	}
	// Error reporting comes first, so that whatever fails after it is
	// reported.
	a.apm, err = apm.New(apm.Options{
		DSN:         cfg.SentryDSN,
		Release:     a.release,
		Environment: cfg.SentryEnvironment,
		SampleRate:  cfg.SentrySampleRate,
		Repo:        cfg.Repo(),
		Secrets:     secrets(cfg),
		RequireDSN:  cfg.Production(),
	}, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.apm.CaptureError(ctx, err, map[string]string{"phase": "startup"})
			a.apm.Close()
		}
	}()
	a.store, err = store.OpenWith(ctx, cfg.DatabaseURL, store.Options{Log: log})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.store.Close()
		}
	}()

	a.registry = prometheus.NewRegistry()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics.NewJobsCollector(a.store))
	m := metrics.New(a.registry)
	m.BuildInfo.WithLabelValues(a.version, a.release, cfg.SentryEnvironment).Set(1)
	a.metrics = m

	issues, access, err := newGitHub(cfg, log, a.version, m)
	if err != nil {
		return nil, err
	}
	w := worker.New(worker.Config{
		Issues:   issues,
		Store:    a.store,
		Limiter:  github.NewLimiter(cfg.WritesPerMinute, cfg.WritesPerHour, cfg.WriteInterval),
		Label:    cfg.TriggerLabel,
		Log:      log,
		Failures: jobFailures{a.apm},
		Render:   github.NewRenderer(github.RenderOptions{Host: urlHost(cfg.GitHubAPIURL)}),
	})
	if err := recoverIfEmpty(ctx, a.store, issues, log); err != nil {
		return nil, err
	}
	a.jobs, err = worker.NewClient(a.store, w, log.With("component", "river"), workerConcurrency)
	if err != nil {
		return nil, err
	}
	if n, err := a.store.RequeueOrphans(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		log.Warn("requeued GitHub jobs cut off by the last stop", "count", n)
	}
	lastWebhook, err := a.store.LastDeliveryAt(ctx)
	if err != nil {
		return nil, err
	}
	in := intake.New(alert.NewPipeline(cfg.MinSeverity, cfg.Cooldown), a.store, worker.Enqueuer(a.jobs), redact.Field, log, time.Now)
	a.handler = server.New(server.Options{
		Secret:      []byte(cfg.WebhookSecret),
		MaxBody:     cfg.MaxBody,
		Version:     a.version,
		Release:     a.release,
		Environment: cfg.SentryEnvironment,
		Started:     started,
		LastWebhook: lastWebhook,

		GitHub:            access,
		Sentry:            a.apm.Hub(),
		InternalTestToken: cfg.InternalTestToken,
		Production:        cfg.Production(),
	}, in, a.store, m, a.registry, log).Handler()
	return a, nil
}

// start runs the GitHub worker and the housekeeping.
func (a *app) start(ctx context.Context) error {
	// River stops hard when its context ends; stop() stops it gently.
	if err := a.jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	hkCtx, cancel := context.WithCancel(ctx)
	a.stopHousekeeping, a.housekeepingDone = cancel, make(chan struct{})
	go func() {
		defer close(a.housekeepingDone)
		pruneDeliveries(hkCtx, a.store, a.log)
	}()
	return nil
}

// stop lets running jobs finish within ctx.
func (a *app) stop(ctx context.Context) {
	if a.stopHousekeeping != nil {
		a.stopHousekeeping()
		<-a.housekeepingDone
	}
	if err := a.jobs.Stop(ctx); err != nil {
		a.log.Warn("worker shutdown", "err", err)
	}
}

// close releases the store and sends booty's own errors still in flight,
// waiting at most apm.FlushTimeout.
func (a *app) close() {
	a.store.Close()
	a.apm.Close()
}

// newGitHub returns the GitHub client, and the access check of deep health,
// or in a dry run the stand-in and no check. Every call to GitHub goes
// through the metrics transport.
func newGitHub(cfg *config.Config, log *slog.Logger, ver string, m *metrics.Metrics) (worker.Issues, server.Access, error) {
	if cfg.DryRun {
		log.Info("dry run: GitHub writes are logged, not sent")
		// A text log prints a body as one escaped line: give it the
		// text as a readable block on the same stream instead.
		var text io.Writer
		if _, ok := log.Handler().(*slog.TextHandler); ok {
			text = os.Stderr
		}
		return github.NewDryRun(log, text), nil, nil
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: github.NewTransport(nil, m)}
	c, err := github.NewClient(hc, cfg.GitHubAPIURL, cfg.GitHubToken, cfg.RepoOwner, cfg.RepoName, ver)
	if err != nil {
		return nil, nil, err
	}
	return c, c, nil
}

// jobFailures hands the worker's parked and abandoned jobs to booty's own
// error reporting, so that neither package needs the other's types.
type jobFailures struct{ rep *apm.Reporter }

var _ worker.Failures = jobFailures{}

// JobFailed reports f once to Sentry.
func (f jobFailures) JobFailed(ctx context.Context, jf worker.JobFailure) {
	f.rep.CaptureJobFailure(ctx, apm.JobFailure{
		Kind: jf.Kind, JobID: jf.JobID, ProblemKey: jf.ProblemKey, Attempt: jf.Attempt, Err: jf.Err,
	})
}

// secrets are the configured values that must never reach Sentry.
func secrets(cfg *config.Config) []string {
	s := []string{cfg.WebhookSecret, cfg.GitHubToken, cfg.InternalTestToken}
	if u, err := url.Parse(cfg.DatabaseURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			s = append(s, pw)
		}
	}
	return s
}

func pruneDeliveries(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := st.PruneDeliveries(ctx, time.Now().Add(-deliveryRetention))
		if err != nil && ctx.Err() == nil {
			log.Warn("pruning old delivery records failed", "err", err)
		} else if n > 0 {
			log.Info("pruned old delivery records", "count", n)
		}
		// Dedup remembers counted events as long as their deliveries.
		if _, err := st.PruneEvents(ctx, time.Now().Add(-deliveryRetention)); err != nil && ctx.Err() == nil {
			log.Warn("pruning old counted events failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// urlHost is the host of a URL config has validated.
func urlHost(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Host
	}
	return ""
}

// redactURL hides a password in a database URL.
func redactURL(s string) string {
	driver, _, err := config.ParseDatabaseURL(s)
	if err != nil || driver != "postgres" {
		return s
	}
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "postgres://…"
}
