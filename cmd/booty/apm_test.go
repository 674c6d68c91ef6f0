package main

// Tests of booty's own error reporting, end to end: the built binary's
// refusal to run in production unreported, its events reaching a Sentry
// stand-in with the release it was built as, and a parked job reported
// once with its tags. Helper names start with apm so they do not meet the
// other tests of this package.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"booty/internal/apm/apmtest"
	"booty/internal/config"
	"booty/internal/githubtest"
	"booty/internal/logtest"
	"booty/internal/sentry"
)

const (
	apmSecret  = "whsec-apm-e2e-77aa11"
	apmToken   = "ghp_apmE2eTokenapmE2eTokenapmE2e0000"
	apmIToken  = "itok-apm-e2e-5150"
	apmVersion = "v-apm-stamped-0.9.1"
)

// apmEnv is a dry-run configuration; the process gets nothing else of the
// test's environment, so a SENTRY_DSN there cannot change the outcome.
func apmEnv(t *testing.T, extra ...string) []string {
	return append([]string{
		"SENTRY_WEBHOOK_SECRET=" + apmSecret,
		"TARGET_REPO_URL=acme/shop",
		"BOOTY_DRY_RUN=true",
		"BOOTY_DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "booty.db"),
		"BOOTY_LOG_FORMAT=json",
	}, extra...)
}

func TestAPMProductionWithoutDSNExits1(t *testing.T) {
	t.Parallel()
	bin := builtBooty(t)
	for _, tc := range []struct{ env, cmd string }{
		{"production", "serve"}, {"prod", "serve"}, {"Production", "serve"}, {"production", "check-config"},
	} {
		t.Run(tc.env+" "+tc.cmd, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tc.cmd)
			cmd.Env = apmEnv(t, "SENTRY_ENVIRONMENT="+tc.env, "BOOTY_LISTEN=127.0.0.1:0")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("got %v, want exit status 1; stderr:\n%s", err, &stderr)
			}
			var line string
			for l := range strings.Lines(stderr.String()) {
				if strings.Contains(l, "SENTRY_DSN") {
					line = l
				}
			}
			if line == "" || !strings.Contains(line, "production") {
				t.Errorf("no stderr line names SENTRY_DSN and production:\n%s", &stderr)
			}
		})
	}
}

func TestAPMDevelopmentWithoutDSNRunsWithReportingOff(t *testing.T) {
	t.Parallel()
	p := startBooty(t, apmEnv(t), "")
	p.stop(t)
	if n := strings.Count(p.logs.String(), "error reporting off"); n != 1 {
		t.Errorf("got %d lines saying error reporting is off, want 1:\n%s", n, p.logs)
	}
}

// TestAPMBinaryReportsToSentry runs the built binary as production against
// a Sentry stand-in: /health and the event both carry the stamped version
// as the release, and the test error is in Sentry when booty answers.
func TestAPMBinaryReportsToSentry(t *testing.T) {
	t.Parallel()
	stand := apmtest.NewServer(t)
	p := startBooty(t, apmEnv(t, "SENTRY_ENVIRONMENT=production", "SENTRY_DSN="+stand.DSN, "INTERNAL_TEST_TOKEN="+apmIToken), "")

	var health struct{ Release, Environment string }
	resp, err := http.Get(p.url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if health.Release != apmVersion || health.Environment != "production" {
		t.Errorf("/health: got release %q environment %q, want %s production", health.Release, health.Environment, apmVersion)
	}

	req, _ := http.NewRequest(http.MethodGet, p.url+"/internal/sentry-test", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token: got %d, want 401", resp.StatusCode)
	}
	req.Header.Set("X-Internal-Token", apmIToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		EventID   string `json:"event_id"`
		Delivered bool   `json:"delivered"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || answer.EventID == "" || !answer.Delivered {
		t.Fatalf("got %d %+v, want 500 with a delivered event", resp.StatusCode, answer)
	}
	p.stop(t)

	evs := stand.Events()
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1:\n%s", len(evs), stand)
	}
	ev := evs[0]
	if ev.ID != answer.EventID || ev.Release != apmVersion || ev.Environment != "production" || !ev.HasExceptionType("*server.selfTestError") {
		t.Errorf("event: id %s release %q environment %q exceptions %+v; want id %s release %s production",
			ev.ID, ev.Release, ev.Environment, ev.Exception, answer.EventID, apmVersion)
	}
	if leaks := apmContains(string(stand.Received())+p.logs.String(), apmSecret, apmIToken); len(leaks) > 0 {
		t.Errorf("secrets reached Sentry or the logs: %q", leaks)
	}
}

func apmContains(s string, subs ...string) []string {
	var found []string
	for _, x := range subs {
		if strings.Contains(s, x) {
			found = append(found, x)
		}
	}
	return found
}

// TestAPMParkedJobIsReportedOnce boots booty in-process against the GitHub
// stand-in, which refuses the issue: the job parks and Sentry gets one
// event tagged with the job, the problem and the repository.
func TestAPMParkedJobIsReportedOnce(t *testing.T) {
	t.Parallel()
	stand := apmtest.NewServer(t)
	gh := githubtest.NewServer(t, githubtest.Options{Token: apmToken, Owner: "acme", Repo: "shop"})
	gh.FailNextMatching(http.MethodPost, "/repos/acme/shop/issues", 1, githubtest.Status(http.StatusUnprocessableEntity))
	vars := map[string]string{
		"SENTRY_WEBHOOK_SECRET": apmSecret,
		"GITHUB_TOKEN":          apmToken,
		"TARGET_REPO_URL":       "https://github.com/acme/shop",
		"GITHUB_API_URL":        gh.URL,
		"BOOTY_DATABASE_URL":    "sqlite:" + filepath.Join(t.TempDir(), "booty.db"),
		"SENTRY_DSN":            stand.DSN,
		"SENTRY_ENVIRONMENT":    "staging",
		"SENTRY_RELEASE":        "rel-apm-2",
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	ctx := context.Background()
	a, err := newApp(ctx, cfg, slog.New(slog.NewJSONHandler(logs, nil)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.start(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		srv.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.stop(sctx)
		a.close()
	}
	t.Cleanup(stop)

	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sentry", "event_alert.triggered.json"))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	if err := json.Compact(&body, raw); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/sentry", bytes.NewReader(body.Bytes()))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sentry-Hook-Resource", "event_alert")
	req.Header.Set("Sentry-Hook-Signature", sentry.Sign([]byte(apmSecret), body.Bytes()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: got %d, want 202", resp.StatusCode)
	}

	waitFor(t, 20*time.Second, "the parked job's event", func() bool {
		a.apm.Flush(100 * time.Millisecond)
		return len(stand.Events()) > 0
	})
	stop()
	evs := stand.Events()
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1:\n%s", len(evs), stand)
	}
	ev := evs[0]
	if ev.Release != "rel-apm-2" || ev.Environment != "staging" || !ev.HasExceptionType("*apm.JobError") {
		t.Errorf("event: release %q environment %q exceptions %+v", ev.Release, ev.Environment, ev.Exception)
	}
	for k, want := range map[string]string{"job_kind": "github_issue", "problem_key": "sentry:1117540176", "repo": "acme/shop", "attempt": "1"} {
		if ev.Tags[k] != want {
			t.Errorf("tag %s: got %q, want %q", k, ev.Tags[k], want)
		}
	}
	if ev.Tags["job_id"] == "" {
		t.Error("no job_id tag")
	}
	if leaks := apmContains(string(stand.Received())+logs.String(), apmSecret, apmToken); len(leaks) > 0 {
		t.Errorf("secrets reached Sentry or the logs: %q", leaks)
	}
}
