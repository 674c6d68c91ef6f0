package route

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseCodeMappings: a route's own list replaces the defaults' list,
// an empty list clears it, and a route without one inherits it.
func TestParseCodeMappings(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/codemap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tb := mustParse(t, string(src))
	if len(tb.Warnings) != 0 {
		t.Errorf("warnings:\n%v", tb.Warnings)
	}
	shared := []CodeMapping{{"app/", "services/api/"}, {"/usr/src/app/", "services/api/"}}
	want := map[string][]CodeMapping{
		"web":     {{"webpack:///./src/", "web/src/"}, {"webpack:///./", "web/"}},
		"quiet":   {},
		"default": shared,
	}
	for name, w := range want {
		if diff := cmp.Diff(w, tb.Lookup(name).CodeMappings); diff != "" {
			t.Errorf("route %s code mappings (-want +got):\n%s", name, diff)
		}
	}
}

// TestCodeMappingDefaults: BOOTY_CODE_MAPPINGS, as Defaults.CodeMappings,
// is the default route's, and the last fallback of a file's routes, like
// the other variables routes inherit.
func TestCodeMappingDefaults(t *testing.T) {
	t.Parallel()
	env := []CodeMapping{{"/srv/", ""}}
	d := defaults
	d.CodeMappings = env
	if diff := cmp.Diff(env, Default(d).Routes[0].CodeMappings); diff != "" {
		t.Errorf("default route (-want +got):\n%s", diff)
	}
	tb, err := Parse([]byte("routes:\n  - name: a\n  - name: b\n    code_mappings: [{stack_root: x/}]\n"), d)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(env, tb.Lookup("a").CodeMappings); diff != "" {
		t.Errorf("route a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]CodeMapping{{"x/", ""}}, tb.Lookup("b").CodeMappings); diff != "" {
		t.Errorf("route b (-want +got):\n%s", diff)
	}
}

func TestParseCodeMappingErrors(t *testing.T) {
	t.Parallel()
	route := func(body string) string { return "routes:\n  - name: a\n    code_mappings:\n" + body }
	tests := []struct {
		name, src, want string
	}{
		{"both empty", route(`      - {stack_root: "", source_root: ""}` + "\n"), `routes.yaml:4:9: code mapping: stack_root and source_root are both empty`},
		{"no keys", route("      - {}\n"), `routes.yaml:4:9: code mapping: stack_root and source_root are both empty`},
		{"number", route("      - {stack_root: 5, source_root: x/}\n"), `routes.yaml:4:22: stack_root must be a string, such as "app/" ("" for none), not "5"`},
		{"null", route("      - {stack_root: app/, source_root: }\n"), `routes.yaml:4:41: source_root must be a string, such as "app/" ("" for none), not nothing`},
		{"list", route("      - {stack_root: [a], source_root: x/}\n"), `routes.yaml:4:22: stack_root must be a string, such as "app/" ("" for none), not a list`},
		{"unknown key", route("      - {stack_root: app/, source: x/}\n"), `routes.yaml:4:28: unknown key "source" in a code mapping; known keys: stack_root, source_root`},
		{"typo", route("      - {stack_rot: app/}\n"), `(did you mean "stack_root"?)`},
		{"dotdot stack", route("      - {stack_root: app/../etc/, source_root: x/}\n"), `routes.yaml:4:22: stack_root: "app/../etc/" holds a .. segment`},
		{"dotdot source", route("      - {stack_root: app/, source_root: ../../etc}\n"), `routes.yaml:4:41: source_root: "../../etc" holds a .. segment`},
		{"backslash dotdot", route(`      - {stack_root: 'C:\app\..\', source_root: x/}` + "\n"), `holds a .. segment`},
		{"source url", route("      - {stack_root: app/, source_root: 'https://evil.example/'}\n"), `source_root: "https://evil.example/" is a URL`},
		{"source slash", route("      - {stack_root: app/, source_root: /srv/}\n"), `starts with a slash`},
		{"control", route(`      - {stack_root: "a\tb/", source_root: x/}` + "\n"), `stack_root: the root holds a control character`},
		{"too long", route("      - {stack_root: " + strings.Repeat("a", 300) + "}\n"), `the root is 300 bytes long; the limit is 256`},
		{"twice", route("      - {stack_root: app/}\n      - {stack_root: app/, source_root: x/}\n"), `routes.yaml:5:9: stack_root "app/" is mapped twice (first at line 4)`},
		{"not a list", route("      {stack_root: app/}\n"), `code_mappings must be a list of {stack_root: …, source_root: …}, not a mapping`},
		{"item not a mapping", route("      - app/=x/\n"), `routes.yaml:4:9: a code mapping must be a mapping {stack_root: …, source_root: …}, not "app/=x/"`},
		{"too many", route("      [" + strings.Repeat("{stack_root: a},", 101) + "]\n"), `101 code mappings; a route holds at most 100`},
		{"alias", "defaults:\n  repo: &r acme/x\nroutes:\n  - name: a\n    code_mappings: [{stack_root: *r}]\n", `YAML aliases (*name) are not supported`},
		{"in match", route("      []\n    match: {code_mappings: []}\n"), `code_mappings is a setting of the route, not a matcher`},
		{"in defaults", "defaults:\n  code_mappings: [{source_root: ..}]\nroutes: [{name: a}]\n", `routes.yaml:2:33: source_root: ".." holds a .. segment`},
		{"fine", route("      - {stack_root: '', source_root: web/}\n      - {stack_root: 'webpack:///./src/'}\n"), ""},
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
}

func TestCheckCodeMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    CodeMapping
		want string
	}{
		{CodeMapping{"app/", "services/api/"}, ""},
		{CodeMapping{"", "web/"}, ""},
		{CodeMapping{"/usr/src/app/", ""}, ""},
		{CodeMapping{"webpack:///./src/", "web/src"}, ""},
		{CodeMapping{"", ""}, "both empty"},
		{CodeMapping{"../x", "y"}, `stack_root: "../x" holds a .. segment`},
		{CodeMapping{"x", "a/../../b"}, `source_root: "a/../../b" holds a .. segment`},
		{CodeMapping{"x", "javascript:alert(1)//"}, ""},
		{CodeMapping{"x", "https://evil.example/"}, "is a URL"},
		{CodeMapping{"x\n", "y"}, "control character"},
		{CodeMapping{"\xff", "y"}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		err := CheckCodeMapping(tt.m)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckCodeMapping(%v) = %v, want nil", tt.m, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckCodeMapping(%v) = %v, want an error with %q", tt.m, err, tt.want)
		}
	}
}
