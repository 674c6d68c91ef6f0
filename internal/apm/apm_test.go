package apm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	"github.com/google/go-cmp/cmp"

	"booty/internal/apm"
	"booty/internal/apm/apmtest"
)

// Distinctive secrets: if any of them shows up in what the stand-in
// received, a scrubber let it through.
const (
	webhookSecret = "whsec-5f1c0ffee-SECRET-webhook"
	githubToken   = "ghp_T0kenT0kenT0kenT0kenT0kenT0ken12"
	internalToken = "itok-9d2b-INTERNAL-test-token"
	signature     = "a3f9c2e1d4b5a6978877665544332211aabbccddeeff00112233445566778899"
	authorization = "Bearer auth-header-value-7e6d5c4b"
	bodyMarker    = "request-body-marker-0b5e"
)

type bundle struct {
	sentry *apmtest.Server
	rep    *apm.Reporter
	logs   *bytes.Buffer
}

func setup(t *testing.T, opts apm.Options) bundle {
	t.Helper()
	b := bundle{sentry: apmtest.NewServer(t), logs: new(bytes.Buffer)}
	if opts.DSN == "-" {
		opts.DSN = ""
	} else if opts.DSN == "" {
		opts.DSN = b.sentry.DSN
	}
	if opts.SampleRate == 0 {
		opts.SampleRate = 1
	}
	rep, err := apm.New(opts, slog.New(slog.NewJSONHandler(b.logs, nil)))
	if err != nil {
		t.Fatalf("apm.New: %v", err)
	}
	b.rep = rep
	t.Cleanup(rep.Close)
	return b
}

// flush waits for the events in flight; sentry-go sends asynchronously.
func (b bundle) flush(t *testing.T) {
	t.Helper()
	if !b.rep.Flush(apm.FlushTimeout) {
		t.Fatalf("events not delivered within %s", apm.FlushTimeout)
	}
}

func TestJobFailedIsCapturedWithTags(t *testing.T) {
	t.Parallel()
	b := setup(t, apm.Options{Release: "rel-1.2.3", Environment: "staging", Repo: "acme/shop"})
	cause := errors.New("github answered 422: Validation Failed")
	b.rep.CaptureJobFailure(t.Context(), apm.JobFailure{Kind: "github_issue", JobID: 42, ProblemKey: "4711", Attempt: 3, Err: cause})
	b.flush(t)

	evs := b.sentry.Events()
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1:\n%s", len(evs), b.sentry)
	}
	ev := evs[0]
	if ev.Release != "rel-1.2.3" || ev.Environment != "staging" {
		t.Errorf("got release %q environment %q, want rel-1.2.3 staging", ev.Release, ev.Environment)
	}
	if !ev.HasExceptionType("*apm.JobError") {
		t.Errorf("exception types %+v, want one *apm.JobError", ev.Exception)
	}
	if !strings.Contains(string(ev.Raw), "Validation Failed") {
		t.Errorf("event does not carry the cause: %s", ev.Raw)
	}
	want := map[string]string{"job_kind": "github_issue", "job_id": "42", "problem_key": "4711", "repo": "acme/shop", "attempt": "3"}
	got := make(map[string]string)
	for k := range want {
		got[k] = ev.Tags[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestCaptureErrorReturnsEventID(t *testing.T) {
	t.Parallel()
	b := setup(t, apm.Options{Release: "r", Environment: "development"})
	id := b.rep.CaptureError(t.Context(), errors.New("boom"), map[string]string{"component": "test"})
	b.flush(t)
	evs := b.sentry.Events()
	if len(evs) != 1 || id == "" || evs[0].ID != id {
		t.Fatalf("got id %q and events %+v, want one event with that id", id, evs)
	}
	if got := evs[0].Tags["component"]; got != "test" {
		t.Errorf("tag component: got %q, want test", got)
	}
}

// TestNothingSecretArrives captures an error in a request that carries every
// secret booty knows, in its headers, body, query, message, tags and
// breadcrumbs, and searches every byte the stand-in received.
func TestNothingSecretArrives(t *testing.T) {
	t.Parallel()
	b := setup(t, apm.Options{
		Release: "r", Environment: "production", Repo: "acme/shop",
		Secrets: []string{webhookSecret, githubToken, internalToken},
	})

	body := `{"action":"triggered","secret":"` + webhookSecret + `","marker":"` + bodyMarker + `"}`
	req := httptest.NewRequest(http.MethodPost, "/webhooks/sentry?token="+internalToken, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sentry/24.1 (https://sentry.io)")
	req.Header.Set("Sentry-Hook-Resource", "event_alert")
	req.Header.Set("Sentry-Hook-Signature", signature)
	req.Header.Set("Authorization", authorization)
	req.Header.Set("X-Internal-Token", internalToken)
	req.Header.Set("Cookie", "session="+githubToken)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.RemoteAddr = "203.0.113.9:4711"

	hub := b.rep.Hub().Clone()
	hub.Scope().SetRequest(req)
	// Read the body the way a handler does, so sentry-go's copy of it is
	// filled too.
	if _, err := io.ReadAll(req.Body); err != nil {
		t.Fatal(err)
	}
	hub.AddBreadcrumb(&sentry.Breadcrumb{Message: "calling GitHub with token " + githubToken, Data: map[string]any{
		"authorization": authorization, "note": "secret is " + webhookSecret,
	}}, nil)
	hub.Scope().SetTag("github_token", githubToken)
	hub.Scope().SetContext("booty", sentry.Context{"nested": map[string]any{"value": "internal " + internalToken}})
	ctx := sentry.SetHubOnContext(t.Context(), hub)
	err := fmt.Errorf("create issue with %s and secret %s: %w", authorization, webhookSecret,
		errors.New("token "+githubToken+" rejected; signature "+signature))
	if id := b.rep.CaptureError(ctx, err, map[string]string{"note": "X-Internal-Token " + internalToken}); id == "" {
		t.Fatal("nothing captured")
	}
	b.flush(t)

	got := b.sentry.Received()
	for name, secret := range map[string]string{
		"webhook secret": webhookSecret, "GitHub token": githubToken, "internal token": internalToken,
		"signature": signature, "Authorization": "auth-header-value-7e6d5c4b", "request body": bodyMarker,
		"client address": "203.0.113.9",
	} {
		if bytes.Contains(got, []byte(secret)) {
			t.Errorf("the %s reached Sentry:\n%s", name, got)
		}
	}
	// The event still says where it happened: the scrubbing kept what is
	// safe, so the checks above looked at a real request.
	evs := b.sentry.Events()
	if len(evs) != 1 || evs[0].Request == nil {
		t.Fatalf("got %d events, want 1 with its request", len(evs))
	}
	r := evs[0].Request
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL, "/webhooks/sentry") || r.Headers["Sentry-Hook-Resource"] != "event_alert" {
		t.Errorf("request lost its safe parts: %+v", r)
	}
	for _, h := range []string{"Authorization", "Sentry-Hook-Signature", "X-Internal-Token", "Cookie", "X-Forwarded-For"} {
		if _, ok := r.Headers[h]; ok {
			t.Errorf("header %s arrived", h)
		}
	}
	if len(r.Data) != 0 {
		t.Errorf("request body arrived: %s", r.Data)
	}
}

func TestOffWithoutDSN(t *testing.T) {
	t.Parallel()
	b := setup(t, apm.Options{DSN: "-", Environment: "development"})
	if b.rep.Enabled() {
		t.Error("Enabled: got true, want false")
	}
	if id := b.rep.CaptureError(t.Context(), errors.New("boom"), nil); id != "" {
		t.Errorf("CaptureError: got id %q, want none", id)
	}
	b.rep.CaptureJobFailure(t.Context(), apm.JobFailure{Kind: "github_issue", Err: errors.New("x")})
	if !b.rep.Flush(0) {
		t.Error("Flush with reporting off: got false, want true")
	}
	if n := strings.Count(b.logs.String(), "error reporting off"); n != 1 {
		t.Errorf("got %d log lines saying reporting is off, want 1:\n%s", n, b.logs)
	}
	if n := len(b.sentry.Events()); n != 0 {
		t.Errorf("got %d events, want 0", n)
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts apm.Options
		want string
	}{
		{"DSN required and missing", apm.Options{Environment: "production", RequireDSN: true}, "SENTRY_DSN is required"},
		{"bad DSN", apm.Options{DSN: "ftp://sekrit-key@sentry.example/1", Environment: "development"}, "not a valid Sentry DSN"},
		{"DSN without project", apm.Options{DSN: "https://sekrit-key@sentry.example/", Environment: "development"}, "not a valid Sentry DSN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			_, err := apm.New(tc.opts, slog.New(slog.NewTextHandler(&logs, nil)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "sekrit") || strings.Contains(logs.String(), "sekrit") {
				t.Errorf("the DSN's key leaked: %v / %s", err, logs.String())
			}
		})
	}
	if _, err := apm.New(apm.Options{RequireDSN: true}, slog.New(slog.DiscardHandler)); !errors.Is(err, apm.ErrNoDSN) {
		t.Errorf("got %v, want ErrNoDSN", err)
	}
}

// TestEnvironmentDoesNotRequireDSN: whether a DSN is required is main's
// decision (RequireDSN), not a second reading of the environment name.
func TestEnvironmentDoesNotRequireDSN(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"production", "prod", "staging"} {
		rep, err := apm.New(apm.Options{Environment: env}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Errorf("New(Environment %q) without RequireDSN: %v, want reporting off", env, err)
			continue
		}
		if rep.Enabled() {
			t.Errorf("New(Environment %q) without a DSN: reporting on", env)
		}
	}
}

func TestSampleRateZeroSendsNothing(t *testing.T) {
	t.Parallel()
	stand := apmtest.NewServer(t)
	var logs bytes.Buffer
	rep, err := apm.New(apm.Options{DSN: stand.DSN, Environment: "production", SampleRate: 0}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	if rep.Enabled() {
		t.Error("Enabled with sample rate 0: got true, want false")
	}
	rep.CaptureError(t.Context(), errors.New("boom"), nil)
	rep.Flush(apm.FlushTimeout)
	if n := len(stand.Events()); n != 0 {
		t.Errorf("got %d events, want 0", n)
	}
	if !strings.Contains(logs.String(), "SENTRY_SAMPLE_RATE") {
		t.Errorf("no log line names SENTRY_SAMPLE_RATE:\n%s", &logs)
	}
}

func TestCloseSendsWhatIsInFlight(t *testing.T) {
	t.Parallel()
	b := setup(t, apm.Options{Environment: "development"})
	for i := range 3 {
		b.rep.CaptureError(t.Context(), fmt.Errorf("error %d", i), nil)
	}
	b.rep.Close()
	if n := len(b.sentry.Events()); n != 3 {
		t.Errorf("after Close: got %d events, want 3", n)
	}
}

func TestAbortHandlerPanicIsNotAnError(t *testing.T) {
	t.Parallel()
	b := setup(t, apm.Options{Environment: "development"})
	hub := b.rep.Hub().Clone()
	hub.RecoverWithContext(context.Background(), http.ErrAbortHandler)
	hub.RecoverWithContext(context.Background(), "a real panic")
	b.flush(t)
	evs := b.sentry.Events()
	if len(evs) != 1 || evs[0].Message != "a real panic" {
		t.Errorf("got %+v, want only the real panic", evs)
	}
}

// TestBuildFailureTags: a build or verify job's report names its issue,
// its repository and its build attempt, and keeps River's attempt apart.
func TestBuildFailureTags(t *testing.T) {
	t.Parallel()
	b := setup(t, apm.Options{Release: "rel-1", Environment: "staging", Repo: "acme/shop"})
	b.rep.CaptureJobFailure(t.Context(), apm.JobFailure{Kind: "build", JobID: 7, ProblemKey: "sentry:1", Attempt: 3,
		Err: errors.New("push booty/issue-12: rejected"), Repo: "acme/web", Issue: 12, BuildAttempt: 2})
	b.flush(t)
	evs := b.sentry.Events()
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	want := map[string]string{"job_kind": "build", "repo": "acme/web", "issue_number": "12", "attempt": "2", "job_attempt": "3"}
	got := make(map[string]string)
	for k := range want {
		got[k] = evs[0].Tags[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}
