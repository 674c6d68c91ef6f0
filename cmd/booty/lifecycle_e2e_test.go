package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"booty/internal/githubtest"
	"booty/internal/sentrytest"
)

// sentryIssueID is the Sentry issue of the issue.* fixtures.
const sentryIssueID = "1638821441"

// lifecycleBooty starts booty with GitHub's webhooks on and env added, and
// files the fixtures' Sentry issue; it returns booty (the caller stops
// it), the stand-in and the issue's number.
func lifecycleBooty(t *testing.T, env ...string) (*process, *githubtest.Server, int) {
	t.Helper()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	env = append(append(bootyEnv(gh.URL, "sqlite:"+filepath.Join(t.TempDir(), "booty.db")),
		"GITHUB_WEBHOOK_SECRET="+testGitHubSecret), env...)
	p := startBooty(t, env, "")
	gh.SendWebhooks(p.url+"/webhooks/github", []byte(testGitHubSecret))
	base := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	if got := deliver(t, p.url, "event_alert", withEventAt(t, base, sentryIssueID, "ev-1", time.Now().Add(-time.Hour)), testSecret); got.Decision != "create" {
		t.Fatalf("first alert: %s", got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	issues := gh.Issues()
	if len(issues) != 1 {
		t.Fatalf("%d issues, want 1", len(issues))
	}
	return p, gh, issues[0].Number
}

// TestSentryRegressedReopensAtOnce: an issue closed as completed on GitHub
// is reopened, with a comment, as soon as Sentry says the problem
// regressed, without waiting for an alert.
func TestSentryRegressedReopensAtOnce(t *testing.T) {
	t.Parallel()
	p, gh, n := lifecycleBooty(t)
	defer p.stop(t)
	if err := gh.CloseIssueAs(n, "completed"); err != nil {
		t.Fatal(err)
	}
	gh.WaitWebhooks()
	got := deliver(t, p.url, "issue", fixture(t, "issue.unresolved.regressed.json"), testSecret)
	if got.Status != http.StatusAccepted || got.Decision != "sentry_regressed" {
		t.Fatalf("regressed: %d %s, want 202 sentry_regressed", got.Status, got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	is, _ := gh.Issue(n)
	if is.State != "open" || len(is.Comments) != 1 || !strings.Contains(is.Comments[0], "**Regression:**") {
		t.Errorf("issue #%d: %s with comments %q, want reopened with the regression comment", n, is.State, is.Comments)
	}
	if len(gh.Issues()) != 1 {
		t.Errorf("%d issues, want 1: Sentry's webhooks never file", len(gh.Issues()))
	}
}

// TestSentryResolvedCloses: with OBSV_ON_RESOLVE=close, Sentry's resolve
// closes the issue as completed with a comment saying so; an assign in
// Sentry is a comment naming who, never an @mention.
func TestSentryResolvedCloses(t *testing.T) {
	t.Parallel()
	p, gh, n := lifecycleBooty(t, "OBSV_ON_RESOLVE=close")
	defer p.stop(t)
	// The assign fixture is of another Sentry issue: made this one's.
	assigned := strings.ReplaceAll(string(fixture(t, "issue.assigned.json")), "1638844654", sentryIssueID)
	if got := deliver(t, p.url, "issue", []byte(assigned), testSecret); got.Status != http.StatusAccepted {
		t.Fatalf("assigned: %d %s", got.Status, got.RawBody)
	}
	got := deliver(t, p.url, "issue", fixture(t, "issue.resolved.json"), testSecret)
	if got.Status != http.StatusAccepted || got.Decision != "sentry_resolved" {
		t.Fatalf("resolved: %d %s, want 202 sentry_resolved", got.Status, got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	is, _ := gh.Issue(n)
	if is.State != "closed" || is.StateReason != "completed" {
		t.Errorf("issue #%d: %s (%s), want closed as completed", n, is.State, is.StateReason)
	}
	// Notes of one problem run as any jobs do, so in either order.
	all := strings.Join(is.Comments, "\n")
	if len(is.Comments) != 2 || !strings.Contains(all, "**Assigned in Sentry** to `Hemanth V. Alluri`") ||
		!strings.Contains(all, "**Resolved in Sentry**") {
		t.Errorf("comments %q, want the assign and the resolve", is.Comments)
	}
	for _, c := range is.Comments {
		if strings.Contains(c, " @") {
			t.Errorf("a comment mentions someone: %q", c)
		}
	}
	// A problem booty never filed: recorded, nothing written.
	other := strings.ReplaceAll(string(fixture(t, "issue.resolved.json")), sentryIssueID, "999")
	if got := deliver(t, p.url, "issue", []byte(other), testSecret); got.Reason != "no_issue" {
		t.Errorf("resolve of an unknown problem: %s, want no_issue", got.RawBody)
	}
}

// TestGitHubCloseSyncsSentry: with SENTRY_API_TOKEN and SENTRY_ORG set, a
// person's close as completed resolves the Sentry issue in the next
// release, exactly once though GitHub delivers the close twice; the
// GitHub issue gets no comment for it.
func TestGitHubCloseSyncsSentry(t *testing.T) {
	t.Parallel()
	sn := sentrytest.New(t, sentrytest.Options{Org: "acme", Token: "sntrys_test_token", Issues: []string{sentryIssueID}})
	p, gh, n := lifecycleBooty(t, "SENTRY_API_TOKEN=sntrys_test_token", "SENTRY_ORG=acme", "SENTRY_API_URL="+sn.URL)
	defer p.stop(t)
	if err := gh.CloseIssueAs(n, "completed"); err != nil {
		t.Fatal(err)
	}
	gh.WaitWebhooks()
	var closeID string
	for _, d := range gh.Deliveries() {
		if d.Action == "closed" {
			closeID = d.ID
		}
	}
	if _, err := gh.Redeliver(closeID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the Sentry issue resolved", func() bool {
		is, _ := sn.Issue(sentryIssueID)
		return is.Status == "resolved"
	})
	waitJobsDone(t, p, 30*time.Second)
	if got := sn.Count(http.MethodPut, sn.IssuePath(sentryIssueID)); got != 1 {
		t.Errorf("Sentry got %d updates of the issue, want 1", got)
	}
	is, _ := sn.Issue(sentryIssueID)
	if next, _ := is.StatusDetails["inNextRelease"].(bool); !next {
		t.Errorf("Sentry issue %+v, want resolved in the next release", is)
	}
	if is, _ := gh.Issue(n); len(is.Comments) != 0 {
		t.Errorf("the GitHub issue got comments %q, want none for a sync", is.Comments)
	}
}

// withRelease returns payload with data.event's release set.
func withRelease(t *testing.T, payload []byte, release string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	m["data"].(map[string]any)["event"].(map[string]any)["release"] = release
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPreFixTailThenRegression: after a close as completed, an event of a
// release booty saw before the close is a pre-fix tail, commented once and
// left closed; an event of a release first seen after it reopens the issue.
func TestPreFixTailThenRegression(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	db := "sqlite:" + filepath.Join(t.TempDir(), "booty.db")
	env := append(bootyEnv(gh.URL, db), "GITHUB_WEBHOOK_SECRET="+testGitHubSecret, "OBSV_COOLDOWN_HOURS=0")
	p := startBooty(t, env, "")
	defer p.stop(t)
	gh.SendWebhooks(p.url+"/webhooks/github", []byte(testGitHubSecret))
	base := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	event := func(id, release string, at time.Time) answer {
		t.Helper()
		return deliver(t, p.url, "event_alert", withRelease(t, withEventAt(t, base, "5150", id, at), release), testSecret)
	}
	if got := event("ev-1", "web@1.0", time.Now().Add(-time.Hour)); got.Decision != "create" {
		t.Fatalf("first alert: %s", got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	n := gh.Issues()[0].Number
	if err := gh.CloseIssueAs(n, "completed"); err != nil {
		t.Fatal(err)
	}
	gh.WaitWebhooks()
	waitFor(t, 10*time.Second, "booty's log of the close", func() bool {
		return strings.Contains(p.logs.String(), `"outcome":"closed"`)
	})

	for i, want := range []string{"pre_fix_tail", "pre_fix_tail"} {
		if got := event(fmt.Sprintf("tail-%d", i), "web@1.0", time.Now()); got.Reason != want {
			t.Errorf("event %d of the old release: %s, want %s", i+1, got.RawBody, want)
		}
	}
	waitJobsDone(t, p, 30*time.Second)
	is, _ := gh.Issue(n)
	if is.State != "closed" || len(is.Comments) != 1 || !strings.Contains(is.Comments[0], "**Still seen** on `web@1.0`") {
		t.Errorf("after the tail: %s with comments %q, want closed with one pre-fix comment", is.State, is.Comments)
	}

	if got := event("new-1", "web@2.0", time.Now()); got.Decision != "reopen" {
		t.Errorf("event of a new release: %s, want reopen", got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	if is, _ := gh.Issue(n); is.State != "open" || len(is.Comments) != 2 {
		t.Errorf("after the regression: %s with %d comments, want reopened with a second comment", is.State, len(is.Comments))
	}
	if len(gh.Issues()) != 1 {
		t.Errorf("%d issues, want 1", len(gh.Issues()))
	}
	// booty problems show tells the same story: both releases, and the
	// lifecycle's steps with their reasons.
	code, out, errOut := runBooty(t, map[string]string{"BOOTY_DATABASE_URL": db, "TARGET_REPO_URL": "acme/shop"}, "problems", "show", "sentry:5150")
	if code != 0 || !regexpLine(out, "releases seen", "web@2.0, web@1.0") || !regexpLine(out, "lifecycle", "event", "closed_completed", "pre_fix_tail") ||
		!regexpLine(out, "lifecycle", "event", "open", "reopened") {
		t.Errorf("problems show: exit %d\n%s%s", code, out, errOut)
	}
}

// TestRegressionAsNewIssue: with OBSV_ON_REGRESSION=new_issue, the problem
// back after a close files a new issue that links the closed one.
func TestRegressionAsNewIssue(t *testing.T) {
	t.Parallel()
	p, gh, n := lifecycleBooty(t, "OBSV_ON_REGRESSION=new_issue", "OBSV_COOLDOWN_HOURS=0")
	defer p.stop(t)
	if err := gh.CloseIssueAs(n, "completed"); err != nil {
		t.Fatal(err)
	}
	gh.WaitWebhooks()
	waitFor(t, 10*time.Second, "booty's log of the close", func() bool {
		return strings.Contains(p.logs.String(), `"outcome":"closed"`)
	})
	base := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	got := deliver(t, p.url, "event_alert", withRelease(t, withEventAt(t, base, sentryIssueID, "ev-2", time.Now()), "web@9"), testSecret)
	if got.Decision != "create" {
		t.Fatalf("regression: %s, want create", got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	issues := gh.Issues()
	if len(issues) != 2 {
		t.Fatalf("%d issues, want the closed one and its regression", len(issues))
	}
	var fresh githubtest.Issue
	for _, is := range issues {
		if is.Number != n {
			fresh = is
		}
	}
	if !strings.HasPrefix(fresh.Body, fmt.Sprintf("**Regression of #%d:**", n)) {
		t.Errorf("new issue does not link #%d:\n%s", n, fresh.Body)
	}
	if old, _ := gh.Issue(n); old.State != "closed" {
		t.Errorf("old issue is %s, want left closed", old.State)
	}
}

// TestQuietRepeats: with OBSV_ON_REPEAT=update, a problem seen again after
// its cooldown rewrites its issue's Occurrences instead of commenting.
func TestQuietRepeats(t *testing.T) {
	t.Parallel()
	p, gh, n := lifecycleBooty(t, "OBSV_ON_REPEAT=update", "OBSV_COOLDOWN_HOURS=0")
	defer p.stop(t)
	base := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	if got := deliver(t, p.url, "event_alert", withEventAt(t, base, sentryIssueID, "ev-2", time.Now()), testSecret); got.Decision != "update" {
		t.Fatalf("repeat: %s, want update", got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	is, _ := gh.Issue(n)
	if len(is.Comments) != 0 || !strings.Contains(is.Body, "- **Count:** 2") {
		t.Errorf("issue #%d: %d comments, body:\n%s\nwant no comment and a count of 2", n, len(is.Comments), is.Body)
	}
}
