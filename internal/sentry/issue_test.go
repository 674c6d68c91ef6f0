package sentry

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"booty/internal/alert"
)

const (
	zulipProject = "zulip-integration-testing"
	zulipTitle   = "Exception: program has entered an invalid state."
)

func TestParseIssueFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		action string
		want   *IssueChange
	}{
		{issueCreatedFixture, "created", &IssueChange{
			ProblemKey: "sentry:1170820242", Kind: IssueCreated,
			Title: "ReferenceError: blooopy is not defined", Level: "error", Project: "front-end",
			Status: "unresolved", Substatus: "escalating", Actor: ActorApplication,
			At: time.Date(2019, 8, 19, 20, 58, 37, 391000000, time.UTC),
		}},
		{issueResolvedFixture, "resolved", &IssueChange{
			ProblemKey: "sentry:1638821441", Kind: IssueResolved,
			Title: zulipTitle, Level: "error", Project: zulipProject,
			Status: "resolved", Resolution: "now", Actor: ActorUser,
		}},
		{issueAssignedFixture, "assigned", &IssueChange{
			ProblemKey: "sentry:1638844654", Kind: IssueAssigned,
			Title: "A test message event from golang.", Level: "info", Project: zulipProject,
			Status: "unresolved", Assignee: "Hemanth V. Alluri", AssigneeType: "user", Actor: ActorUser,
		}},
		{issueIgnoredFixture, "ignored", &IssueChange{
			ProblemKey: "sentry:1638821441", Kind: IssueArchived,
			Title: zulipTitle, Level: "error", Project: zulipProject,
			Status: "ignored", Actor: ActorUser,
		}},
		{regressedFixture, "unresolved", &IssueChange{
			ProblemKey: "sentry:1638821441", Kind: IssueRegressed,
			Title: zulipTitle, Level: "error", Project: zulipProject,
			Status: "unresolved", Substatus: "regressed", Actor: ActorApplication,
			At: time.Date(2020, 5, 7, 9, 12, 44, 517301000, time.UTC),
		}},
	}
	if len(tests) != len(issueFixtures) {
		t.Fatalf("%d fixtures in the table, want all %d issue fixtures", len(tests), len(issueFixtures))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			d, err := Parse("issue", issueFixture(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := &Delivery{Resource: "issue", Action: tt.action, Ignore: alert.ReasonNotEventAlert, Issue: tt.want}
			if diff := cmp.Diff(want, d); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			checkIssueDelivery(t, d)
		})
	}
}

// TestParseIssueKind varies what classifies a change, over the fixture
// closest to each case.
func TestParseIssueKind(t *testing.T) {
	t.Parallel()
	sentryApp := map[string]any{"type": "application", "id": "0ab1c2d3-uuid", "name": "booty"}
	sentry := map[string]any{"type": "application", "id": "sentry", "name": "Sentry"}
	user := map[string]any{"type": "user", "id": 662437, "name": "Hemanth V. Alluri"}
	tests := []struct {
		name      string
		file      string
		action    string
		substatus any // nil: removed
		actor     any // nil: removed
		wantKind  IssueKind
		wantActor ActorType
	}{
		{"regressed", regressedFixture, "unresolved", "regressed", sentry, IssueRegressed, ActorApplication},
		{"regressed by anyone", regressedFixture, "unresolved", "regressed", user, IssueRegressed, ActorUser},
		{"escalating", regressedFixture, "unresolved", "escalating", sentry, IssueEscalating, ActorApplication},
		{"ongoing by a user", regressedFixture, "unresolved", "ongoing", user, IssueUnresolvedByPerson, ActorUser},
		{"ongoing by Sentry: archive expired", regressedFixture, "unresolved", "ongoing", sentry, IssueArchiveExpired, ActorApplication},
		{"ongoing by an integration", regressedFixture, "unresolved", "ongoing", sentryApp, IssueUnresolvedByPerson, ActorSentryApp},
		{"ongoing by nobody named", regressedFixture, "unresolved", "ongoing", nil, IssueUnresolvedByPerson, ""},
		{"no substatus, by Sentry", regressedFixture, "unresolved", nil, sentry, IssueRegressed, ActorApplication},
		{"no substatus, by a user", regressedFixture, "unresolved", nil, user, IssueUnresolvedByPerson, ActorUser},
		{"no substatus, no actor", regressedFixture, "unresolved", nil, nil, IssueUnresolvedByPerson, ""},
		{"unknown substatus, by Sentry", regressedFixture, "unresolved", "brand_new", sentry, IssueRegressed, ActorApplication},
		{"substatus new, by a user", regressedFixture, "unresolved", "new", user, IssueUnresolvedByPerson, ActorUser},
		{"substatus of the wrong type", regressedFixture, "unresolved", 7, sentry, IssueRegressed, ActorApplication},
		{"substatus and action shouted", regressedFixture, " UNRESOLVED ", "Escalating", sentry, IssueEscalating, ActorApplication},
		{"Sentry without an id", regressedFixture, "unresolved", "ongoing", map[string]any{"type": "application"}, IssueArchiveExpired, ActorApplication},
		{"actor type sentry_app", regressedFixture, "unresolved", "ongoing", map[string]any{"type": "sentry_app", "id": "x"}, IssueUnresolvedByPerson, ActorSentryApp},
		{"actor of the wrong type", regressedFixture, "unresolved", "ongoing", "sentry", IssueUnresolvedByPerson, ""},
		{"archived spelling", issueIgnoredFixture, "archived", "archived_until_escalating", user, IssueArchived, ActorUser},
		{"ignored spelling", issueIgnoredFixture, "ignored", "archived_forever", user, IssueArchived, ActorUser},
		{"created, whatever the substatus", issueCreatedFixture, "created", "new", sentry, IssueCreated, ActorApplication},
		{"resolved, whatever the actor", issueResolvedFixture, "resolved", nil, sentryApp, IssueResolved, ActorSentryApp},
		{"unassigned", issueAssignedFixture, "unassigned", nil, user, IssueUnassigned, ActorUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := issueBody(t, tt.file, func(body, issue map[string]any) {
				body["action"] = tt.action
				setOrDelete(issue, "substatus", tt.substatus)
				setOrDelete(body, "actor", tt.actor)
			})
			d, err := Parse("issue", body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkIssueDelivery(t, d)
			if d.Issue == nil {
				t.Fatal("got no Issue")
			}
			if d.Issue.Kind != tt.wantKind || d.Issue.Actor != tt.wantActor {
				t.Errorf("got kind %q actor %q, want %q %q", d.Issue.Kind, d.Issue.Actor, tt.wantKind, tt.wantActor)
			}
		})
	}
}

// TestParseIssueActorInData reads the actor from data when the top level
// has none, and prefers the top level's.
func TestParseIssueActorInData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		top, inData    any
		wantKind       IssueKind
		wantActorField ActorType
	}{
		{"only in data", nil, map[string]any{"type": "application", "id": "sentry"}, IssueArchiveExpired, ActorApplication},
		{"top level wins", map[string]any{"type": "user", "id": 1}, map[string]any{"type": "application", "id": "sentry"}, IssueUnresolvedByPerson, ActorUser},
		{"top level unknown", map[string]any{"type": "robot"}, map[string]any{"type": "user"}, IssueUnresolvedByPerson, ActorUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := issueBody(t, regressedFixture, func(body, issue map[string]any) {
				issue["substatus"] = "ongoing"
				setOrDelete(body, "actor", tt.top)
				body["data"].(map[string]any)["actor"] = tt.inData
			})
			d, err := Parse("issue", body)
			if err != nil {
				t.Fatal(err)
			}
			if d.Issue == nil || d.Issue.Kind != tt.wantKind || d.Issue.Actor != tt.wantActorField {
				t.Errorf("got issue %+v, want kind %q actor %q", d.Issue, tt.wantKind, tt.wantActorField)
			}
		})
	}
}

func TestParseIssueResolution(t *testing.T) {
	t.Parallel()
	commit := map[string]any{"id": "a1b2c3d4e5", "message": "Fix the state", "repository": map[string]any{"name": "o/r"}}
	tests := []struct {
		name           string
		resolutionType any // nil: removed
		statusDetails  any
		want, wantIn   string
	}{
		{"now", "now", map[string]any{}, "now", ""},
		{"in release", "in_release", map[string]any{"inRelease": "frontend@1.4.2"}, "in_release", "frontend@1.4.2"},
		{"in release, a numeric version", "in_release", map[string]any{"inRelease": 142}, "in_release", "142"},
		{"in next release", "in_next_release", map[string]any{"inNextRelease": true}, "in_next_release", ""},
		{"in upcoming release", "in_upcoming_release", map[string]any{"inUpcomingRelease": true}, "in_upcoming_release", ""},
		{"in commit", "in_commit", map[string]any{"inCommit": commit}, "in_commit", "a1b2c3d4e5"},
		{"in commit, as the API takes it", "in_commit", map[string]any{"inCommit": map[string]any{"commit": "f00d", "repository": "o/r"}}, "in_commit", "f00d"},
		{"in commit, a bare hash", "in_commit", map[string]any{"inCommit": "beef"}, "in_commit", "beef"},
		{"with commit", "with_commit", map[string]any{"inCommit": commit}, "in_commit", "a1b2c3d4e5"},
		{"type shouted", " In_Release ", map[string]any{"inRelease": "1.0"}, "in_release", "1.0"},
		{"unknown type", "in_a_dream", map[string]any{}, "in_a_dream", ""},
		{"type not a word, details decide", "in release!", map[string]any{"inRelease": "1.0"}, "in_release", "1.0"},
		{"no type, next release", nil, map[string]any{"inNextRelease": true}, "in_next_release", ""},
		{"no type, upcoming release", nil, map[string]any{"inUpcomingRelease": true}, "in_upcoming_release", ""},
		{"no type, release", nil, map[string]any{"inRelease": "2.0"}, "in_release", "2.0"},
		{"no type, commit", nil, map[string]any{"inCommit": commit}, "in_commit", "a1b2c3d4e5"},
		{"no type, nothing said", nil, map[string]any{}, "", ""},
		{"type of the wrong type, details decide", true, map[string]any{"inNextRelease": true}, "in_next_release", ""},
		{"details of the wrong type", "in_next_release", "yes", "in_next_release", ""},
		{"flags of the wrong type", nil, map[string]any{"inNextRelease": "true", "inRelease": "3.0"}, "in_release", "3.0"},
		{"commit of the wrong type", "in_commit", map[string]any{"inCommit": []any{"x"}}, "in_commit", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := issueBody(t, issueResolvedFixture, func(body, issue map[string]any) {
				setOrDelete(body["data"].(map[string]any), "resolution_type", tt.resolutionType)
				issue["statusDetails"] = tt.statusDetails
			})
			d, err := Parse("issue", body)
			if err != nil {
				t.Fatal(err)
			}
			checkIssueDelivery(t, d)
			if d.Issue == nil || d.Issue.Kind != IssueResolved {
				t.Fatalf("got issue %+v, want a resolved one", d.Issue)
			}
			if d.Issue.Resolution != tt.want || d.Issue.ResolvedIn != tt.wantIn {
				t.Errorf("got resolution %q in %q, want %q in %q", d.Issue.Resolution, d.Issue.ResolvedIn, tt.want, tt.wantIn)
			}
		})
	}
}

func TestParseIssueAssignee(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		assignee, assigned any // data.assignee, data.issue.assignedTo; nil: removed
		want, wantType     string
	}{
		{"user", map[string]any{"type": "user", "id": 1, "name": "Ada Lovelace", "email": "ada@example.com"}, nil, "Ada Lovelace", "user"},
		{"team", map[string]any{"type": "team", "id": "4", "name": "backend"}, nil, "backend", "team"},
		{"name that is an email", map[string]any{"type": "user", "name": "ada@example.com", "email": "ada@example.com"}, nil, "", "user"},
		{"no name", map[string]any{"type": "user", "id": 1, "email": "ada@example.com"}, nil, "", "user"},
		{"unknown type", map[string]any{"type": "robot", "name": "R2"}, nil, "R2", ""},
		{"type shouted", map[string]any{"type": "Team", "name": "ops"}, nil, "ops", "team"},
		{"only assignedTo", nil, map[string]any{"type": "team", "name": "mobile", "id": "9"}, "mobile", "team"},
		{"assignee wins over assignedTo", map[string]any{"type": "user", "name": "Grace"}, map[string]any{"type": "team", "name": "mobile"}, "Grace", "user"},
		{"assignee of the wrong type", "Grace", map[string]any{"type": "user", "name": "Linus"}, "Linus", "user"},
		{"neither", nil, nil, "", ""},
		{"name padded", map[string]any{"type": "user", "name": "  Ada \n"}, nil, "Ada", "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := issueBody(t, issueAssignedFixture, func(body, issue map[string]any) {
				setOrDelete(body["data"].(map[string]any), "assignee", tt.assignee)
				setOrDelete(issue, "assignedTo", tt.assigned)
			})
			d, err := Parse("issue", body)
			if err != nil {
				t.Fatal(err)
			}
			checkIssueDelivery(t, d)
			if d.Issue == nil || d.Issue.Assignee != tt.want || d.Issue.AssigneeType != tt.wantType {
				t.Errorf("got issue %+v, want assignee %q type %q", d.Issue, tt.want, tt.wantType)
			}
		})
	}
}

// TestParseIssueOnlyItsKindsFields keeps the resolution and the assignee
// to the changes they describe.
func TestParseIssueOnlyItsKindsFields(t *testing.T) {
	t.Parallel()
	body := issueBody(t, issueAssignedFixture, func(body, issue map[string]any) {
		body["action"] = "resolved"
		body["data"].(map[string]any)["resolution_type"] = "in_release"
		issue["statusDetails"] = map[string]any{"inRelease": "1.0"}
	})
	d, err := Parse("issue", body)
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Issue; c == nil || c.Resolution != "in_release" || c.Assignee != "" || c.AssigneeType != "" {
		t.Errorf("resolved: got %+v, want a resolution and no assignee", c)
	}

	body = issueBody(t, issueResolvedFixture, func(body, issue map[string]any) {
		body["action"] = "assigned"
		issue["assignedTo"] = map[string]any{"type": "user", "name": "Ada"}
	})
	if d, err = Parse("issue", body); err != nil {
		t.Fatal(err)
	}
	if c := d.Issue; c == nil || c.Resolution != "" || c.ResolvedIn != "" || c.Assignee != "Ada" || !c.At.IsZero() {
		t.Errorf("assigned: got %+v, want an assignee, no resolution, no time", c)
	}
}

func TestParseIssueIDAndLink(t *testing.T) {
	t.Parallel()
	longID := strings.Repeat("9", 200)
	tests := []struct {
		name     string
		id       any
		webURL   any // nil: removed
		link     any // permalink
		wantKey  string
		wantLink string
	}{
		{"string id", "1638821441", nil, nil, "sentry:1638821441", ""},
		{"numeric id", 1638821441, nil, nil, "sentry:1638821441", ""},
		{"float id", 1638821441.0, nil, nil, "sentry:1638821441", ""},
		{"padded id", " 0042 ", nil, nil, "sentry:42", ""},
		{"id too long to keep", longID, nil, nil, "sentry:" + sha256Hex32(longID), ""},
		{"id with markup", "1-->", nil, nil, "sentry:" + sha256Hex32("1-->"), ""},
		{"web url", "7", "https://sentry.io/organizations/o/issues/7/", nil, "sentry:7", "https://sentry.io/organizations/o/issues/7/"},
		{"permalink", "7", nil, "https://o.sentry.io/issues/7/", "sentry:7", "https://o.sentry.io/issues/7/"},
		{"web url before permalink", "7", "https://a.example/issues/7/", "https://b.example/issues/7/", "sentry:7", "https://a.example/issues/7/"},
		{"web url not http", "7", "javascript:alert(1)", "https://b.example/issues/7/", "sentry:7", "https://b.example/issues/7/"},
		{"relative link", "7", "/issues/7/", nil, "sentry:7", ""},
		{"link with quotes", "7", `https://x.example/"><script>`, nil, "sentry:7", ""},
		{"link of the wrong type", "7", 7, nil, "sentry:7", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := issueBody(t, issueResolvedFixture, func(body, issue map[string]any) {
				issue["id"] = tt.id
				setOrDelete(issue, "web_url", tt.webURL)
				issue["permalink"] = tt.link
			})
			d, err := Parse("issue", body)
			if err != nil {
				t.Fatal(err)
			}
			checkIssueDelivery(t, d)
			if d.Issue == nil || d.Issue.ProblemKey != tt.wantKey || d.Issue.Link != tt.wantLink {
				t.Errorf("got issue %+v, want key %q link %q", d.Issue, tt.wantKey, tt.wantLink)
			}
		})
	}
}

// TestParseIssueKeyMatchesEventAlert holds an issue webhook and an event
// alert of the same Sentry issue to one problem.
func TestParseIssueKeyMatchesEventAlert(t *testing.T) {
	t.Parallel()
	ev, err := Parse("event_alert", fixture(t, docsFixture))
	if err != nil {
		t.Fatal(err)
	}
	body := issueBody(t, issueCreatedFixture, func(_, issue map[string]any) { issue["id"] = ev.Alert.SentryIssueID })
	d, err := Parse("issue", body)
	if err != nil {
		t.Fatal(err)
	}
	if d.Issue == nil || d.Issue.ProblemKey != ev.Alert.ProblemKey {
		t.Errorf("got issue %+v, want key %q", d.Issue, ev.Alert.ProblemKey)
	}
}

func TestParseIssueRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        string
		wantMissing []string // nil: a JSON error
	}{
		{"not JSON", `<html>`, nil},
		{"truncated", string(issueFixture(t, issueCreatedFixture)[:200]), nil},
		{"no id", string(issueBody(t, issueCreatedFixture, func(_, issue map[string]any) { delete(issue, "id") })), []string{"data.issue.id"}},
		{"null id", `{"action":"resolved","data":{"issue":{"id":null}}}`, []string{"data.issue.id"}},
		{"empty id", `{"action":"resolved","data":{"issue":{"id":"  "}}}`, []string{"data.issue.id"}},
		{"id an object", `{"action":"assigned","data":{"issue":{"id":{"n":1}}}}`, []string{"data.issue.id"}},
		{"id a list", `{"action":"ignored","data":{"issue":{"id":[1]}}}`, []string{"data.issue.id"}},
		{"id a boolean", `{"action":"unresolved","data":{"issue":{"id":true}}}`, []string{"data.issue.id"}},
		{"empty issue", `{"action":"created","data":{"issue":{}}}`, []string{"data.issue.id"}},
		{"no issue", `{"action":"created","data":{}}`, []string{"data.issue"}},
		{"no data", `{"action":"archived"}`, []string{"data.issue"}},
		{"null issue", `{"action":"created","data":{"issue":null}}`, []string{"data.issue"}},
		{"issue a string", `{"action":"created","data":{"issue":"1"}}`, []string{"data.issue"}},
		{"issue a list", `{"action":"created","data":{"issue":[{"id":"1"}]}}`, []string{"data.issue"}},
		{"data a list", `{"action":"created","data":[{"issue":{"id":"1"}}]}`, []string{"data.issue"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse("issue", []byte(tt.body))
			var pe *PayloadError
			if !errors.As(err, &pe) || d != nil {
				t.Fatalf("Parse = %+v, %v; want only a *PayloadError", d, err)
			}
			if tt.wantMissing == nil && pe.Err == nil {
				t.Errorf("got %v, want a JSON error", pe)
			}
			if diff := cmp.Diff(tt.wantMissing, pe.Missing); diff != "" {
				t.Errorf("Missing mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseIssueUnknownAction ignores, without an error or an Issue,
// actions booty does not know, whatever the rest of the body.
func TestParseIssueUnknownAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, wantAction string
	}{
		{"new action", string(issueBody(t, issueCreatedFixture, func(body, _ map[string]any) { body["action"] = "merged" })), "merged"},
		{"event alert action", string(fixture(t, vueFixture)), "triggered"},
		{"no action", `{"data":{"issue":{"id":"1"}}}`, ""},
		{"action of the wrong type", `{"action":{"x":1},"data":{"issue":{"id":"1"}}}`, ""},
		{"unknown action, no issue", `{"action":"deleted"}`, "deleted"},
		{"empty object", `{}`, ""},
		{"a list", `[1,2]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse("issue", []byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := &Delivery{Resource: "issue", Action: tt.wantAction, Ignore: alert.ReasonNotEventAlert}
			if diff := cmp.Diff(want, d); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseIssueOnlyForIssueResource keeps Issue to the issue resource:
// the same body under another header, or none, is read as before.
func TestParseIssueOnlyForIssueResource(t *testing.T) {
	t.Parallel()
	body := issueFixture(t, issueCreatedFixture)
	for _, tt := range []struct {
		resource string
		want     alert.Reason
	}{
		{"", alert.ReasonNotEventAlert},
		{"event_alert", alert.ReasonNotTriggered},
		{"comment", alert.ReasonNotEventAlert},
		{"issues", alert.ReasonNotEventAlert},
	} {
		d, err := Parse(tt.resource, body)
		if err != nil || d.Issue != nil || d.Ignore != tt.want {
			t.Errorf("resource %q: got %+v, %v; want ignored as %q without an Issue", tt.resource, d, err, tt.want)
		}
	}
	d, err := Parse(" Issue ", body)
	if err != nil || d.Issue == nil {
		t.Errorf("resource \" Issue \": got %+v, %v; want an Issue", d, err)
	}
}

func TestParseIssueBounds(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("é", 2*maxField)
	body := issueBody(t, issueResolvedFixture, func(body, issue map[string]any) {
		body["action"] = "resolved" + huge
		issue["title"] = "nul\x00" + huge
		issue["level"] = huge
		issue["status"] = huge
		issue["substatus"] = huge
		issue["project"] = map[string]any{"slug": huge}
		issue["statusDetails"] = map[string]any{"inRelease": huge}
		body["data"].(map[string]any)["resolution_type"] = strings.Repeat("x", maxShort+1)
	})
	d, err := Parse("issue", body)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Action) > maxShort {
		t.Errorf("got action of %d bytes, want at most %d", len(d.Action), maxShort)
	}
	// The clipped action is no longer "resolved".
	if d.Issue != nil {
		t.Fatalf("got issue %+v for an action booty does not know", d.Issue)
	}

	body = issueBody(t, issueResolvedFixture, func(body, issue map[string]any) {
		issue["title"] = "nul\x00" + huge
		issue["level"] = huge
		issue["status"] = huge
		issue["substatus"] = huge
		issue["project"] = map[string]any{"slug": huge}
		issue["statusDetails"] = map[string]any{"inRelease": huge}
		body["data"].(map[string]any)["resolution_type"] = strings.Repeat("x", maxShort+1)
	})
	if d, err = Parse("issue", body); err != nil {
		t.Fatal(err)
	}
	checkIssueDelivery(t, d)
	c := d.Issue
	if c == nil || c.Kind != IssueResolved {
		t.Fatalf("got issue %+v, want a resolved one", c)
	}
	if !strings.HasPrefix(c.Title, "nul") || strings.Contains(c.Title, "\x00") || len(c.Title) < maxField-1 {
		t.Errorf("got title %.20q... of %d bytes, want it cut near %d bytes without NUL", c.Title, len(c.Title), maxField)
	}
	if c.Project != "" {
		t.Errorf("got project %.20q..., want none for a slug that is not one", c.Project)
	}
	if c.Resolution != resolvedInRelease || len(c.ResolvedIn) < maxField-1 {
		t.Errorf("got resolution %.20q in %d bytes, want %q and a cut release", c.Resolution, len(c.ResolvedIn), resolvedInRelease)
	}

	body = issueBody(t, issueAssignedFixture, func(body, _ map[string]any) {
		body["data"].(map[string]any)["assignee"] = map[string]any{"type": "team", "name": huge}
	})
	if d, err = Parse("issue", body); err != nil {
		t.Fatal(err)
	}
	checkIssueDelivery(t, d)
	if d.Issue == nil || len(d.Issue.Assignee) < maxShort-1 {
		t.Errorf("got issue %+v, want an assignee cut near %d bytes", d.Issue, maxShort)
	}
}

// setOrDelete sets m[k] to v, or deletes k when v is nil.
func setOrDelete(m map[string]any, k string, v any) {
	if v == nil {
		delete(m, k)
		return
	}
	m[k] = v
}
