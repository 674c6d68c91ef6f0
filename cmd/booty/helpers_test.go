package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	fixtureload "booty/internal/fixture"
	"booty/internal/logtest"
	"booty/internal/proctest"
	"booty/internal/sentry"
	"booty/internal/storetest"
)

// binary is booty built once for the tests that run it as a process,
// stamped with apmVersion as the deploy workflow stamps the SHA.
var binary = proctest.NewBinary(".", "-X main.version="+apmVersion)

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	_ = binary.Remove()
	os.Exit(code)
}

// builtBooty returns the path of the built booty binary.
func builtBooty(t *testing.T) string {
	t.Helper()
	path, err := binary.Path(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// process is a booty binary serving on loopback.
type process struct {
	*proctest.Process
	url  string
	logs *logtest.Buffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := proctest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// startBooty starts the built binary's serve with env alone (nothing of the
// test's own environment leaks in) on addr, a free loopback address when
// empty, and waits until /health answers 200. The process is killed when
// the test ends.
func startBooty(t *testing.T, env []string, addr string) *process {
	t.Helper()
	p := proctest.StartTest(t, proctest.Options{
		Path: builtBooty(t), Args: []string{"serve"}, Env: env, Addr: addr, AddrEnv: "BOOTY_LISTEN",
	})
	return &process{Process: p, url: p.URL, logs: p.Logs}
}

// kill ends the process with SIGKILL: no shutdown, no flush.
func (p *process) kill() { _ = p.Kill() }

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Errorf("%v; logs:\n%s", err, p.logs)
	}
}

// waitJobsDone waits until booty has no job left to run, so that what its
// jobs do to GitHub can be counted, and fails the test if a job parked.
func waitJobsDone(t *testing.T, p *process, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	states, err := p.WaitJobsDone(ctx)
	if err != nil {
		t.Fatalf("%v; logs:\n%s", err, p.logs)
	}
	if states["parked"] != 0 {
		t.Fatalf("%d jobs parked; logs:\n%s", states["parked"], p.logs)
	}
}

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

// withEventAt is withEvent with the event's own time set to at, as a new
// occurrence has (booty reopens a closed issue only for an event after the
// close).
func withEventAt(t testing.TB, payload []byte, issueID, eventID string, at time.Time) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(withEvent(t, payload, issueID, eventID), &m); err != nil {
		t.Fatal(err)
	}
	ev := m["data"].(map[string]any)["event"].(map[string]any)
	ev["datetime"] = at.UTC().Format(time.RFC3339Nano)
	ev["timestamp"] = float64(at.UnixMilli()) / 1000
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

// eachBackend runs test once per store backend, in parallel subtests named
// after them, with the BOOTY_DATABASE_URL of a new, empty database.
func eachBackend(t *testing.T, test func(t *testing.T, dbURL string)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			test(t, b.URL(t))
		})
	}
}

// waitFor checks cond every 20 ms until it holds, and fails the test if
// timeout passes first.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		case <-tick.C:
		}
	}
}

// scrapeMetrics returns booty's /metrics page.
func scrapeMetrics(t *testing.T, p *process) string {
	t.Helper()
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
