package route

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"booty/internal/alert"
)

// FuzzParse feeds Parse arbitrary files: it parses operator input, so it
// must never panic, must report a bounded list of errors that each name
// the file, and must return a table that Match can use on any alert.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "routes:", "routes: []", "routes: [{name: a}]", "---\n---\n", "routes: *a", "a: &a [*a]",
		"routes: [{name: a, labels: ['{{', '{{}}', '{{level}}{{project}}']}]",
		"routes: [{name: a, match: {level: '..', frame: '/', tags: {'': x}}}]",
		"routes: [{name: a, budget: {issues: 0x10, per: 1h}, cooldown: -1s, min_events: 99999999999999999999}]",
		"routes:\n  - name: a\n    match: {org: '{a,{b,c}}', project: '[!a-z]*', environment: '\\\\'}\n",
		"routes: [{name: a, code_mappings: [{stack_root: '../x'}, {source_root: 0x1}, {stack_root: ''}, [a], {a: b}, ~]}]",
		"defaults: {code_mappings: [{stack_root: 'app/', source_root: 'javascript:'}]}\nroutes: [{name: a, code_mappings: }]",
		"\xff\xfe r\x00o", "{", "[", "!!binary routes", "? [a]\n: b",
	} {
		f.Add([]byte(s))
	}
	alerts := []*alert.Alert{
		shopAlert(),
		{},
		{Environment: "staging", Level: alert.SeverityDebug, Frames: []alert.Frame{{Filename: "://"}}, Tags: []alert.Tag{{}}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := Parse(data, Defaults{File: "f.yaml", Repo: Repo{Owner: "acme", Name: "shop"}, TriggerLabel: "agent:builder"})
		if err != nil {
			if tb != nil {
				t.Fatalf("Parse returned a table with error %v", err)
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Parse error %v (%T), want a non-empty Errors", err, err)
			}
			if len(es) > maxErrors+1 {
				t.Fatalf("%d errors, want at most %d", len(es), maxErrors+1)
			}
			for _, e := range es {
				if !strings.HasPrefix(e.Error(), "f.yaml") || len(e.Error()) > 2048 || !utf8.ValidString(e.Error()) {
					t.Fatalf("error %q: want valid UTF-8 of at most 2 KiB naming the file", e.Error())
				}
			}
			return
		}
		if tb == nil || len(tb.Routes) == 0 || len(tb.Routes) > maxRoutes {
			t.Fatalf("Parse returned %v without an error", tb)
		}
		for _, r := range tb.Routes {
			if len(r.CodeMappings) > maxCodeMappings {
				t.Fatalf("route %s has %d code mappings", r, len(r.CodeMappings))
			}
			for _, m := range r.CodeMappings {
				if err := CheckCodeMapping(m); err != nil {
					t.Fatalf("route %s took the code mapping %q: %v", r, m, err)
				}
			}
		}
		for _, a := range alerts {
			v := tb.Match(a)
			if len(v.Skipped) > len(tb.Routes) {
				t.Fatalf("%d skipped of %d routes", len(v.Skipped), len(tb.Routes))
			}
			for _, l := range v.Labels {
				if l == "" || utf8.RuneCountInString(l) > maxLabel || strings.ContainsAny(l, ",\n\r\x00") {
					t.Fatalf("label %q", l)
				}
			}
			if v.Matched() && !v.Dropped() && v.Route.Repo == (Repo{}) {
				t.Fatalf("route %s has no repo", v.Route)
			}
		}
	})
}
