package ghhook

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	fixtureRepo  = "octo-org/octo-repo"
	fixtureTitle = "TypeError: Cannot read properties of undefined (reading 'total')"
	fixtureURL   = "https://github.com/octo-org/octo-repo/issues/42"
	fixtureKey   = "sentry:4711"
)

var (
	maintainer = Actor{Login: "maintainer", Type: "User", ID: 2}
	bootyBot   = Actor{Login: "booty-app[bot]", Type: "Bot", ID: 41898282}
	closedAt   = time.Date(2026, 12, 1, 11, 30, 0, 0, time.UTC)
)

// fixtureIssue is issue #42 of the testdata as Parse reads it, changed by
// edit.
func fixtureIssue(edit func(*Issue)) *Issue {
	is := &Issue{
		Number: 42, Title: fixtureTitle, State: "open", Labels: []string{"bug"},
		Author: "booty-app[bot]", HTMLURL: fixtureURL, ProblemKey: fixtureKey,
	}
	edit(is)
	return is
}

func closedAs(reason string) func(*Issue) {
	return func(is *Issue) { is.State, is.StateReason, is.ClosedAt = "closed", reason, closedAt }
}

func TestParseFixtures(t *testing.T) {
	t.Parallel()
	issues := func(action string, sender Actor, is *Issue) *Event {
		return &Event{Kind: KindIssues, Name: "issues", Action: action, Repo: fixtureRepo, Sender: sender, Issue: is}
	}
	pr := func(action string, sender Actor, edit func(*PullRequest)) *Event {
		p := &PullRequest{
			Number: 57, Title: "Fix TypeError in checkout.total (booty #42)", State: "open",
			HeadRef: "booty/fix-4711", HeadSHA: "6dcb09b5b57875f334f61aebed695e2e4193db5e", HeadRepo: fixtureRepo,
			BaseRef: "main", HTMLURL: "https://github.com/octo-org/octo-repo/pull/57", Author: "booty-app[bot]",
		}
		edit(p)
		return &Event{Kind: KindPullRequest, Name: "pull_request", Action: action, Repo: fixtureRepo, Sender: sender, PullRequest: p}
	}
	tests := []struct {
		file string
		want *Event
	}{
		{"issues.closed.completed.json", issues("closed", maintainer, fixtureIssue(closedAs("completed")))},
		{"issues.closed.not_planned.json", issues("closed", maintainer, fixtureIssue(closedAs("not_planned")))},
		{"issues.closed.duplicate.json", issues("closed", maintainer, fixtureIssue(closedAs("duplicate")))},
		{"issues.reopened.json", issues("reopened", maintainer, fixtureIssue(func(is *Issue) { is.StateReason = "reopened" }))},
		{"issues.deleted.json", issues("deleted", maintainer, fixtureIssue(func(*Issue) {}))},
		{"issues.transferred.json", issues("transferred", maintainer, fixtureIssue(func(is *Issue) {
			is.NewRepo, is.NewNumber = "octo-org/other-repo", 7
		}))},
		{"issues.labeled.json", issues("labeled", maintainer, fixtureIssue(func(is *Issue) {
			is.Labels, is.Label = []string{"bug", "agent:builder"}, "agent:builder"
		}))},
		{"issues.unlabeled.json", issues("unlabeled", maintainer, fixtureIssue(func(is *Issue) { is.Label = "agent:builder" }))},
		{"issues.edited.marker_removed.json", issues("edited", maintainer, fixtureIssue(func(is *Issue) {
			is.ProblemKey, is.PreviousProblemKey, is.MarkerRemoved = "", fixtureKey, true
		}))},
		{"issues.edited.marker_kept.json", issues("edited", maintainer, fixtureIssue(func(is *Issue) {
			is.PreviousProblemKey = fixtureKey
		}))},
		{"issues.edited.title.json", issues("edited", maintainer, fixtureIssue(func(*Issue) {}))},
		{"issues.opened.json", issues("opened", bootyBot, fixtureIssue(func(is *Issue) {
			is.Labels = []string{"bug", "agent:builder"}
		}))},
		{"issues.opened.transferred_in.json", &Event{Kind: KindIssues, Name: "issues", Action: "opened",
			Repo: "octo-org/other-repo", Sender: maintainer, Issue: &Issue{
				Number: 7, Title: fixtureTitle, State: "open", Labels: []string{"bug"}, Author: "booty-app[bot]",
				HTMLURL: "https://github.com/octo-org/other-repo/issues/7", ProblemKey: fixtureKey,
				OldRepo: fixtureRepo, OldNumber: 42,
			}}},
		{"ping.json", &Event{Kind: KindPing, Name: "ping", Repo: fixtureRepo, Sender: maintainer, Ping: &Ping{
			Zen: "Design for failure.", HookID: 480000001, Events: []string{"issues", "ping", "pull_request"},
		}}},
		{"pull_request.opened.json", pr("opened", bootyBot, func(p *PullRequest) { p.Draft = true })},
		{"pull_request.synchronize.json", pr("synchronize", bootyBot, func(p *PullRequest) {
			p.HeadSHA = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
			p.Before, p.After = "6dcb09b5b57875f334f61aebed695e2e4193db5e", "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
		})},
		{"pull_request.closed.merged.json", pr("closed", maintainer, func(p *PullRequest) { p.State, p.Merged = "closed", true })},
		{"star.created.json", &Event{Kind: KindIgnored, Name: "star", Action: "created", Repo: fixtureRepo,
			Sender: Actor{Login: "stargazer", Type: "User", ID: 99}}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			event, body := fixture(t, tt.file)
			got, err := Parse(event, body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", event, diff)
			}
		})
	}
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !seen[e.Name()] {
			t.Errorf("testdata/%s has no case in TestParseFixtures", e.Name())
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const repoSender = `"repository":{"full_name":"o/r"},"sender":{"login":"u"}`
	tests := []struct {
		name, event, body string
		missing           []string // nil: a JSON error
	}{
		{"no event name", " ", `{}`, []string{"X-GitHub-Event"}},
		{"issues not JSON", "issues", `{"action":`, nil},
		{"ignored not JSON", "star", `not json`, nil},
		{"issues wrong type", "issues", `{"action":"closed","issue":{"number":"42"},` + repoSender + `}`, nil},
		{"issues array", "issues", `[]`, nil},
		{"issues null", "issues", `null`, []string{"action", "repository.full_name", "sender.login", "issue"}},
		{"issues without issue", "issues", `{"action":"closed",` + repoSender + `}`, []string{"issue"}},
		{"issues without number", "issues", `{"action":"closed","issue":{"title":"t"},` + repoSender + `}`, []string{"issue.number"}},
		{"issues without repository", "issues", `{"action":"closed","issue":{"number":1},"sender":{"login":"u"}}`, []string{"repository.full_name"}},
		{"issues without sender", "issues", `{"action":"closed","issue":{"number":1},"repository":{"full_name":"o/r"}}`, []string{"sender.login"}},
		{"issues without action", "issues", `{"issue":{"number":1},` + repoSender + `}`, []string{"action"}},
		{"pull request without pull_request", "pull_request", `{"action":"opened",` + repoSender + `}`, []string{"pull_request"}},
		{"pull request without head", "pull_request", `{"action":"opened","number":3,"pull_request":{"number":3},` + repoSender + `}`, []string{"pull_request.head.sha"}},
		{"pull request without number", "pull_request", `{"action":"opened","pull_request":{"head":{"sha":"abc"}},` + repoSender + `}`, []string{"pull_request.number"}},
		{"ping wrong type", "ping", `{"zen":1}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.event, []byte(tt.body))
			if got != nil {
				t.Errorf("Parse returned %+v, want nil", got)
			}
			pe, ok := errors.AsType[*PayloadError](err)
			if !ok {
				t.Fatalf("Parse error %v (%T), want a *PayloadError", err, err)
			}
			if diff := cmp.Diff(tt.missing, pe.Missing); diff != "" {
				t.Errorf("Missing (-want +got):\n%s", diff)
			}
			if tt.missing == nil && pe.Err == nil {
				t.Errorf("Err is nil, want the JSON error")
			}
		})
	}
}

func TestParseIgnoredTolerant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, event, body string
		want              *Event
	}{
		{"array", "star", `[1,2]`, &Event{Kind: KindIgnored, Name: "star"}},
		{"wrong type", "watch", `{"action":"started","repository":"x","sender":{"login":"u"}}`,
			&Event{Kind: KindIgnored, Name: "watch", Action: "started", Sender: Actor{Login: "u"}}},
		{"case and space", " Issue_Comment ", `{"action":"created"}`, &Event{Kind: KindIgnored, Name: "Issue_Comment", Action: "created"}},
		{"handled name in capitals", "ISSUES", `{"action":"closed","issue":{"number":1},"repository":{"full_name":"o/r"},"sender":{"login":"u"}}`,
			&Event{Kind: KindIssues, Name: "ISSUES", Action: "closed", Repo: "o/r", Sender: Actor{Login: "u"}, Issue: &Issue{Number: 1}}},
		{"org ping", "ping", `{"zen":"z","hook_id":1,"hook":{"type":"Organization","events":["*"]},"organization":{"login":"o"},"sender":{"login":"u"}}`,
			&Event{Kind: KindPing, Name: "ping", Sender: Actor{Login: "u"}, Ping: &Ping{Zen: "z", HookID: 1, Events: []string{"*"}}}},
		{"app installation", "installation", `{"action":"created","installation":{"id":12345},"sender":{"login":"u"}}`,
			&Event{Kind: KindIgnored, Name: "installation", Action: "created", Sender: Actor{Login: "u"}, InstallationID: 12345}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.event, []byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}
