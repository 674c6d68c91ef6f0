package githubtest

import "testing"

func TestPathMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"", "/anything", true},
		{"/repos/o/r/issues", "/repos/o/r/issues", true},
		{"/repos/o/r/issues", "/repos/o/r/issues/1/comments", false},
		{"/repos/o/r/issues", "/repos/o/r", false},
		{"/repos/o/r/issues/*/comments", "/repos/o/r/issues/12/comments", true},
		{"/repos/{owner}/{repo}/issues/{number}", "/repos/o/r/issues/3", true},
		{"/repos/o/r/...", "/repos/o/r/labels/a/b", true},
		{"/repos/o/r/...", "/repos/o/r", true},
		{"/repos/o/r/{rest...}", "/repos/o/r/issues", true},
		{"/repos/o/r/.../x", "/repos/o/r/a/x", false},
		{"/repos/o/x/...", "/repos/o/r/issues", false},
	}
	for _, tt := range tests {
		if got := pathMatches(tt.pattern, tt.path); got != tt.want {
			t.Errorf("pathMatches(%q, %q): got %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestMethodMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		want, got string
		ok        bool
	}{
		{"", "GET", true},
		{AnyWrite, "PATCH", true},
		{AnyWrite, "GET", false},
		{"post", "POST", true},
		{"POST", "PATCH", false},
	}
	for _, tt := range tests {
		if got := methodMatches(tt.want, tt.got); got != tt.ok {
			t.Errorf("methodMatches(%q, %q): got %v, want %v", tt.want, tt.got, got, tt.ok)
		}
	}
}
