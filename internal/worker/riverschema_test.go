package worker

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/riverqueue/river"

	"booty/internal/alert"
	"booty/internal/store"
)

// TestRiverSchema runs booty's own SQL on River's table (riverschema.go)
// against the schema River migrates to: it fails if River renames or
// changes what that SQL relies on.
func TestRiverSchema(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "booty.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := NewClient(st, nil, slog.New(slog.DiscardHandler), 0)
	if err != nil {
		t.Fatal(err)
	}
	a := &alert.Alert{ProblemKey: "k", EventID: "e"}
	res, err := c.Insert(t.Context(), NewIssueArgs(a, alert.ActionComment), &river.InsertOpts{MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := raiseMaxAttempts(t.Context(), c.Driver().GetExecutor(), res.Job.ID, 50); err != nil {
		t.Fatalf("raiseMaxAttempts: %v", err)
	}
	j, err := c.JobGet(t.Context(), res.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.MaxAttempts != j.Attempt+50 {
		t.Errorf("max attempts: got %d with attempt %d, want attempt + 50", j.MaxAttempts, j.Attempt)
	}
}
