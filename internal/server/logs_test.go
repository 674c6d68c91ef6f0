package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"booty/internal/githubtest"
	"booty/internal/server"
)

// TestNoSecretInAnyLogLine runs every kind of request booty answers, with
// distinctive secrets in the configuration and the headers, through the
// real intake and store and a JSON logger, then searches every line.
func TestNoSecretInAnyLogLine(t *testing.T) {
	t.Parallel()
	const authorization = "Bearer authz-4f3e2d1c0b-header"
	_, access := githubAccess(t, "ghp_BadBadBadBadBadBadBadBadBadBad0000", githubtest.Options{})
	b := setup(t, setupOptions{sentry: true, opts: server.Options{GitHub: access, InternalTestToken: testIToken}})

	body := fixture(t, "event_alert.triggered.json")
	good := webhookHeader(testSecret, "event_alert", body)
	good.Set("Authorization", authorization)
	bad := webhookHeader("not-the-secret", "event_alert", body)
	bad.Set("Authorization", authorization)
	other := fixture(t, "issue.created.json")
	otherH := webhookHeader(testSecret, "issue", other)
	notJSON := []byte(`{"action":"triggered","data":` + testSecret)
	notJSONH := webhookHeader(testSecret, "event_alert", notJSON)
	itok := http.Header{"X-Internal-Token": {testIToken}, "Authorization": {authorization}}
	wrongTok := http.Header{"X-Internal-Token": {testIToken + "-wrong"}}

	var sigs []string
	for _, r := range []struct {
		method, target string
		body           []byte
		header         http.Header
		want           int
	}{
		{"POST", "/webhooks/sentry", body, good, 202},
		{"POST", "/webhooks/sentry", body, good, 200},
		{"POST", "/webhooks/sentry", body, bad, 401},
		{"POST", "/webhooks/sentry", other, otherH, 200},
		{"POST", "/webhooks/sentry", notJSON, notJSONH, 422},
		{"GET", "/health?deep=1", nil, itok, 503},
		{"GET", "/internal/sentry-test", nil, wrongTok, 401},
		{"GET", "/internal/sentry-test", nil, itok, 500},
		{"GET", "/metrics", nil, itok, 200},
	} {
		rec := b.do(t, r.method, r.target, r.body, r.header)
		if rec.Code != r.want {
			t.Errorf("%s %s: got %d %s, want %d", r.method, r.target, rec.Code, rec.Body, r.want)
		}
		if s := r.header.Get("Sentry-Hook-Signature"); s != "" {
			sigs = append(sigs, s)
		}
	}
	// The store goes away: the webhook answers 503 and logs why.
	b.st.Close()
	if rec := b.do(t, "POST", "/webhooks/sentry", body, good); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("store closed: got %d, want 503", rec.Code)
	}

	logs := b.logs.String()
	secrets := append([]string{testSecret, testToken, testIToken, "ghp_BadBadBadBadBadBadBadBadBadBad0000", "authz-4f3e2d1c0b-header"}, sigs...)
	if leaks := contains(logs, secrets...); len(leaks) > 0 {
		t.Errorf("secrets in the logs: %q\n%s", leaks, logs)
	}

	// Each delivery is one line with its decision or reason; the checks
	// above looked at real log lines.
	var deliveries []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON log line: %s", sc.Text())
		}
		if _, ok := line["request_id"]; ok {
			deliveries = append(deliveries, line)
		}
	}
	if len(deliveries) != 6 {
		t.Fatalf("got %d delivery lines, want 6:\n%s", len(deliveries), logs)
	}
	first, second := deliveries[0], deliveries[1]
	if first["decision"] != "create" || first["problem_key"] == nil || second["reason"] != "duplicate" {
		t.Errorf("delivery lines lack key, decision or reason:\n%v\n%v", first, second)
	}
}
