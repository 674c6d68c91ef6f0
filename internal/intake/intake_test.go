package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"

	"booty/internal/alert"
	"booty/internal/clocktest"
	fixtureload "booty/internal/fixture"
	"booty/internal/intake"
	"booty/internal/logtest"
	"booty/internal/sentry"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/worker"
)

const vueFixture = "event_alert.triggered.vue-breadcrumbs-zulip-2023.json"

// t0 is a millisecond-exact time after the fixture's events (May 2023).
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

type bundle struct {
	in    *intake.Intake
	st    *store.Store
	jobs  *worker.Client
	clock *clocktest.Clock
	logs  *logtest.Buffer
}

type setupOpts struct {
	cooldown time.Duration
	redact   func(string) string
	// wrapEnqueue, when set, wraps the real enqueuer.
	wrapEnqueue func(intake.EnqueueFunc) intake.EnqueueFunc
}

// eachBackend runs test once per store backend, in parallel subtests named
// after them.
func eachBackend(t *testing.T, test func(t *testing.T, b storetest.Backend)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

// setup returns an intake over a real store on a new database of backend,
// with a River client that inserts real jobs (nothing runs them).
func setup(t *testing.T, backend storetest.Backend, o setupOpts) *bundle {
	t.Helper()
	b := &bundle{clock: clocktest.New(t0), logs: &logtest.Buffer{}}
	log := slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := store.Open(t.Context(), backend.URL(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b.st = st
	jobs, err := worker.NewClient(st, nil, log, 1)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	b.jobs = jobs
	redact := o.redact
	if redact == nil {
		redact = func(s string) string { return s }
	}
	enqueue := worker.Enqueuer(jobs)
	if o.wrapEnqueue != nil {
		enqueue = o.wrapEnqueue(enqueue)
	}
	b.in = intake.New(alert.NewPipeline(alert.SeverityError, o.cooldown), st, enqueue, redact, log, b.clock.Now)
	return b
}

// event returns the real event alert with edits to data.event applied.
func event(t *testing.T, edit func(ev map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixtureload.Sentry(t, vueFixture), &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m["data"].(map[string]any)["event"].(map[string]any))
	}
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// withEvent sets the event id and its own time.
func withEvent(id string, at time.Time) func(ev map[string]any) {
	return func(ev map[string]any) {
		ev["event_id"] = id
		ev["datetime"] = at.Format(time.RFC3339Nano)
		ev["timestamp"] = float64(at.UnixMilli()) / 1000
	}
}

func (b *bundle) receive(t *testing.T, resource string, body []byte) intake.Result {
	t.Helper()
	res, err := b.in.Receive(t.Context(), resource, "req-1", body)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return res
}

func decisions(t *testing.T, st *store.Store) []string {
	t.Helper()
	return storetest.Strings(t, st, `SELECT decision FROM booty_deliveries ORDER BY id`)
}

// jobArgs returns the arguments of every job, oldest first, as compact
// JSON whichever way the backend keeps it.
func (b *bundle) jobArgs(t *testing.T) []string {
	t.Helper()
	res, err := b.jobs.JobList(t.Context(), river.NewJobListParams().First(1000))
	if err != nil {
		t.Fatalf("JobList: %v", err)
	}
	var out []string
	for _, j := range res.Jobs {
		var buf bytes.Buffer
		if err := json.Compact(&buf, j.EncodedArgs); err != nil {
			t.Fatalf("job %d's args: %v", j.ID, err)
		}
		out = append(out, buf.String())
	}
	return out
}

func TestReceiveFiltered(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		tests := []struct {
			name     string
			resource string
			body     func(t *testing.T) []byte
			want     alert.Reason
		}{
			{"other resource", "issue", func(t *testing.T) []byte { return fixtureload.Sentry(t, "issue.created.json") }, alert.ReasonNotEventAlert},
			{"below threshold", "event_alert", func(t *testing.T) []byte {
				return event(t, func(ev map[string]any) { ev["level"] = "warning" })
			}, alert.ReasonBelowThreshold},
			{"sample event", "event_alert", func(t *testing.T) []byte {
				return event(t, func(ev map[string]any) { ev["tags"] = append(ev["tags"].([]any), []any{"sample_event", "YES"}) })
			}, alert.ReasonSampleEvent},
			{"level with a NUL is still below", "event_alert", func(t *testing.T) []byte {
				return event(t, func(ev map[string]any) { ev["level"] = "info\x00" })
			}, alert.ReasonBelowThreshold},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, backend, setupOpts{cooldown: time.Hour})
				res := b.receive(t, tt.resource, tt.body(t))
				if res.Decision != (alert.Decision{Reason: tt.want}) || !res.CooldownUntil.IsZero() {
					t.Errorf("got %q until %v, want %q and no cooldown", res.Decision, res.CooldownUntil, tt.want)
				}
				if diff := cmp.Diff([]string{string(tt.want)}, decisions(t, b.st)); diff != "" {
					t.Errorf("delivery records (-want +got):\n%s", diff)
				}
				if jobs := b.jobArgs(t); len(jobs) != 0 {
					t.Errorf("got %d jobs for a filtered delivery, want none", len(jobs))
				}
			})
		}
	})
}

func TestReceiveAcceptedDuplicateCooldown(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		const cooldown = 6 * time.Hour
		b := setup(t, backend, setupOpts{cooldown: cooldown})
		first := event(t, withEvent("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", t0))

		res := b.receive(t, "event_alert", first)
		if res.Decision != (alert.Decision{Action: alert.ActionCreate}) || res.Alert == nil || res.Alert.ProblemKey != "sentry:4214010673" {
			t.Fatalf("first delivery: got %+v, want a create for sentry:4214010673", res)
		}
		if jobs := b.jobArgs(t); len(jobs) != 1 || !strings.Contains(jobs[0], `"action":"create"`) {
			t.Fatalf("jobs after the first delivery: got %q, want one create", jobs)
		}

		b.clock.Set(t0.Add(time.Minute))
		if res := b.receive(t, "event_alert", first); res.Decision != (alert.Decision{Reason: alert.ReasonDuplicate}) {
			t.Errorf("same delivery again: got %q, want duplicate", res.Decision)
		}

		b.clock.Set(t0.Add(time.Hour))
		second := event(t, withEvent("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", t0.Add(time.Hour)))
		res = b.receive(t, "event_alert", second)
		if res.Decision != (alert.Decision{Reason: alert.ReasonCooldown}) {
			t.Fatalf("new event within the cooldown: got %q, want cooldown", res.Decision)
		}
		if want := t0.Add(cooldown); !res.CooldownUntil.Equal(want) {
			t.Errorf("CooldownUntil = %v, want %v (the create plus the cooldown)", res.CooldownUntil, want)
		}

		if diff := cmp.Diff([]string{"create", "duplicate", "cooldown"}, decisions(t, b.st)); diff != "" {
			t.Errorf("delivery records (-want +got):\n%s", diff)
		}
		p, err := b.st.Problem(t.Context(), "sentry:4214010673")
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if p.Count != 2 || len(b.jobArgs(t)) != 1 {
			t.Errorf("got %d events and %d jobs, want 2 and 1", p.Count, len(b.jobArgs(t)))
		}
	})
}

// TestReceiveOutlivesTheSender cancels the request's context once the
// decision is taken, as a sender hanging up does: the job is still
// inserted and the delivery recorded, since on PostgreSQL the statements
// may carry other deliveries' writes.
func TestReceiveOutlivesTheSender(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		ctx, hangUp := context.WithCancel(t.Context())
		defer hangUp()
		b := setup(t, backend, setupOpts{wrapEnqueue: func(next intake.EnqueueFunc) intake.EnqueueFunc {
			return func(ctx context.Context, tx *store.Tx, a *alert.Alert, d alert.Decision) (int64, error) {
				hangUp()
				return next(ctx, tx, a, d)
			}
		}})
		res, err := b.in.Receive(ctx, "event_alert", "req-1", event(t, nil))
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		if res.Decision != (alert.Decision{Action: alert.ActionCreate}) {
			t.Errorf("decision = %+v, want a create", res.Decision)
		}
		if jobs := b.jobArgs(t); len(jobs) != 1 {
			t.Errorf("jobs = %q, want the create's", jobs)
		}
		if diff := cmp.Diff([]string{"create"}, decisions(t, b.st)); diff != "" {
			t.Errorf("delivery records (-want +got):\n%s", diff)
		}
	})
}

// TestReceiveReplay replays captured deliveries, as an attacker holding
// two signed bodies would: alternated for days they count two events and
// write once; after the issue is closed they reopen nothing, and an older
// event never seen is counted without a write.
func TestReceiveReplay(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, backend, setupOpts{cooldown: time.Hour})
		const key = "sentry:4214010673"
		a := event(t, withEvent("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", t0))
		bb := event(t, withEvent("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", t0.Add(time.Minute)))

		var got []string
		for i := range 10 {
			b.clock.Set(t0.Add(time.Duration(i) * 2 * time.Hour))
			if i == 1 {
				// The worker filed the issue.
				if err := b.st.SetIssue(t.Context(), key, 12, false, time.Time{}); err != nil {
					t.Fatalf("SetIssue: %v", err)
				}
			}
			got = append(got, b.receive(t, "event_alert", [][]byte{a, bb}[i%2]).Decision.String())
		}
		want := []string{"create", "comment", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("alternated replays (-want +got):\n%s", diff)
		}
		p, err := b.st.Problem(t.Context(), key)
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if p.Count != 2 {
			t.Errorf("got %d events counted from 2, want 2", p.Count)
		}

		// The issue is closed a day later; a month on, the captures come back.
		closedAt := t0.Add(24 * time.Hour)
		if err := b.st.SetIssue(t.Context(), key, 12, true, closedAt); err != nil {
			t.Fatalf("SetIssue: %v", err)
		}
		jobsBefore := len(b.jobArgs(t))
		b.clock.Set(t0.Add(30 * 24 * time.Hour))
		older := event(t, withEvent("cccccccccccccccccccccccccccccccc", closedAt.Add(-time.Hour)))
		got = nil
		for _, body := range [][]byte{a, bb, older} {
			got = append(got, b.receive(t, "event_alert", body).Decision.String())
		}
		if diff := cmp.Diff([]string{"duplicate", "duplicate", "predates_close"}, got); diff != "" {
			t.Errorf("replays after the close (-want +got):\n%s", diff)
		}
		if n := len(b.jobArgs(t)); n != jobsBefore {
			t.Errorf("replays after the close made %d jobs, want none", n-jobsBefore)
		}
		newer := event(t, withEvent("dddddddddddddddddddddddddddddddd", closedAt.Add(time.Hour)))
		if res := b.receive(t, "event_alert", newer); res.Decision != (alert.Decision{Action: alert.ActionReopen}) {
			t.Errorf("an event after the close: got %q, want reopen", res.Decision)
		}
	})
}

// TestReceiveRedacts sends a secret in every kind of text an event carries
// and checks that the delivery records, the job and the log hold only the
// redacted text.
func TestReceiveRedacts(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		const secret = "ghp_SECRETSECRETSECRETSECRETSECRET0123"
		redact := func(s string) string { return strings.ReplaceAll(s, secret, "[REDACTED]") }
		b := setup(t, backend, setupOpts{cooldown: time.Hour, redact: redact})
		body := event(t, func(ev map[string]any) {
			ev["title"] = "TypeError: token " + secret
			ev["culprit"] = "auth(" + secret + ")"
			ev["release"] = "v1+" + secret
			ev["environment"] = "prod-" + secret
			ev["level"] = "loud-" + secret // unknown: logged
			ev["web_url"] = "https://sentry.io/organizations/o/issues/1/events/2/?t=" + secret
			ev["tags"] = []any{[]any{"token", secret}, []any{secret, "v"}}
			exc := ev["exception"].(map[string]any)["values"].([]any)
			last := exc[len(exc)-1].(map[string]any)
			last["value"] = "bad token " + secret
			frames := last["stacktrace"].(map[string]any)["frames"].([]any)
			f := frames[len(frames)-1].(map[string]any)
			f["context_line"] = "const token = '" + secret + "'"
			f["pre_context"] = []any{"// " + secret}
			f["post_context"] = []any{"use(" + secret + ")"}
			f["function"] = "fn_" + secret
			f["abs_path"] = "https://app/" + secret + ".js"
			ev["breadcrumbs"] = map[string]any{"values": []any{
				map[string]any{"message": "login with " + secret, "category": "auth"},
				map[string]any{"category": "http", "data": map[string]any{"url": "https://api/?key=" + secret}},
			}}
		})
		res, err := b.in.Receive(t.Context(), "event_alert", "req-"+secret, body)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		if !res.Decision.Accepted() {
			t.Fatalf("got %q, want the alert accepted", res.Decision)
		}
		stored := map[string][]string{
			"job args":   b.jobArgs(t),
			"deliveries": storetest.Strings(t, b.st, `SELECT request_id || ' ' || action || ' ' || problem_key || ' ' || event_id FROM booty_deliveries`),
			"log":        {b.logs.String()},
		}
		if len(stored["job args"]) != 1 || !strings.Contains(stored["job args"][0], "[REDACTED]") {
			t.Fatalf("job args: got %q, want one job with redacted text", stored["job args"])
		}
		if !strings.Contains(b.logs.String(), "loud-[REDACTED]") {
			t.Errorf("the unknown level was not logged redacted: %s", b.logs.String())
		}
		for what, texts := range stored {
			for _, s := range texts {
				if strings.Contains(s, secret) {
					t.Errorf("%s hold the secret: %s", what, s)
				}
			}
		}
		// The Result the server answers and logs from is the redacted alert.
		if a := res.Alert; strings.Contains(a.Title+a.ExceptionValue+a.Frames[len(a.Frames)-1].ContextLine, secret) {
			t.Errorf("result alert holds the secret: %+v", a)
		}
	})
}

func TestReceiveRejectsEmptyEventAlert(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, backend, setupOpts{cooldown: time.Hour})
		_, err := b.in.Receive(t.Context(), "event_alert", "req-1", []byte(`{}`))
		var pe *sentry.PayloadError
		if !errors.As(err, &pe) {
			t.Fatalf("Receive({}) = %v, want a *sentry.PayloadError", err)
		}
		if diff := cmp.Diff([]string{"action", "data.event"}, pe.Missing); diff != "" {
			t.Errorf("missing (-want +got):\n%s", diff)
		}
		if got := decisions(t, b.st); len(got) != 0 {
			t.Errorf("a rejected payload was recorded: %q", got)
		}
	})
}

func TestNewRefusesNilRedactor(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("New with a nil redactor did not panic")
		}
	}()
	intake.New(alert.NewPipeline(alert.SeverityError, time.Hour), nil, nil, nil, slog.New(slog.DiscardHandler), time.Now)
}

var _ intake.Store = (*store.Store)(nil)
