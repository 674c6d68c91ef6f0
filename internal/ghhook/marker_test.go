package ghhook

import (
	"encoding/json"
	"testing"

	"booty/internal/github"
)

// editedEvent is an issues.edited delivery whose body went from "from" to
// "to".
func editedEvent(t *testing.T, from *string, to string) []byte {
	t.Helper()
	payload := map[string]any{
		"action":     "edited",
		"issue":      map[string]any{"number": 9, "state": "open", "body": to},
		"repository": map[string]any{"full_name": "o/r"},
		"sender":     map[string]any{"login": "someone", "type": "User"},
		"changes":    map[string]any{},
	}
	if from != nil {
		payload["changes"] = map[string]any{"body": map[string]any{"from": *from}}
	}
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMarkerEdits(t *testing.T) {
	t.Parallel()
	marker := github.Marker("sentry:1")
	other := github.Marker("sentry:2")
	long := github.Marker("sentry:" + string(make([]byte, maxKey)))
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name          string
		from          *string
		to            string
		key, prevKey  string
		markerRemoved bool
	}{
		{"removed", ptr("text\n" + marker + "\n"), "text\n", "", "sentry:1", true},
		{"kept", ptr(marker), "more\n" + marker + "\n", "sentry:1", "sentry:1", false},
		{"replaced by another", ptr(marker), other, "sentry:2", "sentry:1", true},
		{"added", ptr("text"), "text\n" + marker, "sentry:1", "", false},
		{"body not edited", nil, marker, "sentry:1", "", false},
		{"marker quoted inside a line is not a marker", ptr("see " + marker), "", "", "", false},
		{"marker broken by an edit", ptr(marker), marker[:len(marker)-1], "", "sentry:1", true},
		{"key longer than booty writes", ptr(long), "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := Parse("issues", editedEvent(t, tt.from, tt.to))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			is := e.Issue
			if is.ProblemKey != tt.key || is.PreviousProblemKey != tt.prevKey || is.MarkerRemoved != tt.markerRemoved {
				t.Errorf("got key %q, previous %q, removed %t; want %q, %q, %t",
					is.ProblemKey, is.PreviousProblemKey, is.MarkerRemoved, tt.key, tt.prevKey, tt.markerRemoved)
			}
		})
	}
}

func TestIsOwnSender(t *testing.T) {
	t.Parallel()
	e := &Event{Sender: Actor{Login: "booty-app[bot]", Type: "Bot"}}
	tests := []struct {
		name     string
		e        *Event
		identity string
		want     bool
	}{
		{"same", e, "booty-app[bot]", true},
		{"other case", e, "Booty-App[bot]", true},
		{"padded", e, " booty-app[bot]\n", true},
		{"the user, not the App", e, "booty-app", false},
		{"someone else", e, "maintainer", false},
		{"empty identity", &Event{}, "", false},
		{"nil event", nil, "booty-app[bot]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := IsOwnSender(tt.e, tt.identity); got != tt.want {
				t.Errorf("IsOwnSender(%q) = %t, want %t", tt.identity, got, tt.want)
			}
		})
	}
}
