package github

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	"booty/internal/route"
)

// codeLinkRE is the only shape of link booty writes to the code: a commit,
// or a file at a commit with an optional line, in a repository of
// github.com or of the test's enterprise host, each path segment made of
// unreserved characters and percent escapes.
var codeLinkRE = regexp.MustCompile(`^https://(github\.com|ghe\.example\.com)/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/` +
	`(commit/[0-9a-f]{7,40}|blob/[0-9a-f]{7,40}(/[A-Za-z0-9._%-]+)+(#L[0-9]+)?)$`)

// stripCodeLinks returns s with each of booty's links to the code,
// "[`code span`](URL)" outside code, replaced by its code span, after
// checking that its URL has codeLinkRE's shape and no "." or ".." segment.
// Code spans and fenced blocks are left as they are: what untrusted text
// holds there renders as text. Any other link is left for checkRendered to
// find.
func stripCodeLinks(tb testing.TB, s string) string {
	tb.Helper()
	var out strings.Builder
	fence := ""
	for line := range strings.Lines(s) {
		trimmed := strings.TrimRight(strings.TrimLeft(line, " "), " \r\n")
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, "`") == "" {
				fence = ""
			}
			out.WriteString(line)
			continue
		case strings.HasPrefix(trimmed, "```"):
			fence = strings.Repeat("`", len(trimmed)-len(strings.TrimLeft(trimmed, "`")))
			out.WriteString(line)
			continue
		}
		for i := 0; i < len(line); {
			switch {
			case line[i] == '\\':
				end := min(i+2, len(line))
				out.WriteString(line[i:end])
				i = end
			case line[i] == '`':
				// A code span, copied whole.
				n := runLen(line, i)
				end := i + n
				if j := closingRun(line, end, n); j >= 0 {
					end = j + n
				}
				out.WriteString(line[i:end])
				i = end
			case line[i] == '[' && i+1 < len(line) && line[i+1] == '`':
				n := runLen(line, i+1)
				j := closingRun(line, i+1+n, n)
				if j < 0 || !strings.HasPrefix(line[j+n:], "](") {
					out.WriteByte(line[i])
					i++
					continue
				}
				rest := line[j+n+2:]
				k := strings.IndexByte(rest, ')')
				if k < 0 {
					out.WriteByte(line[i])
					i++
					continue
				}
				u := rest[:k]
				if !codeLinkRE.MatchString(u) || strings.Contains(u+"/", "/../") || strings.Contains(u+"/", "/./") {
					tb.Errorf("link %q is not one of booty's links to the code", u)
				}
				out.WriteString(line[i+1 : j+n])
				i = j + n + 2 + k + 1
			default:
				out.WriteByte(line[i])
				i++
			}
		}
	}
	return out.String()
}

func TestReleaseCommit(t *testing.T) {
	t.Parallel()
	full := "3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c1e3b5d7f9a"
	tests := []struct {
		release, want string
	}{
		{full, full},
		{strings.ToUpper(full), full},
		{"  " + full + "\n", full},
		{"frontend@" + full, full},
		{"@scope/app@9f2c1e7", "9f2c1e7"},
		{"9f2c1e7a5b", "9f2c1e7a5b"},
		{"deadbeef", "deadbeef"},
		{"1234567890123456789012345678901234567890", "1234567890123456789012345678901234567890"},
		// Not a commit.
		{"", ""},
		{"9f2c1e", ""},                            // 6: too short
		{"20240102", ""},                          // a number: no letter
		{"1234567", ""},                           // a build number
		{full + "0", ""},                          // 41
		{"v1.2.3", ""},                            // a version
		{"frontend@1.2.3", ""},                    // name@version
		{"frontend@", ""},                         // nothing after the @
		{"9f2c1e7-dirty", ""},                     // not only hex
		{"9f2c1e7@frontend", ""},                  // the SHA is not last
		{"g9f2c1e7", ""},                          // not hex
		{"9f2c1e7 ", "9f2c1e7"},                   // trailing space trimmed
		{"app@" + full + "@x", ""},                // last @ wins
		{"３f2a9c1e", ""},                          // full-width digit
		{"javascript:alert(1)//deadbeef", ""},     // a URL
		{"9f2c1e7a5b)](https://evil.example", ""}, // a link
	}
	for _, tt := range tests {
		got, ok := ReleaseCommit(tt.release)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ReleaseCommit(%q) = %q, %v, want %q, %v", tt.release, got, ok, tt.want, tt.want != "")
		}
	}
}

func TestMapFrame(t *testing.T) {
	t.Parallel()
	mappings := []route.CodeMapping{
		{StackRoot: "app/", SourceRoot: "services/api/"},
		{StackRoot: "app/billing/", SourceRoot: "services/billing/"},
		{StackRoot: "/usr/src/app/", SourceRoot: "services/api/"},
		{StackRoot: "webpack:///./src/", SourceRoot: "web/src/"},
		{StackRoot: "http://localhost:5173/", SourceRoot: "web/"},
		{StackRoot: "lib", SourceRoot: "vendor/lib"},
		{StackRoot: `C:\build\`, SourceRoot: "win/"},
		{StackRoot: "/strip/", SourceRoot: ""},
	}
	tests := []struct {
		name string
		f    alert.Frame
		want string // "" when the frame is not mapped
	}{
		{"prefix", alert.Frame{Filename: "app/views.py"}, "services/api/views.py"},
		{"longest prefix wins", alert.Frame{Filename: "app/billing/charge.py"}, "services/billing/charge.py"},
		{"abs_path", alert.Frame{Filename: "views.py", AbsPath: "/usr/src/app/views.py"}, "services/api/views.py"},
		{"longer root on abs_path wins", alert.Frame{Filename: "app/x.py", AbsPath: "/usr/src/app/y.py"}, "services/api/y.py"},
		{"webpack", alert.Frame{Filename: "./src/App.vue", AbsPath: "webpack:///./src/App.vue?a1b2"}, "web/src/App.vue"},
		{"URL query and fragment cut", alert.Frame{AbsPath: "http://localhost:5173/src/main.ts?v=530d9f5f#x"}, "web/src/main.ts"},
		{"segment boundary without slash", alert.Frame{Filename: "lib/util.js"}, "vendor/lib/util.js"},
		{"not a segment boundary", alert.Frame{Filename: "library/util.js"}, ""},
		{"root alone is no file", alert.Frame{Filename: "app/"}, ""},
		{"windows path", alert.Frame{AbsPath: `C:\build\src\Program.cs`}, "win/src/Program.cs"},
		{"empty source root", alert.Frame{Filename: "/strip/pkg/a.go"}, "pkg/a.go"},
		{"dot segments and doubled slashes go", alert.Frame{Filename: "app/./x//y.py"}, "services/api/x/y.py"},
		{"no match", alert.Frame{Filename: "other/x.py", AbsPath: "/opt/x.py"}, ""},
		{"no path", alert.Frame{Module: "app.views"}, ""},
		// Hostile paths.
		{"dotdot", alert.Frame{Filename: "app/../../etc/passwd"}, ""},
		{"dotdot backslash", alert.Frame{Filename: `app/..\..\etc`}, ""},
		{"dotdot at the end", alert.Frame{Filename: "app/x/.."}, ""},
		{"encoded dotdot stays a name", alert.Frame{Filename: "app/%2e%2e/x"}, "services/api/%2e%2e/x"},
		{"scheme starting the rest", alert.Frame{Filename: "app/javascript:alert(1)"}, ""},
		{"colon further on is a name", alert.Frame{Filename: "app/x/javascript:alert(1)"}, "services/api/x/javascript:alert(1)"},
		{"URL in the rest", alert.Frame{Filename: "app/https://evil.example/x"}, ""},
		{"brackets and parentheses", alert.Frame{Filename: "app/pages/[id]/(group)/page.tsx"}, "services/api/pages/[id]/(group)/page.tsx"},
		{"markdown link", alert.Frame{Filename: "app/a](https://evil.example)"}, ""},
		{"one space", alert.Frame{Filename: "app/my file.py"}, "services/api/my file.py"},
		{"two spaces", alert.Frame{Filename: "app/my  file.py"}, ""},
		{"newline", alert.Frame{Filename: "app/a\nb.py"}, ""},
		{"zero-width", alert.Frame{Filename: "app/a\u200bb.py"}, ""},
		{"bidi", alert.Frame{Filename: "app/a\u202eb.py"}, ""},
		{"unicode", alert.Frame{Filename: "app/données/é.py"}, "services/api/données/é.py"},
		{"invalid UTF-8", alert.Frame{Filename: "app/\xff.py"}, ""},
		{"comment opener", alert.Frame{Filename: "app/<!--x.py"}, ""},
		{"secret", alert.Frame{Filename: "app/ghp_0123456789abcdefghijABCDEFGHIJ012345.py"}, ""},
		{"too long", alert.Frame{Filename: "app/" + strings.Repeat("a/", 200) + "x.py"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := MapFrame(mappings, tt.f)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("MapFrame(%+v) = %q, %v, want %q", tt.f, got, ok, tt.want)
			}
		})
	}

	// An empty stack root maps every path, but never a frame's own scheme.
	all := []route.CodeMapping{{StackRoot: "", SourceRoot: "web/"}}
	for _, tt := range []struct{ in, want string }{
		{"src/a.js", "web/src/a.js"},
		{"/src/a.js", "web/src/a.js"},
		{"javascript:alert(1)", ""},
		{"https://evil.example/a.js", ""},
		{"data:text/html,x", ""},
		{"../../etc/passwd", ""},
	} {
		if got, _ := MapFrame(all, alert.Frame{Filename: tt.in}); got != tt.want {
			t.Errorf("MapFrame(%q) with an empty stack root = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBlobURL(t *testing.T) {
	t.Parallel()
	c := codeLinks{repoURL: "https://github.com/acme/shop", commit: "9f2c1e7"}
	tests := []struct {
		path   string
		lineno int
		want   string
	}{
		{"services/api/views.py", 40, "https://github.com/acme/shop/blob/9f2c1e7/services/api/views.py#L40"},
		{"a.py", 0, "https://github.com/acme/shop/blob/9f2c1e7/a.py"},
		{"pages/[id]/(group)/page.tsx", 3, "https://github.com/acme/shop/blob/9f2c1e7/pages/%5Bid%5D/%28group%29/page.tsx#L3"},
		{"my file.py", 1, "https://github.com/acme/shop/blob/9f2c1e7/my%20file.py#L1"},
		{"données/é.py", 1, "https://github.com/acme/shop/blob/9f2c1e7/donn%C3%A9es/%C3%A9.py#L1"},
		{"javascript:alert(1)", 1, "https://github.com/acme/shop/blob/9f2c1e7/javascript%3Aalert%281%29#L1"},
		{"a?b#c@d~e`f", 1, "https://github.com/acme/shop/blob/9f2c1e7/a%3Fb%23c%40d%7Ee%60f#L1"},
		{"%2e%2e/x_y-z.1", 1, "https://github.com/acme/shop/blob/9f2c1e7/%252e%252e/x_y-z.1#L1"},
	}
	for _, tt := range tests {
		got, ok := c.blobURL(tt.path, tt.lineno)
		if !ok || got != tt.want {
			t.Errorf("blobURL(%q, %d) = %q, %v, want %q", tt.path, tt.lineno, got, ok, tt.want)
		}
		if !codeLinkRE.MatchString(got) {
			t.Errorf("blobURL(%q) = %q does not have the shape of a code link", tt.path, got)
		}
	}
	if got, ok := c.blobURL(strings.Repeat("é/", 300)+"x", 1); ok {
		t.Errorf("blobURL of a 2 KB path = %q, want none", got)
	}
	if got, ok := (codeLinks{repoURL: c.repoURL}).blobURL("a.py", 1); ok {
		t.Errorf("blobURL without a commit = %q, want none", got)
	}
}

func TestWebURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ host, want string }{
		{"", "https://github.com"},
		{"api.github.com", "https://github.com"},
		{"GitHub.com", "https://github.com"},
		{"ghe.example.com", "https://ghe.example.com"},
		{"api.acme.ghe.com", "https://acme.ghe.com"},
		{"ghe.example.com:8443", "https://ghe.example.com:8443"},
		{"127.0.0.1:4010", "https://127.0.0.1:4010"},
		{"evil.example/x", ""},
		{"a b", ""},
		{"user@host", ""},
	} {
		if got := webURL(tt.host); got != tt.want {
			t.Errorf("webURL(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

// codeMapRoutes is a routes file whose routes map the frames of the shared
// fixtures: the Vue capture's abs_path by the longer root (its filename
// matches "/" too), and the jsbin frames, which are no in-app frames and
// so stay as they are.
const codeMapRoutes = `
routes:
  - name: vue
    match: {project: "*vue*"}
    repo: acme/zulip-web
    code_mappings:
      - {stack_root: "/", source_root: "frontend/"}
      - {stack_root: "http://localhost:5173/", source_root: "web/"}
  - name: default
    code_mappings:
      - {stack_root: "/js/", source_root: "static/js/"}
`

func codeMapTable(tb testing.TB) *route.Table {
	tb.Helper()
	t, err := route.Parse([]byte(codeMapRoutes), route.Defaults{Repo: route.Repo{Owner: "acme", Name: "shop"}, TriggerLabel: "agent:builder"})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// TestGoldenCodeMap renders the shared fixtures on a route with code
// mappings and with a release that names a commit: the Vue capture's
// frames in its route's repository on github.com, the jsbin event (no
// in-app frame) in the default repository of an enterprise host.
func TestGoldenCodeMap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture, golden string
		host, route     string
		release         string
	}{
		{"event_alert.triggered.vue-breadcrumbs-zulip-2023.json", "event_alert.vue-breadcrumbs-zulip-2023.codemap.body.golden",
			"api.github.com", "vue", "zulip-web@3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c1e3b5d7f9a"},
		{"event_alert.triggered.json", "event_alert.codemap.body.golden",
			"ghe.example.com", "default", "9f2c1e7a5b"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			routes := codeMapTable(t)
			r := NewRenderer(RenderOptions{Host: tt.host, Repo: "acme/shop", Routes: routes})
			a := parseFixture(t, tt.fixture)
			a.Release = tt.release
			p := goldenProblem(a)
			p.Route = tt.route
			p.Repo = routes.Lookup(tt.route).Repo.String()
			body := r.IssueBody(a, p)
			compareGolden(t, filepath.Join("testdata", tt.golden), body)
			checkRendered(t, "body", body)
			checkRendered(t, "comment", r.CommentBody(a, p, true))
		})
	}
}

// TestCodeLinks checks the release line and the frame lines of a body for
// each way booty knows, or does not know, the repository, the commit and
// the mapping.
func TestCodeLinks(t *testing.T) {
	t.Parallel()
	const sha = "9f2c1e7a5b"
	frames := []alert.Frame{
		{Filename: "lib/site.py", Function: "run", Lineno: 3},
		{Filename: "views.py", AbsPath: "/usr/src/app/views.py", Function: "index", Lineno: 40, InApp: true},
		{Filename: "app/pages/[id] (x).py", Function: "show", Lineno: 7, InApp: true},
		{Filename: "app/../../etc/passwd", Function: "evil", Lineno: 1, InApp: true},
		{Filename: "other/x.py", Function: "other", InApp: true},
	}
	table, err := route.Parse([]byte(`
routes:
  - name: api
    repo: acme/api
    code_mappings:
      - {stack_root: "/usr/src/app/", source_root: "services/api/"}
      - {stack_root: "app/", source_root: "services/api/"}
`), route.Defaults{Repo: route.Repo{Owner: "acme", Name: "shop"}})
	if err != nil {
		t.Fatal(err)
	}
	mapped := []string{
		"- `other/x.py` in `other` — crashing frame",
		"- `app/../../etc/passwd:1` in `evil`",
		"- [`services/api/pages/[id] (x).py:7`](https://github.com/acme/api/blob/" + sha + "/services/api/pages/%5Bid%5D%20%28x%29.py#L7) in `show`",
		"- [`services/api/views.py:40`](https://github.com/acme/api/blob/" + sha + "/services/api/views.py#L40) in `index`",
	}
	unlinked := []string{
		"- `other/x.py` in `other` — crashing frame",
		"- `app/../../etc/passwd:1` in `evil`",
		"- `services/api/pages/[id] (x).py:7` in `show`",
		"- `services/api/views.py:40` in `index`",
	}
	asToday := []string{
		"- `other/x.py` in `other` — crashing frame",
		"- `app/../../etc/passwd:1` in `evil`",
		"- `app/pages/[id] (x).py:7` in `show`",
		"- `views.py:40` in `index`",
	}
	tests := []struct {
		name       string
		opts       RenderOptions
		p          alert.Problem
		release    string
		wantRel    string
		wantFrames []string
	}{
		{"mapped and linked", RenderOptions{Routes: table}, alert.Problem{Route: "api", Repo: "acme/api"}, sha,
			"**Release:** [`" + sha + "`](https://github.com/acme/api/commit/" + sha + ")\n", mapped},
		{"release is no commit: mapped, not linked", RenderOptions{Routes: table}, alert.Problem{Route: "api", Repo: "acme/api"}, "1.2.3",
			"**Release:** `1.2.3`\n", unlinked},
		{"no release", RenderOptions{Routes: table}, alert.Problem{Route: "api", Repo: "acme/api"}, "",
			"**Release:** unknown\n", unlinked},
		{"the default repository", RenderOptions{Repo: "acme/shop", Routes: table}, alert.Problem{Route: "api"}, "app@" + sha,
			"**Release:** [`app@" + sha + "`](https://github.com/acme/shop/commit/" + sha + ")\n", nil},
		{"no repository known: nothing linked", RenderOptions{Routes: table}, alert.Problem{Route: "api"}, sha,
			"**Release:** `" + sha + "`\n", unlinked},
		{"a repository that is not OWNER/NAME", RenderOptions{Routes: table}, alert.Problem{Route: "api", Repo: "acme/api/../x"}, sha,
			"**Release:** `" + sha + "`\n", unlinked},
		{"a route gone from the file: not mapped", RenderOptions{Routes: table}, alert.Problem{Route: "gone", Repo: "acme/api"}, sha,
			"**Release:** [`" + sha + "`](https://github.com/acme/api/commit/" + sha + ")\n", asToday},
		{"no routes", RenderOptions{Repo: "acme/shop"}, alert.Problem{}, sha,
			"**Release:** [`" + sha + "`](https://github.com/acme/shop/commit/" + sha + ")\n", asToday},
		{"enterprise host", RenderOptions{Host: "ghe.example.com", Routes: table}, alert.Problem{Route: "api", Repo: "acme/api"}, sha,
			"**Release:** [`" + sha + "`](https://ghe.example.com/acme/api/commit/" + sha + ")\n", nil},
		{"a host that is no host name: nothing linked", RenderOptions{Host: "evil.example/x?", Routes: table}, alert.Problem{Route: "api", Repo: "acme/api"}, sha,
			"**Release:** `" + sha + "`\n", unlinked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := &alert.Alert{ProblemKey: "k", Release: tt.release, Frames: frames}
			r := NewRenderer(tt.opts)
			body := r.IssueBody(a, tt.p)
			checkRendered(t, "body", body)
			checkRendered(t, "comment", r.CommentBody(a, tt.p, false))
			if !strings.Contains(body, tt.wantRel) {
				t.Errorf("body lacks %q:\n%s", tt.wantRel, body)
			}
			if tt.wantFrames == nil {
				return
			}
			if diff := cmp.Diff(tt.wantFrames, sectionLines(body, "### Stack trace", "- ")); diff != "" {
				t.Errorf("frames (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCodeLinksLegacyProblem: a problem stored before routes names no
// route; without a routes file it takes the one route booty builds, with
// BOOTY_CODE_MAPPINGS.
func TestCodeLinksLegacyProblem(t *testing.T) {
	t.Parallel()
	mappings := []route.CodeMapping{{StackRoot: "app/", SourceRoot: "api/"}}
	a := &alert.Alert{ProblemKey: "k", Release: "deadbeef", Frames: []alert.Frame{{Filename: "app/a.py", Lineno: 2, InApp: true}}}
	tests := []struct {
		name   string
		routes *route.Table
		want   string
	}{
		{"default table", route.Default(route.Defaults{CodeMappings: mappings}),
			"- [`api/a.py:2`](https://github.com/acme/shop/blob/deadbeef/api/a.py#L2) — crashing frame"},
		{"routes file", codeMapTable(t), "- `app/a.py:2` — crashing frame"},
	}
	for _, tt := range tests {
		body := NewRenderer(RenderOptions{Repo: "acme/shop", Routes: tt.routes}).IssueBody(a, alert.Problem{})
		checkRendered(t, "body", body)
		if got := sectionLines(body, "### Stack trace", "- "); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: frames %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestCodeLinksChecked: stripCodeLinks, which lets booty's links to the
// code through checkRendered, lets nothing else through.
func TestCodeLinksChecked(t *testing.T) {
	t.Parallel()
	for _, link := range []string{
		"[`a`](https://evil.example/acme/shop/commit/deadbeef)",
		"[`a`](https://github.com/acme/shop/issues/1)",
		"[`a`](https://github.com/acme/shop/blob/deadbeef/../x)",
		"[`a`](https://github.com/acme/shop/blob/deadbeef/a(b)",
		"[`a`](javascript:alert(1))",
	} {
		rec := &recorder{TB: t}
		stripCodeLinks(rec, "x "+link+" y\n")
		if !rec.failed {
			t.Errorf("stripCodeLinks let %q through", link)
		}
	}
	// In code, the same text is only text.
	for _, in := range []string{
		"``x [`a`](https://evil.example) y``\n",
		"  ```\n  > 1 | [`a`](https://evil.example)\n  ```\n",
	} {
		rec := &recorder{TB: t}
		if got := stripCodeLinks(rec, in); rec.failed || got != in {
			t.Errorf("stripCodeLinks(%q) = %q, failed %v; want it unchanged", in, got, rec.failed)
		}
	}
}

// recorder is a testing.TB that records a failure instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}

// FuzzCodeLinks renders frames whose paths are arbitrary on routes whose
// code mappings match every path: whatever the frame and the release
// hold, the body renders nothing outside code but booty's links to the
// code, each of the one shape checkRendered lets through.
func FuzzCodeLinks(f *testing.F) {
	for _, name := range eventAlertFixtures {
		for _, fr := range parseFixture(f, name).Frames {
			f.Add(fr.Filename, fr.AbsPath, "frontend@3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c1e3b5d7f9a", fr.Lineno)
		}
	}
	for _, s := range []string{
		"app/../../etc/passwd", "javascript:alert(1)", "app/a](https://evil.example) [x](y)", "app/[id]/(g)/p a.tsx",
		"app/données/é.py", "app/``` `", "app/@octocat #1 GH-2 ~~x~~ _y_ *z*", "app\\..\\x", "webpack:///./src/a.vue?x#y",
		"app/<!-- booty:problem=k -->", "app/\u202ex\u200b", "app/\xff", "//evil.example/x", "app/%2e%2e/x",
	} {
		f.Add(s, "webpack:///./"+s, "deadbeef", 12)
	}
	routes, err := route.Parse([]byte(`
routes:
  - name: all
    code_mappings:
      - {stack_root: "", source_root: "web/"}
      - {stack_root: "app/", source_root: "services/api/"}
      - {stack_root: "webpack:///./", source_root: ""}
`), route.Defaults{Repo: route.Repo{Owner: "acme", Name: "shop"}})
	if err != nil {
		f.Fatal(err)
	}
	renderers := []*Renderer{
		NewRenderer(RenderOptions{Routes: routes}),
		NewRenderer(RenderOptions{Host: "ghe.example.com", Routes: routes}),
	}
	f.Fuzz(func(t *testing.T, filename, absPath, release string, lineno int) {
		a := &alert.Alert{ProblemKey: "k", Release: release, Frames: []alert.Frame{
			{Filename: filename, AbsPath: absPath, Lineno: lineno, InApp: true, Function: "f"},
			{AbsPath: filename, Lineno: lineno, InApp: true},
		}}
		p := alert.Problem{Route: "all", Repo: "acme/shop"}
		for _, r := range renderers {
			checkRendered(t, "body", r.IssueBody(a, p))
			checkRendered(t, "comment", r.CommentBody(a, p, false))
		}
	})
}

// TestIssueBodyCodeLinksCapped: links to the longest paths booty maps, in
// every frame, still leave the body under GitHub's limit.
func TestIssueBodyCodeLinksCapped(t *testing.T) {
	t.Parallel()
	a := hostileAlert()
	a.Release = "3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c1e3b5d7f9a"
	for i := range a.Frames {
		a.Frames[i].Filename = "app/" + strings.Repeat("日本/", 95) + "x.js"
	}
	tb, err := route.Parse([]byte("routes: [{name: a, code_mappings: [{stack_root: app/, source_root: web/}]}]"),
		route.Defaults{Repo: route.Repo{Owner: "acme", Name: "shop"}})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRenderer(RenderOptions{Routes: tb})
	p := alert.Problem{Key: a.ProblemKey, Route: "a", Repo: "acme/shop", Count: 1}
	body := r.IssueBody(a, p)
	checkRendered(t, "body", body)
	if !strings.Contains(body, "](https://github.com/acme/shop/blob/") {
		t.Errorf("body links no frame: the test no longer exercises long links")
	}
	comment := r.CommentBody(a, p, true)
	checkRendered(t, "comment", comment)
	if len(comment) > 16384 {
		t.Errorf("comment has %d bytes, want ≤ 16384", len(comment))
	}
}
