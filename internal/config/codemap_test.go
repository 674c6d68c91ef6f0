package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"booty/internal/route"
)

func TestLoadCodeMappings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value   string
		want    []route.CodeMapping
		wantErr string
	}{
		{"", nil, ""},
		{"app/=services/api/", []route.CodeMapping{{StackRoot: "app/", SourceRoot: "services/api/"}}, ""},
		{" app/ = services/api/ , webpack:///./src/=web/src/,", []route.CodeMapping{
			{StackRoot: "app/", SourceRoot: "services/api/"}, {StackRoot: "webpack:///./src/", SourceRoot: "web/src/"}}, ""},
		{"=web/", []route.CodeMapping{{StackRoot: "", SourceRoot: "web/"}}, ""},
		{"/usr/src/app/=", []route.CodeMapping{{StackRoot: "/usr/src/app/", SourceRoot: ""}}, ""},
		{"app/", nil, `BOOTY_CODE_MAPPINGS: entry 1, "app/", is not STACK_ROOT=SOURCE_ROOT, such as app/=services/api/`},
		{"a/=b/,=", nil, `BOOTY_CODE_MAPPINGS: entry 2, "=": stack_root and source_root are both empty`},
		{"app/=../../etc", nil, `source_root: "../../etc" holds a .. segment`},
		{"app/=https://evil.example/", nil, `source_root: "https://evil.example/" is a URL`},
		{"app/=x/, app/=y/", nil, `BOOTY_CODE_MAPPINGS: entry 2: the stack root "app/" is mapped twice`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(map[string]string{"BOOTY_CODE_MAPPINGS": tt.value}))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tt.want, c.Routes.Routes[0].CodeMappings); diff != "" {
				t.Errorf("default route's code mappings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCodeMappingsWithRoutesFile: the variable is the fallback of the
// file's routes, as the other route defaults are, and the command that
// tests routes reads it too.
func TestCodeMappingsWithRoutesFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "routes.yaml")
	src := "routes:\n  - name: web\n    code_mappings: [{stack_root: src/, source_root: web/src/}]\n  - name: rest\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := env(map[string]string{"BOOTY_ROUTES_FILE": path, "BOOTY_CODE_MAPPINGS": "app/=api/"})
	c, err := Load(getenv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tb, _, err := RouteTable(getenv, "")
	if err != nil {
		t.Fatalf("RouteTable: %v", err)
	}
	for _, table := range []*route.Table{c.Routes, tb} {
		if diff := cmp.Diff([]route.CodeMapping{{StackRoot: "src/", SourceRoot: "web/src/"}}, table.Lookup("web").CodeMappings); diff != "" {
			t.Errorf("web (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]route.CodeMapping{{StackRoot: "app/", SourceRoot: "api/"}}, table.Lookup("rest").CodeMappings); diff != "" {
			t.Errorf("rest (-want +got):\n%s", diff)
		}
	}
}
