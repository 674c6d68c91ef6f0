package main

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"booty/internal/ghhook"
	"booty/internal/githubtest"
)

const testGitHubSecret = "gh-hook-secret-5e1a"

// TestGitHubWebhooks runs the built binary with GITHUB_WEBHOOK_SECRET
// against a stand-in that sends signed issues webhooks: an issue a person
// closes as not planned is never reopened by a later event, which is still
// counted; a redelivered close changes nothing; booty's own actions and bad
// signatures are not followed.
func TestGitHubWebhooks(t *testing.T) {
	t.Parallel()
	gh := githubtest.NewServer(t, githubtest.Options{Token: testToken, Owner: "acme", Repo: "shop"})
	env := append(bootyEnv(gh.URL, "sqlite:"+filepath.Join(t.TempDir(), "booty.db")),
		"GITHUB_WEBHOOK_SECRET="+testGitHubSecret, "OBSV_COOLDOWN_HOURS=0")
	p := startBooty(t, env, "")
	defer p.stop(t)
	gh.SendWebhooks(p.url+"/webhooks/github", []byte(testGitHubSecret))

	base := fixture(t, "event_alert.triggered.vue-breadcrumbs-zulip-2023.json")
	if got := deliver(t, p.url, "event_alert", withEventAt(t, base, "4242", "ev-1", time.Now().Add(-time.Minute)), testSecret); got.Decision != "create" {
		t.Fatalf("first alert: %s", got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	issues := gh.Issues()
	if len(issues) != 1 {
		t.Fatalf("%d issues, want 1", len(issues))
	}
	n := issues[0].Number
	if err := gh.CloseIssueAs(n, "not_planned"); err != nil {
		t.Fatal(err)
	}
	gh.WaitWebhooks()
	var closeID string
	for _, d := range gh.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %s (%s %s by %s) answered %d: %s", d.ID, d.Event, d.Action, d.Sender, d.Status, d.Err)
		}
		if d.Action == "closed" {
			closeID = d.ID
		}
	}
	if closeID == "" {
		t.Fatalf("the stand-in sent no close: %+v", gh.Deliveries())
	}
	waitFor(t, 10*time.Second, "booty's log of the close", func() bool {
		return strings.Contains(p.logs.String(), `"outcome":"closed","repo":"acme/shop"`)
	})

	// A new event of the problem: counted, no reopen.
	got := deliver(t, p.url, "event_alert", withEventAt(t, base, "4242", "ev-2", time.Now()), testSecret)
	if got.Reason != "closed_not_planned" {
		t.Errorf("event after a close as not planned: %s, want closed_not_planned", got.RawBody)
	}
	waitJobsDone(t, p, 30*time.Second)
	if is, _ := gh.Issue(n); is.State != "closed" || len(is.Comments) != 0 {
		t.Errorf("issue #%d is %s with %d comments, want closed and left alone", n, is.State, len(is.Comments))
	}

	// A redelivery of the close: recorded once.
	d, err := gh.Redeliver(closeID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != http.StatusOK {
		t.Errorf("redelivery answered %d, want 200", d.Status)
	}
	waitFor(t, 10*time.Second, "booty's log of the redelivery", func() bool {
		return strings.Contains(p.logs.String(), `"outcome":"duplicate"`)
	})

	// A body signed with another secret is refused before it is read.
	req, err := http.NewRequest(http.MethodPost, p.url+"/webhooks/github", bytes.NewReader([]byte(`{"action":"reopened"}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(ghhook.HeaderEvent, "issues")
	req.Header.Set(ghhook.HeaderDelivery, "forged-1")
	req.Header.Set(ghhook.HeaderSignature, ghhook.Sign([]byte("not-the-secret"), []byte(`{"action":"reopened"}`)))
	if a := do(t, req); a.Status != http.StatusUnauthorized || a.ErrCode != "invalid_signature" {
		t.Errorf("forged delivery: %d %s, want 401 invalid_signature", a.Status, a.RawBody)
	}
}
