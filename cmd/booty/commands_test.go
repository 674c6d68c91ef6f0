package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"booty/internal/githubtest"
)

func runBooty(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		wantCode int
		want     []string // each must appear in stdout+stderr
	}{
		{"nothing set", map[string]string{}, 1, []string{"SENTRY_WEBHOOK_SECRET", "GITHUB_TOKEN", "TARGET_REPO_URL"}},
		{"bad values", map[string]string{
			"SENTRY_WEBHOOK_SECRET": "s", "GITHUB_TOKEN": "t", "TARGET_REPO_URL": "not a repo",
			"OBSV_MIN_SEVERITY": "loud", "BOOTY_DATABASE_URL": "mysql://x",
		}, 1, []string{"TARGET_REPO_URL", "OBSV_MIN_SEVERITY", "BOOTY_DATABASE_URL"}},
		{"good", map[string]string{"SENTRY_WEBHOOK_SECRET": "s", "TARGET_REPO_URL": "acme/shop", "BOOTY_DRY_RUN": "true"},
			0, []string{"configuration ok", "acme/shop", "dry run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runBooty(t, tt.env, "check-config")
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; output:\n%s%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	if code, _, _ := runBooty(t, nil); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
	if code, _, errOut := runBooty(t, nil, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d %q, want 2 and a message", code, errOut)
	}
	if code, out, _ := runBooty(t, nil, "version"); code != 0 || strings.TrimSpace(out) == "" {
		t.Errorf("version: exit %d %q", code, out)
	}
}

func TestSendTestAlert(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	env := map[string]string{"SENTRY_WEBHOOK_SECRET": testSecret}
	url := b.url + "/webhooks/sentry"

	code, out, errOut := runBooty(t, env, "send-test-alert", "--url", url)
	if code != 0 || !strings.Contains(out, "202") || !strings.Contains(out, `"decision":"create"`) {
		t.Fatalf("first test alert: exit %d\n%s%s", code, out, errOut)
	}
	// Another event of the same test problem: counted, not filed again.
	if code, out, _ := runBooty(t, env, "send-test-alert", "--url", url); code != 0 || !strings.Contains(out, `"reason":"cooldown"`) {
		t.Errorf("second test alert: exit %d\n%s", code, out)
	}
	// --new is a new problem.
	if code, out, _ := runBooty(t, env, "send-test-alert", "--url", url, "--new"); code != 0 || !strings.Contains(out, `"decision":"create"`) {
		t.Errorf("--new: exit %d\n%s", code, out)
	}
	fixturePath := filepath.Join("..", "..", "testdata", "sentry", "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	if code, out, _ := runBooty(t, env, "send-test-alert", "--url", url, "--fixture", fixturePath); code != 0 ||
		!strings.Contains(out, `"problem_key":"sentry:4214010673"`) {
		t.Errorf("--fixture: exit %d\n%s", code, out)
	}
	if code, out, _ := runBooty(t, map[string]string{"SENTRY_WEBHOOK_SECRET": "wrong"}, "send-test-alert", "--url", url); code != 1 ||
		!strings.Contains(out, "401") {
		t.Errorf("wrong secret: exit %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "three issues", func() bool { return len(b.gh.Issues()) == 3 })
	for _, is := range b.gh.Issues() {
		if strings.Contains(is.Title, "sample") {
			t.Errorf("test alert filed as a sample: %q", is.Title)
		}
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"BOOTY_DRY_RUN": "true", "GITHUB_TOKEN": ""})
	got := deliver(t, b.url, "event_alert", fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json"), testSecret)
	if got.Status != 202 {
		t.Fatalf("got %d %s, want 202", got.Status, got.RawBody)
	}
	waitFor(t, 10*time.Second, "the dry-run log line", func() bool {
		return strings.Contains(b.logs.String(), "dry run: would create issue")
	})
	// The full rendered issue is in the log, marker included.
	if !strings.Contains(b.logs.String(), `booty:problem=sentry:4214010673`) {
		t.Errorf("dry-run log lacks the rendered body:\n%s", b.logs.String())
	}
	if n := len(b.gh.Requests()); n != 0 {
		t.Errorf("dry run sent %d requests to GitHub", n)
	}
}

func TestSpoolCommands(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	// GitHub refuses the create: the job parks.
	b.gh.FailNextMatching("POST", "/repos/acme/shop/issues", 1, githubtest.Status(422))
	deliver(t, b.url, "event_alert", fixture(t, "event_alert.triggered.json"), testSecret)
	waitFor(t, 10*time.Second, "the job to park", func() bool {
		n, err := b.app.store.ParkedJobs(context.Background())
		return err == nil && n == 1
	})

	env := map[string]string{"BOOTY_DATABASE_URL": b.app.cfg.DatabaseURL}
	code, out, errOut := runBooty(t, env, "spool", "list")
	if code != 0 || !strings.Contains(out, "sentry:1117540176") || !strings.Contains(out, "422") {
		t.Fatalf("spool list: exit %d\n%s%s", code, out, errOut)
	}
	var id int64
	for _, line := range strings.Split(out, "\n")[1:] {
		if _, err := fmt.Sscan(line, &id); err == nil {
			break
		}
	}
	if code, out, errOut := runBooty(t, env, "spool", "retry", fmt.Sprint(id)); code != 0 {
		t.Fatalf("spool retry %d: exit %d\n%s%s", id, code, out, errOut)
	}
	waitFor(t, 10*time.Second, "the retried issue", func() bool { return len(b.gh.Issues()) == 1 })
	if code, out, _ := runBooty(t, env, "spool", "list"); code != 0 || !strings.Contains(out, "no parked jobs") {
		t.Errorf("spool list after retry: exit %d\n%s", code, out)
	}
	if code, _, errOut := runBooty(t, env, "spool", "drop", fmt.Sprint(id)); code != 1 || !strings.Contains(errOut, "not parked") {
		t.Errorf("dropping a finished job: exit %d %q, want 1 and 'not parked'", code, errOut)
	}
	if code, _, _ := runBooty(t, env, "spool", "retry", "abc"); code != 2 {
		t.Errorf("spool retry abc: exit %d, want 2", code)
	}
}
