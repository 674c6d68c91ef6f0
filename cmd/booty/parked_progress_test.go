package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"booty/internal/githubtest"
)

// TestParkedRetryAllProgress parks two creates and retries them all: the
// count goes to stderr as lines (stderr is no terminal here), the summary
// to stdout.
func TestParkedRetryAllProgress(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.gh.FailNextMatching(http.MethodPost, "/repos/acme/shop/issues", 2, githubtest.Status(422))
	for _, d := range deliveries(t, 2, 1) {
		if got := send(b.url, d); got != http.StatusAccepted {
			t.Fatalf("delivery: %d, want 202", got)
		}
	}
	waitFor(t, 10*time.Second, "two jobs to park", func() bool {
		n, err := b.app.store.ParkedJobs(context.Background())
		return err == nil && n == 2
	})
	env := map[string]string{"BOOTY_DATABASE_URL": b.app.cfg.DatabaseURL}
	code, out, errOut := runBooty(t, env, "parked", "retry", "--all")
	if code != 0 || out != "retrying 2 parked jobs\n" {
		t.Fatalf("parked retry --all: exit %d, stdout %q, stderr:\n%s\nwant 0 and %q", code, out, errOut, "retrying 2 parked jobs\n")
	}
	if !strings.HasSuffix(errOut, "\nbooty: retried 2/2 parked jobs\n") || strings.ContainsAny(errOut, "\x1b\r") {
		t.Errorf("parked retry --all: stderr %q, want plain lines ending with the count 2/2", errOut)
	}
	waitFor(t, 10*time.Second, "the two retried issues", func() bool { return len(b.gh.Issues()) == 2 })
}
