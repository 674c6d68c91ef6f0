package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"booty/internal/intake"
	"booty/internal/server"
)

// withEvent returns body with its data.event changed by edit, compacted
// as Sentry sends it.
func withEvent(t *testing.T, body []byte, edit func(ev map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	edit(p["data"].(map[string]any)["event"].(map[string]any))
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWebhookAnswers sends one delivery of each row of the README's answer
// table, in order, through the real intake and store, and checks status,
// headers, body and the delivery's count in the metric.
func TestWebhookAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{opts: server.Options{MaxBody: 64 << 10}})
	alertBody := fixture(t, "event_alert.triggered.json")
	secondEvent := withEvent(t, alertBody, func(ev map[string]any) { ev["event_id"] = "0000000000000000000000000000e002" })
	info := withEvent(t, alertBody, func(ev map[string]any) {
		ev["issue_id"], ev["event_id"], ev["level"] = "900777", "0000000000000000000000000000e003", "info"
	})
	other := fixture(t, "issue.created.json")
	noEvent := []byte(`{"action":"triggered","data":{}}`)
	notJSON := []byte(`{"action":"triggered","data":`)
	huge := append(bytes.Clone(alertBody[:len(alertBody)-1]), []byte(`,"pad":"`+strings.Repeat("x", 64<<10)+`"}`)...)
	const key = "sentry:1117540176"

	signed := func(resource string, body []byte) http.Header { return webhookHeader(testSecret, resource, body) }
	for _, tc := range []struct {
		name       string
		body       []byte
		header     http.Header
		wantStatus int
		want       map[string]any
		outcome    string
		resource   string
	}{
		{"first alert", alertBody, signed("event_alert", alertBody), 202,
			map[string]any{"status": "accepted", "decision": "create", "problem_key": key}, "create", "event_alert"},
		{"same event again", alertBody, signed("event_alert", alertBody), 200,
			map[string]any{"status": "ignored", "reason": "duplicate", "problem_key": key}, "duplicate", "event_alert"},
		// The clock stands still: the quiet period (an hour in setup)
		// runs from the first alert's write decision.
		{"new event in the cooldown", secondEvent, signed("event_alert", secondEvent), 200,
			map[string]any{"status": "ignored", "reason": "cooldown", "problem_key": key,
				"cooldown_until": b.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "cooldown", "event_alert"},
		{"below the threshold", info, signed("event_alert", info), 200,
			map[string]any{"status": "ignored", "reason": "below_threshold", "problem_key": "sentry:900777"}, "below_threshold", "event_alert"},
		{"not an event alert", other, signed("issue", other), 200,
			map[string]any{"status": "ignored", "reason": "not_event_alert"}, "not_event_alert", "issue"},
		{"wrong signature", alertBody, webhookHeader("not-the-secret", "event_alert", alertBody), 401,
			map[string]any{"error": "invalid_signature"}, "invalid_signature", "event_alert"},
		{"no signature", alertBody, http.Header{"Sentry-Hook-Resource": {"event_alert"}}, 401,
			map[string]any{"error": "invalid_signature"}, "invalid_signature", "event_alert"},
		{"body over the limit", huge, signed("event_alert", huge), 413,
			map[string]any{"error": "body_too_large"}, "body_too_large", "event_alert"},
		{"required field missing", noEvent, signed("event_alert", noEvent), 422,
			map[string]any{"error": "invalid_payload", "missing": []any{"data.event"}}, "invalid_payload", "event_alert"},
		{"not JSON", notJSON, signed("event_alert", notJSON), 422,
			map[string]any{"error": "invalid_payload"}, "invalid_payload", "event_alert"},
	} {
		// In order: each row depends on the store the rows before it left.
		rec := b.do(t, http.MethodPost, "/webhooks/sentry", tc.body, tc.header)
		if rec.Code != tc.wantStatus {
			t.Errorf("%s: got %d %s, want %d", tc.name, rec.Code, rec.Body, tc.wantStatus)
		}
		if diff := cmp.Diff(tc.want, decode[map[string]any](t, rec)); diff != "" {
			t.Errorf("%s: body (-want +got):\n%s", tc.name, diff)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
		if ra := rec.Header().Get("Retry-After"); ra != "" {
			t.Errorf("%s: Retry-After %q, want none", tc.name, ra)
		}
		if got := testutil.ToFloat64(b.m.Deliveries.WithLabelValues(tc.resource, tc.outcome)); got < 1 {
			t.Errorf("%s: booty_webhook_deliveries_total{resource=%q,outcome=%q} = %v, want it counted",
				tc.name, tc.resource, tc.outcome, got)
		}
	}
	if got := testutil.ToFloat64(b.m.Deliveries.WithLabelValues("event_alert", "invalid_signature")); got != 2 {
		t.Errorf("invalid_signature counted %v times, want 2", got)
	}

	// The store goes away: 503, and Sentry is not told to come back
	// soon, since nothing says when it will be back.
	b.st.Close()
	rec := b.do(t, http.MethodPost, "/webhooks/sentry", secondEvent, signed("event_alert", secondEvent))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "" {
		t.Errorf("store closed: got %d Retry-After %q, want 503 without", rec.Code, rec.Header().Get("Retry-After"))
	}
	if diff := cmp.Diff(map[string]any{"error": "unavailable"}, decode[map[string]any](t, rec)); diff != "" {
		t.Errorf("store closed: body (-want +got):\n%s", diff)
	}
	if got := testutil.ToFloat64(b.m.Deliveries.WithLabelValues("event_alert", "unavailable")); got != 1 {
		t.Errorf("unavailable counted %v times, want 1", got)
	}
	if !strings.Contains(b.logs.String(), `"msg":"store unavailable; delivery not accepted"`) {
		t.Errorf("the store failure was not logged:\n%s", b.logs)
	}
}

// TestDeliveriesResourceLabel sends deliveries with a thousand different
// resource headers: each is counted, under a label value from a short
// fixed list.
func TestDeliveriesResourceLabel(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	body := []byte(`{}`)
	for _, tc := range []struct{ header, want string }{
		{"event_alert", "event_alert"},
		{" Event_Alert ", "event_alert"},
		{"metric_alert", "metric_alert"},
		{"issue", "issue"},
		{"installation", "installation"},
		{"", "none"},
		{"something_new", "other"},
	} {
		before := testutil.ToFloat64(b.m.Deliveries.WithLabelValues(tc.want, "invalid_signature"))
		b.do(t, http.MethodPost, "/webhooks/sentry", body, webhookHeader("wrong", tc.header, body))
		if got := testutil.ToFloat64(b.m.Deliveries.WithLabelValues(tc.want, "invalid_signature")); got != before+1 {
			t.Errorf("resource %q: resource=%q counted %v, want %v", tc.header, tc.want, got, before+1)
		}
	}
	for i := range 1000 {
		b.do(t, http.MethodPost, "/webhooks/sentry", body, webhookHeader("wrong", fmt.Sprintf("junk-%d", i), body))
	}
	if got := testutil.ToFloat64(b.m.Deliveries.WithLabelValues("other", "invalid_signature")); got != 1001 {
		t.Errorf("other: got %v, want 1001", got)
	}
	// One series per label value sent, and the unavailable one booty
	// starts with.
	if n := testutil.CollectAndCount(b.m.Deliveries); n != 7 {
		t.Errorf("got %d series, want 7", n)
	}
}

// TestRejectedRequestsCannotFloodTheLog replays the attack: 500
// unauthenticated requests, each with a 1 MB Request-ID. Every one is
// answered and counted; the log holds a sample of short lines, and the
// next line after the burst says how many were left out.
func TestRejectedRequestsCannotFloodTheLog(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	body := fixture(t, "event_alert.triggered.json")
	h := webhookHeader("not-the-secret", "event_alert", body)
	h.Set("Request-ID", strings.Repeat("R", 1<<20))
	const n = 500
	for i := range n {
		if rec := b.do(t, http.MethodPost, "/webhooks/sentry", body, h); rec.Code != http.StatusUnauthorized {
			t.Fatalf("request %d: got %d, want 401", i, rec.Code)
		}
	}
	if got := testutil.ToFloat64(b.m.Deliveries.WithLabelValues("event_alert", "invalid_signature")); got != n {
		t.Errorf("counted %v rejections, want %d", got, n)
	}
	logs := b.logs.String()
	lines := strings.Count(logs, "webhook signature missing or wrong")
	if lines == 0 || lines > 20 {
		t.Errorf("got %d log lines for %d rejections, want a sample of 1 to 20", lines, n)
	}
	if len(logs) > 16<<10 {
		t.Fatalf("%d rejections wrote %d bytes of log, want at most 16 KiB", n, len(logs))
	}
	for line := range strings.Lines(logs) {
		if len(line) > 1024 {
			t.Errorf("a log line of %d bytes: %.200s…", len(line), line)
		}
	}
	if !strings.Contains(logs, `"request_id":"`+strings.Repeat("R", 128)+`…[1048448 bytes cut]"`) {
		t.Errorf("the Request-ID was not cut to 128 bytes and marked:\n%.2000s", logs)
	}

	// A second later the sample goes on, with the count of lines left out.
	b.clock.Advance(time.Second)
	b.do(t, http.MethodPost, "/webhooks/sentry", body, h)
	last := lastLine(b.logs.String())
	want := fmt.Sprintf(`"suppressed":%d`, n-lines)
	if !strings.Contains(last, "webhook signature missing or wrong") || !strings.Contains(last, want) {
		t.Errorf("line after the burst: got %s, want it to say %s", last, want)
	}
}

func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// TestAcceptedRequestIDIsCut checks that a signed delivery (the signature
// covers the body only, so anyone replaying one chooses its headers) logs
// and records a bounded Request-ID.
func TestAcceptedRequestIDIsCut(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	body := fixture(t, "event_alert.triggered.json")
	h := webhookHeader(testSecret, "event_alert"+strings.Repeat("!", 1<<20), body)
	h.Set("Request-ID", strings.Repeat("R", 1<<20))
	rec := b.do(t, http.MethodPost, "/webhooks/sentry", body, h)
	if rec.Code != http.StatusOK { // the resource is not event_alert
		t.Fatalf("got %d %s, want 200", rec.Code, rec.Body)
	}
	if logs := b.logs.String(); len(logs) > 2048 {
		t.Errorf("one delivery wrote %d bytes of log:\n%.2000s", len(logs), logs)
	}
	var stored int
	if err := b.st.DB().QueryRowContext(t.Context(), `SELECT max(length(request_id)) FROM booty_deliveries`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == 0 || stored > 160 {
		t.Errorf("stored a Request-ID of %d characters, want it cut to about 128", stored)
	}
}

// gate instruments the real intake: each delivery inside it is counted
// and held until the test lets it go.
type gate struct {
	inner   server.Receiver
	entered chan struct{}
	release chan struct{}

	mu       sync.Mutex
	cur, max int
}

func newGate(inner server.Receiver) *gate {
	return &gate{inner: inner, entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (g *gate) Receive(ctx context.Context, resource, requestID string, body []byte) (intake.Result, error) {
	g.mu.Lock()
	g.cur++
	g.max = max(g.max, g.cur)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.cur--
		g.mu.Unlock()
	}()
	g.entered <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return intake.Result{}, ctx.Err()
	}
	return g.inner.Receive(ctx, resource, requestID, body)
}

func (g *gate) maxInside() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.max
}

// TestParseBudget holds deliveries inside the intake and checks that the
// budget bounds what is parsed at once: by size (two bodies near the limit
// fill it), and by count (each counts 16 KiB at least), and that a
// delivery finding it full is answered 503 with Retry-After.
func TestParseBudget(t *testing.T) {
	t.Parallel()
	const maxBody = 64 << 10
	small := fixture(t, "event_alert.triggered.json")
	big := append(bytes.Clone(small[:len(small)-1]), []byte(`,"pad":"`+strings.Repeat("x", maxBody-len(small)-20)+`"}`)...)
	if len(big) > maxBody || len(big) < maxBody-64 {
		t.Fatalf("big body is %d bytes", len(big))
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		inside int // deliveries the budget of 2 × maxBody lets in
	}{
		{"bodies near the limit", big, 2},
		{"small bodies", small, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var g *gate
			b := setup(t, setupOptions{
				opts: server.Options{MaxBody: maxBody, ParseBudget: 2 * maxBody, ParseWait: time.Millisecond},
				wrap: func(r server.Receiver) server.Receiver { g = newGate(r); return g },
			})
			h := webhookHeader(testSecret, "event_alert", tc.body)
			codes := make(chan int, tc.inside)
			for range tc.inside {
				go func() { codes <- b.do(t, http.MethodPost, "/webhooks/sentry", tc.body, h).Code }()
			}
			for range tc.inside {
				<-g.entered
			}
			// The budget is full and stays full until the gate opens: one
			// more is turned away once its wait is over.
			rec := b.do(t, http.MethodPost, "/webhooks/sentry", tc.body, h)
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
				t.Errorf("with the budget full: got %d Retry-After %q, want 503 Retry-After 1", rec.Code, rec.Header().Get("Retry-After"))
			}
			if got := decode[map[string]string](t, rec)["error"]; got != "unavailable" {
				t.Errorf("with the budget full: error %q, want unavailable", got)
			}
			close(g.release)
			for range tc.inside {
				if c := <-codes; c != http.StatusAccepted && c != http.StatusOK {
					t.Errorf("a delivery inside the budget got %d", c)
				}
			}
			if got := g.maxInside(); got != tc.inside {
				t.Errorf("%d deliveries were parsed at once, want %d", got, tc.inside)
			}
			// With room again, deliveries are taken.
			if rec := b.do(t, http.MethodPost, "/webhooks/sentry", tc.body, h); rec.Code != http.StatusOK {
				t.Errorf("after the budget freed: got %d %s, want 200", rec.Code, rec.Body)
			}
			if !strings.Contains(b.logs.String(), `"err":"wait to parse `+fmt.Sprint(len(tc.body))+` bytes: too many deliveries being parsed for 1ms"`) {
				t.Errorf("the refusal was not logged:\n%s", b.logs)
			}
		})
	}
}

// TestParseBudgetWaits checks that a delivery finding the budget full
// waits for room rather than being refused at once.
func TestParseBudgetWaits(t *testing.T) {
	t.Parallel()
	var g *gate
	body := fixture(t, "event_alert.triggered.json")
	b := setup(t, setupOptions{
		opts: server.Options{ParseBudget: 16 << 10, ParseWait: time.Minute},
		wrap: func(r server.Receiver) server.Receiver { g = newGate(r); return g },
	})
	h := webhookHeader(testSecret, "event_alert", body)
	codes := make(chan int, 2)
	for range 2 {
		go func() { codes <- b.do(t, http.MethodPost, "/webhooks/sentry", body, h).Code }()
	}
	<-g.entered
	g.release <- struct{}{} // the first finishes, so the second gets in
	<-g.entered
	g.release <- struct{}{}
	got := []int{<-codes, <-codes}
	if got[0]+got[1] != http.StatusAccepted+http.StatusOK {
		t.Errorf("got %v, want a 202 and a 200 (duplicate)", got)
	}
	if m := g.maxInside(); m != 1 {
		t.Errorf("%d deliveries were parsed at once, want 1", m)
	}
}

// TestUnauthenticatedRequestsTakeNoParseRoom fills the budget and checks
// that unsigned requests are still answered 401 at once: only verified
// deliveries wait for room.
func TestUnauthenticatedRequestsTakeNoParseRoom(t *testing.T) {
	t.Parallel()
	var g *gate
	body := fixture(t, "event_alert.triggered.json")
	b := setup(t, setupOptions{
		opts: server.Options{ParseBudget: 16 << 10, ParseWait: time.Minute},
		wrap: func(r server.Receiver) server.Receiver { g = newGate(r); return g },
	})
	done := make(chan int, 1)
	go func() {
		done <- b.do(t, http.MethodPost, "/webhooks/sentry", body, webhookHeader(testSecret, "event_alert", body)).Code
	}()
	<-g.entered
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/webhooks/sentry", bytes.NewReader(body))
	req.Header = webhookHeader("wrong", "event_alert", body)
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("unsigned with the budget full: got %d, want 401", rec.Code)
	}
	close(g.release)
	if c := <-done; c != http.StatusAccepted {
		t.Errorf("the held delivery got %d, want 202", c)
	}
}
