package worker_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
	"booty/internal/fixture"
	"booty/internal/github"
	"booty/internal/sentry"
	"booty/internal/worker"
)

// texts renders everything a job writes to GitHub from a.
func texts(a *alert.Alert) map[string]string {
	p := alert.Problem{Key: a.ProblemKey, FirstSeen: a.Timestamp, LastSeen: a.Timestamp, Count: 3, LastEventID: a.EventID}
	return map[string]string{
		"title":      github.Title(a),
		"body":       github.IssueBody(a, p),
		"comment":    github.CommentBody(a, p, false),
		"regression": github.CommentBody(a, p, true),
	}
}

func parseFixture(t *testing.T, name string) *alert.Alert {
	t.Helper()
	d, err := sentry.Parse("event_alert", fixture.Sentry(t, name))
	if err != nil || d.Alert == nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return d.Alert
}

// TestPayloadGolden decodes jobs as the version before payloads had
// versions stored them (testdata/job-v0*.json, captured from that version
// for the shared fixtures) and renders the same issue text as the alert
// they were made from.
func TestPayloadGolden(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ golden, fixture string }{
		{"job-v0.json", "event_alert.triggered.json"},
		{"job-v0-vue.json", "event_alert.triggered.vue-breadcrumbs-zulip-2023.json"},
	} {
		t.Run(c.golden, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join("testdata", c.golden))
			if err != nil {
				t.Fatal(err)
			}
			var args worker.IssueArgs
			if err := json.Unmarshal(raw, &args); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if args.Version != 0 || args.ProblemKey == "" || args.Action != alert.ActionCreate {
				t.Fatalf("decoded %+v, want a version 0 create", args)
			}
			got, err := args.Alert()
			if err != nil {
				t.Fatalf("Alert: %v", err)
			}
			want := parseFixture(t, c.fixture)
			if got.ProblemKey != want.ProblemKey || got.Level != want.Level || len(got.Frames) != len(want.Frames) ||
				len(got.Breadcrumbs) != len(want.Breadcrumbs) || got.ExceptionType != want.ExceptionType {
				t.Errorf("decoded alert %+v does not match the fixture's", got)
			}
			if diff := cmp.Diff(texts(want), texts(got)); diff != "" {
				t.Errorf("text rendered from the stored job (-fixture +job):\n%s", diff)
			}
		})
	}
}

// TestPayloadRoundTrip stores a job as this version does and reads it back:
// the text is the same, and the JSON holds booty's own versioned payload.
func TestPayloadRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"event_alert.triggered.json", "event_alert.triggered.vue-breadcrumbs-zulip-2023.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := parseFixture(t, name)
			b, err := json.Marshal(worker.NewIssueArgs(a, alert.ActionComment))
			if err != nil {
				t.Fatal(err)
			}
			var shape map[string]json.RawMessage
			if err := json.Unmarshal(b, &shape); err != nil {
				t.Fatal(err)
			}
			if string(shape["v"]) != "2" || shape["event"] == nil || shape["alert"] != nil {
				t.Errorf("stored job %s: want v 2 with an event and no alert", b)
			}
			var args worker.IssueArgs
			if err := json.Unmarshal(b, &args); err != nil {
				t.Fatal(err)
			}
			got, err := args.Alert()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(texts(a), texts(got)); diff != "" {
				t.Errorf("text after a round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPayloadRefusesUnknown(t *testing.T) {
	t.Parallel()
	for name, args := range map[string]worker.IssueArgs{
		"newer version": {ProblemKey: "k", Action: alert.ActionCreate, Version: worker.PayloadVersion + 1, Event: &worker.Event{Timestamp: time.Now()}},
		"no event":      {ProblemKey: "k", Action: alert.ActionCreate, Version: worker.PayloadVersion},
		"no alert":      {ProblemKey: "k", Action: alert.ActionCreate},
	} {
		if a, err := args.Alert(); err == nil {
			t.Errorf("%s: got %+v, want an error", name, a)
		}
	}
}
