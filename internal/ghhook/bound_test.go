package ghhook

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestParseBounds feeds a payload whose every string is huge and checks
// that what Parse keeps is within its caps and valid UTF-8.
func TestParseBounds(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("é", 2000) + "\x00"
	labels := make([]map[string]string, 3*maxLabels)
	for i := range labels {
		labels[i] = map[string]string{"name": huge}
	}
	user := map[string]any{"login": huge, "type": huge}
	repo := map[string]any{"full_name": huge}
	payloads := map[string]map[string]any{
		"issues": {
			"action": huge, "repository": repo, "sender": user,
			"issue": map[string]any{"number": 1, "title": huge, "state": huge, "state_reason": huge,
				"labels": labels, "user": user, "html_url": huge, "body": huge},
			"label":   map[string]any{"name": huge},
			"changes": map[string]any{"new_repository": repo, "old_repository": repo, "body": map[string]any{"from": huge}},
		},
		"pull_request": {
			"action": huge, "repository": repo, "sender": user, "before": huge, "after": huge,
			"pull_request": map[string]any{"number": 1, "title": huge, "state": huge, "html_url": huge, "user": user,
				"head": map[string]any{"ref": huge, "sha": huge, "repo": repo}, "base": map[string]any{"ref": huge}},
		},
		"ping": {"zen": huge, "sender": user, "repository": repo,
			"hook": map[string]any{"events": []string{huge, huge, huge}}},
		strings.Repeat("x", 1000): {"action": huge, "sender": user, "repository": repo},
	}
	for event, p := range payloads {
		t.Run(event[:min(len(event), 20)], func(t *testing.T) {
			t.Parallel()
			body, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			e, err := Parse(event, body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkBounded(t, e)
			if e.Issue != nil && len(e.Issue.Labels) != maxLabels {
				t.Errorf("kept %d labels, want %d", len(e.Issue.Labels), maxLabels)
			}
		})
	}
}

// checkBounded fails t when a string of e is over its cap, holds a NUL or
// is not valid UTF-8.
func checkBounded(t *testing.T, e *Event) {
	t.Helper()
	check := func(field, s string, n int) {
		t.Helper()
		if len(s) > n || strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			t.Errorf("%s: %d bytes (cap %d), NUL %t, valid UTF-8 %t", field, len(s), n, strings.IndexByte(s, 0) >= 0, utf8.ValidString(s))
		}
	}
	check("Name", e.Name, maxShort)
	check("Action", e.Action, maxShort)
	check("Repo", e.Repo, maxRepo)
	check("Sender.Login", e.Sender.Login, maxLogin)
	check("Sender.Type", e.Sender.Type, maxShort)
	if is := e.Issue; is != nil {
		check("Issue.Title", is.Title, maxTitle)
		check("Issue.State", is.State, maxShort)
		check("Issue.StateReason", is.StateReason, maxShort)
		check("Issue.Label", is.Label, maxLabel)
		check("Issue.Author", is.Author, maxLogin)
		check("Issue.HTMLURL", is.HTMLURL, maxURL)
		check("Issue.ProblemKey", is.ProblemKey, maxKey)
		check("Issue.PreviousProblemKey", is.PreviousProblemKey, maxKey)
		check("Issue.NewRepo", is.NewRepo, maxRepo)
		check("Issue.OldRepo", is.OldRepo, maxRepo)
		if len(is.Labels) > maxLabels {
			t.Errorf("%d labels, cap %d", len(is.Labels), maxLabels)
		}
		for _, l := range is.Labels {
			check("Issue.Labels[]", l, maxLabel)
		}
	}
	if pr := e.PullRequest; pr != nil {
		check("PullRequest.Title", pr.Title, maxTitle)
		check("PullRequest.State", pr.State, maxShort)
		check("PullRequest.HeadRef", pr.HeadRef, maxRef)
		check("PullRequest.HeadSHA", pr.HeadSHA, maxSHA)
		check("PullRequest.HeadRepo", pr.HeadRepo, maxRepo)
		check("PullRequest.BaseRef", pr.BaseRef, maxRef)
		check("PullRequest.Before", pr.Before, maxSHA)
		check("PullRequest.After", pr.After, maxSHA)
		check("PullRequest.HTMLURL", pr.HTMLURL, maxURL)
		check("PullRequest.Author", pr.Author, maxLogin)
	}
	if p := e.Ping; p != nil {
		check("Ping.Zen", p.Zen, maxZen)
		if len(p.Events) > maxEvents {
			t.Errorf("%d hook events, cap %d", len(p.Events), maxEvents)
		}
		for _, ev := range p.Events {
			check("Ping.Events[]", ev, maxShort)
		}
	}
}

// TestPayloadErrorBounded checks that an error never quotes the payload at
// length: a wrong-typed field's error names the field, not its value.
func TestPayloadErrorBounded(t *testing.T) {
	t.Parallel()
	secretish := strings.Repeat("s3cr3t", 1000)
	bodies := []string{
		`{"action":"closed","issue":{"number":["` + secretish + `"]}}`,
		`{"action":"closed","issue":` + secretish + `}`,
	}
	for _, body := range bodies {
		_, err := Parse("issues", []byte(body))
		if err == nil {
			t.Fatal("Parse: no error")
		}
		if msg := err.Error(); len(msg) > maxErrText+40 || strings.Contains(msg, "s3cr3ts3cr3t") {
			t.Errorf("error message %d bytes, quotes the payload: %.120q", len(msg), msg)
		}
	}
}
