package intake_test

import (
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	"booty/internal/clocktest"
	"booty/internal/intake"
	"booty/internal/logtest"
	"booty/internal/route"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// routesYAML routes by project and environment: staging is dropped, each
// project has its repository and thresholds, and other projects take no
// route.
const routesYAML = `
routes:
  - name: staging
    match: {environment: staging}
    drop: true
  - name: web
    match: {project: "shop-web"}
    repo: acme/web
    labels: ["severity:{{level}}", "team-web"]
    assignees: [alice]
    min_level: warning
    cooldown: 0s
  - name: api
    match: {project: "shop-api"}
    repo: acme/api
    cooldown: 1h
    min_events: 3
`

// routedBundle is an intake over routes and a store of one backend.
type routedBundle struct {
	st    *store.Store
	clock *clocktest.Clock
	jobs  *worker.Client
	logs  *logtest.Buffer
	log   *slog.Logger
}

func setupRouted(t *testing.T, url string) *routedBundle {
	t.Helper()
	b := &routedBundle{clock: clocktest.New(t0), logs: &logtest.Buffer{}}
	b.log = slog.New(slog.NewJSONHandler(b.logs, nil))
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b.st = st
	if b.jobs, err = worker.NewClient(st, nil, b.log, 1); err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return b
}

// intake returns an intake over the routes file text.
func (b *routedBundle) intake(t *testing.T, yaml string) *intake.Intake {
	t.Helper()
	tab, err := route.Parse([]byte(yaml), route.Defaults{
		File: "routes.yaml", Repo: route.Repo{Owner: "acme", Name: "shop"}, TriggerLabel: "agent:builder",
		MinLevel: alert.SeverityError, Cooldown: 6 * time.Hour,
	})
	if err != nil {
		t.Fatalf("routes: %v", err)
	}
	return intake.NewRouted(tab, b.st, worker.Enqueuer(b.jobs), func(s string) string { return s }, b.log, b.clock.Now)
}

// routedEvent is the real event alert from project, in env ("" for none),
// at level, as problem issueID and event eventID.
func routedEvent(t *testing.T, project, env, level, issueID, eventID string) []byte {
	return event(t, func(ev map[string]any) {
		withEvent(eventID, t0.Add(-time.Hour))(ev)
		ev["issue_id"] = issueID
		ev["url"] = "https://sentry.io/api/0/projects/acme/" + project + "/events/" + eventID + "/"
		ev["level"] = level
		if env == "" {
			delete(ev, "environment")
		} else {
			ev["environment"] = env
		}
	})
}

func receiveWith(t *testing.T, in *intake.Intake, body []byte) intake.Result {
	t.Helper()
	res, err := in.Receive(t.Context(), "event_alert", "req", body)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return res
}

// column returns one text column of a query on either backend, in order.
func column(t *testing.T, st *store.Store, query string) []string {
	t.Helper()
	return storetest.Strings(t, st, query)
}

// jobArgs returns the IssueArgs of every job, oldest first.
func (b *routedBundle) jobArgs(t *testing.T) []worker.IssueArgs {
	t.Helper()
	q := `SELECT json(args) FROM river_job ORDER BY id` // SQLite keeps JSONB
	if b.st.Backend() == store.Postgres {
		q = `SELECT args::text FROM river_job ORDER BY id`
	}
	var out []worker.IssueArgs
	for _, raw := range column(t, b.st, q) {
		var a worker.IssueArgs
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatalf("decode job %s: %v", raw, err)
		}
		out = append(out, a)
	}
	return out
}

func TestRouteDecisions(t *testing.T) {
	t.Parallel()
	type step struct {
		project, env, level, issue, event string
		advance                           time.Duration
		want                              string
		wantRoute                         string
		// filed is the issue number the worker records after the step.
		filed int
	}
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				name  string
				steps []step
			}{
				{"drop", []step{{project: "shop-web", env: "staging", level: "fatal", issue: "1", event: "e1", want: "dropped_by_route", wantRoute: "staging"}}},
				{"no route", []step{{project: "blog", env: "production", level: "fatal", issue: "1", event: "e1", want: "no_route"}}},
				{"min_level of each route", []step{
					{project: "shop-web", env: "production", level: "warning", issue: "1", event: "e1", want: "create", wantRoute: "web"},
					{project: "shop-api", env: "production", level: "warning", issue: "2", event: "e2", want: "below_threshold", wantRoute: "api"},
				}},
				{"cooldown of each route", []step{
					{project: "shop-web", level: "error", issue: "1", event: "e1", want: "create", wantRoute: "web", filed: 1},
					{project: "shop-web", level: "error", issue: "1", event: "e2", advance: time.Minute, want: "comment", wantRoute: "web"},
					{project: "shop-api", level: "error", issue: "2", event: "e3", want: "below_min_events", wantRoute: "api"},
					{project: "shop-api", level: "error", issue: "2", event: "e4", want: "below_min_events", wantRoute: "api"},
					{project: "shop-api", level: "error", issue: "2", event: "e5", want: "create", wantRoute: "api", filed: 2},
					{project: "shop-api", level: "error", issue: "2", event: "e6", advance: time.Minute, want: "cooldown", wantRoute: "api"},
				}},
				{"min_events counts duplicates once", []step{
					{project: "shop-api", level: "error", issue: "3", event: "e1", want: "below_min_events", wantRoute: "api"},
					{project: "shop-api", level: "error", issue: "3", event: "e1", want: "duplicate", wantRoute: "api"},
					{project: "shop-api", level: "error", issue: "3", event: "e2", want: "below_min_events", wantRoute: "api"},
					{project: "shop-api", level: "error", issue: "3", event: "e3", want: "create", wantRoute: "api"},
				}},
			} {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					b := setupRouted(t, be.URL(t))
					in := b.intake(t, routesYAML)
					var got, want []string
					for _, s := range c.steps {
						b.clock.Advance(s.advance)
						res := receiveWith(t, in, routedEvent(t, s.project, s.env, s.level, s.issue, s.event))
						got = append(got, res.Decision.String()+" "+res.Route)
						want = append(want, s.want+" "+s.wantRoute)
						if s.filed != 0 {
							if err := b.st.SetIssue(t.Context(), "sentry:"+s.issue, s.filed, false, time.Time{}); err != nil {
								t.Fatal(err)
							}
						}
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("decisions and routes (-want +got):\n%s", diff)
					}
					var decisions, routes []string
					for _, s := range c.steps {
						decisions = append(decisions, s.want)
						routes = append(routes, s.wantRoute)
					}
					if diff := cmp.Diff(routes, column(t, b.st, `SELECT route FROM booty_deliveries ORDER BY id`)); diff != "" {
						t.Errorf("delivery routes (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff(decisions, column(t, b.st, `SELECT decision FROM booty_deliveries ORDER BY id`)); diff != "" {
						t.Errorf("delivery decisions (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

func TestRouteJobTarget(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			b := setupRouted(t, be.URL(t))
			in := b.intake(t, routesYAML)
			receiveWith(t, in, routedEvent(t, "shop-web", "production", "warning", "1", "e1"))
			jobs := b.jobArgs(t)
			if len(jobs) != 1 {
				t.Fatalf("jobs = %d, want 1", len(jobs))
			}
			got := jobs[0]
			if got.Repo != "acme/web" || got.Version != worker.PayloadVersion {
				t.Errorf("job repo %q version %d, want acme/web version %d", got.Repo, got.Version, worker.PayloadVersion)
			}
			if diff := cmp.Diff([]string{"agent:builder", "severity:warning", "team-web"}, got.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"alice"}, got.Assignees); diff != "" {
				t.Errorf("assignees (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRouteKeptWhenRoutesChange: a problem stays with the repository its
// issue was filed in when the routes file later sends its project
// elsewhere; a new problem of the project takes the new route.
func TestRouteKeptWhenRoutesChange(t *testing.T) {
	t.Parallel()
	const moved = `
routes:
  - name: web-moved
    match: {project: "shop-web"}
    repo: acme/web-next
    cooldown: 0s
`
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			b := setupRouted(t, be.URL(t))
			receiveWith(t, b.intake(t, routesYAML), routedEvent(t, "shop-web", "production", "error", "1", "e1"))
			key := "sentry:1"
			if err := b.st.SetIssue(t.Context(), key, 7, false, time.Time{}); err != nil {
				t.Fatal(err)
			}

			in := b.intake(t, moved)
			b.clock.Advance(time.Minute)
			if res := receiveWith(t, in, routedEvent(t, "shop-web", "production", "error", "1", "e2")); res.Decision.String() != "comment" || res.Route != "web-moved" {
				t.Fatalf("after the move: %s by route %q, want comment by web-moved", res.Decision, res.Route)
			}
			receiveWith(t, in, routedEvent(t, "shop-web", "production", "error", "2", "e3"))

			p, err := b.st.Problem(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			if p.Route != "web" || p.Repo != "acme/web" {
				t.Errorf("old problem: route %q repo %q, want web acme/web", p.Route, p.Repo)
			}
			p2, err := b.st.Problem(t.Context(), "sentry:2")
			if err != nil {
				t.Fatal(err)
			}
			if p2.Route != "web-moved" || p2.Repo != "acme/web-next" {
				t.Errorf("new problem: route %q repo %q, want web-moved acme/web-next", p2.Route, p2.Repo)
			}
			var repos []string
			for _, j := range b.jobArgs(t) {
				repos = append(repos, string(j.Action)+" "+j.Repo)
			}
			if diff := cmp.Diff([]string{"create acme/web", "comment acme/web", "create acme/web-next"}, repos); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
		})
	}
}
