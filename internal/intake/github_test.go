package intake_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/intake"
	"booty/internal/store"
	"booty/internal/storetest"
)

// issuesEvent is an issues delivery in GitHub's wire shape, trimmed.
func issuesEvent(t *testing.T, action, reason, sender string, number int, body string) []byte {
	t.Helper()
	is := map[string]any{"number": number, "title": "[error] TypeError", "state": "open", "body": body,
		"user": map[string]any{"login": "booty-bot", "type": "User"}, "labels": []any{}}
	if action == "closed" {
		is["state"], is["state_reason"], is["closed_at"] = "closed", reason, "2026-12-02T10:00:00Z"
	}
	b, err := json.Marshal(map[string]any{"action": action, "issue": is,
		"repository": map[string]any{"full_name": "acme/shop", "name": "shop", "owner": map[string]any{"login": "acme"}},
		"sender":     map[string]any{"login": sender, "type": "User", "id": 7}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGitHubIssuesEvents applies each issues action to a filed problem on
// each backend and checks what the store then says of its issue.
func TestGitHubIssuesEvents(t *testing.T) {
	t.Parallel()
	marker := "The problem.\n\n" + github.Marker("sentry:7")
	type want struct {
		outcome intake.GitHubOutcome
		number  int
		closed  bool
		reason  string
	}
	tests := []struct {
		name, action, reason, sender string
		number                       int
		body                         string
		want                         want
		// closed closes the issue, as not planned, before the event.
		closed bool
	}{
		{"closed completed", "closed", "completed", "alice", 12, marker, want{intake.GitHubClosed, 12, true, "completed"}, false},
		{"closed not planned", "closed", "not_planned", "alice", 12, marker, want{intake.GitHubClosed, 12, true, "not_planned"}, false},
		{"reopened", "reopened", "", "alice", 12, marker, want{intake.GitHubReopened, 12, false, ""}, true},
		{"reopened when open", "reopened", "", "alice", 12, marker, want{intake.GitHubIgnored, 12, false, ""}, false},
		{"closed again with another reason", "closed", "completed", "alice", 12, marker, want{intake.GitHubClosed, 12, true, "completed"}, true},
		{"deleted", "deleted", "", "alice", 12, marker, want{intake.GitHubForgotten, 0, false, ""}, false},
		{"transferred", "transferred", "", "alice", 12, marker, want{intake.GitHubForgotten, 0, false, ""}, false},
		{"labeled", "labeled", "", "alice", 12, marker, want{intake.GitHubIgnored, 12, false, ""}, false},
		{"another issue", "closed", "completed", "alice", 13, marker, want{intake.GitHubOtherIssue, 12, false, ""}, false},
		{"no marker", "closed", "completed", "alice", 12, "a person's issue", want{intake.GitHubNotBooty, 12, false, ""}, false},
		{"booty's own", "closed", "duplicate", "booty-bot", 12, marker, want{intake.GitHubOwnAction, 12, false, ""}, false},
	}
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
					st := filedProblem(t, be, "sentry:7", 12, now)
					if tt.closed {
						err := st.Transact(t.Context(), func(tx *store.Tx) error {
							return tx.SetIssueState(t.Context(), "sentry:7", 12, true, now.Add(-time.Hour), "not_planned")
						})
						if err != nil {
							t.Fatal(err)
						}
					}
					g := intake.NewGitHub(st, func() string { return "booty-bot" }, "acme/shop", slog.New(slog.DiscardHandler), func() time.Time { return now })
					body := issuesEvent(t, tt.action, tt.reason, tt.sender, tt.number, tt.body)
					res, err := g.Receive(t.Context(), "d-1", "issues", body)
					if err != nil {
						t.Fatalf("Receive: %v", err)
					}
					p, err := st.Problem(t.Context(), "sentry:7")
					if err != nil {
						t.Fatal(err)
					}
					got := want{res.Outcome, p.IssueNumber, p.IssueClosed, p.IssueCloseReason}
					if got != tt.want {
						t.Errorf("got %+v, want %+v", got, tt.want)
					}
					// The same delivery again changes nothing.
					if tt.action != "reopened" && !tt.closed {
						again, err := g.Receive(t.Context(), "d-1", "issues", issuesEvent(t, "reopened", "", "alice", 12, marker))
						if err != nil {
							t.Fatal(err)
						}
						p2, _ := st.Problem(t.Context(), "sentry:7")
						if again.Outcome != intake.GitHubDuplicate || p2 != p {
							t.Errorf("redelivery: %s, problem %+v, want duplicate and %+v", again.Outcome, p2, p)
						}
					}
				})
			}
		})
	}
}

func TestGitHubPingAndBadPayloads(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), storetest.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := intake.NewGitHub(st, func() string { return "" }, "acme/shop", slog.New(slog.DiscardHandler), time.Now)
	res, err := g.Receive(t.Context(), "p-1", "ping", []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`))
	if err != nil || res.Outcome != intake.GitHubPing {
		t.Errorf("ping: %+v, %v", res, err)
	}
	for _, c := range []struct{ id, event, body string }{
		{"b-1", "issues", `not json`},
		{"", "issues", `{}`},
		{"b-2", "issues", `{"action":"closed"}`},
	} {
		if _, err := g.Receive(t.Context(), c.id, c.event, []byte(c.body)); err == nil {
			t.Errorf("%s %q: no error", c.event, c.body)
		} else if fmt.Sprint(err) == "" {
			t.Errorf("empty error")
		}
	}
	if n := storetest.Strings(t, st, `SELECT delivery_id FROM booty_github_deliveries`); len(n) != 1 {
		t.Errorf("recorded %q, want the ping alone", n)
	}
}

// withChanges returns an issues delivery with its "changes" set.
func withChanges(t *testing.T, body []byte, changes map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["changes"] = changes
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGitHubFollowAndMarker: an issue transferred into a routed repository
// is followed there; one whose marker a person removed is remembered, so
// that a quiet repeat comments instead of editing the body.
func TestGitHubFollowAndMarker(t *testing.T) {
	t.Parallel()
	marker := "The problem.\n\n" + github.Marker("sentry:7")
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			st, err := store.Open(t.Context(), be.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
			err = st.Transact(t.Context(), func(tx *store.Tx) error {
				return tx.SaveProblem(t.Context(), alert.Problem{}, alert.Problem{Key: "sentry:7", FirstSeen: now, LastSeen: now, Count: 1})
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SetIssue(t.Context(), "sentry:7", 12, false, time.Time{}); err != nil {
				t.Fatal(err)
			}
			g := intake.NewGitHub(st, func() string { return "booty-bot" }, "acme/shop", slog.New(slog.DiscardHandler), func() time.Time { return now }).
				WithLifecycle(alert.DefaultPolicy(), nil, nil, func(repo string) bool { return repo == "acme/web" })

			edited := withChanges(t, issuesEvent(t, "edited", "", "alice", 12, "The problem, without its marker."),
				map[string]any{"body": map[string]any{"from": marker}})
			if res, err := g.Receive(t.Context(), "d-edit", "issues", edited); err != nil || res.ProblemKey != "sentry:7" {
				t.Fatalf("edited: %+v, %v", res, err)
			}
			if lc := storetest.Strings(t, st, `SELECT lifecycle FROM booty_problems`); len(lc) != 1 || !strings.Contains(lc[0], `"marker_removed":true`) {
				t.Errorf("lifecycle after the marker's removal: %q", lc)
			}

			moved := withChanges(t, issuesEvent(t, "transferred", "", "alice", 12, marker),
				map[string]any{"new_repository": map[string]any{"full_name": "acme/web"}, "new_issue": map[string]any{"number": 3}})
			res, err := g.Receive(t.Context(), "d-move", "issues", moved)
			if err != nil || res.Outcome != intake.GitHubFollowed {
				t.Fatalf("transferred: %+v, %v; want followed", res, err)
			}
			p, err := st.Problem(t.Context(), "sentry:7")
			if err != nil {
				t.Fatal(err)
			}
			if p.Repo != "acme/web" || p.IssueNumber != 3 {
				t.Errorf("problem after the transfer: repo %q issue %d, want acme/web #3", p.Repo, p.IssueNumber)
			}
		})
	}
}
