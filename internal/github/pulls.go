package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v92/github"
)

// DefaultBranch returns the repository's default branch.
func (c *Client) DefaultBranch(ctx context.Context) (string, error) {
	r, _, err := c.gh.Repositories.Get(ctx, c.owner, c.repo)
	if err != nil {
		return "", fmt.Errorf("get repository: %w", err)
	}
	if r.GetDefaultBranch() == "" {
		return "", fmt.Errorf("get repository: no default branch")
	}
	return r.GetDefaultBranch(), nil
}

// Permission returns login's permission on the repository as GitHub's
// permissions API sums it up: "admin", "write" (maintain included), "read"
// (triage included), or "none".
func (c *Client) Permission(ctx context.Context, login string) (string, error) {
	p, resp, err := c.gh.Repositories.GetPermissionLevel(ctx, c.owner, c.repo, login)
	if resp != nil && resp.StatusCode == 404 {
		return "none", nil
	}
	if err != nil {
		return "", fmt.Errorf("get permission of %s: %w", login, err)
	}
	return p.GetPermission(), nil
}

// CanWrite reports whether a permission lets its holder push.
func CanWrite(permission string) bool {
	switch permission {
	case "admin", "write":
		return true
	}
	return false
}

// CreateDraftPull opens a draft pull request from head into base and
// returns its number and URL.
func (c *Client) CreateDraftPull(ctx context.Context, title, head, base, body string) (int, string, error) {
	draft := true
	pr, _, err := c.gh.PullRequests.Create(ctx, c.owner, c.repo, gh.CreatePullRequest{Title: &title, Head: head, Base: base, Body: &body, Draft: &draft})
	if err != nil {
		return 0, "", fmt.Errorf("create pull request: %w", err)
	}
	return pr.GetNumber(), pr.GetHTMLURL(), nil
}
