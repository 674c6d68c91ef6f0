package sentry

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"booty/internal/alert"
)

// The issue fixtures.
const (
	issueCreatedFixture  = "issue.created.json"
	issueResolvedFixture = "issue.resolved.json"
	issueAssignedFixture = "issue.assigned.json"
	issueIgnoredFixture  = "issue.ignored.json"
	regressedFixture     = "issue.unresolved.regressed.json"
)

// issueFixtures are every issue payload the tests have.
var issueFixtures = [...]string{
	issueCreatedFixture, issueResolvedFixture, issueAssignedFixture, issueIgnoredFixture, regressedFixture,
}

// issueFixture returns the named issue payload, compacted as Sentry sends
// it.
func issueFixture(tb testing.TB, name string) []byte { return fixture(tb, name) }

// issueBody returns the named issue payload after edit has changed it,
// given the decoded body and its data.issue.
func issueBody(tb testing.TB, name string, edit func(body, issue map[string]any)) []byte {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(issueFixture(tb, name), &m); err != nil {
		tb.Fatal(err)
	}
	issue, ok := m["data"].(map[string]any)["issue"].(map[string]any)
	if !ok {
		tb.Fatalf("%s has no data.issue object", name)
	}
	edit(m, issue)
	return mustMarshal(tb, m)
}

// issueKinds are every IssueKind.
var issueKinds = map[IssueKind]bool{
	IssueCreated: true, IssueResolved: true, IssueRegressed: true, IssueEscalating: true,
	IssueUnresolvedByPerson: true, IssueArchiveExpired: true, IssueArchived: true,
	IssueAssigned: true, IssueUnassigned: true,
}

// actorTypes are every ActorType, unknown included.
var actorTypes = map[ActorType]bool{"": true, ActorUser: true, ActorApplication: true, ActorSentryApp: true}

// checkIssueDelivery asserts what Parse promises of any issue delivery:
// ignored as not an event alert, and an Issue, when set, within bounds.
func checkIssueDelivery(t *testing.T, d *Delivery) {
	t.Helper()
	if d.Ignore != alert.ReasonNotEventAlert || d.Alert != nil {
		t.Fatalf("got ignore %q and Alert set %t, want %q and none", d.Ignore, d.Alert != nil, alert.ReasonNotEventAlert)
	}
	c := d.Issue
	if c == nil {
		return
	}
	if !issueKinds[c.Kind] {
		t.Fatalf("got kind %q, want one of the IssueKind constants", c.Kind)
	}
	if !actorTypes[c.Actor] {
		t.Fatalf("got actor %q, want one of the ActorType constants", c.Actor)
	}
	if !keyRE.MatchString(c.ProblemKey) || len(c.ProblemKey) > 256 {
		t.Fatalf("got key %q, want %s and at most 256 bytes", c.ProblemKey, keyRE)
	}
	if c.Link != "" {
		if _, ok := httpURL(c.Link); !ok {
			t.Fatalf("got link %q, want an http(s) URL or none", c.Link)
		}
	}
	if strings.Contains(c.Assignee, "@") {
		t.Fatalf("got assignee %q, want no email address", c.Assignee)
	}
	if c.AssigneeType != "" && c.AssigneeType != "user" && c.AssigneeType != "team" {
		t.Fatalf("got assignee type %q, want user, team or none", c.AssigneeType)
	}
	short := []string{c.Level, c.Project, c.Status, c.Substatus, c.Resolution, c.Assignee, c.AssigneeType}
	for _, s := range short {
		checkBounded(t, s, maxShort)
	}
	for _, s := range []string{c.Title, c.ResolvedIn} {
		checkBounded(t, s, maxField)
	}
}

// checkBounded asserts that s is at most n bytes of valid UTF-8 without NUL.
func checkBounded(t *testing.T, s string, n int) {
	t.Helper()
	if len(s) > n || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		t.Fatalf("got field %.40q... of %d bytes, want at most %d bytes of valid UTF-8 without NUL", s, len(s), n)
	}
}
