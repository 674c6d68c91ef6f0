package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	"booty/internal/store"
)

func TestRestoreIssues(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		if has, err := st.HasProblems(ctx); err != nil || has {
			t.Fatalf("HasProblems of a new store: %t, %v; want false", has, err)
		}
		// A problem booty still knows keeps its own issue.
		known := alert.Problem{Key: "sentry:1", FirstSeen: base, LastSeen: base, Count: 3, IssueNumber: 7}
		if _, err := accept(ctx, st, newDelivery(known.Key, "e", base), &alert.Alert{ProblemKey: known.Key},
			func(alert.Problem) (alert.Decision, alert.Problem) {
				return alert.Decision{Reason: alert.ReasonDuplicate}, known
			}, noEnqueue(t)); err != nil {
			t.Fatal(err)
		}
		// A problem decided while booty recovered, its create still queued,
		// gets the issue it already has on GitHub.
		waiting := alert.Problem{Key: "sentry:5", FirstSeen: base, LastSeen: base, Count: 1}
		if _, err := accept(ctx, st, newDelivery(waiting.Key, "e5", base), &alert.Alert{ProblemKey: waiting.Key},
			func(alert.Problem) (alert.Decision, alert.Problem) {
				return alert.Decision{Reason: alert.ReasonCooldown}, waiting
			}, noEnqueue(t)); err != nil {
			t.Fatal(err)
		}
		created := base.Add(-time.Hour)
		n, err := st.RestoreIssues(ctx, []store.IssueLink{
			{ProblemKey: "sentry:5", Number: 14, CreatedAt: created},
			{ProblemKey: "sentry:1", Number: 99, CreatedAt: created},
			{ProblemKey: "sentry:2", Number: 10, Closed: true, CreatedAt: created},
			{ProblemKey: "sentry:2", Number: 12, CreatedAt: created}, // a duplicate: the older stays
			{ProblemKey: "sentry:3", Number: 11, CreatedAt: created},
			{ProblemKey: "", Number: 13},
			{ProblemKey: "sentry:4", Number: 0},
		})
		if err != nil || n != 3 {
			t.Fatalf("RestoreIssues: %d, %v; want 3 added or linked", n, err)
		}
		for _, want := range []alert.Problem{
			known,
			{Key: "sentry:2", FirstSeen: created, LastSeen: created, IssueNumber: 10, IssueClosed: true},
			{Key: "sentry:3", FirstSeen: created, LastSeen: created, IssueNumber: 11},
			{Key: "sentry:5", FirstSeen: base, LastSeen: base, Count: 1, IssueNumber: 14},
		} {
			got, err := st.Problem(ctx, want.Key)
			if err != nil {
				t.Fatalf("Problem(%s): %v", want.Key, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problem %s (-want +got):\n%s", want.Key, diff)
			}
		}
		if _, err := st.Problem(ctx, "sentry:4"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a link without an issue was stored: %v", err)
		}
		if has, err := st.HasProblems(ctx); err != nil || !has {
			t.Errorf("HasProblems after a restore: %t, %v; want true", has, err)
		}
		// Running it again adds nothing.
		if n, err := st.RestoreIssues(ctx, []store.IssueLink{{ProblemKey: "sentry:3", Number: 11}}); err != nil || n != 0 {
			t.Errorf("second RestoreIssues: %d, %v; want 0", n, err)
		}
	})
}
