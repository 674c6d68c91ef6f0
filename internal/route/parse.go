package route

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

	"booty/internal/alert"
)

// MaxFileSize is the largest routes file Parse reads, in bytes: room for a
// thousand routes, and little enough that the YAML library, which is slow
// on huge flow lists, answers within a fraction of a second.
const MaxFileSize = 256 << 10

// Limits on what a routes file can hold, so that a mistaken or hostile file
// costs little to reject.
const (
	maxRoutes    = 1000
	maxErrors    = 50 // reported; the rest are counted
	maxGlob      = 256
	maxName      = 64
	maxAssignees = 10 // GitHub's limit per issue
	maxLabels    = 99 // GitHub's 100 labels per issue, less the trigger label
)

// Error is one problem in the routes file, where it is.
type Error struct {
	File string
	// Line and Col are 1-based; 0 when the YAML library did not say.
	Line, Col int
	Msg       string
}

// Error returns "FILE:LINE:COL: message".
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteString(":" + strconv.Itoa(e.Col))
		}
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Errors is every problem found in a routes file, in the order of the file.
// It is the error Parse returns.
type Errors []Error

// Error returns each problem on its own line.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// The keys of each part of the file.
var (
	topKeys      = []string{"routes", "defaults", "storm"}
	routeKeys    = []string{"name", "match", "drop"}
	settingKeys  = []string{"repo", "labels", "assignees", "trigger_label", "min_level", "cooldown", "min_events", "budget", "code_mappings"}
	matchKeys    = []string{"org", "project", "environment", "level", "tags", "frame"}
	budgetKeys   = []string{"issues", "per"}
	stormKeys    = []string{"issues", "per", "quiet", "update_every"}
	routeAllKeys = append(append([]string{}, routeKeys...), settingKeys...)
)

// Parse reads a routes file (see the README for its format). Every problem
// in the file is reported, as Errors, each with its line and column; the
// Table is nil then. What is odd but not wrong (a route that can never
// match) is in the Table's Warnings.
//
// A route inherits each setting it leaves out from the file's defaults
// section, else from d.
func Parse(data []byte, d Defaults) (*Table, error) {
	d = d.withBuiltins()
	p := &parser{file: d.File}
	if p.file == "" {
		p.file = "routes"
	}
	var t *Table
	if root := p.document(data); root != nil {
		t = p.table(root, d)
	}
	if len(p.errs) > 0 {
		return nil, p.finish(p.errs, p.moreErrs, "errors")
	}
	t.Warnings = p.finish(p.warns, p.moreWarns, "warnings")
	return t, nil
}

type parser struct {
	file                string
	errs, warns         Errors
	moreErrs, moreWarns int
}

// finish sorts es into the order of the file and counts what was left out.
func (p *parser) finish(es Errors, more int, what string) Errors {
	slices.SortStableFunc(es, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	if more > 0 {
		es = append(es, Error{File: p.file, Msg: fmt.Sprintf("and %d more %s", more, what)})
	}
	return es
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	if len(p.errs) >= maxErrors {
		p.moreErrs++
		return
	}
	p.errs = append(p.errs, p.at(n, fmt.Sprintf(format, args...)))
}

func (p *parser) warnf(n *yaml.Node, format string, args ...any) {
	if len(p.warns) >= maxErrors {
		p.moreWarns++
		return
	}
	p.warns = append(p.warns, p.at(n, "warning: "+fmt.Sprintf(format, args...)))
}

func (p *parser) at(n *yaml.Node, msg string) Error {
	e := Error{File: p.file, Msg: msg}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}

// document parses data as one YAML document and returns its root node.
func (p *parser) document(data []byte) (root *yaml.Node) {
	if len(data) > MaxFileSize {
		p.errorf(nil, "the file is over %d bytes, the most a routes file may hold", MaxFileSize)
		return nil
	}
	defer func() {
		// The YAML library is trusted not to panic, but the file is
		// operator input and check-config must report, not crash.
		if v := recover(); v != nil {
			p.errorf(nil, "the file is not YAML booty can read")
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(&yaml.Node{Line: 1, Column: 1}, "the file is empty: it needs a list of routes under routes:")
		} else {
			p.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.yamlError(err)
		return nil
	default:
		p.errorf(&extra, "a second YAML document: the routes file is one document (remove the ---)")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errorf(&doc, "the file is empty: it needs a list of routes under routes:")
		return nil
	}
	return doc.Content[0]
}

// yamlError reports a syntax error of the YAML library, "yaml: line N:
// message", at its line.
func (p *parser) yamlError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				line, msg = n, after
			}
		}
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	p.errorf(&yaml.Node{Line: line}, "not valid YAML: %s", msg)
}

// table reads the file's top-level mapping.
func (p *parser) table(root *yaml.Node, d Defaults) *Table {
	t := &Table{Storm: d.Storm, StormQuiet: DefaultStormQuiet, DigestEvery: DefaultDigestEvery}
	if isNull(root) {
		p.errorf(root, "the file is empty: it needs a list of routes under routes:")
		return t
	}
	var fileDefaults settings
	var routesKey, routesNode *yaml.Node
	p.mapping(root, "the file", topKeys, topHint, func(key string, k, v *yaml.Node) {
		switch key {
		case "routes":
			routesKey, routesNode = k, v
		case "defaults":
			p.mapping(v, "defaults", settingKeys, defaultsHint, func(key string, k, v *yaml.Node) {
				p.setting(&fileDefaults, key, v)
			})
		case "storm":
			p.storm(t, v, d)
		}
	})
	if root.Kind != yaml.MappingNode {
		return t
	}
	switch {
	case routesNode == nil:
		p.errorf(root, "the file has no routes: key; it needs a list of routes under it")
		return t
	case isNull(routesNode):
		p.errorf(routesKey, "routes is empty: the file needs at least one route")
		return t
	case routesNode.Kind != yaml.SequenceNode:
		p.errorf(routesNode, "routes must be a list of routes (each item starting with -), not %s", kindName(routesNode))
		return t
	case len(routesNode.Content) == 0:
		p.errorf(routesNode, "routes is empty: the file needs at least one route")
		return t
	case len(routesNode.Content) > maxRoutes:
		p.errorf(routesNode, "%d routes; a file holds at most %d", len(routesNode.Content), maxRoutes)
		return t
	}
	names := map[string]*Route{}
	var catchAll *Route
	for _, item := range routesNode.Content {
		r := p.route(item, fileDefaults, d)
		if r == nil {
			continue
		}
		if r.Name != "" {
			if first, ok := names[r.Name]; ok {
				p.errorf(item, "route %q is named twice (first at line %d): names identify routes in the store and must differ", r.Name, first.Line)
			} else {
				names[r.Name] = r
			}
		}
		if catchAll != nil {
			p.warnf(item, "route %q can never match: route %q before it (line %d) has no match and takes every alert", r.Name, catchAll.Name, catchAll.Line)
		} else if r.CatchAll() {
			catchAll = r
		}
		t.Routes = append(t.Routes, r)
	}
	if catchAll == nil && len(t.Routes) > 0 {
		p.warnf(routesKey, "no route matches everything: an alert no route matches is ignored with reason no_route; "+
			"end the list with a route without match to catch the rest")
	}
	return t
}

// route reads one item of routes.
func (p *parser) route(n *yaml.Node, fileDefaults settings, d Defaults) *Route {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "a route must be a mapping with a name, not %s", kindName(n))
		return nil
	}
	r := &Route{Line: n.Line}
	var s settings
	var nameNode *yaml.Node
	p.mapping(n, "a route", routeAllKeys, routeHint, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			nameNode = v
			if name, ok := p.str(v, "name"); ok {
				if err := checkName(name); err != nil {
					p.errorf(v, "%v", err)
				} else {
					r.Name = name
				}
			}
		case "match":
			r.match = p.matcher(v)
		case "drop":
			r.Drop = p.boolean(v, "drop")
		default:
			p.setting(&s, key, v)
		}
	})
	if nameNode == nil {
		p.errorf(n, "the route has no name: give it one (name: storefront); booty records it with each problem")
	}
	display := r.Name
	if display == "" {
		display = fmt.Sprintf("at line %d", n.Line)
	}
	if r.Drop && len(s.set) > 0 {
		p.warnf(n, "route %q drops what it matches, so its %s %s never used", display, strings.Join(s.set, ", "),
			map[bool]string{true: "is", false: "are"}[len(s.set) == 1])
	}

	r.Repo = pick(s.repo, fileDefaults.repo, d.Repo)
	r.Labels = pick(s.labels, fileDefaults.labels, nil)
	r.templates = pick(s.templates, fileDefaults.templates, nil)
	r.Assignees = pick(s.assignees, fileDefaults.assignees, nil)
	r.TriggerLabel = pick(s.triggerLabel, fileDefaults.triggerLabel, d.TriggerLabel)
	r.MinLevel = pick(s.minLevel, fileDefaults.minLevel, d.MinLevel)
	r.Cooldown = pick(s.cooldown, fileDefaults.cooldown, d.Cooldown)
	r.MinEvents = pick(s.minEvents, fileDefaults.minEvents, 1)
	r.Budget = s.budget.resolve(fileDefaults.budget.resolve(Budget{}, d.Budget), d.Budget)
	// A route's own list replaces the defaults' list whole: mappings
	// describe one repository's layout, and do not add up.
	r.CodeMappings = pick(s.codeMappings, fileDefaults.codeMappings, d.CodeMappings)
	if !r.Drop && r.Repo == (Repo{}) {
		p.errorf(n, "route %q names no repo, and neither defaults: nor TARGET_REPO_URL name one", display)
	}
	return r
}

// pick returns the first of v and fileDefault that is set, else def.
func pick[T any](v, fileDefault *T, def T) T {
	switch {
	case v != nil:
		return *v
	case fileDefault != nil:
		return *fileDefault
	}
	return def
}

// settings are what a route or the defaults section set; nil is unset.
type settings struct {
	set          []string // the keys set, in order
	repo         *Repo
	labels       *[]string
	templates    *[]template
	assignees    *[]string
	triggerLabel *string
	minLevel     *alert.Severity
	cooldown     *time.Duration
	minEvents    *int
	budget       budgetSet
	codeMappings *[]CodeMapping
}

// budgetSet is a budget whose fields may be unset.
type budgetSet struct {
	issues *int
	per    *time.Duration
}

// resolve fills the unset fields of b from over, then from def.
func (b budgetSet) resolve(over, def Budget) Budget {
	out := def
	if over.Issues != 0 {
		out.Issues = over.Issues
	}
	if over.Per != 0 {
		out.Per = over.Per
	}
	if b.issues != nil {
		out.Issues = *b.issues
	}
	if b.per != nil {
		out.Per = *b.per
	}
	return out
}

// setting reads one of settingKeys into s.
func (p *parser) setting(s *settings, key string, v *yaml.Node) {
	s.set = append(s.set, key)
	switch key {
	case "repo":
		if str, ok := p.str(v, "repo"); ok {
			if r, err := parseRepo(str); err != nil {
				p.errorf(v, "%v", err)
			} else {
				s.repo = &r
			}
		}
	case "labels":
		var labels []string
		var templates []template
		items := p.list(v, "labels")
		if len(items) > maxLabels {
			p.errorf(v, "%d labels; GitHub puts at most 100 on an issue, and one is the trigger label", len(items))
			items = nil
		}
		for _, item := range items {
			str, ok := p.str(item, "a label")
			if !ok {
				continue
			}
			t, err := parseTemplate(str)
			if err != nil {
				p.errorf(item, "%v", err)
				continue
			}
			labels, templates = append(labels, str), append(templates, t)
		}
		s.labels, s.templates = &labels, &templates
	case "assignees":
		var logins []string
		items := p.list(v, "assignees")
		if len(items) > maxAssignees {
			p.errorf(v, "%d assignees; GitHub assigns at most %d people to an issue", len(items), maxAssignees)
			items = nil
		}
		seen := map[string]bool{}
		for _, item := range items {
			str, ok := p.str(item, "an assignee")
			if !ok {
				continue
			}
			if err := checkLogin(str); err != nil {
				p.errorf(item, "%v", err)
				continue
			}
			if k := strings.ToLower(str); !seen[k] {
				seen[k] = true
				logins = append(logins, str)
			}
		}
		s.assignees = &logins
	case "trigger_label":
		if str, ok := p.str(v, "trigger_label"); ok {
			t, err := parseTemplate(str)
			switch {
			case err != nil:
				p.errorf(v, "%v", err)
			case len(t) != 1 || t[0].placeholder != "":
				p.errorf(v, "the trigger label takes no placeholders: it is the label a builder watches for")
			default:
				str = strings.TrimSpace(str)
				s.triggerLabel = &str
			}
		}
	case "min_level":
		if str, ok := p.str(v, "min_level"); ok {
			if l, err := parseLevel(str); err != nil {
				p.errorf(v, "min_level: %v", err)
			} else {
				s.minLevel = &l
			}
		}
	case "cooldown":
		if d, ok := p.duration(v, "cooldown", 0, 365*24*time.Hour); ok {
			s.cooldown = &d
		}
	case "min_events":
		if n, ok := p.integer(v, "min_events", 1, 1_000_000); ok {
			s.minEvents = &n
		}
	case "budget":
		p.budget(&s.budget, v)
	case "code_mappings":
		ms := p.codeMappings(v)
		s.codeMappings = &ms
	}
}

// storm reads the top-level storm section: the global budget, and how the
// digests of a storm behave.
func (p *parser) storm(t *Table, v *yaml.Node, d Defaults) {
	var b budgetSet
	p.mapping(v, "storm", stormKeys, noHint, func(key string, k, v *yaml.Node) {
		switch key {
		case "issues", "per":
			p.budgetField(&b, key, v)
		case "quiet":
			if q, ok := p.duration(v, "quiet", time.Minute, 24*time.Hour); ok {
				t.StormQuiet = q
			}
		case "update_every":
			// GitHub asks for content-creating writes a second apart at
			// least; an hour keeps a digest in step with its storm.
			if e, ok := p.duration(v, "update_every", time.Second, time.Hour); ok {
				t.DigestEvery = e
			}
		}
	})
	t.Storm = b.resolve(Budget{}, d.Storm)
}

// budget reads {issues: N, per: DURATION}.
func (p *parser) budget(b *budgetSet, v *yaml.Node) {
	p.mapping(v, "a budget", budgetKeys, noHint, func(key string, k, v *yaml.Node) {
		p.budgetField(b, key, v)
	})
}

// budgetField reads a budget's issues or per.
func (p *parser) budgetField(b *budgetSet, key string, v *yaml.Node) {
	switch key {
	case "issues":
		if n, ok := p.integer(v, "issues", 1, 10_000); ok {
			b.issues = &n
		}
	case "per":
		if d, ok := p.duration(v, "per", time.Minute, 24*time.Hour); ok {
			b.per = &d
		}
	}
}

// matcher reads a route's match section.
func (p *parser) matcher(v *yaml.Node) matcher {
	var m matcher
	p.mapping(v, "match", matchKeys, matchHint, func(key string, k, v *yaml.Node) {
		switch key {
		case "org", "project", "environment":
			g, ok := p.glob(v, key)
			if !ok {
				return
			}
			if key != "environment" && hasUpper(g) {
				p.warnf(v, "%s %q has capital letters, but Sentry's slugs are lower-case: it can never match", key, g)
			}
			switch key {
			case "org":
				m.org = g
			case "project":
				m.project = g
			default:
				m.environment = g
			}
		case "level":
			if str, ok := p.str(v, "level"); ok {
				if lr, err := parseLevelRange(str); err != nil {
					p.errorf(v, "level: %v", err)
				} else {
					m.levels = lr
				}
			}
		case "tags":
			seen := map[string]bool{}
			p.mapping(v, "tags", nil, nil, func(key string, k, v *yaml.Node) {
				if key == "" || len(key) > 128 || !utf8.ValidString(key) {
					p.errorf(k, "a tag key is 1 to 128 characters")
					return
				}
				if g, ok := p.glob(v, "tag "+quote(key)); ok && !seen[key] {
					seen[key] = true
					m.tags = append(m.tags, tagMatch{key: key, value: g})
				}
			})
		case "frame":
			if g, ok := p.glob(v, "frame"); ok {
				g = strings.TrimLeft(strings.TrimPrefix(g, "./"), "/")
				if g == "" {
					p.errorf(v, "frame: the pattern is only a slash")
					return
				}
				m.frame = g
			}
		}
	})
	return m
}

// mapping calls fn for each key of n, in order. A key must be a string,
// appear once, and be one of known (any key when known is nil); hint
// explains an unknown key. n may be null, an empty mapping.
func (p *parser) mapping(n *yaml.Node, what string, known []string, hint func(key string) string, fn func(key string, k, v *yaml.Node)) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.kindError(n, what+" must be a mapping of key: value")
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			p.kindError(k, "a key in "+what+" must be a plain word")
			continue
		}
		key := k.Value
		if key == "<<" {
			p.errorf(k, "YAML merge keys (<<) are not supported in the routes file; use defaults: for settings routes share")
			continue
		}
		if line, dup := seen[key]; dup {
			p.errorf(k, "%s is set twice in %s (first at line %d)", quote(key), what, line)
			continue
		}
		seen[key] = k.Line
		if known != nil && !slices.Contains(known, key) {
			msg := fmt.Sprintf("unknown key %s in %s", quote(key), what)
			if h := hint(key); h != "" {
				msg += ": " + h
			} else {
				msg += suggest(key, known) + "; known keys: " + strings.Join(known, ", ")
			}
			p.errorf(k, "%s", msg)
			continue
		}
		fn(key, k, v)
	}
}

func noHint(string) string { return "" }

func topHint(key string) string {
	switch {
	case slices.Contains(routeAllKeys, key) || slices.Contains(matchKeys, key):
		return fmt.Sprintf("%s belongs to a route, in the list under routes: (or, for a setting, under defaults:)", key)
	}
	return ""
}

func defaultsHint(key string) string {
	switch {
	case slices.Contains(routeKeys, key):
		return fmt.Sprintf("defaults: holds the settings routes share; %s belongs to each route", key)
	case slices.Contains(matchKeys, key):
		return fmt.Sprintf("%s is a matcher: it goes under a route's match:", key)
	}
	return ""
}

func routeHint(key string) string {
	if slices.Contains(matchKeys, key) {
		return fmt.Sprintf("%s is a matcher: put it under match:", key)
	}
	return ""
}

func matchHint(key string) string {
	if slices.Contains(routeAllKeys, key) {
		return fmt.Sprintf("%s is a setting of the route, not a matcher: move it out of match:", key)
	}
	return ""
}

// kindError reports a node of the wrong kind, saying so plainly for YAML's
// aliases, which the routes file does not support.
func (p *parser) kindError(n *yaml.Node, msg string) {
	if n.Kind == yaml.AliasNode {
		p.errorf(n, "YAML aliases (*name) are not supported in the routes file; use defaults: for settings routes share")
		return
	}
	p.errorf(n, "%s, not %s", msg, kindName(n))
}

func kindName(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.AliasNode:
		return "an alias"
	case isNull(n):
		return "nothing"
	}
	return quote(n.Value)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// str reads a scalar as a string.
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	switch {
	case isNull(n):
		p.errorf(n, "%s is empty", what)
		return "", false
	case n.Kind != yaml.ScalarNode:
		p.kindError(n, what+" must be a single value")
		return "", false
	case !utf8.ValidString(n.Value):
		p.errorf(n, "%s is not valid UTF-8", what)
		return "", false
	}
	return n.Value, true
}

// list reads a list of scalars; a single value is a list of one.
func (p *parser) list(n *yaml.Node, what string) []*yaml.Node {
	switch {
	case isNull(n):
		return nil
	case n.Kind == yaml.ScalarNode:
		return []*yaml.Node{n}
	case n.Kind == yaml.SequenceNode:
		return n.Content
	}
	p.kindError(n, what+" must be a list")
	return nil
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		if b, err := strconv.ParseBool(n.Value); err == nil {
			return b
		}
	}
	if n.Kind == yaml.AliasNode {
		p.kindError(n, "")
		return false
	}
	p.errorf(n, "%s must be true or false, not %s", what, kindName(n))
	return false
}

func (p *parser) integer(n *yaml.Node, what string, min, max int) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if v, err := strconv.ParseInt(n.Value, 0, 64); err == nil && v >= int64(min) && v <= int64(max) {
			return int(v), true
		}
	}
	if n.Kind == yaml.AliasNode {
		p.kindError(n, "")
		return 0, false
	}
	p.errorf(n, "%s must be a whole number from %d to %d, not %s", what, min, max, kindName(n))
	return 0, false
}

func (p *parser) duration(n *yaml.Node, what string, min, max time.Duration) (time.Duration, bool) {
	str, ok := p.str(n, what)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(str))
	if err != nil || d < min || d > max {
		p.errorf(n, "%s must be a duration from %s to %s, such as 10m or 6h, not %s", what, fmtDuration(min), fmtDuration(max), quote(str))
		return 0, false
	}
	return d, true
}

// fmtDuration writes 24h0m0s as 24h.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// glob reads a pattern and checks it.
func (p *parser) glob(n *yaml.Node, what string) (string, bool) {
	str, ok := p.str(n, what)
	if !ok {
		return "", false
	}
	switch {
	case str == "":
		p.errorf(n, "%s: the pattern is empty; leave the key out to match anything", what)
	case len(str) > maxGlob:
		p.errorf(n, "%s: the pattern is %d bytes long; the limit is %d", what, len(str), maxGlob)
	case strings.IndexFunc(str, unsafeRune) >= 0:
		p.errorf(n, "%s: the pattern holds a control character", what)
	case !doublestar.ValidatePattern(str):
		p.errorf(n, "%s: %s is not a valid glob (check its [ ] and { } pairs and a trailing \\)", what, quote(str))
	default:
		return str, true
	}
	return "", false
}

// levelNames are the level names a file may use, most severe first, as for
// OBSV_MIN_SEVERITY.
var levelNames = []string{"fatal", "error", "warning", "info", "debug"}

// parseLevel accepts the five level names Sentry shows, in any case. The
// aliases Sentry's SDKs send are refused with the name to write instead.
func parseLevel(s string) (alert.Severity, error) {
	s = strings.TrimSpace(s)
	for _, name := range levelNames {
		if strings.EqualFold(s, name) {
			l, _ := alert.ParseSeverity(name)
			return l, nil
		}
	}
	if l, ok := alert.ParseSeverity(s); ok {
		return 0, fmt.Errorf("%s is an alias Sentry's SDKs send; write the level's name, %s", quote(s), l)
	}
	return 0, fmt.Errorf("%s is not one of %s%s", quote(s), strings.Join(levelNames, ", "), suggest(strings.ToLower(s), levelNames))
}

// parseLevelRange reads "error" (error or more severe), "warning..error"
// (inclusive), "..warning" (warning or less severe) or "warning.." (as
// "warning").
func parseLevelRange(s string) (levelRange, error) {
	lo, hi, isRange := strings.Cut(s, "..")
	if !isRange {
		l, err := parseLevel(s)
		return levelRange{min: l}, err
	}
	var r levelRange
	var err error
	if strings.TrimSpace(lo) != "" {
		if r.min, err = parseLevel(lo); err != nil {
			return r, err
		}
	}
	if strings.TrimSpace(hi) != "" {
		if r.max, err = parseLevel(hi); err != nil {
			return r, err
		}
	}
	switch {
	case r.min == 0 && r.max == 0:
		return r, errors.New(`".." needs a level on at least one side, such as warning..error`)
	case r.min != 0 && r.max != 0 && r.min > r.max:
		return r, fmt.Errorf("%s is empty: %s is more severe than %s; write the less severe level first", quote(s), r.min, r.max)
	}
	return r, nil
}

// parseRepo accepts OWNER/REPO as GitHub names them: an owner of 1 to 39
// letters, digits and hyphens (underscores too, for enterprise managed
// users) not starting with a hyphen, and a repository of 1 to 100 letters,
// digits, '.', '-' and '_' other than "." and "..".
func parseRepo(s string) (Repo, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "://") || strings.HasPrefix(s, "github.com/") {
		return Repo{}, fmt.Errorf("repo: write OWNER/REPO, not a URL: %s", quote(s))
	}
	owner, name, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(name, "/") {
		return Repo{}, fmt.Errorf("repo: %s is not OWNER/REPO", quote(s))
	}
	if err := checkLogin(owner); err != nil {
		return Repo{}, fmt.Errorf("repo: the owner %s is not a GitHub user or organisation name: "+
			"1 to 39 letters, digits and hyphens, not starting with a hyphen", quote(owner))
	}
	if name == "" || name == "." || name == ".." || len(name) > 100 || !allBytes(name, func(c byte) bool {
		return isAlnum(c) || c == '-' || c == '_' || c == '.'
	}) {
		return Repo{}, fmt.Errorf("repo: the name %s is not a GitHub repository name: 1 to 100 letters, digits, '.', '-' and '_'", quote(name))
	}
	if strings.HasSuffix(strings.ToLower(name), ".git") {
		return Repo{}, fmt.Errorf("repo: write the repository's name without .git: %s", quote(strings.TrimSuffix(s, name[len(name)-4:])))
	}
	return Repo{Owner: owner, Name: name}, nil
}

// checkLogin checks a GitHub user or organisation name.
func checkLogin(s string) error {
	if strings.HasPrefix(s, "@") {
		return fmt.Errorf("write the GitHub login without the @: %s", quote(strings.TrimPrefix(s, "@")))
	}
	if s == "" || len(s) > 39 || s[0] == '-' || s[0] == '_' || !allBytes(s, func(c byte) bool {
		return isAlnum(c) || c == '-' || c == '_'
	}) {
		return fmt.Errorf("%s is not a GitHub login: 1 to 39 letters, digits and hyphens, not starting with a hyphen", quote(s))
	}
	return nil
}

// checkName checks a route's name: it goes into the store, log lines and
// metric labels, so it is kept to a plain word.
func checkName(s string) error {
	if s == "" || len(s) > maxName || !allBytes(s, func(c byte) bool {
		return isAlnum(c) || c == '-' || c == '_' || c == '.'
	}) {
		return fmt.Errorf("name %s: a route's name is 1 to %d letters, digits, '.', '-' and '_'", quote(s), maxName)
	}
	return nil
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func hasUpper(s string) bool {
	return strings.ToLower(s) != s
}

// suggest returns ` (did you mean "x"?)` for the candidate closest to word
// when it is close enough to be a typo, else "".
func suggest(word string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestDist && d < len([]rune(c)) {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b, for words of at
// most 64 characters (longer ones are no typo of a key).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
