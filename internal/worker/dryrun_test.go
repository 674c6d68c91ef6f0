package worker_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river/rivertype"

	"booty/internal/alert"
	"booty/internal/github"
	"booty/internal/logtest"
	"booty/internal/worker"
)

// wantBodyParts are what the issue body of newAlert must show, written out
// here rather than rendered by the code under test.
var wantBodyParts = []string{"**Severity:**", "TypeError", "app/components/List.js", "42", "web@1.4.2"}

func TestDryRunJSON(t *testing.T) {
	t.Parallel()
	logs := &logtest.Buffer{}
	b := setup(t, setupOpts{cooldown: 0, issues: github.NewDryRun(slog.New(slog.NewJSONHandler(logs, nil)), nil)})
	key := "sentry:4900"
	_, id := b.accept(t, newAlert(key, "ev1"))
	b.waitState(t, id, rivertype.JobStateCompleted)

	// A dry run still records the issue it would have filed, so the next
	// alert of the problem is a comment, as it would be for real; its
	// number is negative, which GitHub never gives out.
	p, err := b.st.Problem(t.Context(), key)
	if err != nil || p.IssueNumber != -1 {
		t.Fatalf("problem: got issue %d, %v, want -1", p.IssueNumber, err)
	}
	created := logs.Records(t, "dry run: would create issue")
	if len(created) != 1 {
		t.Fatalf("got %d create records, want 1:\n%s", len(created), logs)
	}
	got := map[string]any{"title": created[0]["title"], "labels": created[0]["labels"], "number": created[0]["number"]}
	want := map[string]any{"title": "[error] TypeError — app/components/List.js:42", "labels": []any{label}, "number": float64(-1)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create record (-want +got):\n%s", diff)
	}
	body, _ := created[0]["body"].(string)
	for _, part := range append(wantBodyParts, "<!-- booty:problem=sentry:4900 -->") {
		if !strings.Contains(body, part) {
			t.Errorf("body field lacks %q:\n%s", part, body)
		}
	}
	if strings.Contains(logs.String(), "issue created") {
		t.Errorf("a dry run logged \"issue created\":\n%s", logs)
	}

	d, id := b.accept(t, newAlert(key, "ev2"))
	if d.Action != alert.ActionComment {
		t.Fatalf("second alert: got %v, want comment", d)
	}
	b.waitState(t, id, rivertype.JobStateCompleted)
	comments := logs.Records(t, "dry run: would comment")
	if len(comments) != 1 || comments[0]["number"] != float64(-1) {
		t.Fatalf("got comment records %v, want one on issue -1", comments)
	}
	if body, _ := comments[0]["body"].(string); !strings.Contains(body, jobMarker(id)) || !strings.Contains(body, "**Still happening:**") {
		t.Errorf("comment record body lacks the job marker or the text:\n%s", body)
	}
}

// TestDryRunText logs the text a person reads on a terminal: the record
// line, then the title and body as an indented block, not one escaped line.
func TestDryRunText(t *testing.T) {
	t.Parallel()
	logs := &logtest.Buffer{}
	b := setup(t, setupOpts{cooldown: time.Hour, issues: github.NewDryRun(slog.New(slog.NewTextHandler(logs, nil)), logs)})
	_, id := b.accept(t, newAlert("sentry:4901", "ev1"))
	b.waitState(t, id, rivertype.JobStateCompleted)
	out := logs.String()
	line, block, ok := strings.Cut(out[strings.Index(out, "dry run: would create issue"):], "\n")
	if !ok || strings.Contains(line, `\n`) || strings.Contains(line, "body=") {
		t.Fatalf("record line holds the body: %s", line)
	}
	for _, want := range []string{"  title:\n    | [error] TypeError — app/components/List.js:42\n", "  body:\n", "    | <!-- booty:problem=sentry:4901 -->\n"} {
		if !strings.Contains(block, want) {
			t.Errorf("block lacks %q:\n%s", want, block)
		}
	}
	for _, part := range wantBodyParts {
		if !strings.Contains(block, part) {
			t.Errorf("block lacks %q:\n%s", part, block)
		}
	}
}

// TestAfterDryRun turns the dry run off: a problem that only has a dry-run
// issue (a negative number) gets a real one on its next alert, and the
// dry-run number is never sent to GitHub.
func TestAfterDryRun(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{cooldown: 0})
	a := newAlert("sentry:4902", "ev2")
	p := alert.Problem{Key: a.ProblemKey, FirstSeen: b.clock.Now(), LastSeen: b.clock.Now(), Count: 2, LastEventID: "ev2", IssueNumber: -3}
	id := b.acceptJob(t, p, worker.NewIssueArgs(a, alert.ActionComment), nil)
	b.waitState(t, id, rivertype.JobStateCompleted)
	is := b.waitIssue(t, a.ProblemKey)
	if is.Number != 1 || len(b.srv.Issues()) != 1 {
		t.Errorf("got issue %d of %d, want the first and only", is.Number, len(b.srv.Issues()))
	}
	for _, r := range b.srv.Requests() {
		if strings.Contains(r.Path, "/-3") {
			t.Errorf("the dry-run number reached GitHub: %s %s", r.Method, r.Path)
		}
	}
}
