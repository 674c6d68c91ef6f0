package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"booty/internal/fixture"
	"booty/internal/proctest"
	"booty/internal/storetest"
)

// noEnv is an empty environment, so that a variable set on the developer's
// machine cannot change what a test runs.
func noEnv(string) string { return "" }

// booty is the booty binary, built once for the end-to-end run.
var booty = proctest.NewBinary("booty/cmd/booty", "")

// TestMain lets the test binary serve the baseline: the benchmark starts
// the baseline by running its own executable, which in a test is this.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == baselineFlag {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	code := m.Run()
	_ = booty.Remove()
	os.Exit(code)
}

// TestBenchEndToEnd runs every scenario at a tiny size against the real
// booty process: each target gets exactly one PASS or FAIL line, and the
// exit code says whether any failed.
func TestBenchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs booty several times")
	}
	t.Parallel()
	path, err := booty.Path(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	code := run(t.Context(), []string{
		"-store", "sqlite", "-booty", path, "-fixture", filepath.Join(fixture.Dir(), "event_alert.triggered.vue-breadcrumbs-zulip-2023.json"),
		"-n", "300", "-rate", "100", "-rate-for", "1s", "-problems", "8", "-events", "3", "-c", "4",
		"-oversize-mb", "4", "-flood", "2", "-storm", "60", "-storm-every", "1s",
	}, noEnv, &out, &stderr)
	t.Logf("output:\n%s%s", &out, &stderr)
	for _, h := range []string{"== throughput", "== rate", "== many", "== crash", "== memory", "== storm [sqlite]", "== storm-routes [sqlite]",
		"== replicas [sqlite]: skipped",
		"== replicas-kill [sqlite]: skipped", "== targets"} {
		if !strings.Contains(out.String(), h) {
			t.Errorf("no %q section", h)
		}
	}
	pass, fail := strings.Count(out.String(), "\nPASS  "), strings.Count(out.String(), "\nFAIL  ")
	if pass+fail != 17 {
		t.Errorf("%d PASS and %d FAIL lines, want 17 in all", pass, fail)
	}
	switch {
	case code == exitBroken || code == exitUsage:
		t.Fatalf("exit %d: the benchmark could not run", code)
	case (fail > 0) != (code == exitMissed):
		t.Errorf("exit %d with %d FAIL lines", code, fail)
	}
	// Tiny runs must still file one issue per problem, killed or not.
	for _, target := range []string{"8 problems file exactly 8 issues", "still exactly 8 issues", "is in booty's records",
		"exactly 1 issue", "is filed or in its digest, none twice", "lands every problem in its route's repository"} {
		for line := range strings.Lines(out.String()) {
			if strings.Contains(line, target) && !strings.HasPrefix(line, "PASS  ") {
				t.Errorf("target missed: %s", line)
			}
		}
	}
}

// TestBenchPostgres runs the throughput and two-replica scenarios at a tiny
// size on the PostgreSQL server BOOTY_TEST_POSTGRES_URL names. The kill
// variant is left out: the killed replica's jobs wait for River's rescuer,
// a minute or more.
func TestBenchPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs booty several times")
	}
	server := os.Getenv(storetest.EnvPostgresURL)
	if server == "" {
		t.Skip(storetest.EnvPostgresURL + " is not set; .ci/postgres.sh start starts a server")
	}
	t.Parallel()
	path, err := booty.Path(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	code := run(t.Context(), []string{
		"-store", "postgres", "-postgres-url", server, "-only", "throughput,replicas", "-booty", path,
		"-fixture", filepath.Join(fixture.Dir(), "event_alert.triggered.vue-breadcrumbs-zulip-2023.json"),
		"-n", "300", "-problems", "8", "-events", "3", "-c", "4",
	}, noEnv, &out, &stderr)
	t.Logf("output:\n%s%s", &out, &stderr)
	if code == exitBroken || code == exitUsage {
		t.Fatalf("exit %d: the benchmark could not run", code)
	}
	for _, h := range []string{"== throughput [postgres]", "== replicas [postgres]", "== targets"} {
		if !strings.Contains(out.String(), h) {
			t.Errorf("no %q section", h)
		}
	}
	if pass, fail := strings.Count(out.String(), "\nPASS  [postgres] "), strings.Count(out.String(), "\nFAIL  [postgres] "); pass+fail != 7 {
		t.Errorf("%d PASS and %d FAIL lines on postgres, want 7 in all", pass, fail)
	}
	// Whatever the machine's speed, the counts must hold.
	for _, target := range []string{"exactly 1 issue", "8 problems over two replicas file exactly 8 issues",
		"is in booty's records", "every delivery to two replicas answered 2xx"} {
		found := false
		for line := range strings.Lines(out.String()) {
			if strings.Contains(line, target) {
				found = true
				if !strings.HasPrefix(line, "PASS  ") {
					t.Errorf("target missed: %s", line)
				}
			}
		}
		if !found {
			t.Errorf("no target %q", target)
		}
	}
}
