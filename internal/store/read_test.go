package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// known is what seedKnown stored.
type known struct {
	// create and parked are the jobs of sentry:1: its create, and a
	// comment parked after an error.
	create, parked int64
}

// The problems seedKnown stores, one in each state.
var knownProblems = []alert.Problem{
	{Key: "sentry:1", Title: "TypeError: cannot read 'id' of undefined", Route: "default", Repo: "",
		FirstSeen: base, LastSeen: base.Add(3 * time.Minute), Count: 3, IssueNumber: 5, Release: "shop@1.2.0"},
	{Key: "sentry:2", Title: "ValueError: 100%_done", Route: "web", Repo: "acme/web",
		FirstSeen: base, LastSeen: base.Add(2 * time.Minute), Count: 1, IssueNumber: 7, IssueClosed: true,
		IssueClosedAt: base.Add(150 * time.Second), IssueCloseReason: "completed"},
	{Key: "sentry:3", Title: "Folded in a storm", Route: "web", Repo: "acme/web",
		FirstSeen: base, LastSeen: base.Add(time.Minute), Count: 1, DigestID: 1},
	{Key: "sentry:4", Title: "Waiting for its issue", Route: "default", Repo: "",
		FirstSeen: base, LastSeen: base, Count: 1},
}

// seedKnown stores knownProblems, Sentry deliveries of the first two, a
// GitHub delivery closing the second's issue, and two jobs of the first.
func seedKnown(t *testing.T, st *store.Store) known {
	t.Helper()
	ctx := t.Context()
	c := jobClient(t, st)
	var k known
	err := st.Transact(ctx, func(tx *store.Tx) error {
		for _, p := range knownProblems {
			if err := tx.SaveProblem(ctx, alert.Problem{}, p); err != nil {
				return err
			}
		}
		create, err := c.InsertTx(ctx, tx, worker.NewIssueArgs(&alert.Alert{ProblemKey: "sentry:1", EventID: "e1"}, alert.ActionCreate), nil)
		if err != nil {
			return err
		}
		k.create = create.Job.ID
		for i, d := range []struct {
			key, event, decision string
			at                   time.Duration
			job                  int64
		}{
			{"sentry:1", "e1", "create", 0, k.create},
			{"sentry:2", "e2", "create", time.Minute, 0},
			{"sentry:1", "e1", "duplicate", 2 * time.Minute, 0},
			{"sentry:1", "e3", "cooldown", 3 * time.Minute, 0},
		} {
			rec := newDelivery(d.key, d.event, base.Add(d.at))
			rec.RequestID = "req-" + string(rune('a'+i))
			if err := tx.RecordDelivery(ctx, rec, d.decision, d.job); err != nil {
				return err
			}
		}
		_, err = tx.RecordGitHubDelivery(ctx, store.GitHubDelivery{ID: "gh-1", ReceivedAt: base.Add(150 * time.Second),
			Event: "issues", Action: "closed", ProblemKey: "sentry:2", Issue: 7, Outcome: "closed"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	parked, err := c.Insert(ctx, worker.NewIssueArgs(&alert.Alert{ProblemKey: "sentry:1", EventID: "e3"}, alert.ActionComment),
		&river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	k.parked = parked.Job.ID
	if _, err := c.JobCancel(ctx, k.parked); err != nil {
		t.Fatal(err)
	}
	attemptErr := `{"at": "2025-03-14T15:12:00Z", "attempt": 1, "error": "GitHub answered 422: Validation Failed", "trace": ""}`
	if st.Backend() == store.Postgres {
		storetest.Exec(t, st, `UPDATE river_job SET errors = ARRAY[$1::jsonb], attempt = 1 WHERE id = $2`, attemptErr, k.parked)
	} else {
		storetest.Exec(t, st, `UPDATE river_job SET errors = jsonb('['||$1||']'), attempt = 1 WHERE id = $2`, attemptErr, k.parked)
	}
	return k
}

func keysOf(ps []alert.Problem) []string {
	keys := []string{}
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	return keys
}

func TestListProblems(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		seedKnown(t, st)
		for _, tc := range []struct {
			name   string
			filter store.ProblemFilter
			want   []string
		}{
			{"all, the latest seen first", store.ProblemFilter{}, []string{"sentry:1", "sentry:2", "sentry:3", "sentry:4"}},
			{"open", store.ProblemFilter{State: store.StateOpen}, []string{"sentry:1"}},
			{"closed", store.ProblemFilter{State: store.StateClosed}, []string{"sentry:2"}},
			{"folded", store.ProblemFilter{State: store.StateFolded}, []string{"sentry:3"}},
			{"pending", store.ProblemFilter{State: store.StatePending}, []string{"sentry:4"}},
			{"repo", store.ProblemFilter{Repos: []string{"acme/web"}}, []string{"sentry:2", "sentry:3"}},
			{"repo in another case", store.ProblemFilter{Repos: []string{"ACME/Web"}}, []string{"sentry:2", "sentry:3"}},
			{"default repo", store.ProblemFilter{Repos: []string{"", "acme/shop"}}, []string{"sentry:1", "sentry:4"}},
			{"route", store.ProblemFilter{Route: "web"}, []string{"sentry:2", "sentry:3"}},
			{"since", store.ProblemFilter{Since: base.Add(2 * time.Minute)}, []string{"sentry:1", "sentry:2"}},
			{"search title, any case", store.ProblemFilter{Search: "TYPEERROR"}, []string{"sentry:1"}},
			{"search key", store.ProblemFilter{Search: "sentry:3"}, []string{"sentry:3"}},
			{"search wildcards as text", store.ProblemFilter{Search: "%_"}, []string{"sentry:2"}},
			{"search underscore is not any character", store.ProblemFilter{Search: "e_r"}, []string{}},
			{"search backslash", store.ProblemFilter{Search: `\`}, []string{}},
			{"limit", store.ProblemFilter{Limit: 2}, []string{"sentry:1", "sentry:2"}},
			{"all filters at once", store.ProblemFilter{State: store.StateClosed, Repos: []string{"acme/web"}, Route: "web",
				Since: base, Search: "value", Limit: 5}, []string{"sentry:2"}},
			{"nothing matches", store.ProblemFilter{State: store.StateOpen, Route: "web"}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.ListProblems(t.Context(), tc.filter)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, keysOf(got)); diff != "" {
					t.Errorf("keys (-want +got):\n%s", diff)
				}
			})
		}
		got, err := st.ListProblems(t.Context(), store.ProblemFilter{State: store.StateClosed})
		if err != nil || len(got) != 1 {
			t.Fatalf("closed problems: %v %v", got, err)
		}
		if diff := cmp.Diff(knownProblems[1], got[0]); diff != "" {
			t.Errorf("stored problem (-want +got):\n%s", diff)
		}
		if _, err := st.ListProblems(t.Context(), store.ProblemFilter{State: "gone"}); !errors.Is(err, store.ErrBadFilter) {
			t.Errorf("unknown state: %v, want ErrBadFilter", err)
		}
	})
}

func TestProblemByIssue(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		seedKnown(t, st)
		for _, tc := range []struct {
			repo   string
			number int
			want   string // "" for ErrNotFound
		}{
			{"acme/web", 7, "sentry:2"},
			{"Acme/WEB", 7, "sentry:2"},
			{"", 5, "sentry:1"},
			{"acme/web", 5, ""},
			{"", 7, ""},
			{"", 0, ""},
		} {
			p, err := st.ProblemByIssue(t.Context(), tc.repo, tc.number)
			switch {
			case tc.want == "" && !errors.Is(err, store.ErrNotFound):
				t.Errorf("ProblemByIssue(%q, %d) = %q, %v; want ErrNotFound", tc.repo, tc.number, p.Key, err)
			case tc.want != "" && (err != nil || p.Key != tc.want):
				t.Errorf("ProblemByIssue(%q, %d) = %q, %v; want %s", tc.repo, tc.number, p.Key, err, tc.want)
			}
		}
	})
}

func TestStateOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    alert.Problem
		want store.ProblemState
	}{
		{alert.Problem{}, store.StatePending},
		{alert.Problem{IssueNumber: 3}, store.StateOpen},
		{alert.Problem{IssueNumber: 3, IssueClosed: true}, store.StateClosed},
		{alert.Problem{DigestID: 2}, store.StateFolded},
		// A folded problem promoted to an issue of its own is that issue's.
		{alert.Problem{DigestID: 2, IssueNumber: 4}, store.StateOpen},
	} {
		if got := store.StateOf(tc.p); got != tc.want {
			t.Errorf("StateOf(%+v) = %s, want %s", tc.p, got, tc.want)
		}
	}
}

// record is the part of a DeliveryRecord the tests compare.
type record struct {
	At      time.Duration // after base
	Source  string
	Outcome string
	Key     string
}

func recordsOf(recs []store.DeliveryRecord) []record {
	out := []record{}
	for _, r := range recs {
		out = append(out, record{r.ReceivedAt.Sub(base), r.Source, r.Outcome, r.ProblemKey})
	}
	return out
}

func TestDeliveries(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		seedKnown(t, st)
		all := []record{
			{0, "sentry", "create", "sentry:1"},
			{time.Minute, "sentry", "create", "sentry:2"},
			{2 * time.Minute, "sentry", "duplicate", "sentry:1"},
			{150 * time.Second, "github", "closed", "sentry:2"},
			{3 * time.Minute, "sentry", "cooldown", "sentry:1"},
		}
		for _, tc := range []struct {
			name  string
			since time.Time
			limit int
			want  []record
		}{
			{"all", time.Time{}, 0, all},
			{"since", base.Add(2 * time.Minute), 0, all[2:]},
			{"the newest within the limit", time.Time{}, 2, all[3:]},
			{"none", base.Add(time.Hour), 0, []record{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.Deliveries(t.Context(), tc.since, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, recordsOf(got)); diff != "" {
					t.Errorf("deliveries (-want +got):\n%s", diff)
				}
			})
		}
		got, err := st.Deliveries(t.Context(), base.Add(150*time.Second), 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("one delivery: %v %v", got, err)
		}
		want := store.DeliveryRecord{ReceivedAt: base.Add(3 * time.Minute), Source: store.SourceSentry, ID: "req-d",
			Resource: "event_alert", Action: "triggered", ProblemKey: "sentry:1", EventID: "e3", Outcome: "cooldown"}
		if diff := cmp.Diff(want, got[0]); diff != "" {
			t.Errorf("delivery (-want +got):\n%s", diff)
		}
	})
}

func TestProblemDeliveries(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		k := seedKnown(t, st)
		for _, tc := range []struct {
			key   string
			limit int
			want  []record
		}{
			{"sentry:1", 0, []record{{0, "sentry", "create", "sentry:1"}, {2 * time.Minute, "sentry", "duplicate", "sentry:1"},
				{3 * time.Minute, "sentry", "cooldown", "sentry:1"}}},
			{"sentry:1", 1, []record{{3 * time.Minute, "sentry", "cooldown", "sentry:1"}}},
			{"sentry:2", 0, []record{{time.Minute, "sentry", "create", "sentry:2"}, {150 * time.Second, "github", "closed", "sentry:2"}}},
			{"sentry:9", 0, []record{}},
		} {
			got, err := st.ProblemDeliveries(t.Context(), tc.key, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, recordsOf(got)); diff != "" {
				t.Errorf("%s, limit %d (-want +got):\n%s", tc.key, tc.limit, diff)
			}
		}
		got, err := st.ProblemDeliveries(t.Context(), "sentry:1", 0)
		if err != nil || len(got) == 0 {
			t.Fatalf("deliveries of sentry:1: %v %v", got, err)
		}
		if got[0].JobID != k.create || !got[0].Accepted() || got[1].Accepted() {
			t.Errorf("first delivery: job %d accepted %v, second accepted %v; want job %d, true, false",
				got[0].JobID, got[0].Accepted(), got[1].Accepted(), k.create)
		}
		gh, err := st.ProblemDeliveries(t.Context(), "sentry:2", 0)
		if err != nil || len(gh) != 2 || gh[1].ID != "gh-1" || gh[1].Issue != 7 || gh[1].Resource != "issues" || gh[1].Action != "closed" {
			t.Errorf("GitHub delivery of sentry:2: %+v %v", gh, err)
		}
	})
}

func TestProblemJobs(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		k := seedKnown(t, st)
		got, err := st.ProblemJobs(t.Context(), "sentry:1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d jobs, want 2: %+v", len(got), got)
		}
		create, parked := got[0], got[1]
		if create.ID != k.create || create.Kind != "github_issue" || create.Action != "create" ||
			create.State != rivertype.JobStateAvailable || !create.FinalizedAt.IsZero() || create.LastError != "" {
			t.Errorf("create job: %+v", create)
		}
		if age := time.Since(create.CreatedAt); age < 0 || age > time.Minute || create.CreatedAt.Location() != time.UTC {
			t.Errorf("create job created at %v, want just now in UTC", create.CreatedAt)
		}
		if parked.ID != k.parked || parked.Action != "comment" || parked.State != rivertype.JobStateCancelled ||
			parked.Attempt != 1 || parked.MaxAttempts == 0 || parked.FinalizedAt.IsZero() ||
			parked.LastError != "GitHub answered 422: Validation Failed" {
			t.Errorf("parked job: %+v", parked)
		}
		if none, err := st.ProblemJobs(t.Context(), "sentry:4"); err != nil || len(none) != 0 {
			t.Errorf("jobs of a problem with none: %+v %v", none, err)
		}
	})
}
