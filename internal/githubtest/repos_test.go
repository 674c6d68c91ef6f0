package githubtest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	gh "github.com/google/go-github/v92/github"

	"booty/internal/githubtest"
)

func TestReposServesEachRepository(t *testing.T) {
	t.Parallel()
	rs := githubtest.NewRepos(t, githubtest.Options{Token: "tok", Assignable: []string{"alice"}}, "acme/web", "acme/api")
	c, err := gh.NewClient(gh.WithAuthToken("tok"), gh.WithURLs(&rs.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const title = "boom"
	if _, _, err := c.Issues.Create(ctx, "acme", "web", gh.CreateIssueRequest{Title: title, Assignees: []string{"alice"}}); err != nil {
		t.Fatalf("create in acme/web: %v", err)
	}
	if n := len(rs.Repo("acme/web").Issues()); n != 1 {
		t.Errorf("acme/web has %d issues, want 1", n)
	}
	if n := len(rs.Repo("acme/api").Issues()); n != 0 {
		t.Errorf("acme/api has %d issues, want 0", n)
	}
	if got := rs.Repo("acme/web").Issues()[0].Assignees; len(got) != 1 || got[0] != "alice" {
		t.Errorf("assignees = %q, want [alice]", got)
	}
	_, _, err = c.Issues.Create(ctx, "acme", "api", gh.CreateIssueRequest{Title: title, Assignees: []string{"mallory"}})
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("create with an unknown assignee: %v, want 422", err)
	}
	if _, _, err := c.Issues.Create(ctx, "acme", "other", gh.CreateIssueRequest{Title: title}); err == nil {
		t.Error("create in a repository not served: no error, want 404")
	}
}
