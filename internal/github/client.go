// Package github is booty's adapter to GitHub: it renders a problem as issue
// text, and files, comments on and reopens issues through go-github,
// classifying every failure in one place.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v92/github"
)

// Issue is what booty needs to know of a GitHub issue.
type Issue struct {
	Number int
	Closed bool
	URL    string
}

// Client files and updates issues in one repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
}

// NewClient returns a Client for owner/repo on the REST API at apiURL (with a
// trailing slash), authenticated with token. httpClient carries the timeout
// and any instrumentation.
func NewClient(httpClient *http.Client, apiURL, token, owner, repo, version string) (*Client, error) {
	c, err := gh.NewClient(
		gh.WithHTTPClient(httpClient),
		gh.WithURLs(&apiURL, &apiURL),
		gh.WithAuthToken(token),
		gh.WithUserAgent("booty/"+version),
		// booty pauses writes on rate limits itself, in one place (Limiter).
		// go-github's own bookkeeping would block the client for up to an
		// hour after a secondary limit that names no Retry-After, where
		// GitHub asks for a minute.
		gh.WithDisableRateLimitCheck(),
	)
	if err != nil {
		// go-github's errors here name the URL, never the token.
		return nil, fmt.Errorf("github client: %w", err)
	}
	return &Client{gh: c, owner: owner, repo: repo}, nil
}

// CreateIssue opens an issue with labels in one call (GitHub creates labels
// it does not know).
func (c *Client) CreateIssue(ctx context.Context, title, body string, labels []string) (Issue, error) {
	is, _, err := c.gh.Issues.Create(ctx, c.owner, c.repo, gh.CreateIssueRequest{
		Title: title, Body: &body, Labels: labels,
	})
	if err != nil {
		return Issue{}, fmt.Errorf("create issue: %w", err)
	}
	return toIssue(is), nil
}

// FindIssue looks for the issue of problemKey among the issues labelled
// label that changed since since, by its hidden marker. It is how a create
// whose outcome is unknown is checked before it is tried again.
func (c *Client) FindIssue(ctx context.Context, problemKey, label string, since time.Time) (Issue, bool, error) {
	opts := &gh.IssueListByRepoOptions{
		State: "all", Labels: []string{label}, Sort: "created", Direction: "desc", Since: since,
		ListOptions: gh.ListOptions{PerPage: 100},
	}
	// A handful of pages covers any real burst; the limit keeps a runaway
	// repository from turning one lookup into thousands of calls.
	for page := 0; page < 10; page++ {
		list, resp, err := c.gh.Issues.ListByRepo(ctx, c.owner, c.repo, opts)
		if err != nil {
			return Issue{}, false, fmt.Errorf("find issue %s: %w", problemKey, err)
		}
		for _, is := range list {
			if is.PullRequestLinks == nil && ContainsMarker(is.GetBody(), problemKey) {
				return toIssue(is), true, nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.ListOptions.Page = resp.NextPage
	}
	return Issue{}, false, nil
}

// Issue returns issue number.
func (c *Client) Issue(ctx context.Context, number int) (Issue, error) {
	is, _, err := c.gh.Issues.Get(ctx, c.owner, c.repo, number)
	if err != nil {
		return Issue{}, fmt.Errorf("get issue %d: %w", number, err)
	}
	return toIssue(is), nil
}

// Comment adds a comment to issue number.
func (c *Client) Comment(ctx context.Context, number int, body string) error {
	if _, _, err := c.gh.Issues.CreateComment(ctx, c.owner, c.repo, number, gh.IssueCommentRequest{Body: body}); err != nil {
		return fmt.Errorf("comment on issue %d: %w", number, err)
	}
	return nil
}

// HasComment reports whether issue number has a comment since since that
// contains marker: the check before a comment whose outcome is unknown is
// tried again.
func (c *Client) HasComment(ctx context.Context, number int, marker string, since time.Time) (bool, error) {
	opts := &gh.IssueListCommentsOptions{Since: &since, ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < 10; page++ {
		list, resp, err := c.gh.Issues.ListComments(ctx, c.owner, c.repo, number, opts)
		if err != nil {
			return false, fmt.Errorf("list comments of issue %d: %w", number, err)
		}
		for _, cm := range list {
			if strings.Contains(cm.GetBody(), marker) {
				return true, nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return false, nil
}

// Reopen reopens issue number.
func (c *Client) Reopen(ctx context.Context, number int) error {
	open, reason := "open", "reopened"
	if _, _, err := c.gh.Issues.Update(ctx, c.owner, c.repo, number, gh.UpdateIssueRequest{State: &open, StateReason: &reason}); err != nil {
		return fmt.Errorf("reopen issue %d: %w", number, err)
	}
	return nil
}

// EnsureLabel creates the label if the repository lacks it.
func (c *Client) EnsureLabel(ctx context.Context, name string) error {
	_, _, err := c.gh.Issues.GetLabel(ctx, c.owner, c.repo, name)
	if err == nil {
		return nil
	}
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusNotFound {
		return fmt.Errorf("get label %q: %w", name, err)
	}
	color, desc := "5319e7", "Filed by booty from a Sentry alert, for the builder agent"
	_, _, err = c.gh.Issues.CreateLabel(ctx, c.owner, c.repo, gh.CreateIssueLabelRequest{Name: name, Color: &color, Description: &desc})
	if err != nil && !isAlreadyExists(err) {
		return fmt.Errorf("create label %q: %w", name, err)
	}
	return nil
}

// CheckAccess verifies that the token is valid and may write issues to the
// repository.
func (c *Client) CheckAccess(ctx context.Context) error {
	r, _, err := c.gh.Repositories.Get(ctx, c.owner, c.repo)
	if err != nil {
		return fmt.Errorf("get repository: %w", err)
	}
	if p := r.GetPermissions(); p != nil && !p.GetPush() && !p.GetTriage() && !p.GetMaintain() && !p.GetAdmin() {
		return fmt.Errorf("token cannot write issues to %s/%s", c.owner, c.repo)
	}
	if !r.GetHasIssues() && r.HasIssues != nil {
		return fmt.Errorf("issues are disabled on %s/%s", c.owner, c.repo)
	}
	return nil
}

func isAlreadyExists(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Code == "already_exists" {
			return true
		}
	}
	return false
}

func toIssue(is *gh.Issue) Issue {
	return Issue{Number: is.GetNumber(), Closed: is.GetState() == "closed", URL: is.GetHTMLURL()}
}
