package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	"booty/internal/store"
)

// acceptAll runs each alert through the real pipeline and the store at its
// time, and returns the decisions and how many jobs were enqueued.
func acceptAll(t *testing.T, st *store.Store, pl *alert.Pipeline, alerts []*alert.Alert, at []time.Time) ([]string, int) {
	t.Helper()
	jobs := 0
	enqueue := func(context.Context, *store.Tx, *alert.Alert, alert.Decision) (int64, error) {
		jobs++
		return int64(jobs), nil
	}
	var got []string
	for i, a := range alerts {
		now := at[i]
		d, err := accept(t.Context(), st, newDelivery(a.ProblemKey, a.EventID, now), a,
			func(prev alert.Problem) (alert.Decision, alert.Problem) { return pl.Decide(a, prev, now) }, enqueue)
		if err != nil {
			t.Fatalf("Accept %d: %v", i, err)
		}
		got = append(got, d.String())
	}
	return got, jobs
}

// TestAcceptAlternatingReplays replays two captured deliveries of one
// problem in turn, hours apart: only the first sight of each event counts,
// and only the first delivery writes to GitHub.
func TestAcceptAlternatingReplays(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		pl := alert.NewPipeline(alert.SeverityError, 6*time.Hour)
		mk := func(id string, at time.Time) *alert.Alert {
			return &alert.Alert{ProblemKey: "sentry:77", EventID: id, Level: alert.SeverityError, Timestamp: at}
		}
		a, b := mk("ev-a", base), mk("ev-b", base.Add(time.Minute))
		var (
			alerts []*alert.Alert
			at     []time.Time
		)
		for i := range 10 {
			alerts = append(alerts, []*alert.Alert{a, b}[i%2])
			at = append(at, base.Add(time.Duration(i)*3*time.Hour))
		}
		got, jobs := acceptAll(t, st, pl, alerts[:1], at[:1])
		if err := st.SetIssue(t.Context(), "sentry:77", 5, false, time.Time{}); err != nil {
			t.Fatalf("SetIssue: %v", err)
		}
		rest, more := acceptAll(t, st, pl, alerts[1:], at[1:])
		got, jobs = append(got, rest...), jobs+more
		want := []string{"create", "cooldown", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decisions (-want +got):\n%s", diff)
		}
		p, err := st.Problem(t.Context(), "sentry:77")
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if p.Count != 2 || jobs > 1 {
			t.Errorf("got %d events counted and %d GitHub jobs, want 2 and at most 1", p.Count, jobs)
		}
	})
}

// TestAcceptReplayAfterClose replays a captured delivery, and sends an
// older event never seen, after the issue was closed: neither reopens it;
// an event after the close does.
func TestAcceptReplayAfterClose(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		pl := alert.NewPipeline(alert.SeverityError, time.Hour)
		const key = "sentry:78"
		mk := func(id string, at time.Time) *alert.Alert {
			return &alert.Alert{ProblemKey: key, EventID: id, Level: alert.SeverityError, Timestamp: at}
		}
		if got, _ := acceptAll(t, st, pl, []*alert.Alert{mk("ev1", base)}, []time.Time{base}); got[0] != "create" {
			t.Fatalf("first alert: got %s, want create", got[0])
		}
		closedAt := base.Add(24 * time.Hour)
		if err := st.SetIssue(ctx, key, 5, true, closedAt); err != nil {
			t.Fatalf("SetIssue: %v", err)
		}
		month := base.Add(30 * 24 * time.Hour)
		got, jobs := acceptAll(t, st, pl,
			[]*alert.Alert{mk("ev1", base), mk("ev0", base.Add(time.Hour)), mk("ev2", closedAt.Add(time.Second))},
			[]time.Time{month, month.Add(time.Minute), month.Add(2 * time.Minute)})
		want := []string{"duplicate", string(alert.ReasonPredatesClose), "reopen"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decisions after the close (-want +got):\n%s", diff)
		}
		if jobs != 1 {
			t.Errorf("got %d GitHub jobs after the close, want 1 (the reopen)", jobs)
		}
		p, err := st.Problem(ctx, key)
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if p.Count != 3 || p.IssueClosed || !p.IssueClosedAt.IsZero() {
			t.Errorf("got count %d closed %t closed at %v, want 3, false, zero", p.Count, p.IssueClosed, p.IssueClosedAt)
		}
	})
}

func TestSetIssueClosedAt(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		const key = "sentry:79"
		pl := alert.NewPipeline(alert.SeverityError, time.Hour)
		acceptAll(t, st, pl, []*alert.Alert{{ProblemKey: key, EventID: "ev1", Level: alert.SeverityError}}, []time.Time{base})
		closedAt := base.Add(time.Hour + 123*time.Millisecond)
		for _, c := range []struct {
			closed bool
			at     time.Time
			want   time.Time
		}{
			{true, closedAt, closedAt},
			{true, time.Time{}, time.Time{}},
			{false, closedAt, time.Time{}}, // an open issue has no close time
		} {
			if err := st.SetIssue(ctx, key, 5, c.closed, c.at); err != nil {
				t.Fatalf("SetIssue: %v", err)
			}
			p, err := st.Problem(ctx, key)
			if err != nil {
				t.Fatalf("Problem: %v", err)
			}
			if p.IssueClosed != c.closed || !p.IssueClosedAt.Equal(c.want) {
				t.Errorf("SetIssue(closed %t, at %v): got closed %t at %v, want %t at %v", c.closed, c.at, p.IssueClosed, p.IssueClosedAt, c.closed, c.want)
			}
		}
	})
}

// TestProblemEvent reads a problem with one of its events: counted, not
// counted, none, and of a problem that does not exist.
func TestProblemEvent(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		pl := alert.NewPipeline(alert.SeverityError, 0)
		const key = "sentry:81"
		acceptAll(t, st, pl, []*alert.Alert{{ProblemKey: key, EventID: "counted", Level: alert.SeverityError, Timestamp: base}},
			[]time.Time{base})
		for _, c := range []struct {
			key, event string
			counted    bool
			err        error
		}{
			{key, "counted", true, nil},
			{key, "other", false, nil},
			{key, "", false, nil},
			{"sentry:none", "counted", false, store.ErrNotFound},
		} {
			var p alert.Problem
			err := st.Transact(ctx, func(tx *store.Tx) error {
				var err error
				p, err = tx.ProblemEvent(ctx, c.key, c.event)
				return err
			})
			if !errors.Is(err, c.err) || p.EventCounted != c.counted {
				t.Errorf("ProblemEvent(%q, %q): counted %t, err %v; want %t, %v", c.key, c.event, p.EventCounted, err, c.counted, c.err)
			}
			if c.err == nil && (p.Key != key || p.Count != 1) {
				t.Errorf("ProblemEvent(%q, %q): got problem %+v, want %s counted once", c.key, c.event, p, key)
			}
		}
	})
}

func TestPruneEvents(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		pl := alert.NewPipeline(alert.SeverityError, 0)
		const key = "sentry:80"
		mk := func(id string) *alert.Alert {
			return &alert.Alert{ProblemKey: key, EventID: id, Level: alert.SeverityError, Timestamp: base}
		}
		acceptAll(t, st, pl, []*alert.Alert{mk("old")}, []time.Time{base})
		if err := st.SetIssue(ctx, key, 5, false, time.Time{}); err != nil {
			t.Fatalf("SetIssue: %v", err)
		}
		acceptAll(t, st, pl, []*alert.Alert{mk("new")}, []time.Time{base.Add(48 * time.Hour)})
		n, err := st.PruneEvents(ctx, base.Add(24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("PruneEvents: got %d, %v, want 1, nil", n, err)
		}
		// The pruned event is new again; the kept one is still a duplicate.
		// ("new" is also the last event, so the events table is what is
		// tested through "old".)
		later := base.Add(49 * time.Hour)
		got, _ := acceptAll(t, st, pl, []*alert.Alert{mk("new"), mk("old")}, []time.Time{later, later})
		if diff := cmp.Diff([]string{"duplicate", "comment"}, got); diff != "" {
			t.Errorf("after pruning (-want +got):\n%s", diff)
		}
	})
}

// TestMigrateCooldownDeadline opens a database written by the first schema,
// which stored the cooldown as a deadline: the last write is rebuilt from
// it, and the last event stays a duplicate. SQLite only: PostgreSQL's
// schema starts after that change.
func TestMigrateCooldownDeadline(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "booty.db")
	script, err := os.ReadFile(filepath.Join("migrations", "sqlite", "001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	const h = int64(time.Hour / time.Millisecond)
	first := base.UnixMilli()
	for _, q := range []string{
		string(script),
		`CREATE TABLE booty_migrations (version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)`,
		`INSERT INTO booty_migrations VALUES (1, 0)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("old schema: %v", err)
		}
	}
	rows := []struct {
		key      string
		until    int64
		eventID  string
		wantLast time.Time
	}{
		// Commented 10 h after the first sight with the default 6 h.
		{"sentry:1", first + 16*h, "ev1", base.Add(10 * time.Hour)},
		// A deadline closer to the first sight than 6 h (a shorter
		// cooldown): the first write was the create.
		{"sentry:2", first + h, "ev2", base},
		{"sentry:3", 0, "", time.Time{}},
	}
	for _, r := range rows {
		if _, err := db.ExecContext(ctx, `INSERT INTO booty_problems
			(key, first_seen_ms, last_seen_ms, event_count, last_event_id, issue_number, issue_closed, cooldown_until_ms)
			VALUES ($1, $2, $3, 1, $4, 3, 0, $5)`, r.key, first, first+h, r.eventID, r.until); err != nil {
			t.Fatalf("old row: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	for _, r := range rows {
		p, err := st.Problem(ctx, r.key)
		if err != nil {
			t.Fatalf("Problem %s: %v", r.key, err)
		}
		if !p.LastWriteAt.Equal(r.wantLast) {
			t.Errorf("%s: got last write %v, want %v", r.key, p.LastWriteAt, r.wantLast)
		}
	}
	// The old last event is remembered in the events table: sent again
	// after another event, it is still a duplicate.
	pl := alert.NewPipeline(alert.SeverityError, 0)
	now := base.Add(100 * time.Hour)
	got, _ := acceptAll(t, st, pl, []*alert.Alert{
		{ProblemKey: "sentry:1", EventID: "ev9", Level: alert.SeverityError, Timestamp: now},
		{ProblemKey: "sentry:1", EventID: "ev1", Level: alert.SeverityError, Timestamp: now},
	}, []time.Time{now, now})
	if diff := cmp.Diff([]string{"comment", "duplicate"}, got); diff != "" {
		t.Errorf("after the migration (-want +got):\n%s", diff)
	}
}
