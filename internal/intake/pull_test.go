package intake_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/intake"
	"booty/internal/store"
	"booty/internal/storetest"
)

// pullEvent is a pull_request delivery in GitHub's wire shape, trimmed.
func pullEvent(t *testing.T, action, head, headRepo, state, sha string) []byte {
	t.Helper()
	repo := func(full string) map[string]any {
		owner, name, _ := strings.Cut(full, "/")
		return map[string]any{"full_name": full, "name": name, "owner": map[string]any{"login": owner}}
	}
	b, err := json.Marshal(map[string]any{"action": action, "number": 1001,
		"pull_request": map[string]any{"number": 1001, "title": "Fix #12", "state": state, "draft": true,
			"head": map[string]any{"ref": head, "sha": sha, "repo": repo(headRepo)},
			"base": map[string]any{"ref": "main", "sha": strings.Repeat("b", 40), "repo": repo("acme/shop")},
			"user": map[string]any{"login": "booty-bot"}},
		"repository": repo("acme/shop"),
		"sender":     map[string]any{"login": "booty-bot", "type": "User", "id": 7}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGitHubPullRequests: a pull request from booty's branch of a
// problem's issue in the repository itself queues its verification, booty's
// own included; a fork's, another branch's, a closed one's or an unknown
// issue's queue nothing; a redelivery queues nothing more.
func TestGitHubPullRequests(t *testing.T) {
	t.Parallel()
	sha := strings.Repeat("a", 40)
	tests := []struct {
		name, action, head, headRepo, state string
		want                                intake.GitHubOutcome
	}{
		{"opened", "opened", "booty/issue-12", "acme/shop", "open", intake.GitHubVerifyQueued},
		{"synchronize", "synchronize", "booty/issue-12", "acme/shop", "open", intake.GitHubVerifyQueued},
		{"reopened", "reopened", "booty/issue-12", "acme/shop", "open", intake.GitHubVerifyQueued},
		{"a fork's", "opened", "booty/issue-12", "mallory/shop", "open", intake.GitHubNotBootyBranch},
		{"another branch", "opened", "fix-12", "acme/shop", "open", intake.GitHubNotBootyBranch},
		{"a padded number", "opened", "booty/issue-012", "acme/shop", "open", intake.GitHubNotBootyBranch},
		{"closed", "closed", "booty/issue-12", "acme/shop", "closed", intake.GitHubIgnored},
		{"edited", "edited", "booty/issue-12", "acme/shop", "open", intake.GitHubIgnored},
		{"no problem's issue", "opened", "booty/issue-13", "acme/shop", "open", intake.GitHubNotBooty},
	}
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
					st := filedProblem(t, be, "sentry:7", 12, now)
					var queued []intake.PullHead
					g := intake.NewGitHub(st, func() string { return "booty-bot" }, "acme/shop", slog.New(slog.DiscardHandler), func() time.Time { return now }).
						WithVerifier(func(_ context.Context, _ *store.Tx, p alert.Problem, pr intake.PullHead) (int64, error) {
							if p.Key != "sentry:7" {
								t.Errorf("verification of problem %s", p.Key)
							}
							queued = append(queued, pr)
							return 1, nil
						})
					body := pullEvent(t, tt.action, tt.head, tt.headRepo, tt.state, sha)
					res, err := g.Receive(t.Context(), "d-1", "pull_request", body)
					if err != nil {
						t.Fatalf("Receive: %v", err)
					}
					if res.Outcome != tt.want {
						t.Errorf("outcome %s, want %s", res.Outcome, tt.want)
					}
					wantQueued := 0
					if tt.want == intake.GitHubVerifyQueued {
						wantQueued = 1
					}
					if len(queued) != wantQueued {
						t.Fatalf("queued %+v, want %d", queued, wantQueued)
					}
					if wantQueued == 1 && queued[0] != (intake.PullHead{Number: 1001, Branch: "booty/issue-12", SHA: sha}) {
						t.Errorf("queued %+v", queued[0])
					}
					// The same delivery again is a duplicate; what it
					// queued inside the transaction is rolled back.
					if again, err := g.Receive(t.Context(), "d-1", "pull_request", body); err != nil || again.Outcome != intake.GitHubDuplicate {
						t.Errorf("redelivery: %s, %v", again.Outcome, err)
					}
				})
			}
		})
	}
}

// filedProblem opens a store of backend be holding problem key, seen once
// at now, whose issue is number; it is closed when the test ends.
func filedProblem(t *testing.T, be storetest.Backend, key string, number int, now time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), be.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Transact(t.Context(), func(tx *store.Tx) error {
		return tx.SaveProblem(t.Context(), alert.Problem{}, alert.Problem{Key: key, FirstSeen: now, LastSeen: now, Count: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetIssue(t.Context(), key, number, false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return st
}
