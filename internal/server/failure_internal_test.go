package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	"booty/internal/intake"
	"booty/internal/sentry"
)

// TestToFailure wraps each error the way the webhook does and checks the
// answer, log level and line it maps to. The table is the README's.
func TestToFailure(t *testing.T) {
	t.Parallel()
	_, payloadErr := sentry.Parse("event_alert", []byte(`{"action":"triggered","data":{}}`))
	_, syntaxErr := sentry.Parse("event_alert", []byte(`{"action":`))
	verifyErr := sentry.Verify([]byte("secret"), []byte("{}"), "00")
	// A store sentinel booty does not know by name: any store failure
	// (a vanished database refusing writes too) is 503.
	refusing := errors.New("store: database file replaced; refusing writes")
	for _, tc := range []struct {
		name           string
		err            error
		wantStatus     int
		wantCode       string
		wantMissing    []string
		wantRetryAfter int
		wantLevel      slog.Level
		wantMsg        string
	}{
		{"body over the limit", fmt.Errorf("read webhook body: %w", &http.MaxBytesError{Limit: 1 << 20}),
			413, "body_too_large", nil, 0, slog.LevelWarn, "webhook body over the limit"},
		{"body cut off", fmt.Errorf("read webhook body: %w: %w", errReadBody, io.ErrUnexpectedEOF),
			400, "bad_request", nil, 0, slog.LevelWarn, "reading webhook body failed"},
		{"wrong signature", fmt.Errorf("verify webhook: %w", verifyErr),
			401, "invalid_signature", nil, 0, slog.LevelWarn, "webhook signature missing or wrong"},
		{"required field missing", fmt.Errorf("receive delivery: %w", payloadErr),
			422, "invalid_payload", []string{"data.event"}, 0, slog.LevelWarn, "webhook payload rejected"},
		{"not JSON", fmt.Errorf("receive delivery: %w", syntaxErr),
			422, "invalid_payload", nil, 0, slog.LevelWarn, "webhook payload rejected"},
		{"no room to parse", fmt.Errorf("wait to parse 10 bytes: %w: %w", errBusy, context.DeadlineExceeded),
			503, "unavailable", nil, 1, slog.LevelWarn, "too many deliveries being parsed; delivery not accepted"},
		{"store refusing writes", fmt.Errorf("receive delivery: accept: %w", refusing),
			503, "unavailable", nil, 0, slog.LevelError, "store unavailable; delivery not accepted"},
		{"store closed", fmt.Errorf("receive delivery: %w", sql.ErrConnDone),
			503, "unavailable", nil, 0, slog.LevelError, "store unavailable; delivery not accepted"},
		{"store too slow", fmt.Errorf("receive delivery: %w", context.DeadlineExceeded),
			503, "unavailable", nil, 0, slog.LevelError, "store unavailable; delivery not accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := toFailure(tc.err)
			if f.status != tc.wantStatus || f.code != tc.wantCode || f.retryAfter != tc.wantRetryAfter ||
				f.level != tc.wantLevel || f.msg != tc.wantMsg {
				t.Errorf("got %d %s retry-after %d level %v %q, want %d %s retry-after %d level %v %q",
					f.status, f.code, f.retryAfter, f.level, f.msg,
					tc.wantStatus, tc.wantCode, tc.wantRetryAfter, tc.wantLevel, tc.wantMsg)
			}
			if diff := cmp.Diff(tc.wantMissing, f.missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOKAnswer(t *testing.T) {
	t.Parallel()
	key := "sentry:1117540176"
	a := &alert.Alert{ProblemKey: key}
	until := time.Date(2031, 3, 4, 13, 6, 7, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		name       string
		res        intake.Result
		wantStatus int
		want       any
	}{
		{"create", intake.Result{Alert: a, Decision: alert.Decision{Action: alert.ActionCreate}},
			202, acceptedBody{Status: "accepted", Decision: "create", ProblemKey: key}},
		{"reopen", intake.Result{Alert: a, Decision: alert.Decision{Action: alert.ActionReopen}},
			202, acceptedBody{Status: "accepted", Decision: "reopen", ProblemKey: key}},
		{"cooldown says until when, in UTC", intake.Result{Alert: a, Decision: alert.Decision{Reason: alert.ReasonCooldown}, CooldownUntil: until},
			200, ignoredBody{Status: "ignored", Reason: "cooldown", ProblemKey: key, CooldownUntil: "2031-03-04T12:06:07Z"}},
		{"cooldown without a deadline", intake.Result{Alert: a, Decision: alert.Decision{Reason: alert.ReasonCooldown}},
			200, ignoredBody{Status: "ignored", Reason: "cooldown", ProblemKey: key}},
		{"duplicate names the problem only", intake.Result{Alert: a, Decision: alert.Decision{Reason: alert.ReasonDuplicate}, CooldownUntil: until},
			200, ignoredBody{Status: "ignored", Reason: "duplicate", ProblemKey: key}},
		{"below threshold", intake.Result{Alert: a, Decision: alert.Decision{Reason: alert.ReasonBelowThreshold}},
			200, ignoredBody{Status: "ignored", Reason: "below_threshold", ProblemKey: key}},
		{"not an event alert has no problem", intake.Result{Decision: alert.Decision{Reason: alert.ReasonNotEventAlert}},
			200, ignoredBody{Status: "ignored", Reason: "not_event_alert"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := okAnswer(tc.res)
			if status != tc.wantStatus {
				t.Errorf("status: got %d, want %d", status, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.want, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"long", strings.Repeat("x", 300), 128, strings.Repeat("x", 128) + "…[172 bytes cut]"},
		{"cut inside a rune", "ab€", 3, "ab…[3 bytes cut]"},
		{"empty", "", 8, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := clip(tc.in, tc.n); got != tc.want {
				t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}

// FuzzClip checks that whatever a sender puts in a header, what is logged
// is a bounded prefix of it, still valid UTF-8 when the input was.
func FuzzClip(f *testing.F) {
	f.Add("0123456789abcdef", 4)
	f.Add("ab€cd", 3)
	f.Add(strings.Repeat("\xff", 200), 128)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<12 {
			t.Skip()
		}
		got := clip(s, n)
		if len(s) <= n {
			if got != s {
				t.Fatalf("clip(%q, %d) = %q, want it unchanged", s, n, got)
			}
			return
		}
		kept, _, ok := strings.Cut(got, "…[")
		if !ok || !strings.HasPrefix(s, kept) || len(kept) > n || len(got) > n+len("…[ bytes cut]")+20 {
			t.Fatalf("clip(%q, %d) = %q, want a marked prefix of at most %d bytes", s, n, got, n)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("clip(%q, %d) = %q is not valid UTF-8", s, n, got)
		}
	})
}

func TestLogSampler(t *testing.T) {
	t.Parallel()
	l := newLogSampler(1, 3)
	t0 := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at             time.Duration
		kind           string
		wantOK         bool
		wantSuppressed int
	}
	steps := []step{
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 0},
		{0, "a", false, 0},
		{0, "b", true, 0}, // kinds do not share a budget
		{500 * time.Millisecond, "a", false, 0},
		{time.Second, "a", true, 3}, // the line says how many were left out
		{time.Second, "a", false, 0},
		{10 * time.Second, "a", true, 1},
		{10 * time.Second, "a", true, 0},
	}
	for i, s := range steps {
		ok, n := l.allow(s.kind, t0.Add(s.at))
		if ok != s.wantOK || n != s.wantSuppressed {
			t.Errorf("step %d (%s at %v): got %v, %d suppressed; want %v, %d", i+1, s.kind, s.at, ok, n, s.wantOK, s.wantSuppressed)
		}
	}
}
