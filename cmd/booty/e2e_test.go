package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"booty/internal/config"
	"booty/internal/githubtest"
	"booty/internal/sentry"
)

// bundle is booty booted in-process against a GitHub stand-in and a real
// SQLite file.
type bundle struct {
	url  string
	gh   *githubtest.Server
	app  *app
	logs *syncBuffer
}

func setup(t *testing.T, env map[string]string) *bundle {
	t.Helper()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	vars := map[string]string{
		"SENTRY_WEBHOOK_SECRET": testSecret,
		"GITHUB_TOKEN":          testToken,
		"TARGET_REPO_URL":       "https://github.com/acme/shop",
		"GITHUB_API_URL":        gh.URL,
		"BOOTY_DATABASE_URL":    "sqlite:" + filepath.Join(t.TempDir(), "booty.db"),
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	ctx := context.Background()
	a, err := newApp(ctx, cfg, log, time.Now())
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	if err := a.start(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	t.Cleanup(func() {
		srv.Close()
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.stop(stopCtx)
		a.close()
	})
	return &bundle{url: srv.URL, gh: gh, app: a, logs: logs}
}

func TestWebhookAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"BOOTY_MAX_BODY_BYTES": "65536"})
	vue := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	docs := fixture(t, "event_alert.triggered.json")
	warning := bytes.Replace(withEvent(t, docs, "777", ""), []byte(`"level":"error"`), []byte(`"level":"warning"`), 1)
	sample := bytes.Replace(withEvent(t, docs, "778", ""), []byte(`["handled","no"]`), []byte(`["sample_event","yes"]`), 1)
	resolved := bytes.Replace(withEvent(t, docs, "779", ""), []byte(`"action":"triggered"`), []byte(`"action":"resolved"`), 1)

	tests := []struct {
		name       string
		resource   string
		body       []byte
		secret     string
		wantStatus int
		wantField  string // decision, reason or error
	}{
		{"no signature", "event_alert", vue, "", 401, "invalid_signature"},
		{"wrong secret", "event_alert", vue, "not-the-secret", 401, "invalid_signature"},
		{"too large", "event_alert", bytes.Repeat([]byte(" "), 70000), testSecret, 413, "body_too_large"},
		{"not JSON", "event_alert", []byte("{not json"), testSecret, 422, "invalid_payload"},
		{"no event", "event_alert", []byte(`{"action":"triggered","data":{}}`), testSecret, 422, "invalid_payload"},
		{"first alert", "event_alert", vue, testSecret, 202, "create"},
		{"same event again", "event_alert", vue, testSecret, 200, "duplicate"},
		{"new event within cooldown", "event_alert", withEvent(t, vue, "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), testSecret, 200, "cooldown"},
		{"below threshold", "event_alert", warning, testSecret, 200, "below_threshold"},
		{"sample event", "event_alert", sample, testSecret, 200, "sample_event"},
		{"not triggered", "event_alert", resolved, testSecret, 200, "not_triggered"},
		{"issue resource", "issue", fixture(t, "issue.created.json"), testSecret, 200, "not_event_alert"},
		{"metric alert", "metric_alert", fixture(t, "metric_alert.critical.json"), testSecret, 200, "not_event_alert"},
		{"error resource", "error", fixture(t, "error.created.json"), testSecret, 200, "not_event_alert"},
		{"installation", "installation", fixture(t, "installation.created.json"), testSecret, 200, "not_event_alert"},
		{"comment", "comment", fixture(t, "comment.created.json"), testSecret, 200, "not_event_alert"},
		{"seer", "seer", fixture(t, "seer.root_cause_completed.json"), testSecret, 200, "not_event_alert"},
		{"unknown resource", "brand_new_thing", []byte(`{"action":"happened","data":{}}`), testSecret, 200, "not_event_alert"},
	}
	// Sequential: later rows depend on the state earlier ones leave.
	for _, tt := range tests {
		got := deliver(t, b.url, tt.resource, tt.body, tt.secret)
		field := got.Decision + got.Reason + got.ErrCode
		if got.Status != tt.wantStatus || field != tt.wantField {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, got.Status, got.RawBody, tt.wantStatus, tt.wantField)
		}
	}

	waitFor(t, 10*time.Second, "the issue", func() bool { return len(b.gh.Issues()) == 1 })
	is := b.gh.Issues()[0]
	if !strings.Contains(is.Body, "<!-- booty:problem=sentry:4214010673 -->") {
		t.Errorf("issue body lacks the problem marker:\n%s", is.Body)
	}
	if len(is.Labels) != 1 || is.Labels[0] != "agent:builder" {
		t.Errorf("labels = %v, want [agent:builder]", is.Labels)
	}
	// GitHub renders no mention inside code, where booty puts the
	// payload's text (in spans of one or two backticks here); outside
	// code it must not appear.
	codeSpan := regexp.MustCompile("``[^`](?:[^`]|`[^`])*?``|`[^`]+`")
	if outside := codeSpan.ReplaceAllString(is.Body, ""); strings.Contains(outside, "@sentry/vue") {
		t.Errorf("issue body can ping @sentry/vue:\n%s", is.Body)
	}
	if strings.Contains(b.logs.String(), testSecret) || strings.Contains(b.logs.String(), testToken) {
		t.Error("a secret reached the log")
	}
}

func TestSignatureHeaderIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	body := fixture(t, "event_alert.triggered.json")
	req, _ := http.NewRequest(http.MethodPost, b.url+"/webhooks/sentry", bytes.NewReader(body))
	req.Header["sentry-hook-signature"] = []string{sentry.Sign([]byte(testSecret), body)}
	req.Header["SENTRY-HOOK-RESOURCE"] = []string{"event_alert"}
	if got := do(t, req); got.Status != http.StatusAccepted {
		t.Errorf("got %d %s, want 202", got.Status, got.RawBody)
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	// No cooldown: every new event after the issue exists writes to it.
	b := setup(t, map[string]string{"OBSV_COOLDOWN_HOURS": "0"})
	docs := fixture(t, "event_alert.triggered.json")

	if got := deliver(t, b.url, "event_alert", withEvent(t, docs, "", "e1"), testSecret); got.Decision != "create" {
		t.Fatalf("first alert: %s", got.RawBody)
	}
	waitFor(t, 10*time.Second, "the issue number in the store", func() bool {
		p, err := b.app.store.Problem(context.Background(), "sentry:1117540176")
		return err == nil && p.IssueNumber == 1
	})

	if got := deliver(t, b.url, "event_alert", withEvent(t, docs, "", "e2"), testSecret); got.Decision != "comment" {
		t.Fatalf("second event after cooldown: %s", got.RawBody)
	}
	waitFor(t, 10*time.Second, "a comment", func() bool { return len(b.gh.Issues()[0].Comments) == 1 })

	// A person closes the issue; the problem comes back: a regression.
	if err := b.gh.CloseIssue(1); err != nil {
		t.Fatal(err)
	}
	deliver(t, b.url, "event_alert", withEvent(t, docs, "", "e3"), testSecret)
	waitFor(t, 10*time.Second, "the reopen", func() bool {
		is := b.gh.Issues()[0]
		return is.State == "open" && len(is.Comments) == 2
	})
	if n := len(b.gh.Issues()); n != 1 {
		t.Errorf("issues = %d, want 1", n)
	}
	if c := b.gh.Issues()[0].Comments[1]; !strings.Contains(strings.ToLower(c), "regress") && !strings.Contains(strings.ToLower(c), "reopen") {
		t.Errorf("regression comment does not say so:\n%s", c)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	b := setup(t, map[string]string{"SENTRY_RELEASE": "abc123", "SENTRY_ENVIRONMENT": "staging"})
	resp, err := http.Get(b.url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health: %d %s", resp.StatusCode, raw)
	}
	for _, want := range []string{`"release":"abc123"`, `"environment":"staging"`, `"store":"ok"`, `"parked_jobs":0`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("health %s lacks %s", raw, want)
		}
	}

	// With the store gone, health and the webhook answer 503.
	b.app.store.Close()
	resp, err = http.Get(b.url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("health with the store closed: %d, want 503", resp.StatusCode)
	}
	got := deliver(t, b.url, "event_alert", fixture(t, "event_alert.triggered.json"), testSecret)
	if got.Status != http.StatusServiceUnavailable || got.ErrCode != "unavailable" {
		t.Errorf("webhook with the store closed: %d %s, want 503 unavailable", got.Status, got.RawBody)
	}
}

// syncBuffer is a log buffer shared by goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
