package intake_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	"booty/internal/fixture"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// TestSentryIssueChanges walks a filed problem through Sentry's issue
// webhooks on each backend, with OBSV_ON_RESOLVE=close: the resolve closes
// its issue, a regressed within 60 s of it is Sentry's own race and
// debounced, a later one reopens; an unknown problem is never filed.
func TestSentryIssueChanges(t *testing.T) {
	t.Parallel()
	const key = "sentry:1638821441"
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			b := setupRouted(t, be.URL(t))
			policy := alert.DefaultPolicy()
			policy.OnResolve = alert.ChoiceClose
			in := b.intake(t, "routes: [{name: all}]").WithLifecycle(policy, worker.NoteEnqueuer(b.jobs))
			err := b.st.Transact(t.Context(), func(tx *store.Tx) error {
				return tx.SaveProblem(t.Context(), alert.Problem{}, alert.Problem{Key: key, FirstSeen: t0, LastSeen: t0, Count: 1, LastWriteAt: t0})
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.st.SetIssue(t.Context(), key, 12, false, time.Time{}); err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				file    string
				advance time.Duration
				want    string
				closed  bool
			}{
				{"issue.resolved.json", 0, "sentry_resolved", true},
				{"issue.unresolved.regressed.json", 10 * time.Second, "lifecycle:debounced", true},
				{"issue.unresolved.regressed.json", 2 * time.Minute, "sentry_regressed", false},
				{"issue.created.json", 0, "not_event_alert", false},
			}
			var got, want []string
			for _, s := range steps {
				b.clock.Advance(s.advance)
				res, err := in.Receive(t.Context(), "issue", "req", fixture.Sentry(t, s.file))
				if err != nil {
					t.Fatalf("%s: %v", s.file, err)
				}
				p, err := b.st.Problem(t.Context(), key)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, res.Decision.String()+" closed="+boolString(p.IssueClosed))
				want = append(want, s.want+" closed="+boolString(s.closed))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
			if n := len(column(t, b.st, `SELECT cause FROM booty_transitions ORDER BY id`)); n != 3 {
				t.Errorf("%d transitions recorded, want 3", n)
			}
			if kinds := column(t, b.st, `SELECT kind FROM river_job ORDER BY id`); !cmp.Equal(kinds, []string{"github_note", "github_note"}) {
				t.Errorf("jobs %q, want a note for the close and one for the reopen", kinds)
			}
			if _, err := b.st.Problem(t.Context(), "sentry:1170820242"); err == nil {
				t.Error("a Sentry issue webhook made a problem")
			}
		})
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
