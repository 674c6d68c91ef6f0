package github_test

import (
	"net/http"
	"strings"
	"testing"

	"booty/internal/github"
	"booty/internal/githubtest"
)

// TestGitToken: a token client clones with its token; an App's client with
// its installation's token, which the stand-in's API takes.
func TestGitToken(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app"})
	token := clientFor(t, github.NewTokenClients(&http.Client{}, srv.URL, clientToken, "test"), "acme", "app")
	if got, err := token.GitToken(t.Context()); err != nil || got != clientToken {
		t.Errorf("token client's git token %q, %v", got, err)
	}
	b := setupApp(t, githubtest.App{}, nil)
	app := clientFor(t, b.clients, "acme", "app")
	got, err := app.GitToken(t.Context())
	if err != nil || !strings.HasPrefix(got, "ghs_") {
		t.Fatalf("App client's git token %q, %v: want an installation token", got, err)
	}
	again := clientFor(t, github.NewTokenClients(&http.Client{}, b.srv.URL, got, "test"), "acme", "app")
	if _, err := again.DefaultBranch(t.Context()); err != nil {
		t.Errorf("the installation token is refused: %v", err)
	}
}

// TestPullsAndStatuses: OpenPull finds the open pull request of a branch,
// or none; CreateStatus clips a long description to what GitHub keeps.
func TestPullsAndStatuses(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t, githubtest.Options{Token: clientToken, Owner: "acme", Repo: "app"})
	c := clientFor(t, github.NewTokenClients(&http.Client{}, srv.URL, clientToken, "test"), "acme", "app")
	if n, _, err := c.OpenPull(t.Context(), "booty/issue-1"); err != nil || n != 0 {
		t.Fatalf("OpenPull before any: %d, %v", n, err)
	}
	n, url, err := c.CreateDraftPull(t.Context(), "Fix #1", "booty/issue-1", "main", "Fixes #1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		head string
		want int
	}{{"booty/issue-1", n}, {"booty/issue-2", 0}} {
		got, gotURL, err := c.OpenPull(t.Context(), tc.head)
		if err != nil || got != tc.want || (tc.want != 0 && gotURL != url) {
			t.Errorf("OpenPull(%s) = %d %s, %v; want %d", tc.head, got, gotURL, err, tc.want)
		}
	}
	sha := strings.Repeat("ab", 20)
	if err := c.CreateStatus(t.Context(), sha, "booty/verifier", "failure", strings.Repeat("é", 200), "http://booty.example/runs/1"); err != nil {
		t.Fatal(err)
	}
	st := srv.Statuses(sha)
	if len(st) != 1 || len([]rune(st[0].Description)) != github.MaxStatusDescription || st[0].TargetURL != "http://booty.example/runs/1" {
		t.Errorf("statuses %+v", st)
	}
}
