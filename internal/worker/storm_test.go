package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"booty/internal/alert"
	"booty/internal/githubtest"
	"booty/internal/intake"
	"booty/internal/route"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// stormRoutes give the one route a budget of 2 new issues per 10 minutes.
const stormRoutes = `
storm: {issues: 30, per: 10m, quiet: 30m}
routes:
  - name: web
    repo: acme/app
    labels: ["team-web"]
    budget: {issues: 2, per: 10m}
`

// stormIntake is intake over stormRoutes, writing to b's store and queue.
func stormIntake(t *testing.T, b *bundle) *intake.Intake {
	t.Helper()
	tab, err := route.Parse([]byte(stormRoutes), route.Defaults{
		File: "routes.yaml", Repo: route.Repo{Owner: owner, Name: repo}, TriggerLabel: label,
		MinLevel: alert.SeverityError, Cooldown: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return intake.NewRouted(tab, b.st, worker.Enqueuer(b.client), func(s string) string { return s }, b.log, b.clock.Now)
}

// stormEvent is an event alert of problem id as Sentry sends it, trimmed.
func stormEvent(t *testing.T, id, eventID, level string, at time.Time) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"action": "triggered",
		"data": map[string]any{
			"triggered_rule": "Errors in production",
			"event": map[string]any{
				"event_id": eventID, "issue_id": id, "level": level, "title": "TypeError: boom " + id,
				"environment": "production", "release": "web@1.4.2", "platform": "javascript",
				"datetime":  at.Format(time.RFC3339Nano),
				"url":       "https://sentry.io/api/0/projects/acme/web/events/" + eventID + "/",
				"web_url":   "https://acme.sentry.io/issues/" + id + "/",
				"exception": map[string]any{"values": []any{map[string]any{"type": "TypeError", "value": "boom"}}},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func receive(t *testing.T, in *intake.Intake, body []byte) intake.Result {
	t.Helper()
	res, err := in.Receive(t.Context(), "event_alert", "req", body)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return res
}

// editRecorder is the worker's GitHub with the time of every issue edit on
// booty's clock.
type editRecorder struct {
	worker.Issues
	now   func() time.Time
	mu    sync.Mutex
	edits []time.Time
}

func (r *editRecorder) EditIssue(ctx context.Context, number int, title, body string) error {
	r.mu.Lock()
	r.edits = append(r.edits, r.now())
	r.mu.Unlock()
	return r.Issues.EditIssue(ctx, number, title, body)
}

func (r *editRecorder) times() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.edits)
}

// digestOf returns the stand-in's storm digest, if there is one.
func digestOf(b *bundle) (githubtest.Issue, bool) {
	for _, is := range b.srv.Issues() {
		if strings.HasPrefix(is.Title, "Sentry storm: ") {
			return is, true
		}
	}
	return githubtest.Issue{}, false
}

// waitDigestLists waits until the digest lists n problems.
func waitDigestLists(t *testing.T, b *bundle, n int) githubtest.Issue {
	t.Helper()
	var d githubtest.Issue
	b.waitFor(t, waitLong, fmt.Sprintf("a digest listing %d problems", n), func() (bool, string) {
		var ok bool
		if d, ok = digestOf(b); !ok {
			return false, "no digest"
		}
		got := strings.Count(d.Body, "\n- [")
		return got == n, fmt.Sprintf("%d listed: %q", got, d.Title)
	})
	return d
}

// TestStormDigest: over its budget, a route files 2 issues and the fatal
// problem, and folds the other 10 into one digest for people (no trigger
// label), edited at most once a minute on booty's clock; a folded problem
// that fires after 30 quiet minutes gets its own issue, which links the
// digest, and the digest's line links it back.
func TestStormDigest(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		var rec *editRecorder
		b := setup(t, setupOpts{backend: backend, cooldown: time.Hour,
			wrapIssues: func(is worker.Issues, now func() time.Time) worker.Issues {
				rec = &editRecorder{Issues: is, now: now}
				return rec
			}})
		in := stormIntake(t, b)
		at := b.clock.Now().Add(-time.Minute)
		var decisions []string
		for i := range 12 {
			level := "error"
			if i == 5 {
				level = "fatal"
			}
			res := receive(t, in, stormEvent(t, fmt.Sprint(100+i), fmt.Sprintf("e%d", i), level, at))
			decisions = append(decisions, res.Decision.String())
		}
		want := []string{"create", "create", "fold", "fold", "fold", "create", "fold", "fold", "fold", "fold", "fold", "fold"}
		if !slices.Equal(decisions, want) {
			t.Fatalf("decisions %q, want %q", decisions, want)
		}
		d := waitDigestLists(t, b, 9)
		b.waitFor(t, waitLong, "3 issues and the digest", func() (bool, string) {
			n := len(b.srv.Issues())
			return n == 4, fmt.Sprintf("%d issues", n)
		})
		if !slices.Equal(d.Labels, []string{"team-web"}) {
			t.Errorf("digest labels %q, want the route's without the trigger label", d.Labels)
		}
		if wantTitle := "Sentry storm: web/production — 9 new problems in web@1.4.2"; d.Title != wantTitle {
			t.Errorf("digest title %q, want %q", d.Title, wantTitle)
		}
		for _, is := range b.srv.Issues() {
			if is.Number != d.Number && !slices.Contains(is.Labels, label) {
				t.Errorf("issue #%d labels %q, want the trigger label", is.Number, is.Labels)
			}
		}
		edits := rec.times()
		for i := 1; i < len(edits); i++ {
			if gap := edits[i].Sub(edits[i-1]); gap < route.DefaultDigestEvery {
				t.Errorf("digest edits %d and %d %s apart, want at least %s", i, i+1, gap, route.DefaultDigestEvery)
			}
		}

		// Thirty quiet minutes later, a folded problem fires again.
		b.clock.Advance(31 * time.Minute)
		if res := receive(t, in, stormEvent(t, "102", "e-late", "error", b.clock.Now())); res.Decision.Action != alert.ActionCreate {
			t.Fatalf("folded problem after the storm: %s, want create", res.Decision)
		}
		promoted := b.waitIssue(t, "sentry:102")
		if !strings.HasPrefix(promoted.Body, fmt.Sprintf("booty first listed this problem in the storm digest #%d", d.Number)) {
			t.Errorf("promoted issue does not link the digest:\n%s", promoted.Body)
		}
		b.waitFor(t, waitLong, "the digest linking the promoted issue", func() (bool, string) {
			d, _ = digestOf(b)
			return strings.Contains(d.Body, fmt.Sprintf("filed as #%d", promoted.Number)),
				fmt.Sprint(storetest.Strings(t, b.st, `SELECT kind || ' ' || state || ' ' || attempt FROM river_job ORDER BY id`), storetest.Strings(t, b.st, `SELECT version || ' ' || shown_version FROM booty_digests`))
		})
		if n := strings.Count(d.Body, "\n- [x] "); n != 1 {
			t.Errorf("digest checks %d problems, want the promoted one", n)
		}
		if got := len(b.srv.Issues()); got != 5 {
			t.Errorf("%d issues, want 5: nothing filed twice", got)
		}
	})
}

// TestStormRestart: a booty restarted in the middle of a storm folds the
// rest into the same digest and files nothing twice.
func TestStormRestart(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend storetest.Backend) {
		b := setup(t, setupOpts{backend: backend, cooldown: time.Hour})
		in := stormIntake(t, b)
		at := b.clock.Now().Add(-time.Minute)
		for i := range 5 {
			receive(t, in, stormEvent(t, fmt.Sprint(200+i), fmt.Sprintf("e%d", i), "error", at))
		}
		waitDigestLists(t, b, 3)

		// The restart: this process's worker stops, another starts over
		// the same store, and intake goes on with a fresh intake too.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.client.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := worker.NewClient(b.st, worker.New(b.cfg), b.log, 2, worker.WithTime(b.clock), worker.WithPollInterval(20*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		b.client = c
		b.start(t)
		in = stormIntake(t, b)
		for i := range 5 {
			// The first five again (replays), then five new ones.
			receive(t, in, stormEvent(t, fmt.Sprint(200+i), fmt.Sprintf("e%d", i), "error", at))
			receive(t, in, stormEvent(t, fmt.Sprint(300+i), fmt.Sprintf("f%d", i), "error", at))
		}
		waitDigestLists(t, b, 8)
		b.waitFor(t, waitLong, "2 issues and one digest", func() (bool, string) {
			var titles []string
			for _, is := range b.srv.Issues() {
				titles = append(titles, is.Title)
			}
			return len(titles) == 3, fmt.Sprintf("%q", titles)
		})
	})
}
