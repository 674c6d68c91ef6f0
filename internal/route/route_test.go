package route

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
)

// defaults are today's variables as the tests set them.
var defaults = Defaults{
	File:         "routes.yaml",
	Repo:         Repo{Owner: "acme", Name: "shop"},
	TriggerLabel: "agent:builder",
	MinLevel:     alert.SeverityError,
	Cooldown:     6 * time.Hour,
}

// mustParse parses src with defaults, failing the test on an error.
func mustParse(t *testing.T, src string) *Table {
	t.Helper()
	tb, err := Parse([]byte(src), defaults)
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return tb
}

// shopAlert is an alert every matcher of the tests can look at.
func shopAlert() *alert.Alert {
	return &alert.Alert{
		ProblemKey:  "sentry:1",
		Project:     "shop-web",
		Level:       alert.SeverityError,
		Environment: "production",
		EventURL:    "https://sentry.io/organizations/acme/issues/1/events/abc/",
		IssueURL:    "https://sentry.io/organizations/acme/issues/1/",
		Tags:        []alert.Tag{{Key: "browser", Value: "Chrome 120"}, {Key: "region", Value: "eu-west"}},
		Frames: []alert.Frame{
			{Filename: "src/app.js", InApp: true},
			{Filename: "app:///src/checkout/cart.js", InApp: true},
			{Filename: "node_modules/react/index.js"},
		},
	}
}

func TestMatchers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		match  string // the route's match section, as flow YAML
		change func(a *alert.Alert)
		want   bool
		why    string // in Why when matched, in Failed otherwise
	}{
		{"org from the path", `{org: acme}`, nil, true, `org "acme" matches "acme"`},
		{"org glob", `{org: "ac*"}`, nil, true, `org "acme" matches "ac*"`},
		{"other org", `{org: globex}`, nil, false, `org "acme" does not match "globex"`},
		{"org from the host", `{org: acme}`, func(a *alert.Alert) {
			a.IssueURL, a.EventURL = "https://acme.sentry.io/issues/1/", ""
		}, true, `org "acme" matches`},
		{"org unknown", `{org: acme}`, func(a *alert.Alert) { a.IssueURL, a.EventURL = "", "" }, false,
			`org: the event's links name no Sentry organisation, want "acme"`},

		{"project glob", `{project: "shop-*"}`, nil, true, `project "shop-web" matches "shop-*"`},
		{"project alternatives", `{project: "{admin,shop-web}"}`, nil, true, `matches`},
		{"other project", `{project: "shop-*"}`, func(a *alert.Alert) { a.Project = "admin" }, false,
			`project "admin" does not match "shop-*"`},

		{"environment", `{environment: production}`, nil, true, `environment "production" matches "production"`},
		{"other environment", `{environment: production}`, func(a *alert.Alert) { a.Environment = "staging" }, false,
			`environment "staging" does not match "production"`},
		{"no environment", `{environment: "*"}`, func(a *alert.Alert) { a.Environment = "" }, false,
			`environment: the event has no environment`},

		{"level itself", `{level: error}`, nil, true, `level error is error or more severe`},
		{"more severe level", `{level: error}`, func(a *alert.Alert) { a.Level = alert.SeverityFatal }, true, `level fatal`},
		{"less severe level", `{level: error}`, func(a *alert.Alert) { a.Level = alert.SeverityWarning }, false,
			`level warning is not error or more severe`},
		{"level range", `{level: warning..error}`, func(a *alert.Alert) { a.Level = alert.SeverityWarning }, true,
			`level warning is from warning to error`},
		{"above the range", `{level: warning..error}`, func(a *alert.Alert) { a.Level = alert.SeverityFatal }, false,
			`level fatal is not from warning to error`},
		{"at most", `{level: ..warning}`, func(a *alert.Alert) { a.Level = alert.SeverityDebug }, true, `warning or less severe`},
		{"one level", `{level: info..info}`, func(a *alert.Alert) { a.Level = alert.SeverityInfo }, true, `level info is info`},

		{"tag glob", `{tags: {browser: "Chrome*"}}`, nil, true, `tag "browser" "Chrome 120" matches "Chrome*"`},
		{"every tag must match", `{tags: {browser: "Chrome*", region: "us-*"}}`, nil, false,
			`tag "region" "eu-west" does not match "us-*"`},
		{"missing tag", `{tags: {release_channel: "*"}}`, nil, false, `tag "release_channel": the event has no such tag`},

		{"frame: the last in-app frame", `{frame: "src/checkout/**"}`, nil, true, `frame "src/checkout/cart.js" matches "src/checkout/**"`},
		{"frame: not an older frame", `{frame: "src/app.js"}`, nil, false, `frame "src/checkout/cart.js" does not match "src/app.js"`},
		{"frame: the last frame without in-app ones", `{frame: "node_modules/**"}`, func(a *alert.Alert) {
			for i := range a.Frames {
				a.Frames[i].InApp = false
			}
		}, true, `frame "node_modules/react/index.js"`},
		{"frame: leading slash on both sides", `{frame: "/src/checkout/*.js"}`, func(a *alert.Alert) {
			a.Frames = []alert.Frame{{Filename: "/src/checkout/cart.js", InApp: true}}
		}, true, `matches "src/checkout/*.js"`},
		{"frame: URL", `{frame: "static/js/**"}`, func(a *alert.Alert) {
			a.Frames = []alert.Frame{{Filename: "https://cdn.example.com/static/js/main.js?v=3"}}
		}, true, `frame "static/js/main.js"`},
		{"frame: webpack", `{frame: "src/**"}`, func(a *alert.Alert) {
			a.Frames = []alert.Frame{{Filename: "webpack:///./src/a/../b.ts"}}
		}, true, `frame "src/b.ts"`},
		{"frame: abs_path", `{frame: "**/srv/app/*.py"}`, func(a *alert.Alert) {
			a.Frames = []alert.Frame{{Filename: "views.py", AbsPath: "/srv/app/views.py", InApp: true}}
		}, true, `frame "srv/app/views.py"`},
		{"frame: windows", `{frame: "**/Shop/*.cs"}`, func(a *alert.Alert) {
			a.Frames = []alert.Frame{{AbsPath: `C:\build\Shop\Cart.cs`}}
		}, true, `Cart.cs`},
		{"frame: * stops at a slash", `{frame: "src/*"}`, nil, false, `does not match "src/*"`},
		{"frame: no frames", `{frame: "**"}`, func(a *alert.Alert) { a.Frames = nil }, false, `the event has no stack frames`},
		{"frame: no file", `{frame: "**"}`, func(a *alert.Alert) { a.Frames = []alert.Frame{{Function: "f"}} }, false,
			`the crashing frame names no file`},

		{"every matcher must match", `{project: "shop-*", environment: staging}`, nil, false,
			`environment "production" does not match "staging"`},
		{"empty match", `{}`, nil, true, `matches everything`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tb := mustParse(t, "routes:\n  - name: r\n    match: "+tt.match+"\n")
			a := shopAlert()
			if tt.change != nil {
				tt.change(a)
			}
			v := tb.Match(a)
			if v.Matched() != tt.want {
				t.Fatalf("matched %t, want %t; verdict %+v", v.Matched(), tt.want, v)
			}
			lines := v.Why
			if !tt.want {
				lines = v.Skipped[0].Failed
			}
			if !strings.Contains(strings.Join(lines, "\n"), tt.why) {
				t.Errorf("why %q, want a line with %q", lines, tt.why)
			}
		})
	}
}

func TestMatchOrder(t *testing.T) {
	t.Parallel()
	tb := mustParse(t, `
routes:
  - name: fatal
    match: {level: fatal}
    repo: acme/oncall
  - name: staging-noise
    match: {environment: staging}
    drop: true
  - name: web
    match: {project: "shop-*"}
    repo: acme/storefront
  - name: also-web
    match: {project: "shop-web"}
    repo: acme/never
  - name: rest
`)
	tests := []struct {
		name        string
		change      func(a *alert.Alert)
		wantRoute   string
		wantSkipped []string
		wantDropped bool
	}{
		{"first match wins", nil, "web", []string{"fatal", "staging-noise"}, false},
		{"an earlier route", func(a *alert.Alert) { a.Level = alert.SeverityFatal }, "fatal", nil, false},
		{"drop", func(a *alert.Alert) { a.Environment = "staging" }, "staging-noise", []string{"fatal"}, true},
		{"the catch-all", func(a *alert.Alert) { a.Project = "admin" }, "rest", []string{"fatal", "staging-noise", "web", "also-web"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := shopAlert()
			if tt.change != nil {
				tt.change(a)
			}
			v := tb.Match(a)
			if !v.Matched() || v.Route.Name != tt.wantRoute {
				t.Fatalf("route %v, want %s", v.Route, tt.wantRoute)
			}
			var skipped []string
			for _, s := range v.Skipped {
				skipped = append(skipped, s.Route.Name)
				if len(s.Failed) == 0 {
					t.Errorf("skipped route %s says no reason", s.Route.Name)
				}
			}
			if diff := cmp.Diff(tt.wantSkipped, skipped); diff != "" {
				t.Errorf("skipped routes (-want +got):\n%s", diff)
			}
			if v.Dropped() != tt.wantDropped {
				t.Errorf("dropped %t, want %t", v.Dropped(), tt.wantDropped)
			}
			if v.Dropped() && v.Labels != nil {
				t.Errorf("a dropped alert has labels %q", v.Labels)
			}
		})
	}
}

func TestMatchNoRoute(t *testing.T) {
	t.Parallel()
	tb := mustParse(t, "routes:\n  - name: web\n    match: {project: web}\n")
	v := tb.Match(shopAlert())
	if v.Matched() || v.Dropped() || len(v.Skipped) != 1 || v.Labels != nil {
		t.Errorf("verdict %+v, want no route and one skipped", v)
	}
}

func TestLabels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		labels string
		change func(a *alert.Alert)
		want   []string
	}{
		{"trigger label first", `["team-web"]`, nil, []string{"agent:builder", "team-web"}},
		{"placeholders", `["severity:{{level}}", "env:{{ environment }}", "{{project}}"]`, nil,
			[]string{"agent:builder", "severity:error", "env:production", "shop-web"}},
		{"an empty expansion drops the label", `["env:{{environment}}", "team-web"]`, func(a *alert.Alert) { a.Environment = "" },
			[]string{"agent:builder", "team-web"}},
		{"each label once, without case", `["Agent:Builder", "team-web", "TEAM-WEB", "severity:{{level}}", "severity:error"]`, nil,
			[]string{"agent:builder", "team-web", "severity:error"}},
		{"untrusted text is cleaned", `["env:{{environment}}"]`, func(a *alert.Alert) {
			a.Environment = "prod\n,\u202eevil\x00 \t one"
		}, []string{"agent:builder", "env:prod evil one"}},
		{"only junk is empty", `["env:{{environment}}"]`, func(a *alert.Alert) { a.Environment = "\x01\u200b\n," },
			[]string{"agent:builder"}},
		{"cut to GitHub's 50 characters", `["project:{{project}}"]`, func(a *alert.Alert) {
			a.Project = strings.Repeat("é", 60)
		}, []string{"agent:builder", "project:" + strings.Repeat("é", 42)}},
		{"no labels", `[]`, nil, []string{"agent:builder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tb := mustParse(t, "routes:\n  - name: r\n    labels: "+tt.labels+"\n")
			a := shopAlert()
			if tt.change != nil {
				tt.change(a)
			}
			v := tb.Match(a)
			if diff := cmp.Diff(tt.want, v.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			for _, l := range v.Labels {
				if n := len([]rune(l)); n > maxLabel {
					t.Errorf("label %q is %d characters", l, n)
				}
			}
		})
	}
}

func TestInheritance(t *testing.T) {
	t.Parallel()
	tb := mustParse(t, `
storm: {issues: 50}
defaults:
  labels: ["from-booty"]
  cooldown: 1h
  budget: {per: 30m}
routes:
  - name: own
    repo: acme/storefront
    labels: ["team-web"]
    assignees: [alice, Alice, bob]
    trigger_label: agent:web
    min_level: warning
    cooldown: 0s
    min_events: 3
    budget: {issues: 5, per: 1h}
  - name: inherits
    match: {project: admin}
  - name: clears
    labels: []
    budget: {issues: 2}
`)
	type got struct {
		Repo         string
		Labels       []string
		Assignees    []string
		TriggerLabel string
		MinLevel     string
		Cooldown     time.Duration
		MinEvents    int
		Budget       Budget
	}
	want := map[string]got{
		"own": {"acme/storefront", []string{"team-web"}, []string{"alice", "bob"}, "agent:web", "warning", 0, 3,
			Budget{Issues: 5, Per: time.Hour}},
		"inherits": {"acme/shop", []string{"from-booty"}, nil, "agent:builder", "error", time.Hour, 1,
			Budget{Issues: 10, Per: 30 * time.Minute}},
		"clears": {"acme/shop", nil, nil, "agent:builder", "error", time.Hour, 1,
			Budget{Issues: 2, Per: 30 * time.Minute}},
	}
	for _, r := range tb.Routes {
		g := got{r.Repo.String(), r.Labels, r.Assignees, r.TriggerLabel, r.MinLevel.String(), r.Cooldown, r.MinEvents, r.Budget}
		if diff := cmp.Diff(want[r.Name], g); diff != "" {
			t.Errorf("route %s (-want +got):\n%s", r.Name, diff)
		}
	}
	if want := (Budget{Issues: 50, Per: 10 * time.Minute}); tb.Storm != want {
		t.Errorf("storm budget %v, want %v", tb.Storm, want)
	}
	if tb.StormQuiet != DefaultStormQuiet || tb.DigestEvery != DefaultDigestEvery {
		t.Errorf("storm quiet %s, digest every %s, want the defaults", tb.StormQuiet, tb.DigestEvery)
	}
	tuned := mustParse(t, "storm: {issues: 40, per: 1h, quiet: 5m, update_every: 10s}\nroutes: [{name: a}]\n")
	if tuned.Storm != (Budget{Issues: 40, Per: time.Hour}) || tuned.StormQuiet != 5*time.Minute || tuned.DigestEvery != 10*time.Second {
		t.Errorf("tuned storm: budget %v, quiet %s, digest every %s", tuned.Storm, tuned.StormQuiet, tuned.DigestEvery)
	}
	if l := tb.Lookup("own").IssueLabels(shopAlert()); !cmp.Equal(l, []string{"agent:web", "team-web"}) {
		t.Errorf("labels of own: %q", l)
	}
}

// TestDefault checks that the table built without a file files as booty
// always has.
func TestDefault(t *testing.T) {
	t.Parallel()
	tb := Default(defaults)
	if len(tb.Routes) != 1 {
		t.Fatalf("%d routes, want 1", len(tb.Routes))
	}
	r := tb.Routes[0]
	want := Route{Name: "default", Repo: defaults.Repo, TriggerLabel: "agent:builder", MinLevel: alert.SeverityError,
		Cooldown: 6 * time.Hour, MinEvents: 1, Budget: DefaultRouteBudget}
	if diff := cmp.Diff(want, *r, cmp.AllowUnexported(Route{}, matcher{}, levelRange{})); diff != "" {
		t.Errorf("default route (-want +got):\n%s", diff)
	}
	if tb.Storm != DefaultStormBudget {
		t.Errorf("storm budget %v, want %v", tb.Storm, DefaultStormBudget)
	}
	for _, change := range []func(a *alert.Alert){
		nil,
		func(a *alert.Alert) { *a = alert.Alert{ProblemKey: "k"} },
	} {
		a := shopAlert()
		if change != nil {
			change(a)
		}
		v := tb.Match(a)
		if v.Route != r || !cmp.Equal(v.Labels, []string{"agent:builder"}) || len(v.Skipped) != 0 {
			t.Errorf("verdict %+v, want the default route with the trigger label", v)
		}
	}
}

func TestOrg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		issueURL, eventURL string
		want               string
	}{
		{"https://sentry.io/organizations/acme/issues/1/", "", "acme"},
		{"", "https://sentry.io/organizations/acme-eu/issues/1/events/abc/", "acme-eu"},
		{"https://acme.sentry.io/issues/1/", "", "acme"},
		{"https://sentry.example.com/organizations/acme/issues/1/", "", "acme"},
		{"https://acme.sentry.io/organizations/other/issues/1/", "", "other"},
		{"https://us.sentry.io/issues/1/", "", ""},
		{"https://o1.ingest.sentry.io/issues/1/", "", ""},
		{"https://sentry.io/issues/1/", "", ""},
		{"https://sentry.io/organizations/Bad%20Slug/issues/1/", "", ""},
		{"https://evilsentry.io/organizations/", "", ""},
		{"", "", ""},
		{"::", "", ""},
	}
	for _, tt := range tests {
		a := &alert.Alert{IssueURL: tt.issueURL, EventURL: tt.eventURL}
		if got := Org(a); got != tt.want {
			t.Errorf("Org(%q, %q) = %q, want %q", tt.issueURL, tt.eventURL, got, tt.want)
		}
	}
}

func TestFramePath(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"src/a.js":                         "src/a.js",
		"/src/a.js":                        "src/a.js",
		"./src/a.js":                       "src/a.js",
		"app:///src/a.js":                  "src/a.js",
		"webpack://shop/./src/a.js":        "src/a.js",
		"https://cdn.example.com/a.js#x":   "a.js",
		`C:\src\a.cs`:                      "C:/src/a.cs",
		"../../etc/passwd":                 "etc/passwd",
		"https://cdn.example.com":          "",
		"":                                 "",
		"<anonymous>":                      "<anonymous>",
		"/srv/app//views.py":               "srv/app/views.py",
		"https://cdn.example.com/a.js?v=1": "a.js",
	}
	for in, want := range tests {
		if got := framePath(in); got != want {
			t.Errorf("framePath(%q) = %q, want %q", in, got, want)
		}
	}
}
