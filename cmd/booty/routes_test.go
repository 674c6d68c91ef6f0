package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// routesFile writes a routes file into a temporary directory.
func routesFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// eventFixture writes the event alert of testdata/sentry with the event's
// fields set as given.
func eventFixture(t *testing.T, set map[string]any) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sentry", "event_alert.triggered.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	ev := m["data"].(map[string]any)["event"].(map[string]any)
	for k, v := range set {
		ev[k] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testRoutes route the fixture's event (org test-org, project front-end,
// level error, browser Chrome 75, no environment) by its environment.
const testRoutes = `routes:
  - name: fatal
    match: {level: fatal}
    repo: acme/oncall
  - name: staging-noise
    match: {environment: staging}
    drop: true
  - name: front
    match: {org: test-org, project: "front-*", tags: {browser: "Chrome*"}}
    repo: acme/web
    labels: ["severity:{{level}}", "env:{{environment}}", "team-web"]
    assignees: [alice, bob]
    min_level: warning
    code_mappings: [{stack_root: app/, source_root: web/src/}]
  - name: debug-only
    match: {level: ..debug}
    repo: acme/debug
    min_level: info
`

func TestRoutesTest(t *testing.T) {
	t.Parallel()
	file := routesFile(t, testRoutes)
	plain := eventFixture(t, nil)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		want     []string // each in stdout, in this order
		wantErr  string   // in stderr
	}{
		{"a route with its labels and why", nil, []string{"--fixture", plain, "--routes", file}, 0, []string{
			"routes: " + file,
			`alert: org "test-org", project "front-end", environment (none), level error`,
			"route: front (line 8)",
			`  matched:   org "test-org" matches "test-org"`,
			`             project "front-end" matches "front-*"`,
			`             tag "browser" "Chrome 75.0.3770" matches "Chrome*"`,
			"  repo:      acme/web",
			// No environment: env:{{environment}} is left off.
			"  labels:    agent:builder, severity:error, team-web",
			"  assignees: alice, bob",
			"  code:      app/=web/src/",
			"             no mapping takes the crashing frame: it is shown unlinked",
			"  min_level warning, min_events 1, cooldown 6h0m0s, budget 10 issues per 10m0s",
			"skipped:",
			"  fatal (line 2): level error is not fatal or more severe",
			"  staging-noise (line 5): environment: the event has no environment, want \"staging\"",
		}, "no route matches everything"},
		{"the crashing frame in the repository", nil, []string{"--fixture", eventFixture(t, map[string]any{"exception": map[string]any{
			"values": []any{map[string]any{"type": "Error", "value": "boom", "stacktrace": map[string]any{
				"frames": []any{map[string]any{"filename": "app/cart/total.js", "lineno": 3, "in_app": true}}}}}}}),
			"--routes", file}, 0, []string{
			"route: front (line 8)",
			"  code:      app/=web/src/",
			`             the crashing frame is "web/src/cart/total.js" in the repository`,
		}, ""},
		{"a drop", nil, []string{"--fixture", eventFixture(t, map[string]any{"environment": "staging"}), "--routes", file}, 0, []string{
			"route: staging-noise (line 5) drops it: booty answers 200 with reason dropped_by_route and files nothing",
			`  matched:   environment "staging" matches "staging"`,
			"skipped:",
			"  fatal (line 2):",
		}, ""},
		{"below the route's threshold", nil, []string{"--fixture", eventFixture(t, map[string]any{"level": "debug", "tags": nil}),
			"--routes", file}, 0, []string{
			"route: debug-only (line 15)",
			"  repo:      acme/debug",
			"  but level debug is below the route's min_level info: booty would ignore the alert (below_threshold)",
			`  front (line 8): tag "browser": the event has no such tag, want "Chrome*"`,
		}, ""},
		{"no route", nil, []string{"--fixture", eventFixture(t, map[string]any{"level": "warning"}),
			"--routes", routesFile(t, "routes:\n  - name: fatal\n    match: {level: fatal}\n    repo: acme/oncall\n")}, 1, []string{
			"no route matches: booty would ignore the alert (no_route)",
			"  fatal (line 2): level warning is not fatal or more severe",
		}, ""},
		{"BOOTY_ROUTES_FILE", map[string]string{"BOOTY_ROUTES_FILE": file, "TRIGGER_LABEL": "agent:fix"},
			[]string{"--fixture", plain}, 0, []string{"route: front (line 8)", "labels:    agent:fix, severity:error"}, ""},
		{"without a routes file", map[string]string{"TARGET_REPO_URL": "https://github.com/acme/shop"},
			[]string{"--fixture", plain}, 0, []string{
				"routes: no routes file: the default route of TARGET_REPO_URL",
				"route: default\n",
				"  matched:   the route has no match: it matches everything",
				"  repo:      acme/shop",
				"  labels:    agent:builder\n",
			}, ""},
		{"a bad routes file", nil, []string{"--fixture", plain, "--routes", routesFile(t, "routes:\n  - name: a\n    repo: acme/web\n    match: {projet: web}\n")},
			1, nil, `booty: config: --routes: %DIR%:4:13: unknown key "projet" in match (did you mean "project"?)`},
		{"no file, no repository", nil, []string{"--fixture", plain}, 1, nil, "TARGET_REPO_URL: required without a routes file"},
		{"not an event alert", nil, []string{"--fixture", filepath.Join("..", "..", "testdata", "sentry", "issue.created.json"), "--routes", file},
			1, nil, "issue.created.json is not a triggered event alert (not_triggered): booty ignores it before routing"},
		{"no such fixture", nil, []string{"--fixture", filepath.Join(t.TempDir(), "none.json"), "--routes", file}, 1, nil, "no such file"},
		{"no fixture", nil, []string{"--routes", file}, 2, nil, "--fixture is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runBooty(t, tt.env, append([]string{"routes", "test"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; output:\n%s%s", code, tt.wantCode, out, errOut)
			}
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("stdout lacks %q after what came before:\n%s", w, out)
					break
				}
				rest = rest[i+len(w):]
			}
			// %DIR% stands for the last argument, the routes file.
			wantErr := strings.Replace(tt.wantErr, "%DIR%", tt.args[len(tt.args)-1], 1)
			if !strings.Contains(errOut, wantErr) {
				t.Errorf("stderr lacks %q:\n%s", wantErr, errOut)
			}
		})
	}
}

func TestRoutesUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"routes"}, "missing command: test"},
		{[]string{"routes", "check"}, `unexpected argument "check": want test`},
		{[]string{"routes", "test", "--fixture", "x", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		code, out, errOut := runBooty(t, nil, tt.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tt.wantErr) || !strings.Contains(errOut, "usage: booty routes") {
			t.Errorf("booty %v: exit %d, stdout %q, stderr %q; want exit 2 and %q with the usage on stderr", tt.args, code, out, errOut, tt.wantErr)
		}
	}
}

func TestCheckConfigRoutes(t *testing.T) {
	t.Parallel()
	base := map[string]string{"SENTRY_WEBHOOK_SECRET": "s", "TARGET_REPO_URL": "acme/shop", "BOOTY_DRY_RUN": "true",
		"BOOTY_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "booty.db")}
	with := func(file string) map[string]string {
		env := map[string]string{"BOOTY_ROUTES_FILE": file}
		for k, v := range base {
			env[k] = v
		}
		return env
	}

	good := routesFile(t, testRoutes)
	code, out, errOut := runBooty(t, with(good), "check-config")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		"BOOTY_ROUTES_FILE         " + good + " (4 routes: fatal, staging-noise, front, debug-only)",
		"routes of " + good + ", first match wins:",
		"  1. fatal (line 2) → acme/oncall\n     matches level fatal or more severe\n",
		"  2. staging-noise (line 5) → drop\n",
		`  3. front (line 8) → acme/web, labels severity:{{level}}, env:{{environment}}, team-web` + "\n" +
			`     matches org "test-org", project "front-*", tag "browser" "Chrome*"` + "\n" +
			"     code mappings app/=web/src/\n  4. debug-only",
		"  storm budget across all routes: 30 issues per 10m0s",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	if want := "booty: config: BOOTY_ROUTES_FILE: " + good + ":1:1: warning: no route matches everything"; !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}

	bad := routesFile(t, "routes:\n  - name: a\n    repo: acme/x/y\n  - name: a\n    budget: {issues: 10, per: 1y}\n")
	code, out, errOut = runBooty(t, with(bad), "check-config")
	if code != 1 || out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	for _, w := range []string{
		"booty: config: BOOTY_ROUTES_FILE: " + bad + `:3:11: repo: "acme/x/y" is not OWNER/REPO` + "\n",
		"booty: config: BOOTY_ROUTES_FILE: " + bad + `:4:5: route "a" is named twice (first at line 2)`,
		"booty: config: BOOTY_ROUTES_FILE: " + bad + `:5:31: per must be a duration from 1m to 24h, such as 10m or 6h, not "1y"`,
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
}
