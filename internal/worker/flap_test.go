package worker_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/intake"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// hookEvent is an issues delivery about issue n of acme/app in GitHub's
// wire shape, trimmed, sent by a person.
func hookEvent(t *testing.T, action string, n int, key string) []byte {
	t.Helper()
	is := map[string]any{"number": n, "title": "[error] TypeError", "state": "open", "body": github.Marker(key),
		"user": map[string]any{"login": "booty", "type": "User"}, "labels": []any{}}
	if action == "closed" {
		is["state"], is["state_reason"] = "closed", "completed"
	}
	b, err := json.Marshal(map[string]any{"action": action, "issue": is,
		"repository": map[string]any{"full_name": owner + "/" + repo}, "sender": map[string]any{"login": "alice", "type": "User"}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFlappingSettles: the fourth close or reopen of an issue within an
// hour makes it flapping (the label and one comment), and once it has been
// quiet for an hour the lifecycle's tick settles it, on booty's clock.
func TestFlappingSettles(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: time.Hour})
		a := newAlert("sentry:4900", "ev1")
		b.accept(t, a)
		n := b.waitIssue(t, a.ProblemKey).Number
		g := intake.NewGitHub(b.st, func() string { return "booty" }, owner+"/"+repo, b.log, b.clock.Now).
			WithLifecycle(alert.DefaultPolicy(), worker.NoteEnqueuer(b.client), nil, nil).
			WithTicks(worker.TickScheduler(b.client))
		for i, action := range []string{"closed", "reopened", "closed", "reopened"} {
			b.clock.Advance(time.Minute)
			if _, err := g.Receive(t.Context(), fmt.Sprintf("d-%d", i), "issues", hookEvent(t, action, n, a.ProblemKey)); err != nil {
				t.Fatal(err)
			}
		}
		b.waitFor(t, waitLong, "the flapping label and comment", func() (bool, string) {
			is, _ := b.srv.Issue(n)
			return slices.Contains(is.Labels, "flapping") && len(is.Comments) == 1 && strings.Contains(is.Comments[0], "**Flapping:**"),
				fmt.Sprintf("labels %q, comments %q", is.Labels, is.Comments)
		})
		// waitFor moves the clock on to the tick an hour later.
		b.waitFor(t, waitLong, "the flapping issue settled", func() (bool, string) {
			causes := storetest.Strings(t, b.st, `SELECT cause FROM booty_transitions WHERE problem_key = 'sentry:4900' ORDER BY id`)
			return slices.Contains(causes, string(alert.CauseFlapSettled)), fmt.Sprintf("%q", causes)
		})
		if is, _ := b.srv.Issue(n); is.State != "open" {
			t.Errorf("issue is %s, want open as the person last left it", is.State)
		}
	})
}
