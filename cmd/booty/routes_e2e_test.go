package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/github"
	"booty/internal/githubtest"
	"booty/internal/storetest"
)

// e2eRoutes files two Sentry projects into two repositories and drops
// staging, whatever the project.
const e2eRoutes = `routes:
  - name: staging
    match: {environment: staging}
    drop: true
  - name: front-end
    match: {org: test-org, project: front-end}
    repo: acme/web
    labels: ["severity:{{level}}", "team-web"]
    assignees: [alice]
  - name: vue
    match: {project: "javascript-vue-*", environment: production}
    repo: acme/vue
    labels: ["project:{{project}}", "env:{{environment}}"]
    assignees: [bob, carol]
`

// withEnvironment returns payload with data.event's environment set.
func withEnvironment(t *testing.T, payload []byte, env string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	m["data"].(map[string]any)["event"].(map[string]any)["environment"] = env
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoutesFileIntoEachRepository runs the built binary with a routes
// file of two projects: each real Sentry payload is filed into its route's
// repository with its labels and assignees, staging is dropped, and the
// writeRoutes writes e2eRoutes to a file of the test's and returns its path.
func writeRoutes(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(path, []byte(e2eRoutes), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// routedEnv is bootyEnv on a fresh SQLite file with e2eRoutes as the
// routes file.
func routedEnv(t *testing.T, apiURL string) []string {
	t.Helper()
	return append(bootyEnv(apiURL, storetest.SQLiteURL(t)), "BOOTY_ROUTES_FILE="+writeRoutes(t))
}

// default repository gets nothing.
func TestRoutesFileIntoEachRepository(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewRepos(t, githubtest.Options{Token: testToken, Assignable: []string{"alice", "bob", "carol"}},
		"acme/shop", "acme/web", "acme/vue")
	p := startBooty(t, routedEnv(t, gh.URL), "")

	docs := fixture(t, "event_alert.triggered.json")
	vue := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	for _, c := range []struct {
		name, want string
		payload    []byte
	}{
		{"front-end", "create", docs},
		{"vue in production", "create", vue},
		{"vue in staging", "dropped_by_route", withEnvironment(t, withEvent(t, vue, "99", "staging-1"), "staging")},
	} {
		got := deliver(t, p.url, "event_alert", c.payload, testSecret)
		if d := got.Decision + got.Reason; d != c.want {
			t.Errorf("%s: %d %s, want %s", c.name, got.Status, got.RawBody, c.want)
		}
	}
	waitJobsDone(t, p, 30*time.Second)

	type filed struct{ Labels, Assignees []string }
	got := map[string][]filed{}
	for _, repo := range []string{"acme/shop", "acme/web", "acme/vue"} {
		got[repo] = []filed{}
		for _, is := range gh.Repo(repo).Issues() {
			got[repo] = append(got[repo], filed{is.Labels, is.Assignees})
		}
	}
	want := map[string][]filed{
		"acme/shop": {},
		"acme/web":  {{[]string{"agent:builder", "severity:error", "team-web"}, []string{"alice"}}},
		"acme/vue":  {{[]string{"agent:builder", "project:javascript-vue-new", "env:production"}, []string{"bob", "carol"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("issues by repository (-want +got):\n%s\nlogs:\n%s", diff, p.logs)
	}

	logs := p.logs.String()
	for _, s := range []string{`"route":"front-end"`, `"route":"vue"`, `"route":"staging"`} {
		if !strings.Contains(logs, s) {
			t.Errorf("no log line names %s", s)
		}
	}
	req, err := http.NewRequest(http.MethodGet, p.url+"/health?deep=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := do(t, req); a.Status != http.StatusOK {
		t.Errorf("deep health: %d %s", a.Status, a.RawBody)
	}
	for _, repo := range []string{"acme/shop", "acme/web", "acme/vue"} {
		if n := gh.Repo(repo).Count("GET", "/repos/"+repo); n == 0 {
			t.Errorf("deep health did not check %s", repo)
		}
	}
}

// TestCheckConfigGitHubChecksEveryRoutedRepository: check-config --github
// makes deep health's check of every routed repository, and names the one
// booty cannot reach.
func TestCheckConfigGitHubChecksEveryRoutedRepository(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewRepos(t, githubtest.Options{Token: testToken}, "acme/shop", "acme/web")
	routes := writeRoutes(t)
	env := map[string]string{"SENTRY_WEBHOOK_SECRET": testSecret, "GITHUB_TOKEN": testToken,
		"TARGET_REPO_URL": "acme/shop", "GITHUB_API_URL": gh.URL, "BOOTY_ROUTES_FILE": routes}
	// acme/vue is not served: the check must fail on it.
	code, out, errOut := runBooty(t, env, "check-config", "--github")
	if code != 1 || !strings.Contains(errOut, "acme/vue") {
		t.Errorf("exit %d, want 1 naming acme/vue; output:\n%s%s", code, out, errOut)
	}
	for _, repo := range []string{"acme/shop", "acme/web"} {
		if gh.Repo(repo).Count("GET", "/repos/"+repo) == 0 {
			t.Errorf("%s was not checked", repo)
		}
	}
}

// TestEmptyStoreRecoversEveryRoutedRepository: booty started on an empty
// store finds the issues it filed in a routed repository before its jobs
// run, so a lost database does not file a routed problem a second time.
func TestEmptyStoreRecoversEveryRoutedRepository(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewRepos(t, githubtest.Options{Token: testToken}, "acme/shop", "acme/web", "acme/vue")
	const key = "sentry:1117540176" // the problem of event_alert.triggered.json
	c, err := github.NewClient(&http.Client{Timeout: 10 * time.Second}, gh.URL, testToken, "acme", "web", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateIssue(t.Context(), "[error] filed before the store was lost", "body\n"+github.Marker(key), []string{"agent:builder"}); err != nil {
		t.Fatal(err)
	}
	p := startBooty(t, routedEnv(t, gh.URL), "")
	deliver(t, p.url, "event_alert", fixture(t, "event_alert.triggered.json"), testSecret)
	waitJobsDone(t, p, 30*time.Second)
	if n := len(gh.Repo("acme/web").Issues()); n != 1 {
		t.Errorf("acme/web has %d issues, want the recovered one alone; logs:\n%s", n, p.logs)
	}
	if !strings.Contains(p.logs.String(), "recovered problems") {
		t.Errorf("no log line says the problems were recovered; logs:\n%s", p.logs)
	}
}
