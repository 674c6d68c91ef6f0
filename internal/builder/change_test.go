package builder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoWith returns a git working tree with files committed.
func repoWith(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, files)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"},
		{"-c", "user.name=booty", "-c", "user.email=booty@example.invalid", "commit", "-q", "-m", "base"}} {
		if _, err := git(t.Context(), dir, args...); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if body == "" {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadAndCheck(t *testing.T) {
	t.Parallel()
	base := map[string]string{"src/app.go": "a\nb\nc\n", "README.md": "hi\n", ".github/workflows/ci.yml": "on: push\n"}
	limits := Limits{MaxFiles: 2, MaxLines: 5, Protected: DefaultProtected}
	tests := []struct {
		name    string
		edit    map[string]string
		files   int
		lines   int
		violate string
	}{
		{"a fix", map[string]string{"src/app.go": "a\nB\nc\n"}, 1, 2, ""},
		{"a new test file", map[string]string{"src/app_test.go": "t\n"}, 1, 1, ""},
		{"nothing", map[string]string{}, 0, 0, "it changes nothing"},
		{"too many files", map[string]string{"a": "1\n", "b": "1\n", "c": "1\n"}, 3, 3, "3 files changed, at most 2"},
		{"too many lines", map[string]string{"src/app.go": "1\n2\n3\n4\n5\n6\n"}, 1, 9, "9 lines changed, at most 5"},
		{"a workflow", map[string]string{".github/workflows/ci.yml": "on: pull_request_target\n"}, 1, 2, ".github/workflows/ci.yml is protected"},
		{"a deleted file", map[string]string{"README.md": ""}, 1, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := repoWith(t, base)
			write(t, dir, tt.edit)
			c, err := Read(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Files) != tt.files || c.Lines() != tt.lines {
				t.Errorf("change %+v: want %d files, %d lines", c, tt.files, tt.lines)
			}
			err = Check(c, limits)
			switch {
			case tt.violate == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tt.violate != "" && (!errors.Is(err, ErrViolation) || !strings.Contains(err.Error(), tt.violate)):
				t.Errorf("Check: %v, want a violation saying %q", err, tt.violate)
			}
		})
	}
}
