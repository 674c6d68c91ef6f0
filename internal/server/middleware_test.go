package server_test

import (
	"net/http"
	"strings"
	"testing"

	"booty/internal/apm"
)

func TestPanicIsAnswered500AndBootyServesOn(t *testing.T) {
	t.Parallel()
	for _, reporting := range []bool{true, false} {
		name := "reporting off"
		if reporting {
			name = "reporting on"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOptions{sentry: reporting, receiver: panicReceiver{}})
			body := fixture(t, "event_alert.triggered.json")
			h := webhookHeader(testSecret, "event_alert", body)
			h.Set("Authorization", "Bearer "+testToken)

			for i := range 2 {
				rec := b.do(t, http.MethodPost, "/webhooks/sentry", body, h)
				if rec.Code != http.StatusInternalServerError {
					t.Fatalf("panic %d: got %d %s, want 500", i, rec.Code, rec.Body)
				}
				if got := decode[map[string]string](t, rec)["error"]; got != "internal" {
					t.Errorf("panic %d: error %q, want internal", i, got)
				}
			}
			if rec := b.do(t, http.MethodGet, "/health", nil, nil); rec.Code != http.StatusOK {
				t.Errorf("after the panics: /health got %d, want 200", rec.Code)
			}
			if n := strings.Count(b.logs.String(), "handler panicked"); n != 2 {
				t.Errorf("got %d panic log lines, want 2:\n%s", n, b.logs)
			}
			if !reporting {
				return
			}
			if !b.rep.Flush(apm.FlushTimeout) {
				t.Fatal("events not delivered")
			}
			evs := b.sentry.Events()
			if len(evs) != 2 {
				t.Fatalf("got %d events, want 2:\n%s", len(evs), b.sentry)
			}
			ev := evs[0]
			if ev.Message != "receiver bug: index out of range" || ev.Release != "rel-7" || ev.Environment != "development" {
				t.Errorf("got message %q release %q environment %q", ev.Message, ev.Release, ev.Environment)
			}
			if ev.Request == nil || !strings.HasSuffix(ev.Request.URL, "/webhooks/sentry") || ev.Request.Headers["Sentry-Hook-Resource"] != "event_alert" {
				t.Errorf("event does not carry the request: %+v", ev.Request)
			}
			if leaks := contains(string(b.sentry.Received()), testSecret, testToken, h.Get("Sentry-Hook-Signature"), `"culprit"`); len(leaks) > 0 {
				t.Errorf("reached Sentry: %q", leaks)
			}
		})
	}
}
