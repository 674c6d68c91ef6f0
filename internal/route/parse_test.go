package route

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
)

// TestParseExample parses the example of the README.
func TestParseExample(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tb := mustParse(t, string(src))
	if len(tb.Warnings) != 0 {
		t.Errorf("warnings:\n%v", tb.Warnings)
	}
	var names []string
	for _, r := range tb.Routes {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{"storefront", "staging-noise", "default"}, names); diff != "" {
		t.Fatalf("routes (-want +got):\n%s", diff)
	}
	sf := tb.Routes[0]
	want := Route{
		Name: "storefront", Line: 2,
		Repo:   Repo{Owner: "acme", Name: "storefront"},
		Labels: []string{"severity:{{level}}", "team-web"}, Assignees: []string{"alice"},
		TriggerLabel: "agent:builder", MinLevel: alert.SeverityError, Cooldown: 6 * time.Hour, MinEvents: 1,
		Budget: Budget{Issues: 10, Per: 10 * time.Minute},
		match: matcher{org: "acme", project: "shop-*", environment: "production", levels: levelRange{min: alert.SeverityError},
			tags: []tagMatch{{"browser", "Chrome*"}}, frame: "src/checkout/**"},
	}
	if diff := cmp.Diff(want, *sf, cmp.AllowUnexported(Route{}, matcher{}, levelRange{}, tagMatch{}),
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".templates" }, cmp.Ignore())); diff != "" {
		t.Errorf("storefront (-want +got):\n%s", diff)
	}
	if !tb.Routes[1].Drop || tb.Routes[2].Repo.String() != "acme/shop" || !tb.Routes[2].CatchAll() {
		t.Errorf("staging-noise %+v, default %+v", tb.Routes[1], tb.Routes[2])
	}
	if tb.Storm != DefaultStormBudget {
		t.Errorf("storm %v, want %v", tb.Storm, DefaultStormBudget)
	}

	a := shopAlert()
	v := tb.Match(a)
	if v.Route != sf || !cmp.Equal(v.Labels, []string{"agent:builder", "severity:error", "team-web"}) {
		t.Errorf("verdict %+v, want storefront with its labels", v)
	}
	a.Environment = "staging"
	if v := tb.Match(a); !v.Dropped() {
		t.Errorf("a staging alert takes %v, want staging-noise", v.Route)
	}
}

// TestREADME parses each routes file of the README's Routes section, so
// that the documentation cannot drift from what booty reads. The first is
// the example of testdata/example.yaml.
func TestREADME(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Routes\n")
	if !ok {
		t.Fatal("the README has no Routes section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	example, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(section, "```yaml\n")[1:]
	if len(blocks) < 2 {
		t.Fatalf("%d YAML blocks in the Routes section, want the example and the defaults", len(blocks))
	}
	for i, b := range blocks {
		b, _, _ = strings.Cut(b, "```")
		if i == 0 && b != string(example) {
			t.Errorf("the README's example differs from testdata/example.yaml:\n%s", b)
		}
		tb := mustParse(t, b)
		if len(tb.Warnings) != 0 {
			t.Errorf("block %d: warnings:\n%v", i+1, tb.Warnings)
		}
	}
}

// TestParseErrors checks that each mistake is reported at its line and
// column, all of them at once.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/invalid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(src, defaults)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse error %v (%T), want Errors", err, err)
	}
	want := []string{
		`routes.yaml:1:1: unknown key "stormm" in the file (did you mean "storm"?); known keys: routes, defaults, storm`,
		`routes.yaml:2:17: issues must be a whole number from 1 to 10000, not "-1"`,
		`routes.yaml:2:26: per must be a duration from 1m to 24h, such as 10m or 6h, not "10"`,
		`routes.yaml:4:3: unknown key "enviroment" in defaults; known keys: repo, labels,`,
		`routes.yaml:7:13: unknown key "projet" in match (did you mean "project"?)`,
		`routes.yaml:8:20: level: "critical" is an alias Sentry's SDKs send; write the level's name, fatal`,
		`routes.yaml:9:20: frame: "src/[checkout/**" is not a valid glob`,
		`routes.yaml:10:29: tag "browser": "Chrome{" is not a valid glob`,
		`routes.yaml:11:11: repo: the owner "-acme" is not a GitHub user or organisation name`,
		`routes.yaml:12:14: empty label`,
		`routes.yaml:12:18: unknown placeholder {{levle}} (did you mean "level"?)`,
		`routes.yaml:13:17: write the GitHub login without the @: "alice"`,
		`routes.yaml:14:16: min_level: "loud" is not one of fatal, error, warning, info, debug`,
		`routes.yaml:15:15: cooldown must be a duration from 0s to 8760h, such as 10m or 6h, not "6"`,
		`routes.yaml:16:17: min_events must be a whole number from 1 to 1000000, not "0"`,
		`routes.yaml:17:14: unknown key "tokens" in a budget; known keys: issues, per`,
		`routes.yaml:18:5: unknown key "project" in a route: project is a matcher: put it under match:`,
		`routes.yaml:19:5: the route has no name`,
		`routes.yaml:21:11: repo: the name "shop!" is not a GitHub repository name`,
		`routes.yaml:23:5: route "web" is named twice (first at line 6)`,
		`routes.yaml:24:11: repo: write OWNER/REPO, not a URL`,
		`routes.yaml:25:5: "repo" is set twice in a route (first at line 24)`,
		`routes.yaml:26:5: a route must be a mapping with a name, not "just-a-string"`,
		`routes.yaml:27:11: name "bad name": a route's name is 1 to 64 letters`,
		`routes.yaml:29:11: drop must be true or false, not "yes"`,
		`routes.yaml:30:13: YAML aliases (*name) are not supported`,
	}
	if len(es) != len(want) {
		t.Errorf("%d errors, want %d:\n%v", len(es), len(want), err)
	}
	for i := range min(len(es), len(want)) {
		if !strings.HasPrefix(es[i].Error(), want[i]) {
			t.Errorf("error %d:\n got %s\nwant %s…", i, es[i].Error(), want[i])
		}
	}
}

func TestParseFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      string
	}{
		{"empty", "", "routes.yaml:1:1: the file is empty"},
		{"comments only", "# nothing yet\n", "routes.yaml:1:1: the file is empty"},
		{"not YAML", "routes:\n  - name: [\n", "routes.yaml:2: not valid YAML: did not find expected node content"},
		{"tab", "routes:\n\t- name: x\n", "routes.yaml:2: not valid YAML: found character that cannot start any token"},
		{"a list", "- name: x\n", "routes.yaml:1:1: the file must be a mapping of key: value, not a list"},
		{"no routes key", "storm: {issues: 3}\n", "routes.yaml:1:1: the file has no routes: key"},
		{"null routes", "routes:\n", "routes.yaml:1:1: routes is empty"},
		{"empty routes", "routes: []\n", "routes.yaml:1:9: routes is empty"},
		{"routes not a list", "routes: {name: x}\n", "routes.yaml:1:9: routes must be a list of routes"},
		{"two documents", "routes: [{name: a}]\n---\nroutes: []\n", "routes.yaml:2:1: a second YAML document"},
		{"merge key", "defaults: &d {repo: a/b}\nroutes:\n  - name: a\n    <<: *d\n", "routes.yaml:4:5: YAML merge keys (<<) are not supported"},
		{"unknown anchor", "routes: *nope\n", "not valid YAML: unknown anchor 'nope' referenced"},
		{"too big", "routes: []\n" + strings.Repeat("#", MaxFileSize), "routes.yaml: the file is over 262144 bytes"},
		{"repo .git", "routes: [{name: a, repo: acme/shop.git}]", `write the repository's name without .git: "acme/shop"`},
		{"repo without owner", "routes: [{name: a, repo: shop}]", `repo: "shop" is not OWNER/REPO`},
		{"too many assignees", "routes: [{name: a, assignees: [a,b,c,d,e,f,g,h,i,j,k]}]", "11 assignees; GitHub assigns at most 10"},
		{"assignee", "routes: [{name: a, assignees: [alice!]}]", `"alice!" is not a GitHub login`},
		{"too many labels", "routes: [{name: a, labels: [" + strings.Repeat("x,", 100) + "]}]", "100 labels; GitHub puts at most 100 on an issue"},
		{"label too long", "routes: [{name: a, labels: [" + strings.Repeat("x", 51) + "]}]", "the label is 51 characters long; GitHub allows 50"},
		{"label with comma", `routes: [{name: a, labels: ["a,b"]}]`, "the label holds a comma"},
		{"label control", `routes: [{name: a, labels: ["a\tb"]}]`, "the label holds the control character U+0009"},
		{"unclosed placeholder", `routes: [{name: a, labels: ["env:{{environment"]}]`, `opens {{ but never closes it`},
		{"trigger label placeholder", `routes: [{name: a, trigger_label: "agent:{{project}}"}]`, "the trigger label takes no placeholders"},
		{"empty trigger label", `routes: [{name: a, trigger_label: " "}]`, "empty label"},
		{"empty glob", `routes: [{name: a, match: {project: ""}}]`, "project: the pattern is empty"},
		{"null glob", `routes: [{name: a, match: {project: }}]`, "project is empty"},
		{"glob list", `routes: [{name: a, match: {environment: [a, b]}}]`, "environment must be a single value, not a list"},
		{"level range backwards", `routes: [{name: a, match: {level: error..warning}}]`, "write the less severe level first"},
		{"level range open", `routes: [{name: a, match: {level: ".."}}]`, `".." needs a level on at least one side`},
		{"level typo", `routes: [{name: a, match: {level: fatl}}]`, `(did you mean "fatal"?)`},
		{"tags not a mapping", `routes: [{name: a, match: {tags: [browser]}}]`, "tags must be a mapping of key: value, not a list"},
		{"budget not a mapping", `routes: [{name: a, budget: 10}]`, `a budget must be a mapping of key: value, not "10"`},
		{"budget too small", `routes: [{name: a, budget: {per: 10s}}]`, "per must be a duration from 1m to 24h"},
		{"storm quiet too short", "storm: {quiet: 10s}\nroutes: [{name: a}]", "routes.yaml:1:16: quiet must be a duration from 1m to 24h"},
		{"storm unknown key", "storm: {quite: 1h}\nroutes: [{name: a}]", `unknown key "quite" in storm (did you mean "quiet"?)`},
		{"storm update_every", "storm:\n  update_every: 2h\nroutes: [{name: a}]", "routes.yaml:2:17: update_every must be a duration from 1s to 1h"},
		{"route key at top", "repo: a/b\nroutes: [{name: a}]", "repo belongs to a route"},
		{"name in defaults", "defaults: {name: x}\nroutes: [{name: a}]", "defaults: holds the settings routes share; name belongs to each route"},
		{"setting in match", `routes: [{name: a, match: {labels: [x]}}]`, "labels is a setting of the route, not a matcher"},
		{"the default repo", `routes: [{name: a}]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.src), defaults)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Parse: %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Parse: %v\nwant an error with %q", err, tt.want)
			}
		})
	}
	if _, err := Parse([]byte(`routes: [{name: a}]`), Defaults{File: "r.yaml"}); err == nil ||
		!strings.Contains(err.Error(), `r.yaml:1:10: route "a" names no repo, and neither defaults: nor TARGET_REPO_URL name one`) {
		t.Errorf("a route without repo and no default repo: %v", err)
	}
}

func TestParseWarnings(t *testing.T) {
	t.Parallel()
	tb := mustParse(t, `routes:
  - name: web
    match: {project: Shop-Web, org: acme}
  - name: everything
  - name: later
    match: {project: admin}
  - name: dropped
    drop: true
    repo: acme/x
    labels: [a]
`)
	want := []string{
		`routes.yaml:3:22: warning: project "Shop-Web" has capital letters, but Sentry's slugs are lower-case: it can never match`,
		`routes.yaml:5:5: warning: route "later" can never match: route "everything" before it (line 4) has no match and takes every alert`,
		`routes.yaml:7:5: warning: route "dropped" drops what it matches, so its repo, labels are never used`,
		`routes.yaml:7:5: warning: route "dropped" can never match: route "everything"`,
	}
	if len(tb.Warnings) != len(want) {
		t.Errorf("%d warnings, want %d:\n%v", len(tb.Warnings), len(want), tb.Warnings)
	}
	for i := range min(len(tb.Warnings), len(want)) {
		if !strings.HasPrefix(tb.Warnings[i].Error(), want[i]) {
			t.Errorf("warning %d:\n got %s\nwant %s…", i, tb.Warnings[i], want[i])
		}
	}

	tb = mustParse(t, "routes:\n  - name: web\n    match: {project: web}\n")
	if len(tb.Warnings) != 1 || !strings.Contains(tb.Warnings[0].Error(), "routes.yaml:1:1: warning: no route matches everything") {
		t.Errorf("warnings %v, want one that no route catches the rest", tb.Warnings)
	}
}

// TestParseBounded checks that a file full of mistakes gives a bounded
// report.
func TestParseBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("routes:\n")
	for i := range maxRoutes {
		fmt.Fprintf(&b, "  - {name: r%d, repo: %s, bogus: 1}\n", i, strings.Repeat("x", 100))
	}
	_, err := Parse([]byte(b.String()), defaults)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse: %v, want Errors", err)
	}
	if len(es) != maxErrors+1 || !strings.HasPrefix(es[maxErrors].Msg, "and ") {
		t.Errorf("%d errors, the last %q; want %d and a count of the rest", len(es), es[len(es)-1].Msg, maxErrors)
	}
	if n := len(err.Error()); n > 32<<10 {
		t.Errorf("the report is %d bytes", n)
	}

	b.WriteString("  - {name: one-too-many}\n")
	if _, err := Parse([]byte(b.String()), defaults); err == nil || !strings.Contains(err.Error(), "a file holds at most 1000") {
		t.Errorf("Parse of %d routes: %v", maxRoutes+1, err)
	}
}
