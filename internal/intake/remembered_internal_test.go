package intake

import (
	"strings"
	"testing"
)

// TestRemembered checks that each distinct string is redacted once, and
// that every answer is the redactor's.
func TestRemembered(t *testing.T) {
	t.Parallel()
	asked := map[string]int{}
	f := remembered(func(s string) string {
		asked[s]++
		return strings.ToUpper(s)
	})
	for _, c := range []struct{ in, want string }{
		{"frame.js", "FRAME.JS"}, {"token=x", "TOKEN=X"}, {"frame.js", "FRAME.JS"}, {"", ""}, {"", ""}, {"token=x", "TOKEN=X"},
	} {
		if got := f(c.in); got != c.want {
			t.Errorf("redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for s, n := range asked {
		if n != 1 {
			t.Errorf("the redactor was asked %d times for %q, want once", n, s)
		}
	}
	if len(asked) != 3 {
		t.Errorf("the redactor was asked for %d strings, want 3", len(asked))
	}
}
