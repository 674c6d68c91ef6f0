package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"booty/internal/apm"
	"booty/internal/server"
)

type selfTestAnswer struct {
	Error     string `json:"error"`
	EventID   string `json:"event_id"`
	Reporting string `json:"reporting"`
	Delivered bool   `json:"delivered"`
}

func TestSelfTestGuard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		token      string
		production bool
		header     string // X-Internal-Token sent; "" sends none
		want       int
		wantError  string
	}{
		{"no token configured, development", "", false, "", 500, "sentry_test"},
		{"no token configured, development, header ignored", "", false, "anything", 500, "sentry_test"},
		{"token configured, header missing", testIToken, false, "", 401, "unauthorized"},
		{"token configured, header wrong", testIToken, false, testIToken + "x", 401, "unauthorized"},
		{"token configured, header right", testIToken, false, testIToken, 500, "sentry_test"},
		{"production without token", "", true, "", 403, "forbidden"},
		{"production without token, header sent", "", true, "guess", 403, "forbidden"},
		{"production, token configured, header wrong", testIToken, true, "guess", 401, "unauthorized"},
		{"production, token configured, header right", testIToken, true, testIToken, 500, "sentry_test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOptions{sentry: true, opts: server.Options{InternalTestToken: tc.token, Production: tc.production}})
			h := http.Header{}
			if tc.header != "" {
				h.Set("X-Internal-Token", tc.header)
			}
			rec := b.do(t, http.MethodGet, "/internal/sentry-test", nil, h)
			got := decode[selfTestAnswer](t, rec)
			if rec.Code != tc.want || got.Error != tc.wantError {
				t.Fatalf("got %d %s, want %d %s", rec.Code, rec.Body, tc.want, tc.wantError)
			}
			b.rep.Flush(apm.FlushTimeout)
			evs := b.sentry.Events()
			if tc.want != 500 {
				if len(evs) != 0 {
					t.Errorf("a refused request raised %d events", len(evs))
				}
				return
			}
			if got.EventID == "" || got.Reporting != "on" || !got.Delivered {
				t.Errorf("answer %+v, want an event id, reporting on, delivered", got)
			}
			if len(evs) != 1 || evs[0].ID != got.EventID {
				t.Fatalf("got events %+v, want one with id %s", evs, got.EventID)
			}
			ev := evs[0]
			if !ev.HasExceptionType("*server.selfTestError") || ev.Tags["booty_test"] != "sentry-test" ||
				ev.Release != "rel-7" || ev.Environment != "development" {
				t.Errorf("event: exceptions %+v tags %v release %q environment %q", ev.Exception, ev.Tags, ev.Release, ev.Environment)
			}
			if strings.Contains(string(b.sentry.Received()), testIToken) {
				t.Errorf("the internal token reached Sentry:\n%s", b.sentry.Received())
			}
		})
	}
}

func TestSelfTestWithReportingOff(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{})
	rec := b.do(t, http.MethodGet, "/internal/sentry-test", nil, nil)
	got := decode[selfTestAnswer](t, rec)
	want := selfTestAnswer{Error: "sentry_test", Reporting: "off"}
	if rec.Code != http.StatusInternalServerError || got != want {
		t.Errorf("got %d %+v, want 500 %+v", rec.Code, got, want)
	}
}

// TestSelfTestRateLimit makes the requests at one instant of the injected
// clock: five pass, the sixth is refused, another client is not affected,
// and the budget comes back with time.
func TestSelfTestRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{opts: server.Options{InternalTestToken: testIToken}})
	get := func(addr, token string) int {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/internal/sentry-test", nil)
		req.RemoteAddr = addr
		req.Header.Set("X-Internal-Token", token)
		rec := httptest.NewRecorder()
		b.h.ServeHTTP(rec, req)
		if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		return rec.Code
	}
	const a, other = "198.51.100.1:5000", "198.51.100.2:5000"
	steps := []struct {
		advance time.Duration
		addr    string
		token   string
		want    int
	}{
		{0, a, testIToken, 500},
		{0, a, testIToken, 500},
		{0, a, "wrong", 401}, // a wrong token spends the budget too
		{0, "198.51.100.1:6000", testIToken, 500},
		{0, a, testIToken, 500},
		{0, a, testIToken, 429},
		{0, a, testIToken, 429},
		{0, other, testIToken, 500},
		{11 * time.Second, a, testIToken, 429},
		{time.Second, a, testIToken, 500},
		{0, a, testIToken, 429},
		{time.Minute, a, testIToken, 500},
		{0, a, testIToken, 500},
		{0, a, testIToken, 500},
		{0, a, testIToken, 500},
		{0, a, testIToken, 500},
		{0, a, testIToken, 429},
	}
	for i, s := range steps {
		b.clock.Advance(s.advance)
		if got := get(s.addr, s.token); got != s.want {
			t.Errorf("request %d (%s): got %d, want %d", i+1, s.addr, got, s.want)
		}
	}
}
