package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"booty/internal/apm"
	"booty/internal/builder"
	"booty/internal/config"
	"booty/internal/github"
	"booty/internal/intake"
	"booty/internal/metrics"
	"booty/internal/redact"
	"booty/internal/sentryapi"
	"booty/internal/server"
	"booty/internal/store"
	"booty/internal/web"
	"booty/internal/worker"
)

// shutdownTimeout bounds the drain of requests and jobs in flight; the
// unit's TimeoutStopSec leaves room above it.
const shutdownTimeout = 10 * time.Second

// workerConcurrency is how many GitHub jobs run at once. GitHub asks for
// writes one at a time; a few workers cover slow reads and lookups.
const workerConcurrency = 4

// fieldMemoBytes bounds the text of the webhook strings remembered as
// holding no secret: a few thousand distinct frames, a small share of the
// unit's memory.
const fieldMemoBytes = 4 << 20

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

const serveAbout = `Runs the webhook server and the GitHub worker until SIGINT or SIGTERM, then
finishes the requests and jobs in flight and stops. Configuration is read from
the environment (see the README; booty check-config tells what is wrong).

Under systemd socket activation (LISTEN_FDS, deploy/booty.socket) booty serves
on the socket it is given instead of BOOTY_LISTEN, so that connections wait in
the socket's backlog while booty restarts instead of being refused.`

// serve runs booty until ctx ends.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "", serveAbout)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	started := time.Now()
	tuneGC(getenv)
	cfg, err := config.Load(getenv)
	if err != nil {
		printConfigErrors(stderr, err)
		return 1
	}
	log := newLogger(stderr, cfg.LogFormat)
	inherited, err := activation.Listeners()
	if err != nil {
		log.Error("booty could not start", "err", fmt.Errorf("socket activation: %w", err))
		return 1
	}
	ln, err := listen(cfg.Listen, inherited, log)
	if err != nil {
		log.Error("booty could not start", "err", err)
		return 1
	}
	if err := serveWith(ctx, cfg, log, started, ln); err != nil {
		log.Error("booty stopped", "err", err)
		return 1
	}
	return 0
}

// listen returns the socket systemd passed (socket activation), else a new
// listener on addr. Taking the socket before anything else means a second
// booty on the same address fails before it touches the store.
func listen(addr string, inherited []net.Listener, log *slog.Logger) (net.Listener, error) {
	var lns []net.Listener
	for _, l := range inherited {
		if l != nil { // nil: a passed descriptor that is not a listening socket
			lns = append(lns, l)
		}
	}
	switch {
	case len(inherited) == 1 && len(lns) == 1:
		log.Info("serving on the socket systemd passed; BOOTY_LISTEN is not used", "addr", lns[0].Addr().String())
		return lns[0], nil
	case len(inherited) > 0:
		for _, l := range lns {
			l.Close()
		}
		return nil, fmt.Errorf("socket activation passed %d descriptors, %d of them listening sockets; booty takes exactly one (ListenStream= once in booty.socket)", len(inherited), len(lns))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on BOOTY_LISTEN: %w", err)
	}
	return ln, nil
}

// serveWith builds booty and serves on ln until ctx ends or the HTTP server
// fails. ln is closed when it returns.
func serveWith(ctx context.Context, cfg *config.Config, log *slog.Logger, started time.Time, ln net.Listener) error {
	a, err := newApp(ctx, cfg, log, started)
	if err != nil {
		ln.Close()
		return err
	}
	return a.serve(ctx, ln)
}

// serve runs the worker and the HTTP server on ln until ctx ends or the
// server fails, and then stops everything in order, whichever way it ended:
// first the HTTP server (no new deliveries; those in flight commit), then
// the housekeeping and the worker (jobs in flight finish), and last the
// store and error reporting, which the others use until they stop.
func (a *app) serve(ctx context.Context, ln net.Listener) (err error) {
	ln = &onceCloseListener{Listener: ln}
	conns := a.conns
	httpSrv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		ConnState:         conns.track,
	}
	serving := false
	defer func() {
		a.log.Info("shutting down")
		// Fresh context: the one we were given may be cancelled.
		shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if serving {
			drain(shutCtx, httpSrv, ln, conns, a.log)
		} else {
			ln.Close()
		}
		a.stop(shutCtx)
		a.close()
	}()

	if err := a.start(ctx); err != nil {
		return err
	}
	a.log.Info("booty serving", "addr", ln.Addr().String(), "version", a.version, "release", a.release,
		"environment", a.cfg.SentryEnvironment, "repo", a.cfg.Repo(), "dry_run", a.cfg.DryRun,
		"store", config.RedactDatabaseURL(a.cfg.DatabaseURL), "replica", a.replica)
	errc := make(chan error, 1)
	serving = true
	go func() { errc <- httpSrv.Serve(ln) }()

	select {
	case err := <-errc:
		err = fmt.Errorf("http server: %w", err)
		a.apm.CaptureError(ctx, err, map[string]string{"phase": "serve"})
		return err
	case <-ctx.Done():
		return nil
	}
}

// drain stops the HTTP server without dropping a request. http.Server's
// Shutdown alone drops a request it reads after Shutdown began, closing the
// connection unanswered (fine for a browser, which retries; Sentry does
// not). So booty first stops accepting, leaving new connections in the
// socket's backlog for the next booty under socket activation, and turns
// keep-alive off, so every connection closes after its answer; it waits
// until no connection has a request unread or unanswered; and only then
// calls Shutdown.
func drain(ctx context.Context, srv *http.Server, ln net.Listener, conns *connTracker, log *slog.Logger) {
	srv.SetKeepAlivesEnabled(false)
	ln.Close()
	if err := conns.wait(ctx); err != nil {
		log.Warn("http shutdown: requests still running", "count", conns.count(), "err", err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
}

// connTracker knows the connections with a request to finish: accepted and
// not yet read (new), or being answered (active).
type connTracker struct {
	mu   sync.Mutex
	busy map[net.Conn]struct{}
}

// track is the server's ConnState hook.
func (c *connTracker) track(conn net.Conn, state http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch state {
	case http.StateNew, http.StateActive:
		c.busy[conn] = struct{}{}
	default:
		delete(c.busy, conn)
	}
}

func (c *connTracker) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.busy)
}

// wait returns when no connection is busy, or with ctx's error.
func (c *connTracker) wait(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for c.count() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// onceCloseListener lets drain and Shutdown both close the listener.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// app is booty wired together: what serve runs, and what tests boot
// in-process.
type app struct {
	cfg     *config.Config
	log     *slog.Logger
	version string
	release string
	// replica names this process among those sharing the store.
	replica  string
	apm      *apm.Reporter
	store    *store.Store
	jobs     *worker.Client
	handler  http.Handler
	registry *prometheus.Registry
	metrics  *metrics.Metrics

	// access is the GitHub access check of deep health; nil in a dry run.
	access server.Access
	// conns are the HTTP connections with a request to finish.
	conns *connTracker

	// recoverFrom is what an empty store rebuilds its problem → issue map
	// from while the worker's jobs are held; nil when there is nothing to
	// recover.
	recoverFrom []repoIssues
	// recovered is set once the jobs may touch GitHub.
	recovered atomic.Bool

	// identity is booty's own GitHub login, learnt at startup ("" until
	// then): issues webhooks it caused are not followed.
	identity atomic.Value
	// creator asks GitHub for that login; nil in a dry run.
	creator interface {
		Creator(ctx context.Context) (string, error)
	}

	stopHousekeeping context.CancelFunc
	housekeepingDone sync.WaitGroup
}

func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, started time.Time) (_ *app, err error) {
	a := &app{cfg: cfg, log: log, version: buildVersion(), release: cfg.SentryRelease, replica: replicaID(),
		conns: &connTracker{busy: map[net.Conn]struct{}{}}}
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
		metrics.NewJobsCollector(a.store), metrics.NewStormCollector(storms{a.store, cfg.Routes, time.Now}))
	m := metrics.New(a.registry)
	m.BuildInfo.WithLabelValues(a.version, a.release, cfg.SentryEnvironment).Set(1)
	a.metrics = m

	gh, err := newGitHub(cfg, log, a.version, m)
	if err != nil {
		return nil, err
	}
	issues, access := gh.issues, gh.access
	a.access = access
	// The write budget lives in the store, on either backend: replicas
	// sharing a database share it, and a rate limit pause stops them all.
	budget := a.store.WriteBudget(store.NewWritePolicy(cfg.WritesPerMinute, cfg.WritesPerHour, cfg.WriteInterval))
	var sentryAPI worker.Sentry
	if cfg.Lifecycle.SyncSentry {
		c, err := sentryapi.New(sentryapi.Config{BaseURL: cfg.SentryAPIURL, Org: cfg.SentryOrg, Token: cfg.SentryAPIToken,
			UserAgent: "booty/" + a.version})
		if err != nil {
			return nil, err
		}
		sentryAPI = c
	}
	w := worker.New(worker.Config{
		Issues:      issues,
		DefaultRepo: cfg.Repo(),
		IssuesFor:   gh.issuesFor,
		Repos:       routedRepos(cfg),
		Store:       a.store,
		Budget:      budget,
		Label:       cfg.TriggerLabel,
		Log:         log,
		Failures:    jobFailures{a.apm},
		Render:      github.NewRenderer(github.RenderOptions{Host: urlHost(cfg.GitHubAPIURL), Repo: cfg.Repo(), Routes: cfg.Routes}),
		Hold:        a.holdJobs,
		Sentry:      sentryAPI,
		Policy:      cfg.Lifecycle,
		Builder:     workerBuilder(cfg),
		RunMetrics:  m,
		DigestEvery: cfg.Routes.DigestEvery,
		StormQuiet:  cfg.Routes.StormQuiet,
	})
	if a.recoverFrom, err = needsRecovery(ctx, a.store, cfg, issues, gh.issuesFor); err != nil {
		return nil, err
	}
	a.jobs, err = worker.NewClient(a.store, w, log.With("component", "river"), workerConcurrency, worker.WithID(a.replica))
	if err != nil {
		return nil, err
	}
	// On SQLite this booty is the file's only process, so whatever was
	// running was cut off by its last stop. On PostgreSQL another replica
	// may be running it: River's rescuer takes over a dead replica's jobs.
	if a.store.Backend() == store.SQLite {
		if n, err := a.store.RequeueOrphans(ctx); err != nil {
			return nil, err
		} else if n > 0 {
			log.Warn("requeued GitHub jobs cut off by the last stop", "count", n)
		}
	}
	lastWebhook, err := a.store.LastDeliveryAt(ctx)
	if err != nil {
		return nil, err
	}
	// A storm repeats one stack trace in every delivery: its strings are
	// redacted once, not once a delivery.
	fields := redact.NewMemo(redact.Field, fieldMemoBytes)
	in := intake.NewRouted(cfg.Routes, a.store, worker.Enqueuer(a.jobs), fields.String, log, time.Now).
		WithLifecycle(cfg.Lifecycle, worker.NoteEnqueuer(a.jobs)).WithTicks(worker.TickScheduler(a.jobs))
	var githubHooks server.GitHubReceiver
	var githubSecrets [][]byte
	if cfg.GitHubWebhookSecret != "" {
		a.identity.Store("")
		if c, ok := issues.(interface {
			Creator(ctx context.Context) (string, error)
		}); ok {
			a.creator = c
		}
		var syncs intake.SyncFunc
		if cfg.Lifecycle.SyncSentry {
			syncs = worker.SentrySyncEnqueuer(a.jobs)
		}
		githubHooks = intake.NewGitHub(a.store, func() string { return a.identity.Load().(string) }, cfg.Repo(), log, time.Now).
			WithLifecycle(cfg.Lifecycle, worker.NoteEnqueuer(a.jobs), syncs, routedRepo(cfg)).WithTicks(worker.TickScheduler(a.jobs))
		if cfg.Builder != nil {
			githubHooks.(*intake.GitHub).WithBuilds(worker.BuildEnqueuer(a.jobs), triggerLabel(cfg))
			if len(cfg.Builder.TestCommand) > 0 {
				githubHooks.(*intake.GitHub).WithVerifier(worker.VerifyEnqueuer(a.jobs))
			}
		}
		githubSecrets = [][]byte{[]byte(cfg.GitHubWebhookSecret)}
	}
	a.handler = server.New(server.Options{
		Secret:      []byte(cfg.WebhookSecret),
		MaxBody:     cfg.MaxBody,
		Version:     a.version,
		Release:     a.release,
		Environment: cfg.SentryEnvironment,
		Started:     started,
		LastWebhook: lastWebhook,
		Backend:     string(a.store.Backend()),
		Replica:     a.replica,
		Storms:      storms{a.store, cfg.Routes, time.Now}.Routes,

		GitHubHooks:   githubHooks,
		GitHubSecrets: githubSecrets,

		GitHub:            access,
		Sentry:            a.apm.Hub(),
		InternalTestToken: cfg.InternalTestToken,
		Production:        cfg.Production(),
		Status:            statusPage(cfg, a, log),
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
	a.stopHousekeeping = cancel
	if a.recoverFrom != nil {
		a.housekeepingDone.Go(func() {
			recoverThenRelease(hkCtx, a.store, a.recoverFrom, a.log, func() { a.recovered.Store(true) })
		})
	}
	a.housekeepingDone.Go(func() { pruneDeliveries(hkCtx, a.store, a.cfg.DeliveryRetention, a.log) })
	if a.access != nil {
		a.housekeepingDone.Go(func() { checkAccessAtStart(hkCtx, a.access, a.cfg, a.log) })
	}
	if a.creator != nil {
		a.housekeepingDone.Go(func() { a.learnIdentity(hkCtx) })
	}
	return nil
}

// workerBuilder is the worker's builder configuration, nil unless
// BOOTY_BUILDER=command.
func workerBuilder(cfg *config.Config) *worker.Builder {
	b := cfg.Builder
	if b == nil {
		return nil
	}
	return &worker.Builder{
		Command: b.Command, Timeout: b.Timeout, Pass: b.Env, Concurrency: b.Concurrency,
		Limits: builder.Limits{MaxFiles: b.MaxFiles, MaxLines: b.MaxLines,
			Protected: append(slices.Clone(builder.DefaultProtected), b.Protected...)},
		GitURL: b.GitURL, AnyIssue: b.AnyIssue, TestCommand: b.TestCommand,
		MaxAttempts: b.MaxAttempts, RunLink: runLink(b.PublicURL), Trigger: triggerLabel(cfg),
		Author: builder.Author{Name: "booty", Email: "booty@users.noreply.github.com"},
		Getenv: os.Getenv,
	}
}

// runLink links a run's page on the status page at public
// (BOOTY_PUBLIC_URL); nil when it is not set.
func runLink(public string) func(id int64) string {
	if public == "" {
		return nil
	}
	return func(id int64) string { return public + web.RunPath(id) }
}

// triggerLabel is the label that hands a problem of route to the builder.
func triggerLabel(cfg *config.Config) func(route string) string {
	return func(route string) string {
		if r := cfg.Routes.Lookup(route); r != nil && r.TriggerLabel != "" {
			return r.TriggerLabel
		}
		return cfg.TriggerLabel
	}
}

// routedRepo says whether booty's routes file into repository "OWNER/NAME":
// an issue transferred there is followed.
func routedRepo(cfg *config.Config) func(repo string) bool {
	return func(repo string) bool {
		if strings.EqualFold(repo, cfg.Repo()) {
			return true
		}
		for _, r := range cfg.Routes.Routes {
			if !r.Drop && strings.EqualFold(r.Repo.String(), repo) {
				return true
			}
		}
		return false
	}
}

// learnIdentity asks GitHub for booty's own login until it answers, so
// that the GitHub webhook can tell booty's own actions from people's
// without calling GitHub itself.
func (a *app) learnIdentity(ctx context.Context) {
	for {
		cctx, cancel := context.WithTimeout(ctx, accessCheckTimeout)
		login, err := a.creator.Creator(cctx)
		cancel()
		if err == nil {
			a.identity.Store(login)
			a.log.Info("GitHub identity known: its own issues events are not followed", "login", login)
			return
		}
		a.log.Warn("cannot learn booty's GitHub login; trying again in a minute", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Minute):
		}
	}
}

// holdJobs keeps the worker's jobs from GitHub while an empty store is
// being rebuilt from it.
func (a *app) holdJobs() time.Duration {
	if a.recoverFrom == nil || a.recovered.Load() {
		return 0
	}
	return 5 * time.Second
}

// checkAccessAtStart makes deep health's GitHub check once and warns when it
// fails. booty serves either way: GitHub may be down for a while, and alerts
// accepted meanwhile wait in the store.
func checkAccessAtStart(ctx context.Context, access server.Access, cfg *config.Config, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, accessCheckTimeout)
	defer cancel()
	if err := access.CheckAccess(ctx); err != nil && ctx.Err() == nil {
		log.Warn("GitHub access check failed: booty accepts alerts but cannot file issues until this is fixed "+
			"(booty check-config --github tells again)", "repo", cfg.Repo(), "api", cfg.GitHubAPIURL, "err", err)
		return
	}
	log.Info("GitHub access check ok", "repo", cfg.Repo())
}

// stop lets running jobs finish within ctx; past it, they are cancelled, so
// that the worker has stopped for sure before the store closes.
func (a *app) stop(ctx context.Context) {
	if a.stopHousekeeping != nil {
		a.stopHousekeeping()
	}
	a.housekeepingDone.Wait()
	if err := a.jobs.Stop(ctx); err != nil {
		a.log.Warn("worker shutdown: cancelling the jobs still running", "err", err)
		hardCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.jobs.StopAndCancel(hardCtx); err != nil {
			a.log.Error("worker did not stop", "err", err)
		}
	}
}

// close releases the store and sends booty's own errors still in flight,
// waiting at most apm.FlushTimeout.
func (a *app) close() {
	a.store.Close()
	a.apm.Close()
}

// gitHub is booty's way to GitHub: the default repository's client, the
// clients of the other routed repositories, and deep health's access check.
type gitHub struct {
	issues worker.Issues
	// issuesFor is nil in a dry run, where every write is logged alike.
	issuesFor worker.IssuesFor
	// access is nil in a dry run.
	access server.Access
}

// newGitHub returns the GitHub clients, and the access check of deep
// health over every routed repository, or in a dry run the stand-in and
// no check. Every call to GitHub goes through the metrics transport.
func newGitHub(cfg *config.Config, log *slog.Logger, ver string, m *metrics.Metrics) (gitHub, error) {
	if cfg.DryRun {
		log.Info("dry run: GitHub writes are logged, not sent")
		// A text log prints a body as one escaped line: give it the
		// text as a readable block on the same stream instead.
		var text io.Writer
		if _, ok := log.Handler().(*slog.TextHandler); ok {
			text = os.Stderr
		}
		return gitHub{issues: github.NewDryRun(log, text)}, nil
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: github.NewTransport(nil, m)}
	clients, err := newClients(cfg, hc, ver)
	if err != nil {
		return gitHub{}, err
	}
	if cfg.GitHubApp != nil {
		log.Info("filing as a GitHub App", "app_id", cfg.GitHubApp.ID)
	}
	c, err := clients.ClientFor(context.Background(), cfg.RepoOwner, cfg.RepoName)
	if err != nil {
		return gitHub{}, err
	}
	issuesFor := func(ctx context.Context, repo string) (worker.Issues, error) {
		owner, name, ok := strings.Cut(repo, "/")
		if !ok {
			return nil, fmt.Errorf("repository %q is not OWNER/NAME", repo)
		}
		return clients.ClientFor(ctx, owner, name)
	}
	return gitHub{issues: c, issuesFor: issuesFor, access: github.NewAccess(clients, accessRepos(cfg)...)}, nil
}

// accessRepos are routedRepos for deep health's access check.
func accessRepos(cfg *config.Config) []github.Repo {
	var repos []github.Repo
	for _, r := range routedRepos(cfg) {
		owner, name, _ := strings.Cut(r, "/")
		repos = append(repos, github.Repo{Owner: owner, Name: name})
	}
	return repos
}

// routedRepos returns the repositories booty files into, "OWNER/NAME", each
// once: the default repository (TARGET_REPO_URL), then those of the
// routes that file, in the routes file's order.
func routedRepos(cfg *config.Config) []string {
	repos := []string{cfg.Repo()}
	seen := map[string]bool{strings.ToLower(cfg.Repo()): true}
	if cfg.Routes == nil {
		return repos
	}
	for _, r := range cfg.Routes.Routes {
		name := r.Repo.String()
		if r.Drop || name == "" || seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		repos = append(repos, name)
	}
	return repos
}

// newClients returns the GitHub clients of cfg's identity: its GitHub App,
// else its token.
func newClients(cfg *config.Config, hc *http.Client, ver string) (*github.Clients, error) {
	if app := cfg.GitHubApp; app != nil {
		return github.NewAppClients(hc, cfg.GitHubAPIURL, github.App{ID: app.ID, Key: app.Key}, ver)
	}
	return github.NewTokenClients(hc, cfg.GitHubAPIURL, cfg.GitHubToken, ver), nil
}

// jobFailures hands the worker's parked and abandoned jobs to booty's own
// error reporting, so that neither package needs the other's types.
type jobFailures struct{ rep *apm.Reporter }

var _ worker.Failures = jobFailures{}

// JobFailed reports f once to Sentry.
func (f jobFailures) JobFailed(ctx context.Context, jf worker.JobFailure) {
	f.rep.CaptureJobFailure(ctx, apm.JobFailure{
		Kind: jf.Kind, JobID: jf.JobID, ProblemKey: jf.ProblemKey, Attempt: jf.Attempt, Err: jf.Err,
		Repo: jf.Repo, Issue: jf.Issue, BuildAttempt: jf.BuildAttempt,
	})
}

// secrets are the configured values that must never reach Sentry.
func secrets(cfg *config.Config) []string {
	s := []string{cfg.WebhookSecret, cfg.GitHubToken, cfg.InternalTestToken}
	if cfg.GitHubApp != nil {
		s = append(s, cfg.GitHubApp.KeyPEM)
	}
	if u, err := url.Parse(cfg.DatabaseURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			s = append(s, pw)
		}
	}
	return s
}

// pruneDeliveries deletes, every hour, the delivery records and counted
// events older than retention (BOOTY_DELIVERY_RETENTION); problems are
// kept for good.
func pruneDeliveries(ctx context.Context, st *store.Store, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := st.PruneDeliveries(ctx, time.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			log.Warn("pruning old delivery records failed", "err", err)
		} else if n > 0 {
			log.Info("pruned old delivery records", "count", n)
		}
		// Dedup remembers counted events as long as their deliveries.
		if _, err := st.PruneEvents(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
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

// replicaID names this process among the replicas sharing a store: its host
// and process id, which tell two replicas apart on one machine too.
func replicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "booty"
	}
	// River's client id takes at most 100 characters.
	return fmt.Sprintf("%.80s-%d", host, os.Getpid())
}

// statusPage is the status page and JSON API when BOOTY_STATUS_TOKEN is
// set; nil (off) when not.
func statusPage(cfg *config.Config, a *app, log *slog.Logger) http.Handler {
	if cfg.StatusToken == "" {
		return nil
	}
	links := web.NewIssueLinks(cfg.Repo(), cfg.GitHubAPIURL)
	spool := worker.NewSpool(a.jobs)
	return web.New(web.Options{
		Store: a.store, Token: cfg.StatusToken,
		Version: a.version, Release: a.release, Environment: cfg.SentryEnvironment, Backend: string(a.store.Backend()),
		DefaultRepo: links.DefaultRepo, WebHost: links.Web,
		Storms: storms{a.store, cfg.Routes, time.Now}.Routes,
		Parked: func(ctx context.Context) ([]web.ParkedJob, error) {
			list, err := spool.List(ctx)
			out := make([]web.ParkedJob, 0, len(list))
			for _, p := range list {
				out = append(out, web.ParkedJob{ID: p.ID, ProblemKey: p.ProblemKey, Action: string(p.Action), State: p.State,
					StoppedAt: p.StoppedAt, LastError: p.LastError})
			}
			return out, err
		},
		Log: log.With("component", "status"),
	})
}
