package worker_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/github"
)

// syncBuffer is a bytes.Buffer safe for the worker's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// records returns the JSON log records with message msg.
func (s *syncBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	b := setup(t, setupOpts{cooldown: 0, issues: github.NewDryRun(slog.New(slog.NewJSONHandler(logs, nil)))})
	key := "sentry:4900"
	a := newAlert(key, "ev1")
	b.accept(t, a)

	// A dry run still records the issue it would have filed, so the next
	// alert of the problem is a comment, as it would be for real.
	waitFor(t, waitLong, "dry run issue number", func() (bool, string) {
		p, err := b.st.Problem(t.Context(), key)
		return err == nil && p.IssueNumber == 1, "problem not filed"
	})
	p, err := b.st.Problem(t.Context(), key)
	if err != nil {
		t.Fatalf("Problem: %v", err)
	}
	p.IssueNumber = 0 // as the job saw it
	created := logs.records(t, "dry run: would create issue")
	if len(created) != 1 {
		t.Fatalf("got %d create records, want 1", len(created))
	}
	want := map[string]any{
		"title":  github.Title(a),
		"body":   github.IssueBody(a, p),
		"labels": []any{label},
		"number": float64(1),
	}
	got := map[string]any{}
	for k := range want {
		got[k] = created[0][k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create record (-want +got):\n%s", diff)
	}
	if n := len(logs.records(t, "dry run: would ensure label")); n != 1 {
		t.Errorf("got %d label records, want 1", n)
	}

	d, id := b.accept(t, newAlert(key, "ev2"))
	if d.Action != alert.ActionComment {
		t.Fatalf("second alert: got %v, want comment", d)
	}
	b.waitState(t, id, rivertype.JobStateCompleted)
	comments := logs.records(t, "dry run: would comment")
	if len(comments) != 1 {
		t.Fatalf("got %d comment records, want 1", len(comments))
	}
	if body, _ := comments[0]["body"].(string); !strings.Contains(body, jobMarker(id)) || !strings.Contains(body, "**Still happening:**") {
		t.Errorf("comment record body lacks the job marker or the text:\n%s", body)
	}
	// Nothing reached the stand-in: the dry run has no client for it.
	if got := len(b.srv.Requests()); got != 0 {
		t.Errorf("got %d GitHub requests, want 0", got)
	}
}
