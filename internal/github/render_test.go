package github

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	fixtureload "booty/internal/fixture"
	"booty/internal/sentry"
)

var update = flag.Bool("update", false, "rewrite golden files")

// eventAlertFixtures are the event-alert payloads rendered into goldens.
var eventAlertFixtures = []string{
	"event_alert.triggered.json",
	"event_alert.triggered.vue-breadcrumbs-zulip-2023.json",
}

// goldenProblem is the fixed problem state the goldens are rendered with.
func goldenProblem(a *alert.Alert) alert.Problem {
	return alert.Problem{
		Key:         a.ProblemKey,
		FirstSeen:   time.Date(2023, 5, 1, 8, 0, 0, 0, time.UTC),
		LastSeen:    time.Date(2023, 5, 29, 11, 8, 31, 0, time.UTC),
		Count:       42,
		LastEventID: a.EventID,
		IssueNumber: 7,
	}
}

// parseFixture returns the alert of a Sentry event-alert fixture, parsed the
// way booty parses a delivery.
func parseFixture(tb testing.TB, name string) *alert.Alert {
	tb.Helper()
	d, err := sentry.Parse("event_alert", fixtureload.Sentry(tb, name))
	if err != nil {
		tb.Fatalf("sentry.Parse(%s): %v", name, err)
	}
	if d.Alert == nil {
		tb.Fatalf("sentry.Parse(%s): no alert (ignored: %q)", name, d.Ignore)
	}
	return d.Alert
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, name := range eventAlertFixtures {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := parseFixture(t, name)
			p := goldenProblem(a)
			base := strings.TrimSuffix(strings.TrimPrefix(name, "event_alert.triggered"), ".json")
			base = "event_alert" + base
			for _, g := range []struct{ kind, got string }{
				{"title", Title(a) + "\n"},
				{"body", IssueBody(a, p)},
				{"comment", CommentBody(a, p, true)},
			} {
				compareGolden(t, filepath.Join("testdata", base+"."+g.kind+".golden"), g.got)
				checkRendered(t, g.kind, g.got)
			}
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// Patterns that must never occur in rendered text: GitHub would notify,
// link or close something.
var (
	liveMentionRE = regexp.MustCompile(`(^|[^\w])@[A-Za-z0-9]`)
	issueRefOutRE = regexp.MustCompile(`#\d`)
	closingRE     = regexp.MustCompile(`(?i)(close[sd]?|fix(e[sd])?|resolve[sd]?)\s+#\d`)
	ghRefOutRE    = regexp.MustCompile(`(?i)gh-\d`)
	githubURLOut  = regexp.MustCompile(`(?i)(//|www\.)github\.com`)
	gheURLOut     = regexp.MustCompile(`(?i)(//|www\.)ghe\.example\.com`)
	bareBracketRE = regexp.MustCompile(`(^|[^\\])[\[\]]`)
	// Markdown that renders: math, emphasis other than booty's own bold
	// labels, strikethrough and emoji shortcodes.
	mathRE     = regexp.MustCompile(`\$`)
	emphasisRE = regexp.MustCompile(`__|~~|_\w|\w_|(^|[^*])\*([^*]|$)`)
	emojiRE    = regexp.MustCompile(`:[a-z_+-][a-z0-9_+-]*:`)
	// Invisible characters; in a title only booty's own zero-width
	// spaces (invisibleOwn) may stay.
	invisibleRE  = regexp.MustCompile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c\u00ad]")
	invisibleOwn = strings.NewReplacer("@\u200b", "@", "#\u200b", "#", "-\u200b", "-", "\u200b.", ".", "<!-\u200b-", "<!--")
	// A link in booty's prose is only ever the alert's Sentry link.
	linkLineRE = regexp.MustCompile(`^\*\*(Sentry|Latest event):\*\* https?://|^- \*\*Latest event:\*\* https?://`)
	// digestLineRE is a digest's checklist line: its box, and its Sentry
	// link after the last dash.
	digestLineRE = regexp.MustCompile(`^- \[[ x]\] `)
	digestLinkRE = regexp.MustCompile(` — https?://[^ ]+( — filed as it)?\n?$`)
)

// checkRendered asserts what holds for every text booty renders, whatever
// the alert held. kind is "title", "body" or "comment".
func checkRendered(t testing.TB, kind, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not valid UTF-8", kind)
	}
	live := []*regexp.Regexp{liveMentionRE, issueRefOutRE, closingRE, ghRefOutRE, githubURLOut, gheURLOut}
	switch kind {
	case "title":
		for _, re := range live {
			if m := re.FindString(s); m != "" {
				t.Errorf("title contains %q (matches %s)", m, re)
			}
		}
		if m := invisibleRE.FindString(invisibleOwn.Replace(s)); m != "" {
			t.Errorf("title %q holds the invisible character %U", s, []rune(m)[0])
		}
		if n := utf8.RuneCountInString(strings.TrimSuffix(s, "\n")); n > maxTitleRunes {
			t.Errorf("title has %d runes, want ≤ %d", n, maxTitleRunes)
		}
		if strings.ContainsAny(strings.TrimSuffix(s, "\n"), "\r\n") {
			t.Errorf("title %q spans lines", s)
		}
		return
	case "body", "digest":
		// booty's own data markers, each on a line of its own, once;
		// a digest has none.
		for _, m := range []string{dataBegin, dataEnd} {
			if kind == "digest" {
				break
			}
			if n := strings.Count(s, "\n"+m+"\n"); n != 1 {
				t.Errorf("body has %d lines %q, want 1", n, m)
			}
			s = strings.Replace(s, "\n"+m+"\n", "\n", 1)
		}
		if n := strings.Count(s, "<!--"); n != 1 {
			t.Errorf("%s has %d comment openers besides the data markers, want 1 (the marker)", kind, n)
		}
		if len(s) > maxBodyBytes {
			t.Errorf("body has %d bytes, want ≤ %d", len(s), maxBodyBytes)
		}
		i := strings.LastIndex(s, "\n")
		if i < 0 || !strings.HasPrefix(s[i+1:], markerPrefix) {
			t.Errorf("body does not end with the hidden marker: ...%q", s[max(0, len(s)-80):])
		} else {
			s = s[:i] // the marker is booty's own HTML
		}
	case "comment":
		if n := strings.Count(s, "<!--"); n > 1 {
			t.Errorf("comment has %d comment openers, want ≤ 1 (the event marker)", n)
		}
		if i := strings.Index(s, "\n\n<!-- booty:event="); i >= 0 {
			s = s[:i]
		}
	}
	// Untrusted text is only ever in code, where GitHub renders nothing;
	// what is outside code is booty's own text and must render nothing
	// either, but for booty's links to the code, whose shape
	// stripCodeLinks checks.
	prose := outsideCode(stripCodeLinks(t, s))
	if kind == "digest" {
		// A checklist box and a line's trailing Sentry link are booty's.
		var b strings.Builder
		for line := range strings.Lines(prose) {
			if digestLineRE.MatchString(line) {
				line = digestLinkRE.ReplaceAllString(digestLineRE.ReplaceAllString(line, "- "), "\n")
			}
			b.WriteString(line)
		}
		prose = b.String()
	}
	for _, re := range append(live, mathRE, emphasisRE, emojiRE, bareBracketRE) {
		if loc := re.FindStringIndex(prose); loc != nil {
			t.Errorf("%s renders %q outside code (matches %s): ...%q...", kind, prose[loc[0]:loc[1]], re,
				prose[max(0, loc[0]-40):min(len(prose), loc[1]+40)])
		}
	}
	if strings.ContainsAny(prose, "<>") {
		i := strings.IndexAny(prose, "<>")
		t.Errorf("%s has raw HTML outside code: ...%q...", kind, prose[max(0, i-40):min(len(prose), i+40)])
	}
	for line := range strings.Lines(prose) {
		if strings.Contains(line, "://") && !linkLineRE.MatchString(line) {
			t.Errorf("%s has a link outside code that is not the Sentry link: %q", kind, line)
		}
		if strings.Contains(line, "www.") {
			t.Errorf("%s has a www. link outside code: %q", kind, line)
		}
	}
}

// outsideCode returns md without its fenced code blocks and code spans, the
// way CommonMark delimits them (for the shapes booty writes).
func outsideCode(md string) string {
	var out strings.Builder
	fence := ""
	for line := range strings.Lines(md) {
		trimmed := strings.TrimRight(strings.TrimLeft(line, " "), " \r\n")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, "`") == "" {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			fence = strings.Repeat("`", len(trimmed)-len(strings.TrimLeft(trimmed, "`")))
			continue
		}
		out.WriteString(stripCodeSpans(line))
	}
	return out.String()
}

// stripCodeSpans removes the code spans of one line: a run of n backticks
// opens a span that the next run of exactly n backticks closes.
func stripCodeSpans(line string) string {
	var out strings.Builder
	for i := 0; i < len(line); {
		switch line[i] {
		case '\\':
			end := min(i+2, len(line))
			out.WriteString(line[i:end])
			i = end
			continue
		case '`':
			n := runLen(line, i)
			if j := closingRun(line, i+n, n); j >= 0 {
				i = j + n
				continue
			}
			out.WriteString(line[i : i+n])
			i += n
			continue
		}
		out.WriteByte(line[i])
		i++
	}
	return out.String()
}

func runLen(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == '`' {
		n++
	}
	return n
}

func closingRun(s string, from, n int) int {
	for j := from; j < len(s); {
		if s[j] != '`' {
			j++
			continue
		}
		if m := runLen(s, j); m == n {
			return j
		} else {
			j += m
		}
	}
	return -1
}

// vueAlert is the real Vue capture: 16 in-app frames, the crash in insert at
// line 9134, five breadcrumbs, one of which names @sentry/vue.
func vueAlert(tb testing.TB) *alert.Alert {
	return parseFixture(tb, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
}

func TestTitle(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("deep/", 100) + "handler.py"
	tests := []struct {
		name string
		a    *alert.Alert
		want string
	}{
		{
			name: "crash frame filename and line",
			a: &alert.Alert{Level: alert.SeverityError, ExceptionType: "TypeError", ExceptionValue: "secret message",
				Frames: []alert.Frame{{Filename: "app/a.js", Lineno: 1, InApp: true}, {Filename: "lib/b.js", Lineno: 2}}},
			want: "[error] TypeError — app/a.js:1",
		},
		{
			name: "abs_path without scheme, host and query",
			a: &alert.Alert{Level: alert.SeverityFatal, ExceptionType: "Panic",
				Frames: []alert.Frame{{AbsPath: "https://cdn.example.com/static/app.min.js?v=3#x", Lineno: 12, InApp: true}}},
			want: "[fatal] Panic — /static/app.min.js:12",
		},
		{
			name: "module when no file",
			a: &alert.Alert{Level: alert.SeverityWarning, ExceptionType: "KeyError",
				Frames: []alert.Frame{{Module: "app.views", Lineno: 40}}},
			want: "[warning] KeyError — app.views:40",
		},
		{
			name: "no line number",
			a: &alert.Alert{Level: alert.SeverityError, ExceptionType: "E",
				Frames: []alert.Frame{{Filename: "main.go"}}},
			want: "[error] E — main.go",
		},
		{
			name: "no exception type, no frame: Error and the culprit",
			a:    &alert.Alert{Level: alert.SeverityError, Title: "user 42 failed to pay", Culprit: "app.billing in charge"},
			want: "[error] Error — app.billing in charge",
		},
		{
			name: "nothing at all",
			a:    &alert.Alert{},
			want: "[error] Error",
		},
		{
			name: "mention and reference in type and path are broken",
			a: &alert.Alert{Level: alert.SeverityError, ExceptionType: "@octocat fixes #12",
				Frames: []alert.Frame{{Filename: "@org/team/GH-3.js", Lineno: 5}}},
			want: "[error] @\u200boctocat fixes #\u200b12 — @\u200borg/team/GH-\u200b3.js:5",
		},
		{
			name: "newlines and secrets",
			a: &alert.Alert{Level: alert.SeverityError, ExceptionType: "Bad\nType ghp_0123456789abcdefghijABCDEFGHIJ012345",
				Frames: []alert.Frame{{Filename: "a.js", Lineno: 1}}},
			want: "[error] Bad Type [redacted] — a.js:1",
		},
		{
			name: "long path keeps its end",
			a: &alert.Alert{Level: alert.SeverityError, ExceptionType: "ValueError",
				Frames: []alert.Frame{{Filename: long, Lineno: 77, InApp: true}}},
			// 256 runes: the head (21), the ellipsis and the end of the path, ":77".
			want: "[error] ValueError — …" + long[len(long)-(256-21-1-3):] + ":77",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Title(tt.a)
			if got != tt.want {
				t.Errorf("Title() = %q, want %q", got, tt.want)
			}
			checkRendered(t, "title", got)
		})
	}
}

func TestTitleFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture string
		want    string
	}{
		// No in-app frame: the newest frame is the crash frame.
		{"event_alert.triggered.json", "[error] ReferenceError — <anonymous>:3"},
		{"event_alert.triggered.vue-breadcrumbs-zulip-2023.json", "[error] TypeError — /node_modules/.vite/deps/chunk-G4DFXOZZ.js:9134"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			a := parseFixture(t, tt.fixture)
			got := Title(a)
			if got != tt.want {
				t.Errorf("Title() = %q, want %q", got, tt.want)
			}
			if a.ExceptionValue != "" && strings.Contains(got, a.ExceptionValue) {
				t.Errorf("Title() = %q holds the message %q", got, a.ExceptionValue)
			}
		})
	}
}

func TestTitleHostile(t *testing.T) {
	t.Parallel()
	a := hostileAlert()
	got := Title(a)
	checkRendered(t, "title", got)
	if n := utf8.RuneCountInString(got); n > maxTitleRunes {
		t.Errorf("Title() has %d runes, want ≤ %d", n, maxTitleRunes)
	}
	if strings.Contains(got, "MESSAGE") {
		t.Errorf("Title() = %q holds message text", got)
	}
}

func TestMarker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, want string
	}{
		{"4214010673", "<!-- booty:problem=4214010673 -->"},
		{"h:1:fdd7bfccd74d70129094ae0482059ab1", "<!-- booty:problem=h:1:fdd7bfccd74d70129094ae0482059ab1 -->"},
		{"a.b_c-d", "<!-- booty:problem=a.b_c-d -->"},
		{"x -->y", "<!-- booty:problem=x%20--%3Ey -->"},
		{"a/b", "<!-- booty:problem=a%2Fb -->"},
		{"", "<!-- booty:problem= -->"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			if got := Marker(tt.key); got != tt.want {
				t.Errorf("Marker(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
	if Marker("a/b") == Marker("ab") {
		t.Errorf("Marker(%q) == Marker(%q): keys collide", "a/b", "ab")
	}
}

func TestContainsMarker(t *testing.T) {
	t.Parallel()
	vue := vueAlert(t)
	body := IssueBody(vue, goldenProblem(vue))
	tests := []struct {
		name string
		body string
		key  string
		want bool
	}{
		{"own body", body, vue.ProblemKey, true},
		{"other key", body, "1117540176", false},
		{"prefix of the key", body, vue.ProblemKey[:5], false},
		{"edited on GitHub: CRLF and text after", strings.ReplaceAll(body, "\n", "\r\n") + "\r\n\r\nmore notes", vue.ProblemKey, true},
		{"marker inside a line", "see <!-- booty:problem=k --> here", "k", false},
		{"empty body", "", "k", false},
		{"marker alone", "<!-- booty:problem=k -->", "k", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ContainsMarker(tt.body, tt.key); got != tt.want {
				t.Errorf("ContainsMarker(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

// A body that quotes another problem's marker (in a message or in source
// context) must not be taken for that problem's issue.
func TestContainsMarkerForgedInAlert(t *testing.T) {
	t.Parallel()
	forged := Marker("victim")
	a := &alert.Alert{
		ProblemKey: "attacker", ExceptionType: "E", ExceptionValue: forged, Culprit: forged,
		Frames: []alert.Frame{{Filename: "a.html", Lineno: 2, InApp: true,
			PreContext: []string{forged}, ContextLine: forged, PostContext: []string{"\n" + forged + "\n"}}},
		Breadcrumbs: []alert.Breadcrumb{{Message: forged}, {Data: forged}},
	}
	body := IssueBody(a, alert.Problem{Key: "attacker", Count: 1})
	if ContainsMarker(body, "victim") {
		t.Errorf("ContainsMarker(body, victim) = true for a body that only quotes it:\n%s", body)
	}
	if !ContainsMarker(body, "attacker") {
		t.Errorf("ContainsMarker(body, attacker) = false, want true")
	}
	checkRendered(t, "body", body)
}

func TestIssueBodyVue(t *testing.T) {
	t.Parallel()
	a := vueAlert(t)
	body := IssueBody(a, goldenProblem(a))
	checkRendered(t, "body", body)

	for _, want := range []string{
		"**Severity:** error\n",
		"**Environment:** `production`\n",
		"**Release:** unknown\n",
		"**Sentry:** https://sentry.io/organizations/nitk-46/issues/4214010673/\n",
		"**Exception:** `TypeError: Cannot read properties of null (reading 'insertBefore')`\n",
		"**Alert rule:** `vue-alert`\n",
		"**Platform:** `javascript`\n",
		"- **Count:** 42\n",
		"- **First alert to booty:** 2023-05-01T08:00:00Z\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q", want)
		}
	}
	if !strings.HasSuffix(body, "\n<!-- booty:problem="+a.ProblemKey+" -->") {
		t.Errorf("body does not end with the marker of %q", a.ProblemKey)
	}

	// The crashing frame comes first, with its line number, and the list
	// is cut at ten frames.
	frames := sectionLines(body, "### Stack trace", "- ")
	if len(frames) != maxFrames {
		t.Fatalf("got %d frame lines, want %d:\n%s", len(frames), maxFrames, strings.Join(frames, "\n"))
	}
	if want := "- `/node_modules/.vite/deps/chunk-G4DFXOZZ.js:9134` in `insert` — crashing frame"; frames[0] != want {
		t.Errorf("first frame = %q, want %q", frames[0], want)
	}
	if want := "- `/node_modules/.vite/deps/chunk-G4DFXOZZ.js:6642` in `mountElement`"; frames[1] != want {
		t.Errorf("second frame = %q, want %q", frames[1], want)
	}
	if strings.Contains(body, ":?") {
		t.Errorf("body renders a frame as file:?")
	}

	// All five breadcrumbs are non-debug; the Vue one is code, which
	// cannot ping the team, and its backticks cannot close the span.
	crumbs := sectionLines(body, "### Breadcrumbs", "- ")
	if len(crumbs) != 5 {
		t.Fatalf("got %d breadcrumb lines, want 5:\n%s", len(crumbs), strings.Join(crumbs, "\n"))
	}
	if want := "- 2023-05-29T11:08:30.768Z ``console warning: [@sentry/vue]: Misconfigured SDK."; !strings.HasPrefix(crumbs[0], want) {
		t.Errorf("first breadcrumb = %q, want prefix %q", crumbs[0], want)
	}
	if want := "- 2023-05-29T11:08:30.769Z `navigation info: from=/ to=/`"; crumbs[3] != want {
		t.Errorf("navigation breadcrumb = %q, want %q", crumbs[3], want)
	}
}

// sectionLines returns the lines of the section under heading that start
// with prefix.
func sectionLines(body, heading, prefix string) []string {
	_, sec, ok := strings.Cut(body, heading+"\n")
	if !ok {
		return nil
	}
	if i := strings.Index(sec, "\n### "); i >= 0 {
		sec = sec[:i]
	}
	var out []string
	for l := range strings.SplitSeq(sec, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func TestIssueBodyMarkerLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    alert.Alert
		want []string
	}{
		{
			name: "unknown environment and release, event link as fallback",
			a:    alert.Alert{Level: alert.SeverityFatal, EventURL: "https://sentry.io/organizations/o/issues/1/events/e/"},
			want: []string{
				"**Severity:** fatal\n",
				"**Environment:** unknown\n",
				"**Release:** unknown\n",
				"**Sentry:** https://sentry.io/organizations/o/issues/1/events/e/\n",
				"- **Latest event:** https://sentry.io/organizations/o/issues/1/events/e/\n",
			},
		},
		{
			name: "release SHA in backticks, issue link first",
			a: alert.Alert{Level: alert.SeverityWarning, Environment: "staging", Release: "9f2c1e7a5b",
				IssueURL: "https://sentry.io/organizations/o/issues/1/", EventURL: "https://sentry.io/e"},
			want: []string{
				"**Severity:** warning\n",
				"**Environment:** `staging`\n",
				"**Release:** `9f2c1e7a5b`\n",
				"**Sentry:** https://sentry.io/organizations/o/issues/1/\n",
			},
		},
		{
			name: "release with backticks and a mention",
			a:    alert.Alert{Release: "@scope/app@1.2.3`x`"},
			want: []string{"**Release:** `` @scope/app@1.2.3`x` ``\n"},
		},
		{
			name: "message event",
			a:    alert.Alert{Title: "payment <b>failed</b> for [x](http://e.vil)"},
			want: []string{"**Message:** `payment <b>failed</b> for [x](http://e.vil)`\n"},
		},
		{
			name: "no frame: culprit as location",
			a:    alert.Alert{Culprit: "app.views in index"},
			want: []string{"**Location:** `app.views in index`\n", "No stack trace in this event.\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := IssueBody(&tt.a, alert.Problem{})
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			checkRendered(t, "body", body)
		})
	}
}

func TestIssueBodyStackTrace(t *testing.T) {
	t.Parallel()
	a := &alert.Alert{
		Platform: "python",
		Frames: []alert.Frame{
			{Filename: "lib/site.py", Function: "run", Lineno: 3},
			{Filename: "app/views.py", Function: "index", Lineno: 40, InApp: true,
				PreContext:  []string{"p1", "p2", "def index():", "    user = load()"},
				ContextLine: "    return ```user```.name",
				PostContext: []string{"", "x", "y", "z"}},
			{Filename: "lib/orm.py", Function: "get", Lineno: 9},
		},
	}
	body := IssueBody(a, alert.Problem{})
	want := "" +
		"- `app/views.py:40` in `index` — crashing frame\n" +
		"  ````python\n" +
		"    37 | p2\n" +
		"    38 | def index():\n" +
		"    39 |     user = load()\n" +
		"  > 40 |     return ```user```.name\n" +
		"    41 |\n" +
		"    42 | x\n" +
		"    43 | y\n" +
		"  ````\n"
	if !strings.Contains(body, want) {
		t.Errorf("body lacks the in-app frame with context\n%s\ngot:\n%s", want, body)
	}
	if strings.Contains(body, "lib/orm.py") {
		t.Errorf("body shows a library frame although there are in-app frames")
	}
	checkRendered(t, "body", body)

	// Without in-app frames, the newest frames show, newest first.
	for i := range a.Frames {
		a.Frames[i].InApp = false
	}
	got := sectionLines(IssueBody(a, alert.Problem{}), "### Stack trace", "- ")
	wantLines := []string{
		"- `lib/orm.py:9` in `get` — crashing frame",
		"- `app/views.py:40` in `index`",
		"- `lib/site.py:3` in `run`",
	}
	if diff := cmp.Diff(wantLines, got); diff != "" {
		t.Errorf("frames without in-app ones (-want +got):\n%s", diff)
	}
}

func TestIssueBodyBreadcrumbs(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var crumbs []alert.Breadcrumb
	for i := range 20 {
		level := "info"
		if i%3 == 0 {
			level = "debug"
		}
		crumbs = append(crumbs, alert.Breadcrumb{
			Timestamp: t0.Add(time.Duration(i) * time.Second), Category: "http", Level: level,
			Message: "crumb " + strconv.Itoa(i),
		})
	}
	crumbs[19].Level = "DEBUG"
	crumbs[17].Message = ""
	crumbs[17].Data = "method=GET url=/x"
	crumbs[16].Message = strings.Repeat("é", 300)
	a := &alert.Alert{Breadcrumbs: crumbs}
	got := sectionLines(IssueBody(a, alert.Problem{}), "### Breadcrumbs", "- ")
	// Debug: 0, 3, 6, 9, 12, 15, 18 and 19 ("DEBUG"). The last eight others
	// are 7, 8, 10, 11, 13, 14, 16 and 17.
	want := []string{
		"- 2024-01-02T03:04:12.000Z `http info: crumb 7`",
		"- 2024-01-02T03:04:13.000Z `http info: crumb 8`",
		"- 2024-01-02T03:04:15.000Z `http info: crumb 10`",
		"- 2024-01-02T03:04:16.000Z `http info: crumb 11`",
		"- 2024-01-02T03:04:18.000Z `http info: crumb 13`",
		"- 2024-01-02T03:04:19.000Z `http info: crumb 14`",
		"- 2024-01-02T03:04:21.000Z `http info: " + strings.Repeat("é", 159) + "…`",
		"- 2024-01-02T03:04:22.000Z `http info: method=GET url=/x`",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("breadcrumbs (-want +got):\n%s", diff)
	}
}

func TestCommentBody(t *testing.T) {
	t.Parallel()
	a := vueAlert(t)
	p := goldenProblem(a)
	tests := []struct {
		regression bool
		want       []string
	}{
		{false, []string{"**Still happening:**"}},
		{true, []string{"**Regression:**", "reopened"}},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatBool(tt.regression), func(t *testing.T) {
			t.Parallel()
			got := CommentBody(a, p, tt.regression)
			checkRendered(t, "comment", got)
			want := append(tt.want,
				"**Count:** 42\n",
				"**First alert to booty:** 2023-05-01T08:00:00Z\n",
				"**Last seen:** 2023-05-29T11:08:31Z\n",
				"**Release:** unknown\n",
				"**Environment:** `production`\n",
				"**Latest event:** https://sentry.io/organizations/nitk-46/issues/4214010673/events/292f78454e774e62999506f759ad791d/\n",
				"**Crashing frame:** `/node_modules/.vite/deps/chunk-G4DFXOZZ.js:9134` in `insert`\n",
			)
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("comment lacks %q:\n%s", w, got)
				}
			}
			if !strings.HasSuffix(got, "\n"+CommentMarker(a.EventID)) {
				t.Errorf("comment does not end with %q", CommentMarker(a.EventID))
			}
			if strings.Contains(got, "booty:problem=") {
				t.Errorf("comment holds the problem marker, which belongs to the issue body only")
			}
			if strings.Contains(got, "insertBefore") {
				t.Errorf("comment holds message text; it should stay short")
			}
		})
	}
	if got, regression := CommentBody(a, p, false), CommentBody(a, p, true); got == regression {
		t.Errorf("CommentBody is the same for a regression and a cooldown comment")
	}
}

// hostileAlert is a 10 MB alert whose every field is long, full of markdown,
// HTML, mentions, references and multi-byte text.
func hostileAlert() *alert.Alert {
	const mb = 1 << 20
	nasty := strings.Repeat("&<@a#1`[ ", mb/9)
	wide := strings.Repeat("😀😀😀😀😀😀😀😀😀@b#2 ", mb/41)
	frame := alert.Frame{
		Filename: nasty[:mb/4], Function: nasty[:mb/4], Lineno: 123456789, InApp: true,
		PreContext: []string{wide, wide, wide, wide}, ContextLine: wide, PostContext: []string{wide, wide, wide, wide},
	}
	frames := make([]alert.Frame, 50)
	for i := range frames {
		frames[i] = frame
	}
	crumbs := make([]alert.Breadcrumb, 500)
	for i := range crumbs {
		crumbs[i] = alert.Breadcrumb{Category: nasty[:4096], Level: nasty[:4096], Message: "MESSAGE " + nasty[:8192]}
	}
	return &alert.Alert{
		ProblemKey: "h:1:" + strings.Repeat("f", 32), EventID: "e",
		Level: alert.SeverityFatal, Title: "MESSAGE " + nasty, ExceptionType: nasty, ExceptionValue: "MESSAGE " + nasty,
		Culprit: nasty, Platform: nasty[:mb/8], Environment: nasty, Release: nasty, Rule: nasty,
		EventURL: nasty, IssueURL: wide, Frames: frames, Breadcrumbs: crumbs,
	}
}

func TestIssueBodyHostile(t *testing.T) {
	t.Parallel()
	a := hostileAlert()
	p := alert.Problem{Key: a.ProblemKey, Count: 1 << 40}
	body := IssueBody(a, p)
	checkRendered(t, "body", body)
	if len(body) > 65536 {
		t.Fatalf("body has %d bytes, over GitHub's limit of 65536", len(body))
	}
	// The cap must have bitten, and in the right order: context first.
	if full := defaultRenderer.newIssueView(a, p).render(bodyLimits{frames: maxFrames, context: true, crumbs: maxBreadcrumbs}); len(full) <= maxBodyBytes {
		t.Fatalf("full body has %d bytes: the hostile alert no longer exercises the cap", len(full))
	}
	if !strings.Contains(body, "left out to keep this issue under GitHub's size limit") {
		t.Errorf("body does not say what it left out")
	}
	for _, prefix := range []string{"**Severity:** fatal\n", "**Environment:** ", "**Release:** `", "**Sentry:** ", "### Stack trace", "- **Count:** 1099511627776\n"} {
		if !strings.Contains(body, prefix) {
			t.Errorf("body lacks %q", prefix)
		}
	}
	if !ContainsMarker(body, a.ProblemKey) {
		t.Errorf("ContainsMarker(body, %q) = false, want true", a.ProblemKey)
	}
	if frames := sectionLines(body, "### Stack trace", "- "); len(frames) == 0 || !strings.Contains(frames[0], ":123456789") {
		t.Errorf("the crashing frame with its line number was dropped: %.200q", frames)
	}

	comment := CommentBody(a, p, true)
	checkRendered(t, "comment", comment)
	if len(comment) > 16384 {
		t.Errorf("comment has %d bytes, want a short one (≤ 16384)", len(comment))
	}
}

func FuzzIssueBody(f *testing.F) {
	for _, name := range eventAlertFixtures {
		a := parseFixture(f, name)
		fr, _ := a.CrashFrame()
		var crumb string
		if len(a.Breadcrumbs) > 0 {
			crumb = a.Breadcrumbs[0].Message
		}
		f.Add(a.ExceptionType, a.ExceptionValue, fr.Filename, fr.Function, fr.ContextLine, crumb, a.Release, a.Environment, a.IssueURL, fr.Lineno)
	}
	f.Add("@x", "fixes #1 <!-- booty:problem=k -->", "``` ", "GH-1", "````\n```", "[a](b) ![c](d) <img>", "`", "\r\n", "https://github.com/o/r/issues/1", -1)
	f.Add("\xff\xfe", "a\u202eb", "http://u:p@h/x?y", "", "\x00@a", "-----BEGIN RSA PRIVATE KEY-----", "ghp_0123456789abcdefghij0123456789", "", "", 0)
	f.Fuzz(func(t *testing.T, typ, value, file, fn, ctx, crumb, release, env, url string, lineno int) {
		fr := alert.Frame{Filename: file, AbsPath: url, Module: fn, Function: fn, Lineno: lineno, InApp: true,
			PreContext: []string{ctx, crumb}, ContextLine: ctx, PostContext: []string{value}}
		a := &alert.Alert{
			ProblemKey: "k", EventID: file, Title: value, ExceptionType: typ, ExceptionValue: value, Culprit: fn,
			Platform: env, Environment: env, Release: release, Rule: crumb, EventURL: url, IssueURL: url,
			Frames: []alert.Frame{fr, {AbsPath: url, Function: typ, ContextLine: value}},
			Breadcrumbs: []alert.Breadcrumb{
				{Category: typ, Level: env, Message: crumb}, {Category: fn, Level: "debug", Message: value}, {Data: ctx},
			},
		}
		checkRendered(t, "title", Title(a))
		checkRendered(t, "body", IssueBody(a, alert.Problem{}))
		checkRendered(t, "comment", CommentBody(a, alert.Problem{}, lineno%2 == 0))
		a.Frames = nil
		checkRendered(t, "title", Title(a))
		checkRendered(t, "body", IssueBody(a, alert.Problem{}))
	})
}

func BenchmarkIssueBody(b *testing.B) {
	for _, bc := range []struct {
		name string
		a    *alert.Alert
	}{
		{"vue", vueAlert(b)},
		{"hostile10MB", hostileAlert()},
	} {
		p := goldenProblem(bc.a)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Title(bc.a)
				_ = IssueBody(bc.a, p)
			}
		})
	}
}

// gheRenderer renders for a GitHub Enterprise host, as booty does with
// GITHUB_API_URL=https://ghe.example.com/api/v3/.
var gheRenderer = NewRenderer(RenderOptions{Host: "ghe.example.com"})

// TestUntrustedMarkdownIsInert puts each markdown construct that GitHub
// renders into every untrusted field: it must show as code, never render
// (checkRendered looks at everything outside code).
func TestUntrustedMarkdownIsInert(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text string }{
		{"raw url", "see https://evil.example/login for details"},
		{"www link", "go to www.evil.example now"},
		{"github issue url", "fixes https://github.com/acme/shop/issues/12"},
		{"enterprise issue url", "fixes https://ghe.example.com/acme/shop/issues/12"},
		{"inline math", "costs $x^2$ now"},
		{"display math", "$$\\sum_{i=0}^n i$$"},
		{"bold underscores", "__important__ text"},
		{"strikethrough", "~~gone~~ text"},
		{"emoji", "ship it :rocket: :+1:"},
		{"emphasis", "*very* _much_ **so**"},
		{"mention and reference", "@octocat see #12 and GH-3"},
		{"html and link", "<img src=x onerror=alert(1)> [click](https://evil.example) ![i](https://evil.example/p.png)"},
		{"backticks", "``` fence ` tick `` two"},
		{"heading and quote", "# Title\n> quoted\n---"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := &alert.Alert{
				ProblemKey: "k", EventID: "e", ExceptionType: tt.text, ExceptionValue: tt.text, Environment: tt.text,
				Release: tt.text, Rule: tt.text, Platform: tt.text, Culprit: tt.text, IssueURL: tt.text, EventURL: tt.text,
				Breadcrumbs: []alert.Breadcrumb{{Category: tt.text, Level: tt.text, Message: tt.text}},
				Frames:      []alert.Frame{{Filename: tt.text, Function: tt.text, Lineno: 3, InApp: true, ContextLine: tt.text, PreContext: []string{tt.text}}},
			}
			body := gheRenderer.IssueBody(a, alert.Problem{Count: 1})
			checkRendered(t, "body", body)
			checkRendered(t, "comment", gheRenderer.CommentBody(a, alert.Problem{Count: 1}, true))
			checkRendered(t, "title", gheRenderer.Title(a))
			a.ExceptionType, a.ExceptionValue, a.Title = "", "", tt.text
			checkRendered(t, "body", gheRenderer.IssueBody(a, alert.Problem{Count: 1}))
			// The text is still there for a reader, in code.
			first := strings.Fields(tt.text)[0]
			if !strings.Contains(body, first) {
				t.Errorf("body lost %q:\n%s", first, body)
			}
		})
	}
}

// TestTitleStripsInvisible: zero-width and bidirectional characters from
// the payload never reach a title; the only zero-width spaces in a title
// are booty's own, breaking a mention, a reference or an issue URL.
func TestTitleStripsInvisible(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typ, want string
	}{
		{"zero-width", "Type\u200bError\u200c\u200d\u2060\ufeff\u00ad", "[error] TypeError"},
		{"bidi override", "abc\u202edcba\u202c", "[error] abc dcba"},
		{"bidi isolate and marks", "a\u2066b\u2069c\u200ed\u200fe\u061cf", "[error] a b cdef"},
		{"hidden mention", "@\u200boctocat", "[error] @\u200boctocat"},
		{"enterprise issue url", "https://ghe.example.com/o/r/issues/1", "[error] https://ghe\u200b.example.com/o/r/issues/1"},
		{"github issue url", "https://github.com/o/r/issues/1", "[error] https://github\u200b.com/o/r/issues/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := gheRenderer.Title(&alert.Alert{Level: alert.SeverityError, ExceptionType: tt.typ})
			if got != tt.want {
				t.Errorf("Title(%q) = %q, want %q", tt.typ, got, tt.want)
			}
			checkRendered(t, "title", got)
		})
	}
}

func TestNewRendererHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		want []string
	}{
		{"", []string{"github.com"}},
		{"api.github.com", []string{"github.com"}},
		{"GHE.Example.com", []string{"github.com", "ghe.example.com"}},
		{"ghe.example.com:8443", []string{"github.com", "ghe.example.com"}},
		{"127.0.0.1:4010", []string{"github.com", "127.0.0.1"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, NewRenderer(RenderOptions{Host: tt.host}).hosts); diff != "" {
			t.Errorf("NewRenderer(%q) hosts (-want +got):\n%s", tt.host, diff)
		}
	}
}

// TestSentryLink: the alert's Sentry URL stays a link only when it is a
// plain web URL off GitHub; anything else is shown as code.
func TestSentryLink(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://sentry.io/organizations/o/issues/1/", "https://sentry.io/organizations/o/issues/1/"},
		{"http://sentry.internal:9000/o/issues/2/?project=3", "http://sentry.internal:9000/o/issues/2/?project=3"},
		{"javascript:alert(1)", "`javascript:alert(1)`"},
		{"https://user:pw@sentry.io/x", "`https://[redacted]@sentry.io/x`"},
		{"https://ghe.example.com/o/r/issues/1", "`https://ghe.example.com/o/r/issues/1`"},
		{"https://github.com/o/r/issues/1", "`https://github.com/o/r/issues/1`"},
		{"https://sentry.io/a_b/*x*", "`https://sentry.io/a_b/*x*`"},
		{"https://sentry.io/o/issues/1/#12", "`https://sentry.io/o/issues/1/#12`"},
		{"https://sen&try.io/o/", "`https://sen&try.io/o/`"},
		// Percent-encoded by url.String: a link to sentry.io and nothing else.
		{"https://sentry.io/a) [x](https://evil.example", "https://sentry.io/a%29%20%5Bx%5D%28https://evil.example"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := gheRenderer.sentryLink(tt.in); got != tt.want {
			t.Errorf("sentryLink(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
