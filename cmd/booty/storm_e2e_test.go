package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"booty/internal/githubtest"
)

// stormE2ERoutes gives the web route a budget of 2 new issues, and edits
// digests every second so that the test sees more than one edit.
const stormE2ERoutes = `storm: {update_every: 1s}
routes:
  - name: web
    repo: acme/web
    labels: ["team-web"]
    budget: {issues: 2, per: 1h}
`

// TestStormEndToEnd runs the built binary through a storm of 8 new
// problems on one route: it files 2 issues and one digest listing the
// other 6, reports the storm on /health and in its metrics, and a
// redelivered storm changes nothing.
func TestStormEndToEnd(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewRepos(t, githubtest.Options{Token: testToken}, "acme/shop", "acme/web")
	routes := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(routes, []byte(stormE2ERoutes), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(bootyEnv(gh.URL, "sqlite:"+filepath.Join(t.TempDir(), "booty.db")), "BOOTY_ROUTES_FILE="+routes)
	p := startBooty(t, env, "")
	defer p.stop(t)

	base := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	var decisions []string
	for round := range 2 {
		for i := range 8 {
			got := deliver(t, p.url, "event_alert", withEvent(t, base, fmt.Sprint(900+i), fmt.Sprintf("storm-%d", i)), testSecret)
			if round == 0 {
				decisions = append(decisions, got.Decision+got.Reason)
			} else if got.Reason != "duplicate" {
				t.Errorf("redelivery of problem %d: %s, want duplicate", i, got.RawBody)
			}
		}
	}
	if want := []string{"create", "create", "fold", "fold", "fold", "fold", "fold", "fold"}; !slices.Equal(decisions, want) {
		t.Fatalf("decisions %q, want %q", decisions, want)
	}
	web := gh.Repo("acme/web")
	var digest githubtest.Issue
	waitFor(t, 30*time.Second, "a digest listing 6 problems", func() bool {
		for _, is := range web.Issues() {
			if strings.HasPrefix(is.Title, "Sentry storm: ") && strings.Count(is.Body, "\n- [ ] ") == 6 {
				digest = is
				return true
			}
		}
		return false
	})
	waitJobsDone(t, p, 30*time.Second)
	if n := len(web.Issues()); n != 3 {
		t.Errorf("acme/web has %d issues, want 2 and the digest", n)
	}
	if !slices.Equal(digest.Labels, []string{"team-web"}) {
		t.Errorf("digest labels %q, want the route's without the trigger label", digest.Labels)
	}
	if n := len(gh.Repo("acme/shop").Issues()); n != 0 {
		t.Errorf("the default repository has %d issues, want none", n)
	}

	req, err := http.NewRequest(http.MethodGet, p.url+"/health", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := do(t, req)
	if storms, _ := h.Body["storms"].([]any); len(storms) != 1 || storms[0] != "web" {
		t.Errorf("health storms %v, want [web]: %s", h.Body["storms"], h.RawBody)
	}
	raw := scrapeMetrics(t, p)
	for _, line := range []string{
		`booty_storm_folded_total{route="web"} 6`,
		`booty_digests_open 1`,
		`booty_storm_budget_left{route="web"} 0`,
	} {
		if !strings.Contains(raw, "\n"+line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
}
