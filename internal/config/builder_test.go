package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadBuilder reads command mode's variables, their defaults, and
// refuses bad values with the variable's name.
func TestLoadBuilder(t *testing.T) {
	t.Parallel()
	command := map[string]string{"BOOTY_BUILDER": "command", "BOOTY_BUILDER_COMMAND": `["claude", "-p"]`}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range command {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		attempts int
		public   string
		bad      []string
	}{
		{name: "defaults", env: with(), attempts: 2},
		{name: "set", env: with("BOOTY_BUILDER_MAX_ATTEMPTS", "3", "BOOTY_PUBLIC_URL", "https://booty.example.com/"), attempts: 3, public: "https://booty.example.com"},
		{name: "zero attempts", env: with("BOOTY_BUILDER_MAX_ATTEMPTS", "0"), bad: []string{"BOOTY_BUILDER_MAX_ATTEMPTS"}},
		{name: "public URL without scheme", env: with("BOOTY_PUBLIC_URL", "booty.example.com"), bad: []string{"BOOTY_PUBLIC_URL"}},
		{name: "public URL of another scheme", env: with("BOOTY_PUBLIC_URL", "ftp://booty.example.com"), bad: []string{"BOOTY_PUBLIC_URL"}},
		{name: "test command not JSON", env: with("BOOTY_TEST_COMMAND", "go test ./..."), bad: []string{"BOOTY_TEST_COMMAND"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(tc.env))
			if tc.bad != nil {
				if diff := cmp.Diff(tc.bad, problemVars(t, err)); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Builder == nil || c.Builder.MaxAttempts != tc.attempts || c.Builder.PublicURL != tc.public {
				t.Errorf("builder %+v, want %d attempts and public URL %q", c.Builder, tc.attempts, tc.public)
			}
		})
	}
}
