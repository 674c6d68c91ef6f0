package github

import (
	"strings"
	"testing"
	"time"

	"booty/internal/alert"
)

// TestUpdateOccurrences rewrites the Occurrences section of a filed body
// and keeps what a person changed elsewhere; a body without the section is
// left for a comment.
func TestUpdateOccurrences(t *testing.T) {
	t.Parallel()
	a := parseFixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	p := goldenProblem(a)
	r := NewRenderer(RenderOptions{})
	filed := r.IssueBody(a, p)
	later := p
	later.Count, later.LastSeen = 43, p.LastSeen.Add(24*time.Hour)
	tests := []struct {
		name   string
		body   string
		ok     bool
		keep   string
		counts string
	}{
		{"as filed", filed, true, "### Stack trace", "**Count:** 43"},
		{"edited above", strings.Replace(filed, "### Stack trace", "A person's note.\n\n### Stack trace", 1), true, "A person's note.", "**Count:** 43"},
		{"section removed", strings.Replace(filed, "### Occurrences", "### Seen", 1), false, "### Seen", "**Count:** 42"},
		{"rule removed", strings.Replace(filed, "\n---\n", "\n", 1), false, "### Occurrences", "**Count:** 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := r.UpdateOccurrences(tt.body, a, later)
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			for _, want := range []string{tt.keep, tt.counts, Marker(a.ProblemKey)} {
				if !strings.Contains(got, want) {
					t.Errorf("body lacks %q", want)
				}
			}
			if tt.ok {
				checkRendered(t, "body", got)
			}
		})
	}
}

// TestNoteBody renders every lifecycle comment with untrusted fields that
// would ping, reference or link, and checks none does.
func TestNoteBody(t *testing.T) {
	t.Parallel()
	r := NewRenderer(RenderOptions{})
	hostile := "@octocat fixes #1 https://github.com/acme/shop/issues/2"
	for _, kind := range []alert.CommentKind{alert.CommentResolved, alert.CommentArchived, alert.CommentRegression,
		alert.CommentEscalating, alert.CommentUnresolved, alert.CommentAssigned, alert.CommentPreFixTail,
		alert.CommentFlapping, alert.CommentSettled, "unknown"} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			body := r.NoteBody(alert.Comment{Kind: kind, Release: hostile, Resolution: hostile, Assignee: hostile}, "booty reopened the issue")
			checkRendered(t, "comment", body)
			if !strings.HasPrefix(body, "**") || !strings.Contains(body, "booty reopened the issue.") {
				t.Errorf("body %q", body)
			}
		})
	}
	if got := RegressionNote(7, hostile); !strings.HasPrefix(got, "**Regression of #7:**") {
		t.Errorf("regression note %q", got)
	} else {
		checkRendered(t, "comment", strings.Replace(got, "#7", "", 1))
	}
}
