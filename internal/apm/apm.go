// Package apm is booty's own error reporting: sentry-go set up from the
// configuration, everything secret scrubbed before an event leaves the
// process, and the one helper every job failure handler reports through.
//
// booty never uses sentry-go's global hub: a Reporter owns its client and
// hub, and the HTTP server clones that hub per request.
package apm

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/getsentry/sentry-go"
)

// FlushTimeout bounds how long shutdown waits for events still in flight.
const FlushTimeout = 2 * time.Second

// ErrNoDSN is returned by New when Options.RequireDSN is set and there is no
// DSN: booty must not run in production with its own errors unreported.
var ErrNoDSN = errors.New("SENTRY_DSN is required when SENTRY_ENVIRONMENT is production or prod")

// Options configure a Reporter.
type Options struct {
	// DSN is the Sentry DSN; empty turns reporting off, unless
	// RequireDSN is set.
	DSN string
	// RequireDSN makes New refuse to run without a DSN. main sets it for
	// a production deployment (config.Config.Production), which the
	// configuration alone decides.
	RequireDSN bool
	// Release and Environment are what every event is tagged with.
	Release     string
	Environment string
	// SampleRate is the share of error events sent, from 0 to 1. 0 sends
	// nothing (unlike sentry-go, where 0 means 1): an operator who sets
	// SENTRY_SAMPLE_RATE=0 means it.
	SampleRate float64
	// Repo is the target repository, OWNER/REPO, tagged on job failures.
	Repo string
	// Secrets are values that must never leave in an event: the webhook
	// secret, the GitHub token, the internal test token. Empty ones are
	// ignored.
	Secrets []string
}

// Reporter sends booty's own errors to Sentry. Its methods are safe for
// concurrent use, and safe to call when reporting is off: they then do
// nothing.
type Reporter struct {
	client *sentry.Client // nil when reporting is off
	hub    *sentry.Hub
	repo   string
	log    *slog.Logger
}

// New sets up reporting. Without a DSN it returns a Reporter that reports
// nothing, after one log line saying so, or ErrNoDSN when opts.RequireDSN
// is set. No tracing is set up: booty sends
// errors only.
func New(opts Options, log *slog.Logger) (*Reporter, error) {
	r := &Reporter{repo: opts.Repo, log: log}
	if opts.DSN == "" {
		if opts.RequireDSN {
			return nil, ErrNoDSN
		}
		r.hub = sentry.NewHub(nil, sentry.NewScope())
		log.Info("error reporting off: SENTRY_DSN is not set", "environment", opts.Environment)
		return r, nil
	}
	s := newScrubber(opts.Secrets)
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:         opts.DSN,
		Release:     opts.Release,
		Environment: opts.Environment,
		SampleRate:  opts.SampleRate,
		BeforeSend:  s.beforeSend,
		// Transactions are never sampled; BeforeSendTransaction scrubs
		// anyway in case a later change turns tracing on.
		BeforeSendTransaction: s.beforeSend,
		DataCollection:        dataCollection(),
		// The default GlobalTags integration reads SENTRY_TAGS_* from the
		// process environment; booty reads its environment in one place.
		Integrations: func(in []sentry.Integration) []sentry.Integration {
			out := in[:0]
			for _, i := range in {
				if i.Name() != "GlobalTags" {
					out = append(out, i)
				}
			}
			return out
		},
	})
	if err != nil {
		// sentry-go's parse errors can quote the DSN, and the DSN
		// carries the project key.
		return nil, errors.New("SENTRY_DSN is not a valid Sentry DSN (https://KEY@HOST/PROJECT_ID)")
	}
	if opts.SampleRate <= 0 {
		client.Close()
		r.hub = sentry.NewHub(nil, sentry.NewScope())
		log.Warn("error reporting off: SENTRY_SAMPLE_RATE is 0", "environment", opts.Environment)
		return r, nil
	}
	r.client = client
	r.hub = sentry.NewHub(client, sentry.NewScope())
	log.Info("error reporting on", "environment", opts.Environment, "release", opts.Release, "sample_rate", client.Options().SampleRate)
	return r, nil
}

// dataCollection keeps what sentry-go gathers from a request to what helps
// read an error: no bodies, no cookies, no client address, and only
// headers known to hold nothing secret. BeforeSend checks again.
func dataCollection() *sentry.DataCollection {
	return &sentry.DataCollection{
		UserInfo:   sentry.Set(false),
		Cookies:    &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff},
		HTTPBodies: []sentry.BodyType{},
		HTTPHeaders: &sentry.HeaderCollectionConfig{
			Request:  &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionAllowList, Terms: safeHeaders},
			Response: &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionAllowList, Terms: safeHeaders},
		},
	}
}

// Enabled reports whether events are sent.
func (r *Reporter) Enabled() bool { return r.client != nil }

// Hub returns the hub events are captured on. Callers that add request
// data Clone it first, as the HTTP server does per request.
func (r *Reporter) Hub() *sentry.Hub { return r.hub }

// CaptureError reports err with tags and returns the event's ID, or "" when
// nothing was sent (reporting off, sampled out or dropped). It uses the hub
// on ctx when there is one, so an error in a request carries the request.
func (r *Reporter) CaptureError(ctx context.Context, err error, tags map[string]string) string {
	hub := sentry.GetHubFromContext(ctx)
	if hub == nil {
		hub = r.hub.Clone()
	}
	var id *sentry.EventID
	hub.WithScope(func(scope *sentry.Scope) {
		scope.SetTags(tags)
		id = hub.CaptureException(err)
	})
	if id == nil {
		return ""
	}
	return string(*id)
}

// JobError is how a job that stopped for good is reported: Sentry names the
// issue after its type, whatever the underlying error was.
type JobError struct {
	Kind string
	Err  error
}

func (e *JobError) Error() string { return e.Kind + " job stopped for good: " + e.Err.Error() }

// Unwrap returns the error the job stopped with.
func (e *JobError) Unwrap() error { return e.Err }

// JobFailure is a job that stopped for good: it parked or gave up.
type JobFailure struct {
	Kind       string
	JobID      int64
	ProblemKey string
	Attempt    int
	Err        error
	// Repo, Issue and BuildAttempt are a build or verify job's: its
	// repository, issue and build attempt. Zero for other jobs.
	Repo         string
	Issue        int
	BuildAttempt int
}

// CaptureJobFailure reports a job that parked or gave up, tagged with
// job_kind, job_id, problem_key, repo and attempt, and a build or verify
// job's issue_number (its attempt is then the build's, and job_attempt
// River's). It is called once per
// such job; transient failures that will be retried never reach it, so an
// outage of GitHub is one event per job, not one per attempt.
func (r *Reporter) CaptureJobFailure(ctx context.Context, f JobFailure) {
	err := f.Err
	if err == nil {
		err = errors.New("no error given")
	}
	tags := map[string]string{
		"job_kind":    f.Kind,
		"job_id":      strconv.FormatInt(f.JobID, 10),
		"problem_key": f.ProblemKey,
		"repo":        r.repo,
		"attempt":     strconv.Itoa(f.Attempt),
	}
	if f.Repo != "" {
		tags["repo"] = f.Repo
	}
	if f.Issue > 0 {
		tags["issue_number"] = strconv.Itoa(f.Issue)
	}
	if f.BuildAttempt > 0 {
		// The build attempt is what a person counts; River's attempt of
		// the job stays apart.
		tags["attempt"], tags["job_attempt"] = strconv.Itoa(f.BuildAttempt), strconv.Itoa(f.Attempt)
	}
	id := r.CaptureError(ctx, &JobError{Kind: f.Kind, Err: err}, tags)
	if id != "" {
		r.log.Info("job failure reported to Sentry", "job_id", f.JobID, "event_id", id)
	}
}

// Flush waits up to timeout for events in flight and reports whether all
// were sent. With reporting off it returns true at once.
func (r *Reporter) Flush(timeout time.Duration) bool {
	if r.client == nil {
		return true
	}
	return r.client.Flush(timeout)
}

// Close sends what is still in flight, waiting at most FlushTimeout, and
// stops the client. It is called once, at shutdown.
func (r *Reporter) Close() {
	if r.client == nil {
		return
	}
	deadline := time.Now().Add(FlushTimeout)
	if !r.client.Flush(FlushTimeout) {
		r.log.Warn("error reporting: some events were not sent before shutdown", "waited", FlushTimeout)
	}
	// Close waits for sentry-go's sender, up to its own five seconds when
	// Sentry does not answer; shutdown does not wait that long.
	done := make(chan struct{})
	go func() {
		r.client.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(max(time.Until(deadline), 100*time.Millisecond)):
	}
}
