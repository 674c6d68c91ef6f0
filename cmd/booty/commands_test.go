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
			0, []string{"configuration ok", "acme/shop", "dry run", "OBSV_COOLDOWN_HOURS", "(set, hidden)"}},
		{"postgres", map[string]string{"SENTRY_WEBHOOK_SECRET": "s", "GITHUB_TOKEN": "t", "TARGET_REPO_URL": "acme/shop",
			"BOOTY_DATABASE_URL": "postgres://booty:pw@db/booty"}, 0, []string{"configuration ok", "store postgres://booty:xxxxx@db/booty"}},
		{"postgres without a host", map[string]string{"SENTRY_WEBHOOK_SECRET": "s", "GITHUB_TOKEN": "t", "TARGET_REPO_URL": "acme/shop",
			"BOOTY_DATABASE_URL": "postgres:///booty"}, 1, []string{"BOOTY_DATABASE_URL: names no host"}},
		// What serve used to reject or misread after check-config passed it.
		{"missing database directory", map[string]string{"SENTRY_WEBHOOK_SECRET": "s", "GITHUB_TOKEN": "t", "TARGET_REPO_URL": "acme/shop",
			"BOOTY_DATABASE_URL": "sqlite:/nonexistent/dir/x.db"}, 1, []string{"BOOTY_DATABASE_URL: the directory /nonexistent/dir"}},
		{"repository on another host", map[string]string{"SENTRY_WEBHOOK_SECRET": "s", "GITHUB_TOKEN": "t",
			"TARGET_REPO_URL": "https://gitlab.com/a/b"}, 1, []string{"TARGET_REPO_URL: the repository is on gitlab.com"}},
		{"severity alias", map[string]string{"SENTRY_WEBHOOK_SECRET": "s", "GITHUB_TOKEN": "t", "TARGET_REPO_URL": "acme/shop",
			"OBSV_MIN_SEVERITY": "critical"}, 1, []string{"OBSV_MIN_SEVERITY", "fatal"}},
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

// TestCheckConfigGitHub checks that check-config --github makes deep
// health's GitHub call, against the stand-in, and that secrets stay out of
// what it prints.
func TestCheckConfigGitHub(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	tests := []struct {
		name     string
		token    string
		repo     string
		wantCode int
		want     string
	}{
		{"good token", testToken, "https://github.com/acme/shop", 0, "github ok"},
		{"bad token", "ghp_wrong0123456789", "acme/shop", 1, "401"},
		{"no such repository", testToken, "acme/other", 1, "404"},
		{"no token", "", "acme/shop", 1, "GITHUB_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"SENTRY_WEBHOOK_SECRET": testSecret, "GITHUB_TOKEN": tt.token, "TARGET_REPO_URL": tt.repo,
				"GITHUB_API_URL": gh.URL}
			if tt.token == "" {
				env["BOOTY_DRY_RUN"] = "true"
			}
			code, out, errOut := runBooty(t, env, "check-config", "--github")
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d, want %d with %q; output:\n%s%s", code, tt.wantCode, tt.want, out, errOut)
			}
			if tt.token != "" && strings.Contains(out+errOut, tt.token) {
				t.Errorf("the token reached the output:\n%s%s", out, errOut)
			}
		})
	}
	// Without --github, GitHub is not called.
	before := len(gh.Requests())
	if code, _, _ := runBooty(t, map[string]string{"SENTRY_WEBHOOK_SECRET": testSecret, "GITHUB_TOKEN": "bad",
		"TARGET_REPO_URL": "acme/shop", "GITHUB_API_URL": gh.URL}, "check-config"); code != 0 {
		t.Errorf("check-config without --github: exit %d, want 0", code)
	}
	if after := len(gh.Requests()); after != before {
		t.Errorf("check-config without --github made %d GitHub requests", after-before)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout
		wantErr  string // in stderr
	}{
		{"no command", nil, 2, "", "usage: booty COMMAND"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"help", []string{"help"}, 0, "check-config", ""},
		{"--help", []string{"--help"}, 0, "send-test-alert", ""},
		{"-h", []string{"-h"}, 0, "usage: booty COMMAND", ""},
		{"version", []string{"version"}, 0, "dev", ""},
		{"--version", []string{"--version"}, 0, "dev", ""},
		{"-version", []string{"-version"}, 0, "dev", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runBooty(t, nil, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("booty %v: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					tt.args, code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}

// TestCommandFlags checks every command's --help (the usage on stdout, exit
// 0, and nothing done: serve with no configuration would exit 1), an unknown
// flag and an extra argument (exit 2 with the usage on stderr). The spool
// commands parse their own arguments and have their own tests.
func TestCommandFlags(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		if c.name == "spool" {
			continue
		}
		tests := []struct {
			name     string
			args     []string
			wantCode int
			wantErr  string
		}{
			{"--help", []string{"--help"}, 0, ""},
			{"-h", []string{"-h"}, 0, ""},
			{"unknown flag", []string{"--bogus"}, 2, "flag provided but not defined: -bogus"},
			{"extra argument", []string{"surplus"}, 2, `unexpected argument "surplus"`},
		}
		for _, tt := range tests {
			t.Run(c.name+" "+tt.name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				var out, errb bytes.Buffer
				code := run(ctx, append([]string{c.name}, tt.args...), func(string) string { return "" }, &out, &errb)
				usage := "usage: booty " + c.name
				switch {
				case code != tt.wantCode:
					t.Errorf("exit %d, want %d; stdout %q, stderr %q", code, tt.wantCode, out.String(), errb.String())
				case tt.wantCode == 0 && (!strings.HasPrefix(out.String(), usage) || errb.Len() != 0):
					t.Errorf("stdout %q, stderr %q; want the usage on stdout alone", out.String(), errb.String())
				case tt.wantCode != 0 && (!strings.Contains(errb.String(), tt.wantErr) || !strings.Contains(errb.String(), usage) || out.Len() != 0):
					t.Errorf("stdout %q, stderr %q; want %q and the usage on stderr alone", out.String(), errb.String(), tt.wantErr)
				}
			})
		}
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
	if !strings.HasPrefix(out, "filed: booty is creating a GitHub issue for the test problem") {
		t.Errorf("first test alert does not say what booty did:\n%s", out)
	}
	// Another event of the same test problem: counted, not filed again,
	// and the output says how to see something happen.
	if code, out, _ := runBooty(t, env, "send-test-alert", "--url", url); code != 0 || !strings.Contains(out, `"reason":"cooldown"`) ||
		!strings.HasPrefix(out, "counted: the test problem") || !strings.Contains(out, "--new") {
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
	// The same fixture again is the same event: a duplicate, for ever,
	// unless --new makes it a fresh problem.
	if code, out, _ := runBooty(t, env, "send-test-alert", "--url", url, "--fixture", fixturePath); code != 0 ||
		!strings.HasPrefix(out, "duplicate: ") || !strings.Contains(out, "--new") {
		t.Errorf("--fixture again: exit %d\n%s", code, out)
	}
	if code, out, _ := runBooty(t, env, "send-test-alert", "--url", url, "--fixture", fixturePath, "--new"); code != 0 ||
		!strings.Contains(out, `"decision":"create"`) {
		t.Errorf("--fixture --new: exit %d\n%s", code, out)
	}
	if code, out, _ := runBooty(t, map[string]string{"SENTRY_WEBHOOK_SECRET": "wrong"}, "send-test-alert", "--url", url); code != 1 ||
		!strings.Contains(out, "401") {
		t.Errorf("wrong secret: exit %d\n%s", code, out)
	}
	waitFor(t, 10*time.Second, "four issues", func() bool { return len(b.gh.Issues()) == 4 })
	for _, is := range b.gh.Issues() {
		if strings.Contains(is.Title, "sample") {
			t.Errorf("test alert filed as a sample: %q", is.Title)
		}
	}
}

// TestDescribeAnswer checks the plain words send-test-alert prints for each
// answer booty gives, with and without the fields newer servers add.
func TestDescribeAnswer(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("CET", 3600)
	now := time.Date(2026, 3, 4, 17, 0, 0, 0, loc)
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"create", 202, `{"status":"accepted","decision":"create","problem_key":"sentry:1"}`,
			"filed: booty is creating a GitHub issue for the test problem (sentry:1)"},
		{"comment", 202, `{"status":"accepted","decision":"comment"}`, "commented: the cooldown of the test problem is over"},
		{"reopen", 202, `{"status":"accepted","decision":"reopen"}`, "reopened: the issue of the test problem was closed"},
		{"cooldown today", 200, `{"status":"ignored","reason":"cooldown","problem_key":"sentry:1","cooldown_until":"2026-03-04T22:10:00Z"}`,
			"counted: the test problem (sentry:1) is in its cooldown until 23:10 CET (OBSV_COOLDOWN_HOURS after booty last wrote to its issue), so no GitHub write; send with --new for a fresh problem"},
		{"cooldown another day", 200, `{"status":"ignored","reason":"cooldown","cooldown_until":"2026-03-05T12:00:00Z"}`, "until Mar 5 13:00 CET"},
		{"cooldown from an older server", 200, `{"status":"ignored","reason":"cooldown"}`,
			"counted: the test problem is in its cooldown (OBSV_COOLDOWN_HOURS after booty last wrote to its issue), so no GitHub write; send with --new"},
		{"duplicate", 200, `{"status":"ignored","reason":"duplicate"}`, "duplicate: booty has already counted this very event of the test problem; nothing changes; send with --new"},
		{"below threshold", 200, `{"status":"ignored","reason":"below_threshold"}`, "OBSV_MIN_SEVERITY"},
		{"sample", 200, `{"status":"ignored","reason":"sample_event"}`, "sample event"},
		{"not an event alert", 200, `{"status":"ignored","reason":"not_event_alert"}`, "only event alerts"},
		{"a reason added later", 200, `{"status":"ignored","reason":"storm"}`, "ignored: storm"},
		{"bad signature", 401, `{"error":"invalid_signature"}`, "SENTRY_WEBHOOK_SECRET here must be the server's"},
		{"too large", 413, `{"error":"body_too_large"}`, "BOOTY_MAX_BODY_BYTES"},
		{"bad payload", 422, `{"error":"invalid_payload"}`, "could not read the payload"},
		{"store down", 503, `{"error":"unavailable"}`, "store is unavailable"},
		{"not JSON", 502, `<html>bad gateway</html>`, "failed: booty answered 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := describeAnswer(tt.status, []byte(tt.body), "the test problem", now); !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
		})
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

// TestHealthCommand checks booty health, the container's health check,
// against a serving booty, one whose store is gone, and nothing at all.
func TestHealthCommand(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	if code, out, errOut := runBooty(t, nil, "health", "--url", b.url+"/health"); code != 0 || !strings.Contains(out, `"status":"ok"`) {
		t.Errorf("healthy booty: exit %d\n%s%s", code, out, errOut)
	}
	// Without --url it asks BOOTY_LISTEN, on loopback when that is a
	// wildcard address.
	port := b.url[strings.LastIndex(b.url, ":")+1:]
	if code, out, errOut := runBooty(t, map[string]string{"BOOTY_LISTEN": "0.0.0.0:" + port}, "health", "--deep"); code != 0 ||
		!strings.Contains(out, `"github":"ok"`) {
		t.Errorf("health --deep via BOOTY_LISTEN: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runBooty(t, nil, "health", "--url", "http://"+freeAddr(t)+"/health", "--timeout", "2s"); code != 1 ||
		!strings.Contains(errOut, "connection refused") {
		t.Errorf("nothing listening: exit %d %q, want 1", code, errOut)
	}
	b.app.store.Close()
	if code, out, _ := runBooty(t, nil, "health", "--url", b.url+"/health"); code != 1 || !strings.Contains(out, "503") {
		t.Errorf("store gone: exit %d\n%s, want 1 and the 503", code, out)
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0.0.0.0:8000":   "127.0.0.1:8000",
		":8000":          "127.0.0.1:8000",
		"[::]:8000":      "[::1]:8000",
		"127.0.0.1:8000": "127.0.0.1:8000",
		"booty:8000":     "booty:8000",
	} {
		if got := loopback(in); got != want {
			t.Errorf("loopback(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDescribeAnswer feeds send-test-alert's explanation whatever a server
// might answer: it must never panic, always say something, and stay one
// bounded line whatever the answer holds.
func FuzzDescribeAnswer(f *testing.F) {
	f.Add(202, []byte(`{"status":"accepted","decision":"create","problem_key":"sentry:1"}`))
	f.Add(200, []byte(`{"status":"ignored","reason":"cooldown","cooldown_until":"2026-03-04T22:10:00Z"}`))
	f.Add(200, []byte(`{"reason":"cooldown","cooldown_until":"not a time"}`))
	f.Add(200, []byte(`{"reason":"evil\n\u001b[2J"}`))
	f.Add(401, []byte(`{"error":"invalid_signature"}`))
	f.Add(500, []byte(`<html>`))
	f.Add(200, []byte(`{"decision":7}`))
	now := time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		got := describeAnswer(status, body, "the test problem", now)
		if got == "" {
			t.Fatalf("describeAnswer(%d, %q) said nothing", status, body)
		}
		if len(got) > 1000 || strings.ContainsAny(got, "\n\r\x1b") {
			t.Fatalf("describeAnswer(%d, %q) = %q: want one line of at most 1000 bytes", status, body, got)
		}
	})
}
