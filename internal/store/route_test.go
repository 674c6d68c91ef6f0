package store_test

import (
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/store"
	"booty/internal/storetest"
)

// TestRouteColumns: a problem keeps the route and repository it was
// inserted with, whatever later saves carry; recovery links a waiting
// problem only to an issue of its own repository, and restores a problem
// with the repository its issue is in.
func TestRouteColumns(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st, err := store.Open(ctx, be.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
			save := func(prev, next alert.Problem) {
				t.Helper()
				if err := st.Transact(ctx, func(tx *store.Tx) error { return tx.SaveProblem(ctx, prev, next) }); err != nil {
					t.Fatal(err)
				}
			}
			web := alert.Problem{Key: "sentry:1", FirstSeen: at, LastSeen: at, Count: 1, Route: "web", Repo: "acme/web"}
			save(alert.Problem{}, web)
			moved := web
			moved.Count, moved.Route, moved.Repo = 2, "other", "acme/other"
			save(web, moved)
			old := alert.Problem{Key: "sentry:2", FirstSeen: at, LastSeen: at, Count: 1}
			save(alert.Problem{}, old)

			if _, err := st.RestoreIssues(ctx, []store.IssueLink{
				{ProblemKey: "sentry:1", Number: 3, Repo: "acme/shop", Default: true}, // not its repository
				{ProblemKey: "sentry:1", Number: 4, Repo: "acme/web"},
				{ProblemKey: "sentry:2", Number: 5, Repo: "acme/shop", Default: true}, // stored before routes
				{ProblemKey: "sentry:3", Number: 6, Repo: "acme/web"},
			}); err != nil {
				t.Fatal(err)
			}
			for _, want := range []struct {
				key, route, repo string
				issue            int
				count            int64
			}{
				{"sentry:1", "web", "acme/web", 4, 2},
				{"sentry:2", "", "", 5, 1},
				{"sentry:3", "", "acme/web", 6, 0},
			} {
				p, err := st.Problem(ctx, want.key)
				if err != nil {
					t.Fatal(err)
				}
				if p.Route != want.route || p.Repo != want.repo || p.IssueNumber != want.issue || p.Count != want.count {
					t.Errorf("%s: route %q repo %q issue %d count %d, want %q %q %d %d",
						want.key, p.Route, p.Repo, p.IssueNumber, p.Count, want.route, want.repo, want.issue, want.count)
				}
			}
		})
	}
}
