package githubtest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"

	"booty/internal/clocktest"
	"booty/internal/githubtest"
)

const (
	testToken = "ghp_standintesttoken0123456789"
	owner     = "acme"
	repo      = "shop"
)

var epoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

type bundle struct {
	srv   *githubtest.Server
	gh    *gh.Client
	clock *clocktest.Clock
}

// setup starts a stand-in for acme/shop with a fake clock and returns it with
// a go-github client configured the way booty configures its own. Fields of
// opts that are set win over the defaults here.
func setup(t *testing.T, opts githubtest.Options) bundle {
	t.Helper()
	c := clocktest.New(epoch)
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.Owner == "" {
		opts.Owner, opts.Repo = owner, repo
	}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	s := githubtest.NewServer(t, opts)
	return bundle{srv: s, gh: newClient(t, s, testToken), clock: c}
}

// newClient returns a fresh go-github client. Each fault test uses its own,
// because go-github remembers rate limits per client.
func newClient(t *testing.T, s *githubtest.Server, token string) *gh.Client {
	t.Helper()
	c, err := gh.NewClient(gh.WithAuthToken(token), gh.WithURLs(&s.URL, nil))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// raw sends a request without go-github, for headers and bodies go-github
// hides. The response body is read and returned.
func raw(t *testing.T, s *githubtest.Server, method, path, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, strings.TrimSuffix(s.URL, "/")+path, rd)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, path, err)
	}
	return resp, string(b)
}

func authHeader() http.Header {
	return http.Header{"Authorization": {"Bearer " + testToken}}
}

func createIssue(t *testing.T, c *gh.Client, title string, labels ...string) *gh.Issue {
	t.Helper()
	is, _, err := c.Issues.Create(t.Context(), owner, repo, gh.CreateIssueRequest{Title: title, Body: new("body of " + title), Labels: labels})
	if err != nil {
		t.Fatalf("create issue %q: %v", title, err)
	}
	return is
}
