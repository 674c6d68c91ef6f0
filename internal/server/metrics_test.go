package server_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	body := fixture(t, "event_alert.triggered.json")
	b.do(t, http.MethodPost, "/webhooks/sentry", body, webhookHeader(testSecret, "event_alert", body))
	b.do(t, http.MethodPost, "/webhooks/sentry", body, webhookHeader("wrong", "event_alert", body))

	rec := b.do(t, http.MethodGet, "/metrics", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", rec.Code)
	}
	for _, want := range []string{
		`booty_webhook_deliveries_total{outcome="create",resource="event_alert"} 1`,
		`booty_webhook_deliveries_total{outcome="invalid_signature",resource="event_alert"} 1`,
		`booty_decisions_total{decision="create"} 1`,
		`booty_webhook_answer_seconds_count 2`,
		`booty_jobs{state="available"} 1`,
		`booty_jobs{state="parked"} 0`,
		`booty_last_webhook_timestamp_seconds `,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, rec.Body)
		}
	}

	// Without the store booty_jobs is missing, the rest is served.
	b.st.Close()
	rec = b.do(t, http.MethodGet, "/metrics", nil, nil)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "booty_jobs{") ||
		!strings.Contains(rec.Body.String(), "booty_webhook_deliveries_total") {
		t.Errorf("store closed: got %d and\n%s\nwant 200 without booty_jobs", rec.Code, rec.Body)
	}
	if !strings.Contains(b.logs.String(), "count jobs by state") {
		t.Errorf("the failed collection was not logged:\n%s", b.logs)
	}
}
