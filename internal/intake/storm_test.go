package intake_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/storetest"
)

// stormYAML gives two routes a budget of 2 new issues per 10 minutes, and
// the deployment one of 3.
const stormYAML = `
storm: {issues: 3, per: 10m, quiet: 30m}
routes:
  - name: web
    match: {project: "shop-web"}
    repo: acme/web
    labels: ["team-web"]
    budget: {issues: 2, per: 10m}
  - name: api
    match: {project: "shop-api"}
    repo: acme/api
    budget: {issues: 2, per: 10m}
`

// TestStormDecisions walks a storm through intake on each backend: the
// budgets file the first problems, then fold the rest into one digest per
// route; fatal bypasses the fold but uses the global budget; a folded
// problem's events are counted while the storm lasts, and it is promoted
// once the storm has been quiet; a later storm opens a new digest.
func TestStormDecisions(t *testing.T) {
	t.Parallel()
	type step struct {
		project, level, issue, event string
		advance                      time.Duration
		want                         string
		// digest names the digest the step's problem is in ("" for none):
		// steps naming the same letter must share one digest.
		digest string
	}
	steps := []step{
		{project: "shop-web", level: "error", issue: "1", event: "e1", want: "create"},
		{project: "shop-web", level: "error", issue: "2", event: "e2", want: "create"},
		{project: "shop-web", level: "error", issue: "3", event: "e3", want: "fold", digest: "A"},
		{project: "shop-web", level: "error", issue: "4", event: "e4", want: "fold", digest: "A"},
		{project: "shop-web", level: "error", issue: "3", event: "e3", want: "duplicate", digest: "A"},
		{project: "shop-web", level: "fatal", issue: "5", event: "e5", want: "create"},
		// The global budget is spent: api's first problem folds too, in
		// a digest of its own.
		{project: "shop-api", level: "error", issue: "6", event: "e6", want: "fold", digest: "B"},
		{project: "shop-web", level: "error", issue: "3", event: "e7", advance: time.Minute, want: "folded", digest: "A"},
		{project: "shop-web", level: "error", issue: "4", event: "e8", advance: 28 * time.Minute, want: "folded", digest: "A"},
		// Quiet for 30 minutes since the last fold (a folded event is no
		// fold): promoted, whatever the cooldown.
		{project: "shop-web", level: "error", issue: "3", event: "e9", advance: 30 * time.Minute, want: "create", digest: "A"},
		{project: "shop-web", level: "error", issue: "7", event: "e10", want: "create"},
		{project: "shop-web", level: "error", issue: "8", event: "e11", want: "fold", digest: "C"},
	}
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			b := setupRouted(t, be.URL(t))
			in := b.intake(t, stormYAML)
			var got, want []string
			digests := map[string]int64{}
			for i, s := range steps {
				b.clock.Advance(s.advance)
				res := receiveWith(t, in, routedEvent(t, s.project, "production", s.level, s.issue, s.event))
				got = append(got, fmt.Sprintf("%d %s", i+1, res.Decision))
				want = append(want, fmt.Sprintf("%d %s", i+1, s.want))
				p, err := b.st.Problem(t.Context(), "sentry:"+s.issue)
				if err != nil {
					t.Fatalf("step %d: %v", i+1, err)
				}
				switch id, seen := digests[s.digest]; {
				case s.digest == "" && p.DigestID != 0:
					t.Errorf("step %d: problem %s in digest %d, want none", i+1, s.issue, p.DigestID)
				case s.digest != "" && p.DigestID == 0:
					t.Errorf("step %d: problem %s in no digest, want %s", i+1, s.issue, s.digest)
				case s.digest != "" && seen && id != p.DigestID:
					t.Errorf("step %d: problem %s in digest %d, want %d (%s)", i+1, s.issue, p.DigestID, id, s.digest)
				case s.digest != "":
					digests[s.digest] = p.DigestID
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
			if len(digests) == 3 && (digests["A"] == digests["B"] || digests["A"] == digests["C"]) {
				t.Errorf("digests %v: want one per route and storm", digests)
			}
			// Problem 3 was counted at each of its events but the replay.
			p, err := b.st.Problem(t.Context(), "sentry:3")
			if err != nil {
				t.Fatal(err)
			}
			if p.Count != 3 {
				t.Errorf("problem 3 counted %d times, want 3", p.Count)
			}
			wantCurrent := []string{"api", "web"}
			if diff := cmp.Diff(wantCurrent, column(t, b.st, `SELECT route FROM booty_digests WHERE is_current = 1 ORDER BY route`)); diff != "" {
				t.Errorf("current digests (-want +got):\n%s", diff)
			}
			// Digest jobs carry the route's labels without the trigger
			// label; one job per digest however many folds.
			kinds := column(t, b.st, `SELECT kind FROM river_job ORDER BY id`)
			if n := count(kinds, "github_digest"); n != 3 {
				t.Errorf("%d digest jobs (%q), want 3: one per digest", n, kinds)
			}
			if n := count(kinds, "github_issue"); n != 5 {
				t.Errorf("%d issue jobs, want 5: the creates", n)
			}
		})
	}
}

func count(ss []string, s string) int {
	n := 0
	for _, v := range ss {
		if v == s {
			n++
		}
	}
	return n
}
