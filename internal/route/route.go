// Package route reads the routes file and matches an alert to a route: the
// repository its issue goes to, the labels and assignees it gets, the
// thresholds and the storm budget that apply to it, or that it is dropped.
//
// The package is pure: Parse reads the bytes it is given, Match looks at the
// alert and nothing else. The decision reads a Verdict; it never calls out.
package route

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"booty/internal/alert"
)

// Budget is a number of new issues allowed in a window of time.
type Budget struct {
	Issues int
	Per    time.Duration
}

// String returns "10 issues per 10m0s".
func (b Budget) String() string {
	return fmt.Sprintf("%d issues per %s", b.Issues, b.Per)
}

// The built-in budgets, when neither the routes file nor the Defaults set
// one: per route, and across all routes.
var (
	DefaultRouteBudget = Budget{Issues: 10, Per: 10 * time.Minute}
	DefaultStormBudget = Budget{Issues: 30, Per: 10 * time.Minute}
)

// How a storm's digest behaves unless the routes file's storm section says
// otherwise.
const (
	// DefaultStormQuiet is how long a route must fold nothing before its
	// storm is over: its digest is done, and a folded problem that fires
	// again gets its own issue.
	DefaultStormQuiet = 30 * time.Minute
	// DefaultDigestEvery is the least time between two edits of a digest.
	DefaultDigestEvery = time.Minute
)

// Repo is a GitHub repository.
type Repo struct {
	Owner string
	Name  string
}

// String returns "OWNER/NAME", or "" for the zero Repo.
func (r Repo) String() string {
	if r.Owner == "" && r.Name == "" {
		return ""
	}
	return r.Owner + "/" + r.Name
}

// Defaults are what a route inherits when neither it nor the file's
// defaults section sets a field: today's variables (TARGET_REPO_URL,
// TRIGGER_LABEL, OBSV_MIN_SEVERITY, OBSV_COOLDOWN_HOURS) and the budgets.
type Defaults struct {
	// File names the routes file in messages, the FILE of FILE:LINE:COL.
	File string

	// Repo is where a route without repo files; the zero Repo makes such
	// a route an error.
	Repo         Repo
	TriggerLabel string
	MinLevel     alert.Severity
	Cooldown     time.Duration

	// Budget is each route's storm budget; Storm is the global one. A
	// zero Budget means DefaultRouteBudget, a zero Storm
	// DefaultStormBudget.
	Budget Budget
	Storm  Budget

	// CodeMappings are each route's code mappings (BOOTY_CODE_MAPPINGS)
	// unless the routes file sets them.
	CodeMappings []CodeMapping
}

func (d Defaults) withBuiltins() Defaults {
	if d.Budget == (Budget{}) {
		d.Budget = DefaultRouteBudget
	}
	if d.Storm == (Budget{}) {
		d.Storm = DefaultStormBudget
	}
	if d.MinLevel == 0 {
		d.MinLevel = alert.SeverityError
	}
	return d
}

// Route is one route of the table, with every field resolved: what the
// route sets, else what the file's defaults set, else the Defaults.
type Route struct {
	// Name identifies the route in the store, logs and metrics.
	Name string
	// Line is where the route starts in the file; 0 for the default
	// route built without a file.
	Line int

	Repo Repo
	// Labels are the label templates as written; IssueLabels expands
	// them for an alert.
	Labels       []string
	Assignees    []string
	TriggerLabel string
	// MinLevel is the route's threshold: an alert that takes the route
	// but is less severe is ignored as below_threshold.
	MinLevel alert.Severity
	Cooldown time.Duration
	// MinEvents is how many times a problem must have been seen before
	// its issue is filed.
	MinEvents int
	Budget    Budget
	// Drop means alerts that take this route are answered 200 with reason
	// dropped_by_route and never filed.
	Drop bool
	// CodeMappings map the paths of in-app frames to paths in Repo, for
	// the issue body; none when empty.
	CodeMappings []CodeMapping

	match     matcher
	templates []template
}

// CatchAll reports whether the route matches every alert.
func (r *Route) CatchAll() bool { return r.match.empty() }

// Conditions describes what the route matches, as written in its match
// section: `project "shop-*", level error or more severe`, or "any alert".
func (r *Route) Conditions() string {
	m := r.match
	if m.empty() {
		return "any alert"
	}
	var cs []string
	for _, c := range []struct{ name, pattern string }{{"org", m.org}, {"project", m.project}, {"environment", m.environment}} {
		if c.pattern != "" {
			cs = append(cs, fmt.Sprintf("%s %q", c.name, c.pattern))
		}
	}
	if m.levels != (levelRange{}) {
		cs = append(cs, "level "+m.levels.String())
	}
	for _, t := range m.tags {
		cs = append(cs, fmt.Sprintf("tag %q %q", t.key, t.value))
	}
	if m.frame != "" {
		cs = append(cs, fmt.Sprintf("frame %q", m.frame))
	}
	return strings.Join(cs, ", ")
}

// String returns the route's name and, when it came from a file, its line.
func (r *Route) String() string {
	if r.Line > 0 {
		return fmt.Sprintf("%s (line %d)", r.Name, r.Line)
	}
	return r.Name
}

// Table is the routes, in the order they are tried, and the global budget.
type Table struct {
	Routes []*Route
	// Storm is the budget of new issues across all routes.
	Storm Budget
	// StormQuiet is how long a storm lasts after its last fold, and
	// DigestEvery the least time between two edits of its digest.
	StormQuiet  time.Duration
	DigestEvery time.Duration
	// Warnings are what Parse found odd but not wrong, such as a route
	// that can never match.
	Warnings Errors
}

// Default returns the table booty uses without a routes file: one route,
// "default", that matches everything and files as booty always has, with
// the trigger label alone, into d.Repo.
func Default(d Defaults) *Table {
	d = d.withBuiltins()
	return &Table{
		Routes: []*Route{{
			Name:         "default",
			Repo:         d.Repo,
			TriggerLabel: d.TriggerLabel,
			MinLevel:     d.MinLevel,
			Cooldown:     d.Cooldown,
			MinEvents:    1,
			Budget:       d.Budget,
			CodeMappings: d.CodeMappings,
		}},
		Storm:       d.Storm,
		StormQuiet:  DefaultStormQuiet,
		DigestEvery: DefaultDigestEvery,
	}
}

// Lookup returns the route called name, or nil.
func (t *Table) Lookup(name string) *Route {
	for _, r := range t.Routes {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Verdict is the route an alert takes and why.
type Verdict struct {
	// Route is the first route that matched; nil when none did, and the
	// alert is then ignored with reason no_route.
	Route *Route
	// Why says what made Route match, one line per matcher.
	Why []string
	// Skipped are the routes tried before Route, in order, each with the
	// matchers that failed.
	Skipped []Skip
	// Labels are the labels of the issue: the route's trigger label,
	// then its labels expanded for the alert. Empty for a drop.
	Labels []string
}

// Skip is a route that did not match and why.
type Skip struct {
	Route *Route
	// Failed says, one line per matcher, what did not match.
	Failed []string
}

// Matched reports whether a route matched.
func (v Verdict) Matched() bool { return v.Route != nil }

// Dropped reports whether the route that matched drops the alert.
func (v Verdict) Dropped() bool { return v.Route != nil && v.Route.Drop }

// Match returns the first route a matches, and for every route tried before
// it, why it did not match.
func (t *Table) Match(a *alert.Alert) Verdict {
	var v Verdict
	f := facts(a)
	for _, r := range t.Routes {
		ok, why := r.match.check(f)
		if !ok {
			v.Skipped = append(v.Skipped, Skip{Route: r, Failed: why})
			continue
		}
		v.Route, v.Why = r, why
		if !r.Drop {
			v.Labels = r.IssueLabels(a)
		}
		return v
	}
	return v
}

// IssueLabels returns the labels an issue for a gets on this route: the
// trigger label first, then the route's labels with their placeholders
// expanded, each label once (GitHub compares labels without case).
func (r *Route) IssueLabels(a *alert.Alert) []string {
	out := make([]string, 0, 1+len(r.templates))
	seen := make(map[string]bool, 1+len(r.templates))
	add := func(l string) {
		k := strings.ToLower(l)
		if l == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, l)
	}
	add(r.TriggerLabel)
	for _, t := range r.templates {
		l, ok := t.expand(a)
		if ok {
			add(l)
		}
	}
	return out
}

// alertFacts are the parts of an alert the matchers look at.
type alertFacts struct {
	org, project, environment string
	level                     alert.Severity
	tags                      []alert.Tag
	frame                     []string // paths of the crashing frame, normalised
	hasFrame                  bool
}

func facts(a *alert.Alert) alertFacts {
	f := alertFacts{
		org:         Org(a),
		project:     a.Project,
		environment: a.Environment,
		level:       a.Level,
		tags:        a.Tags,
	}
	if fr, ok := a.CrashFrame(); ok {
		f.hasFrame = true
		for _, p := range []string{fr.Filename, fr.AbsPath} {
			if p = framePath(p); p != "" && !slices.Contains(f.frame, p) {
				f.frame = append(f.frame, p)
			}
		}
	}
	return f
}

// matcher is a route's match section. Every pattern was validated by Parse.
type matcher struct {
	org, project, environment string
	levels                    levelRange
	tags                      []tagMatch
	frame                     string
}

type tagMatch struct{ key, value string }

// levelRange is an inclusive range of severities; zero ends are open.
type levelRange struct{ min, max alert.Severity }

func (m matcher) empty() bool {
	return m.org == "" && m.project == "" && m.environment == "" && m.levels == (levelRange{}) &&
		len(m.tags) == 0 && m.frame == ""
}

// check reports whether f matches. It returns what matched, or what did not
// match when ok is false.
func (m matcher) check(f alertFacts) (ok bool, why []string) {
	if m.empty() {
		return true, []string{"the route has no match: it matches everything"}
	}
	var pass, fail []string
	note := func(matched bool, s string) {
		if matched {
			pass = append(pass, s)
		} else {
			fail = append(fail, s)
		}
	}
	glob := func(name, pattern, value, missing string) {
		switch {
		case pattern == "":
		case value == "":
			note(false, fmt.Sprintf("%s: %s, want %q", name, missing, pattern))
		case doublestar.MatchUnvalidated(pattern, value):
			note(true, fmt.Sprintf("%s %s matches %q", name, quote(value), pattern))
		default:
			note(false, fmt.Sprintf("%s %s does not match %q", name, quote(value), pattern))
		}
	}
	glob("org", m.org, f.org, "the event's links name no Sentry organisation")
	glob("project", m.project, f.project, "the event names no project")
	glob("environment", m.environment, f.environment, "the event has no environment")
	if m.levels != (levelRange{}) {
		in := (m.levels.min == 0 || f.level >= m.levels.min) && (m.levels.max == 0 || f.level <= m.levels.max)
		if in {
			note(true, fmt.Sprintf("level %s is %s", f.level, m.levels))
		} else {
			note(false, fmt.Sprintf("level %s is not %s", f.level, m.levels))
		}
	}
	for _, t := range m.tags {
		v, found := tagValue(f.tags, t.key)
		switch {
		case !found:
			note(false, fmt.Sprintf("tag %s: the event has no such tag, want %q", quote(t.key), t.value))
		case doublestar.MatchUnvalidated(t.value, v):
			note(true, fmt.Sprintf("tag %s %s matches %q", quote(t.key), quote(v), t.value))
		default:
			note(false, fmt.Sprintf("tag %s %s does not match %q", quote(t.key), quote(v), t.value))
		}
	}
	if m.frame != "" {
		switch {
		case !f.hasFrame:
			note(false, fmt.Sprintf("frame: the event has no stack frames, want %q", m.frame))
		case len(f.frame) == 0:
			note(false, fmt.Sprintf("frame: the crashing frame names no file, want %q", m.frame))
		default:
			matched := ""
			for _, p := range f.frame {
				if doublestar.MatchUnvalidated(m.frame, p) {
					matched = p
					break
				}
			}
			if matched != "" {
				note(true, fmt.Sprintf("frame %s matches %q", quote(matched), m.frame))
			} else {
				note(false, fmt.Sprintf("frame %s does not match %q", quote(strings.Join(f.frame, " or ")), m.frame))
			}
		}
	}
	if len(fail) > 0 {
		return false, fail
	}
	return true, pass
}

func (r levelRange) String() string {
	switch {
	case r.min != 0 && r.max != 0 && r.min == r.max:
		return r.min.String()
	case r.min != 0 && r.max != 0:
		return fmt.Sprintf("from %s to %s", r.min, r.max)
	case r.max != 0:
		return fmt.Sprintf("%s or less severe", r.max)
	default:
		return fmt.Sprintf("%s or more severe", r.min)
	}
}

func tagValue(tags []alert.Tag, key string) (string, bool) {
	for _, t := range tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// framePath normalises a frame's filename or abs_path for matching: forward
// slashes, the scheme and host of a URL (app:///, webpack://, https://cdn/)
// and its query cut off, "." and ".." resolved, and no leading slash. Parse
// strips a leading slash from frame patterns too, so "src/**" matches
// "/src/a.js", "app:///src/a.js" and "src/a.js" alike; an absolute path is
// matched with a leading "**/".
func framePath(p string) string {
	p = strings.ReplaceAll(strings.TrimSpace(p), `\`, "/")
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+len("://"):]
		if j := strings.IndexByte(p, '/'); j >= 0 {
			p = p[j:]
		} else {
			p = ""
		}
		if j := strings.IndexAny(p, "?#"); j >= 0 {
			p = p[:j]
		}
	}
	if p == "" {
		return ""
	}
	p = cleanPath(p)
	return strings.TrimLeft(p, "/")
}

// cleanPath is path.Clean without its "." for an empty result.
func cleanPath(p string) string {
	parts := strings.Split(p, "/")
	out := parts[:0]
	for _, s := range parts {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	return strings.Join(out, "/")
}

// quote quotes a value from the alert for a message: escaped, and cut so
// that a long value cannot flood the output.
func quote(s string) string {
	const max = 80
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
