package worker_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/store"
	"booty/internal/storetest"
	"booty/internal/worker"
)

// The repositories of the routed tests: the default one and a route's.
const (
	defaultRepo = owner + "/" + repo
	webRepo     = owner + "/web"
)

// routedBundle is a worker filing into several repositories of one
// stand-in, over a store of one backend.
type routedBundle struct {
	repos   *githubtest.Repos
	st      *store.Store
	client  *worker.Client
	worker  *worker.Worker
	clients *github.Clients
}

func setupRouted(t *testing.T, url string, gopts githubtest.Options) *routedBundle {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	gopts.Token = token
	b := &routedBundle{repos: githubtest.NewRepos(t, gopts, defaultRepo, webRepo)}
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b.st = st
	clients := github.NewTokenClients(&http.Client{Timeout: 10 * time.Second}, b.repos.URL, token, "test")
	b.clients = clients
	def, err := clients.ClientFor(t.Context(), owner, repo)
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(worker.Config{
		Issues:      def,
		DefaultRepo: defaultRepo,
		IssuesFor: func(ctx context.Context, full string) (worker.Issues, error) {
			o, n, _ := strings.Cut(full, "/")
			return clients.ClientFor(ctx, o, n)
		},
		Repos:  []string{defaultRepo, webRepo},
		Store:  st,
		Budget: liftedBudget(st),
		Label:  label,
		Log:    log,
	})
	b.worker = w
	if b.client, err = worker.NewClient(st, w, log, 2, worker.WithPollInterval(20*time.Millisecond)); err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if err := b.client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.client.Stop(ctx); err != nil {
			t.Errorf("stop River: %v", err)
		}
	})
	return b
}

// accept stores p and enqueues the job of decision d about a, as intake
// does.
func (b *routedBundle) accept(t *testing.T, a *alert.Alert, p alert.Problem, d alert.Decision) {
	t.Helper()
	err := b.st.Transact(t.Context(), func(tx *store.Tx) error {
		prev, err := tx.Problem(t.Context(), p.Key)
		if err != nil && err != store.ErrNotFound {
			return err
		}
		if err := tx.SaveProblem(t.Context(), prev, p); err != nil {
			return err
		}
		_, err = worker.Enqueuer(b.client)(t.Context(), tx, a, d)
		return err
	})
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
}

// waitIssue waits until the store names the problem's issue.
func (b *routedBundle) waitIssue(t *testing.T, key string) int {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		if p, err := b.st.Problem(t.Context(), key); err == nil && p.IssueNumber > 0 {
			return p.IssueNumber
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("problem %s has no issue after %s", key, waitLong)
	return 0
}

func problemOf(a *alert.Alert, repo string) alert.Problem {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return alert.Problem{Key: a.ProblemKey, FirstSeen: now, LastSeen: now, Count: 1, LastEventID: a.EventID,
		LastWriteAt: now, Route: "web", Repo: repo}
}

func TestWorkerFilesIntoTheJobsRepository(t *testing.T) {
	t.Parallel()
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			b := setupRouted(t, be.URL(t), githubtest.Options{Assignable: []string{"alice", "bob"}})
			web, def := b.repos.Repo(webRepo), b.repos.Repo(defaultRepo)

			a := newAlert("sentry:1", "e1")
			b.accept(t, a, problemOf(a, webRepo), alert.Decision{Action: alert.ActionCreate, Target: &alert.Target{
				Route: "web", Repo: webRepo, Labels: []string{"agent:web", "severity:error", "team-web"}, Assignees: []string{"alice", "bob"},
			}})
			n := b.waitIssue(t, "sentry:1")
			if got := len(def.Issues()); got != 0 {
				t.Errorf("default repository has %d issues, want 0", got)
			}
			is, ok := web.Issue(n)
			if !ok {
				t.Fatalf("issue %d not in %s; it has %d issues", n, webRepo, len(web.Issues()))
			}
			if diff := cmp.Diff([]string{"agent:web", "severity:error", "team-web"}, is.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"alice", "bob"}, is.Assignees); diff != "" {
				t.Errorf("assignees (-want +got):\n%s", diff)
			}
			if !hasLabel(web.Labels(), "agent:web") {
				t.Errorf("trigger label agent:web not made in %s: %v", webRepo, web.Labels())
			}

			// A comment on that problem goes to the same repository.
			a2 := newAlert("sentry:1", "e2")
			p := problemOf(a2, webRepo)
			p.Count, p.IssueNumber = 2, n
			b.accept(t, a2, p, alert.Decision{Action: alert.ActionComment, Target: &alert.Target{Route: "web", Repo: webRepo}})
			waitUntil(t, "the comment in "+webRepo, func() bool {
				is, _ := web.Issue(n)
				return len(is.Comments) == 1
			})

			// A job without a repository (as before routes) files into the
			// default repository with the trigger label alone.
			a3 := newAlert("sentry:2", "e3")
			b.accept(t, a3, problemOf(a3, ""), alert.Decision{Action: alert.ActionCreate})
			n3 := b.waitIssue(t, "sentry:2")
			is3, ok := def.Issue(n3)
			if !ok || len(def.Issues()) != 1 {
				t.Fatalf("default repository issues %v, want issue %d alone", def.Issues(), n3)
			}
			if diff := cmp.Diff([]string{label}, is3.Labels); diff != "" {
				t.Errorf("default repository labels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWorkerFilesUnassignedWhenGitHubRefusesAssignees(t *testing.T) {
	t.Parallel()
	b := setupRouted(t, storetest.Backends()[0].URL(t), githubtest.Options{Assignable: []string{"alice"}})
	web := b.repos.Repo(webRepo)
	a := newAlert("sentry:1", "e1")
	b.accept(t, a, problemOf(a, webRepo), alert.Decision{Action: alert.ActionCreate, Target: &alert.Target{
		Route: "web", Repo: webRepo, Labels: []string{label}, Assignees: []string{"alice", "left-the-company"},
	}})
	n := b.waitIssue(t, "sentry:1")
	if got := len(web.Issues()); got != 1 {
		t.Fatalf("%s has %d issues, want 1", webRepo, got)
	}
	is, _ := web.Issue(n)
	if len(is.Assignees) != 0 {
		t.Errorf("assignees = %v, want none", is.Assignees)
	}
	if got := web.Count("POST", "/repos/"+webRepo+"/issues"); got != 2 {
		t.Errorf("creates sent = %d, want 2 (refused, then unassigned)", got)
	}
}

func hasLabel(labels []githubtest.Label, name string) bool {
	for _, l := range labels {
		if l.Name == name {
			return true
		}
	}
	return false
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %s", what, waitLong)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSweepCoversEveryRepository: a problem filed twice in a routed
// repository is healed by the sweep, which keeps the older issue there.
func TestSweepCoversEveryRepository(t *testing.T) {
	t.Parallel()
	b := setupRouted(t, storetest.Backends()[0].URL(t), githubtest.Options{})
	web, err := b.clients.ClientFor(t.Context(), owner, "web")
	if err != nil {
		t.Fatal(err)
	}
	const key = "sentry:1"
	for range 2 {
		if _, err := web.CreateIssue(t.Context(), "t", "body\n"+github.Marker(key), []string{label}); err != nil {
			t.Fatal(err)
		}
	}
	a := newAlert(key, "e1")
	p := problemOf(a, webRepo)
	p.IssueNumber = 2
	err = b.st.Transact(t.Context(), func(tx *store.Tx) error { return tx.SaveProblem(t.Context(), alert.Problem{}, p) })
	if err != nil {
		t.Fatal(err)
	}
	if err := b.worker.Sweep(t.Context()); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if is, _ := b.repos.Repo(webRepo).Issue(2); is.State != "closed" || is.StateReason != "duplicate" {
		t.Errorf("newer issue in %s: %s (%s), want closed as duplicate", webRepo, is.State, is.StateReason)
	}
	got, err := b.st.Problem(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if got.IssueNumber != 1 {
		t.Errorf("problem points at issue %d, want the older, 1", got.IssueNumber)
	}
}
