package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	fixtureload "booty/internal/fixture"
	"booty/internal/sentry"
)

const (
	testSecret = "whsec-test-1f4b9c"
	testToken  = "ghp_testtoken0123456789abcdef"
)

// fixture returns a payload of testdata/sentry as Sentry sends it.
func fixture(t testing.TB, name string) []byte { return fixtureload.Sentry(t, name) }

// withEvent returns payload with data.event's issue_id and event_id
// replaced, so one fixture stands for many problems and events.
func withEvent(t testing.TB, payload []byte, issueID, eventID string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	ev := m["data"].(map[string]any)["event"].(map[string]any)
	if issueID != "" {
		ev["issue_id"] = issueID
	}
	if eventID != "" {
		ev["event_id"] = eventID
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answer is a decoded webhook answer.
type answer struct {
	Status   int
	Body     map[string]any
	RawBody  string
	Decision string
	Reason   string
	ErrCode  string
}

// deliver posts payload to url as Sentry would, signed with secret.
func deliver(t testing.TB, url, resource string, payload []byte, secret string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/sentry", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Request-ID", "0123456789abcdef0123456789abcdef")
	if resource != "" {
		req.Header.Set("Sentry-Hook-Resource", resource)
	}
	req.Header.Set("Sentry-Hook-Timestamp", "1700000000")
	if secret != "" {
		req.Header.Set("Sentry-Hook-Signature", sentry.Sign([]byte(secret), payload))
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, RawBody: string(raw)}
	if err := json.Unmarshal(raw, &a.Body); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, raw)
	}
	a.Decision, _ = a.Body["decision"].(string)
	a.Reason, _ = a.Body["reason"].(string)
	a.ErrCode, _ = a.Body["error"].(string)
	return a
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
