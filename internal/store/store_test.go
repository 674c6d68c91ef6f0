package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
)

// openStore opens the database url names and closes it when the test ends.
func openStore(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// eachBackend runs test once per backend, in parallel subtests named after
// them, with the URL of a new, empty database.
func eachBackend(t *testing.T, test func(t *testing.T, url string)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			test(t, b.URL(t))
		})
	}
}

// eachStore is eachBackend with the database opened.
func eachStore(t *testing.T, test func(t *testing.T, st *store.Store)) {
	t.Helper()
	eachBackend(t, func(t *testing.T, url string) { test(t, openStore(t, url)) })
}

// deliveryRow is one booty_deliveries row as the store wrote it.
type deliveryRow struct {
	store.Delivery
	Decision string
	JobID    sql.NullInt64
}

func deliveries(t *testing.T, st *store.Store) []deliveryRow {
	t.Helper()
	var out []deliveryRow
	storetest.Query(t, st, `SELECT received_at_ms, request_id, resource, action,
		problem_key, event_id, decision, job_id FROM booty_deliveries ORDER BY id`, nil, func(scan func(...any)) {
		var (
			r  deliveryRow
			ms int64
		)
		scan(&ms, &r.RequestID, &r.Resource, &r.Action, &r.ProblemKey, &r.EventID, &r.Decision, &r.JobID)
		r.ReceivedAt = time.UnixMilli(ms).UTC()
		out = append(out, r)
	})
	return out
}

func newDelivery(key, eventID string, at time.Time) store.Delivery {
	return store.Delivery{
		ReceivedAt: at,
		RequestID:  "req-" + eventID,
		Resource:   "event_alert",
		Action:     "triggered",
		ProblemKey: key,
		EventID:    eventID,
	}
}

// base is a time the store keeps exactly: it stores milliseconds.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// fine has sub-millisecond digits, which the store drops.
var fine = base.Add(897932 * time.Nanosecond)

// noEnqueue fails the test if the store asks for a job.
func noEnqueue(t *testing.T) enqueueFunc {
	return func(context.Context, *store.Tx, *alert.Alert, alert.Decision) (int64, error) {
		t.Error("enqueue called for a decision that is not accepted")
		return 0, errors.New("unexpected enqueue")
	}
}

func TestOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, url string) {
		ctx := t.Context()
		if strings.HasPrefix(url, "sqlite:") {
			// A directory that does not exist yet: Open creates it.
			url = "sqlite:" + filepath.Join(t.TempDir(), "state", "nested", "booty.db")
		}
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := recordIgnored(ctx, st, newDelivery("k1", "e1", base), alert.ReasonBelowThreshold); err != nil {
			t.Fatalf("RecordIgnored: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		// Reopening runs the migrations again; they must find nothing to do
		// and keep the data.
		for i := range 2 {
			st, err = store.Open(ctx, url)
			if err != nil {
				t.Fatalf("reopen %d: %v", i, err)
			}
			stats, err := st.Stats(ctx)
			if err != nil {
				t.Fatalf("Stats: %v", err)
			}
			if stats.Deliveries != 1 {
				t.Errorf("reopen %d: got %d deliveries, want 1", i, stats.Deliveries)
			}
			var applied, distinct int
			storetest.QueryRow(t, st, `SELECT count(*), count(DISTINCT version) FROM booty_migrations`, nil, &applied, &distinct)
			if applied == 0 || applied != distinct {
				t.Errorf("reopen %d: booty_migrations has %d rows for %d versions, want one row per version", i, applied, distinct)
			}
			if err := st.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}
	})
}

// tablesQuery is each backend's query for whether a table exists.
var tablesQuery = map[store.Backend]string{
	store.SQLite:   `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`,
	store.Postgres: `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`,
}

func TestOpenCreatesTables(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		for _, table := range []string{
			"booty_problems", "booty_deliveries", "booty_migrations", "booty_problem_events", "booty_write_budget",
			"river_job", "river_leader", "river_queue", "river_migration",
		} {
			var n int
			storetest.QueryRow(t, st, tablesQuery[st.Backend()], []any{table}, &n)
			if n != 1 {
				t.Errorf("table %s: got %d, want 1", table, n)
			}
		}
	})
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	for _, url := range []string{
		"",
		"sqlite:",
		"mysql://localhost/booty",
		"postgres://localhost:bad/booty", // not a port: pgx refuses to parse it
	} {
		t.Run(url, func(t *testing.T) {
			t.Parallel()
			st, err := store.Open(t.Context(), url)
			if err == nil {
				st.Close()
				t.Fatalf("Open(%q): got nil error, want one", url)
			}
		})
	}
}

func TestAcceptFirstAlert(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		a := &alert.Alert{ProblemKey: "sentry:42", EventID: "ev1", Level: alert.SeverityError}

		next := alert.Problem{
			Key:           a.ProblemKey,
			FirstSeen:     fine,
			LastSeen:      fine.Add(1500 * time.Microsecond),
			Count:         3,
			LastEventID:   "ev1",
			IssueNumber:   17,
			IssueClosed:   true,
			IssueClosedAt: fine.Add(time.Hour + 999*time.Microsecond),
			LastWriteAt:   fine.Add(6*time.Hour + 999*time.Microsecond),
		}
		var (
			gotPrev  []alert.Problem
			enqueued []alert.Decision
			seenInTx int64
			accepted = alert.Decision{Action: alert.ActionCreate}
		)
		decide := func(prev alert.Problem) (alert.Decision, alert.Problem) {
			gotPrev = append(gotPrev, prev)
			return accepted, next
		}
		enqueue := func(ctx context.Context, tx *store.Tx, ea *alert.Alert, d alert.Decision) (int64, error) {
			if ea != a {
				t.Errorf("enqueue got alert %p, want %p", ea, a)
			}
			enqueued = append(enqueued, d)
			// The job is enqueued in the transaction that already holds the
			// problem's next state.
			p, err := tx.Problem(ctx, a.ProblemKey)
			if err != nil {
				t.Errorf("read problem inside the transaction: %v", err)
			}
			seenInTx = p.Count
			return 99, nil
		}

		d := newDelivery(a.ProblemKey, a.EventID, fine)
		got, err := accept(ctx, st, d, a, decide, enqueue)
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		if got != accepted {
			t.Errorf("Accept returned %+v, want %+v", got, accepted)
		}
		if diff := cmp.Diff([]alert.Problem{{}}, gotPrev); diff != "" {
			t.Errorf("decide got prev (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]alert.Decision{accepted}, enqueued); diff != "" {
			t.Errorf("enqueued (-want +got):\n%s", diff)
		}
		if seenInTx != next.Count {
			t.Errorf("inside the transaction the problem's count is %d, want %d", seenInTx, next.Count)
		}

		stored, err := st.Problem(ctx, a.ProblemKey)
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		want := next
		want.FirstSeen = want.FirstSeen.Truncate(time.Millisecond)
		want.LastSeen = want.LastSeen.Truncate(time.Millisecond)
		want.IssueClosedAt = want.IssueClosedAt.Truncate(time.Millisecond)
		want.LastWriteAt = want.LastWriteAt.Truncate(time.Millisecond)
		if diff := cmp.Diff(want, stored); diff != "" {
			t.Errorf("stored problem (-want +got):\n%s", diff)
		}
		if stored.FirstSeen.Location() != time.UTC {
			t.Errorf("stored FirstSeen is in %s, want UTC", stored.FirstSeen.Location())
		}

		wantRow := []deliveryRow{{Delivery: d, Decision: "create", JobID: sql.NullInt64{Int64: 99, Valid: true}}}
		wantRow[0].ReceivedAt = d.ReceivedAt.Truncate(time.Millisecond)
		if diff := cmp.Diff(wantRow, deliveries(t, st)); diff != "" {
			t.Errorf("deliveries (-want +got):\n%s", diff)
		}

		// The second alert sees what the first stored.
		gotPrev = nil
		if _, err := accept(ctx, st, newDelivery(a.ProblemKey, "ev2", base.Add(time.Second)), a, decide, enqueue); err != nil {
			t.Fatalf("second Accept: %v", err)
		}
		if diff := cmp.Diff([]alert.Problem{want}, gotPrev); diff != "" {
			t.Errorf("second decide got prev (-want +got):\n%s", diff)
		}
	})
}

func TestAcceptIgnoredDecision(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		a := &alert.Alert{ProblemKey: "sentry:7", EventID: "ev1"}
		d := newDelivery(a.ProblemKey, a.EventID, base)

		// An ignored decision that leaves the (unknown) problem as it was:
		// no problem row, a delivery without a job.
		dec := alert.Decision{Reason: alert.ReasonDuplicate}
		got, err := accept(ctx, st, d, a, func(prev alert.Problem) (alert.Decision, alert.Problem) { return dec, prev }, noEnqueue(t))
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		if got != dec {
			t.Errorf("Accept returned %+v, want %+v", got, dec)
		}
		if _, err := st.Problem(ctx, a.ProblemKey); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Problem after an unchanged state: got err %v, want ErrNotFound", err)
		}
		rows := deliveries(t, st)
		if len(rows) != 1 || rows[0].Decision != "duplicate" || rows[0].JobID.Valid {
			t.Errorf("deliveries: got %+v, want one duplicate without a job", rows)
		}

		// An ignored decision that counts the event: stored, still no job.
		counted := alert.Problem{Key: a.ProblemKey, FirstSeen: base, LastSeen: base, Count: 1, LastEventID: "ev1"}
		cool := alert.Decision{Reason: alert.ReasonCooldown}
		if _, err := accept(ctx, st, d, a, func(alert.Problem) (alert.Decision, alert.Problem) { return cool, counted }, noEnqueue(t)); err != nil {
			t.Fatalf("Accept: %v", err)
		}
		p, err := st.Problem(ctx, a.ProblemKey)
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if diff := cmp.Diff(counted, p); diff != "" {
			t.Errorf("stored problem (-want +got):\n%s", diff)
		}
	})
}

// countWritesSQL makes each backend count every insert into and update of
// booty_problems in problem_writes.
var countWritesSQL = map[store.Backend][]string{
	store.SQLite: {
		`CREATE TRIGGER count_problem_updates AFTER UPDATE ON booty_problems BEGIN UPDATE problem_writes SET n = n + 1; END`,
		`CREATE TRIGGER count_problem_inserts AFTER INSERT ON booty_problems BEGIN UPDATE problem_writes SET n = n + 1; END`,
	},
	store.Postgres: {
		`CREATE FUNCTION count_problem_write() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN UPDATE problem_writes SET n = n + 1; RETURN NULL; END $$`,
		`CREATE TRIGGER count_problem_writes AFTER INSERT OR UPDATE ON booty_problems
			FOR EACH ROW EXECUTE FUNCTION count_problem_write()`,
	},
}

func TestAcceptUnchangedStateWritesNoProblem(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		// Count every write to booty_problems, whatever its values.
		storetest.Exec(t, st, `CREATE TABLE problem_writes (n INTEGER NOT NULL)`)
		storetest.Exec(t, st, `INSERT INTO problem_writes VALUES (0)`)
		for _, q := range countWritesSQL[st.Backend()] {
			storetest.Exec(t, st, q)
		}
		writes := func() int {
			t.Helper()
			var n int
			storetest.QueryRow(t, st, `SELECT n FROM problem_writes`, nil, &n)
			return n
		}

		a := &alert.Alert{ProblemKey: "sentry:8", EventID: "ev1"}
		p := alert.Problem{Key: a.ProblemKey, FirstSeen: base, LastSeen: base, Count: 1, LastEventID: "ev1"}
		store1 := func(alert.Problem) (alert.Decision, alert.Problem) {
			return alert.Decision{Reason: alert.ReasonCooldown}, p
		}
		if _, err := accept(ctx, st, newDelivery(a.ProblemKey, "ev1", base), a, store1, noEnqueue(t)); err != nil {
			t.Fatalf("Accept: %v", err)
		}
		if got := writes(); got != 1 {
			t.Fatalf("after the first alert: got %d problem writes, want 1", got)
		}

		same := func(prev alert.Problem) (alert.Decision, alert.Problem) {
			return alert.Decision{Reason: alert.ReasonDuplicate}, prev
		}
		if _, err := accept(ctx, st, newDelivery(a.ProblemKey, "ev1", base), a, same, noEnqueue(t)); err != nil {
			t.Fatalf("Accept: %v", err)
		}
		if got := writes(); got != 1 {
			t.Errorf("after a decision that kept the state: got %d problem writes, want 1", got)
		}
		if got := len(deliveries(t, st)); got != 2 {
			t.Errorf("got %d deliveries, want 2", got)
		}
	})
}

func TestAcceptEnqueueErrorStoresNothing(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		a := &alert.Alert{ProblemKey: "sentry:9", EventID: "ev1"}

		first := alert.Problem{Key: a.ProblemKey, FirstSeen: base, LastSeen: base, Count: 1, LastEventID: "ev1", IssueNumber: 3}
		if _, err := accept(ctx, st, newDelivery(a.ProblemKey, "ev1", base), a,
			func(alert.Problem) (alert.Decision, alert.Problem) {
				return alert.Decision{Reason: alert.ReasonCooldown}, first
			},
			noEnqueue(t)); err != nil {
			t.Fatalf("Accept: %v", err)
		}

		errQueue := errors.New("queue unavailable")
		later := first
		later.Count, later.LastEventID, later.LastSeen = 2, "ev2", base.Add(time.Hour)
		enqueue := func(ctx context.Context, tx *store.Tx, _ *alert.Alert, _ alert.Decision) (int64, error) {
			// A write made in the transaction before the failure must roll
			// back with it.
			if err := tx.RecordDelivery(ctx, store.Delivery{ReceivedAt: time.UnixMilli(1)}, "from_enqueue", 0); err != nil {
				t.Errorf("write inside the transaction: %v", err)
			}
			return 0, errQueue
		}
		_, err := accept(ctx, st, newDelivery(a.ProblemKey, "ev2", base.Add(time.Hour)), a,
			func(alert.Problem) (alert.Decision, alert.Problem) {
				return alert.Decision{Action: alert.ActionComment}, later
			},
			enqueue)
		if !errors.Is(err, errQueue) {
			t.Fatalf("Accept: got err %v, want it to wrap %v", err, errQueue)
		}
		p, err := st.Problem(ctx, a.ProblemKey)
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if diff := cmp.Diff(first, p); diff != "" {
			t.Errorf("problem after a failed enqueue (-want +got):\n%s", diff)
		}
		rows := deliveries(t, st)
		if len(rows) != 1 || rows[0].EventID != "ev1" {
			t.Errorf("deliveries after a failed enqueue: got %+v, want only ev1's", rows)
		}
	})
}

func TestAcceptSurvivesReopen(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, url string) {
		ctx := t.Context()
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		a := &alert.Alert{ProblemKey: "sentry:10", EventID: "ev1", Level: alert.SeverityError}
		pl := alert.NewPipeline(alert.SeverityError, time.Hour)
		var jobs int64
		enqueue := func(context.Context, *store.Tx, *alert.Alert, alert.Decision) (int64, error) {
			jobs++
			return jobs, nil
		}
		if _, err := accept(ctx, st, newDelivery(a.ProblemKey, a.EventID, base), a,
			func(prev alert.Problem) (alert.Decision, alert.Problem) { return pl.Decide(a, prev, base) }, enqueue); err != nil {
			t.Fatalf("Accept: %v", err)
		}
		before, err := st.Problem(ctx, a.ProblemKey)
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		st, err = store.Open(ctx, url)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer st.Close()
		after, err := st.Problem(ctx, a.ProblemKey)
		if err != nil {
			t.Fatalf("Problem after reopen: %v", err)
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("problem after reopen (-before +after):\n%s", diff)
		}
		if after.Count != 1 || !after.FirstSeen.Equal(base.Truncate(time.Millisecond)) {
			t.Errorf("problem after reopen: got count %d first seen %v, want 1 and %v", after.Count, after.FirstSeen, base)
		}
		if rows := deliveries(t, st); len(rows) != 1 || rows[0].Decision != "create" {
			t.Errorf("deliveries after reopen: got %+v, want one create", rows)
		}
	})
}

func TestAcceptConcurrentFirstAlerts(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		pl := alert.NewPipeline(alert.SeverityError, time.Hour)
		const n = 8

		var (
			mu       sync.Mutex
			enqueued int
		)
		enqueue := func(context.Context, *store.Tx, *alert.Alert, alert.Decision) (int64, error) {
			mu.Lock()
			defer mu.Unlock()
			enqueued++
			return int64(enqueued), nil
		}
		decisions := make([]alert.Decision, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				a := &alert.Alert{ProblemKey: "sentry:11", EventID: fmt.Sprintf("ev%d", i), Level: alert.SeverityError}
				now := base.Add(time.Duration(i) * time.Millisecond)
				decisions[i], errs[i] = accept(ctx, st, newDelivery(a.ProblemKey, a.EventID, now), a,
					func(prev alert.Problem) (alert.Decision, alert.Problem) { return pl.Decide(a, prev, now) }, enqueue)
			})
		}
		wg.Wait()

		creates := 0
		for i, d := range decisions {
			if errs[i] != nil {
				t.Errorf("Accept %d: %v", i, errs[i])
				continue
			}
			switch d {
			case alert.Decision{Action: alert.ActionCreate}:
				creates++
			case alert.Decision{Reason: alert.ReasonCooldown}:
			default:
				t.Errorf("Accept %d: got decision %v, want create or cooldown", i, d)
			}
		}
		if creates != 1 || enqueued != 1 {
			t.Errorf("got %d creates and %d jobs, want 1 and 1", creates, enqueued)
		}
		p, err := st.Problem(ctx, "sentry:11")
		if err != nil {
			t.Fatalf("Problem: %v", err)
		}
		if p.Count != n {
			t.Errorf("got count %d, want %d", p.Count, n)
		}
		stats, err := st.Stats(ctx)
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if stats.Problems != 1 || stats.Deliveries != n {
			t.Errorf("Stats: got %d problems, %d deliveries, want 1 and %d", stats.Problems, stats.Deliveries, n)
		}
	})
}

func TestRecordIgnoredAndStats(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()

		empty, err := st.Stats(ctx)
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if diff := cmp.Diff(store.Stats{}, empty); diff != "" {
			t.Errorf("Stats of an empty store (-want +got):\n%s", diff)
		}

		d1 := newDelivery("", "ev1", base)
		d2 := newDelivery("sentry:12", "ev2", base.Add(2*time.Hour))
		d3 := newDelivery("sentry:12", "ev3", base.Add(time.Hour)) // arrives last, received earlier
		for _, c := range []struct {
			d      store.Delivery
			reason alert.Reason
		}{{d1, alert.ReasonNotEventAlert}, {d2, alert.ReasonBelowThreshold}, {d3, alert.ReasonSampleEvent}} {
			if err := recordIgnored(ctx, st, c.d, c.reason); err != nil {
				t.Fatalf("RecordIgnored: %v", err)
			}
		}
		ms := func(d store.Delivery) store.Delivery {
			d.ReceivedAt = d.ReceivedAt.Truncate(time.Millisecond)
			return d
		}
		want := []deliveryRow{
			{Delivery: ms(d1), Decision: "not_event_alert"},
			{Delivery: ms(d2), Decision: "below_threshold"},
			{Delivery: ms(d3), Decision: "sample_event"},
		}
		if diff := cmp.Diff(want, deliveries(t, st)); diff != "" {
			t.Errorf("deliveries (-want +got):\n%s", diff)
		}

		// One problem, through Accept.
		a := &alert.Alert{ProblemKey: "sentry:12", EventID: "ev4"}
		p := alert.Problem{Key: a.ProblemKey, FirstSeen: base, LastSeen: base, Count: 1}
		if _, err := accept(ctx, st, newDelivery(a.ProblemKey, "ev4", base.Add(-time.Hour)), a,
			func(alert.Problem) (alert.Decision, alert.Problem) {
				return alert.Decision{Reason: alert.ReasonCooldown}, p
			},
			noEnqueue(t)); err != nil {
			t.Fatalf("Accept: %v", err)
		}

		stats, err := st.Stats(ctx)
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		wantStats := store.Stats{Problems: 1, Deliveries: 4, LastDeliveryAt: d2.ReceivedAt.Truncate(time.Millisecond)}
		if diff := cmp.Diff(wantStats, stats); diff != "" {
			t.Errorf("Stats (-want +got):\n%s", diff)
		}
	})
}

func TestPruneDeliveries(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		for i := range 5 {
			d := newDelivery("sentry:13", fmt.Sprintf("ev%d", i), base.Add(time.Duration(i)*time.Hour))
			if err := recordIgnored(ctx, st, d, alert.ReasonBelowThreshold); err != nil {
				t.Fatalf("RecordIgnored: %v", err)
			}
		}
		// Received strictly before the cut-off: ev0, ev1. ev2 is received at
		// the cut-off itself and stays.
		n, err := st.PruneDeliveries(ctx, base.Add(2*time.Hour))
		if err != nil {
			t.Fatalf("PruneDeliveries: %v", err)
		}
		if n != 2 {
			t.Errorf("PruneDeliveries: got %d deleted, want 2", n)
		}
		var left []string
		for _, r := range deliveries(t, st) {
			left = append(left, r.EventID)
		}
		if diff := cmp.Diff([]string{"ev2", "ev3", "ev4"}, left); diff != "" {
			t.Errorf("deliveries left (-want +got):\n%s", diff)
		}
		if n, err := st.PruneDeliveries(ctx, base); err != nil || n != 0 {
			t.Errorf("PruneDeliveries again: got %d, %v, want 0, nil", n, err)
		}
	})
}

func TestSetIssue(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()

		if _, err := st.Problem(ctx, "sentry:missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Problem of an unknown key: got err %v, want ErrNotFound", err)
		}
		if err := st.SetIssue(ctx, "sentry:missing", 5, false, time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetIssue of an unknown key: got err %v, want ErrNotFound", err)
		}

		a := &alert.Alert{ProblemKey: "sentry:14", EventID: "ev1"}
		p := alert.Problem{Key: a.ProblemKey, FirstSeen: base, LastSeen: base, Count: 2, LastEventID: "ev1", LastWriteAt: base.Add(time.Hour)}
		if _, err := accept(ctx, st, newDelivery(a.ProblemKey, "ev1", base), a,
			func(alert.Problem) (alert.Decision, alert.Problem) {
				return alert.Decision{Reason: alert.ReasonCooldown}, p
			},
			noEnqueue(t)); err != nil {
			t.Fatalf("Accept: %v", err)
		}

		for _, c := range []struct {
			number int
			closed bool
		}{{5, false}, {5, true}, {6, false}} {
			if err := st.SetIssue(ctx, a.ProblemKey, c.number, c.closed, time.Time{}); err != nil {
				t.Fatalf("SetIssue(%d, %t): %v", c.number, c.closed, err)
			}
			got, err := st.Problem(ctx, a.ProblemKey)
			if err != nil {
				t.Fatalf("Problem: %v", err)
			}
			want := p
			want.IssueNumber, want.IssueClosed = c.number, c.closed
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after SetIssue(%d, %t) (-want +got):\n%s", c.number, c.closed, diff)
			}
		}
	})
}
