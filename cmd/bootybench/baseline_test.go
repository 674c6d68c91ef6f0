package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"booty/internal/fixture"
	"booty/internal/sentry"
)

func postBaseline(t *testing.T, h http.Handler, body []byte, sig string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/sentry", bytes.NewReader(body))
	if sig != "" {
		req.Header.Set("Sentry-Hook-Signature", sig)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestBaselineHandler(t *testing.T) {
	t.Parallel()
	h := baselineHandler(benchSecret)
	good := fixture.Sentry(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	sign := func(b []byte) string { return sentry.Sign([]byte(benchSecret), b) }
	// A generic decode takes any JSON; the fields booty uses must have
	// their types, as in booty.
	wrongShape := []byte(`{"action":"triggered","data":{"event":{"issue_id":"1","exception":"boom"}}}`)
	big := append([]byte(`{"pad":"`), bytes.Repeat([]byte("a"), baselineMaxBody)...)
	big = append(big, `"}`...)
	tests := []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"real payload", good, sign(good), http.StatusAccepted},
		{"docs payload", fixture.Sentry(t, "event_alert.triggered.json"), sign(fixture.Sentry(t, "event_alert.triggered.json")), http.StatusAccepted},
		{"no signature", good, "", http.StatusUnauthorized},
		{"wrong signature", good, sentry.Sign([]byte("other"), good), http.StatusUnauthorized},
		{"not JSON", []byte("nope"), sign([]byte("nope")), http.StatusUnprocessableEntity},
		{"no data.event", []byte(`{"action":"triggered","data":{}}`), sign([]byte(`{"action":"triggered","data":{}}`)), http.StatusUnprocessableEntity},
		{"exception not an object", wrongShape, sign(wrongShape), http.StatusUnprocessableEntity},
		{"over the body limit", big, sign(big), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := postBaseline(t, h, tt.body, tt.sig); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// FuzzBaselineHandler: the baseline reads outside input like booty does;
// any signed body gets 202, 413 or 422, never a panic.
func FuzzBaselineHandler(f *testing.F) {
	f.Add(fixture.Sentry(f, "event_alert.triggered.json"))
	f.Add([]byte(`{"data":{"event":{"breadcrumbs":{"values":[{"timestamp":"x"}]}}}}`))
	f.Add([]byte(`[]`))
	h := baselineHandler(benchSecret)
	f.Fuzz(func(t *testing.T, body []byte) {
		switch got := postBaseline(t, h, body, sentry.Sign([]byte(benchSecret), body)); got {
		case http.StatusAccepted, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("got %d", got)
		}
	})
}
