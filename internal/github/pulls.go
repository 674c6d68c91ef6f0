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

// GitToken returns the credential booty clones and pushes the repository
// with: the token, or its GitHub App installation's current token (which
// needs the Contents permission, read and write).
func (c *Client) GitToken(ctx context.Context) (string, error) {
	t, err := c.gitToken(ctx)
	if err != nil {
		return "", fmt.Errorf("git credential: %w", err)
	}
	return t, nil
}

// OpenPull returns the open pull request from branch head of the
// repository itself, or 0 when there is none.
func (c *Client) OpenPull(ctx context.Context, head string) (int, string, error) {
	prs, _, err := c.gh.PullRequests.List(ctx, c.owner, c.repo, &gh.PullRequestListOptions{State: "open", Head: c.owner + ":" + head})
	if err != nil {
		return 0, "", fmt.Errorf("list pull requests: %w", err)
	}
	if len(prs) == 0 {
		return 0, "", nil
	}
	return prs[0].GetNumber(), prs[0].GetHTMLURL(), nil
}

// MaxStatusDescription is the longest description a commit status keeps.
const MaxStatusDescription = 140

// CreateStatus posts a commit status on sha under context: state is
// "pending", "success", "failure" or "error"; description is clipped to
// what GitHub keeps; targetURL may be "".
func (c *Client) CreateStatus(ctx context.Context, sha, statusContext, state, description, targetURL string) error {
	if r := []rune(description); len(r) > MaxStatusDescription {
		description = string(r[:MaxStatusDescription-1]) + "…"
	}
	st := gh.RepoStatus{State: &state, Context: &statusContext, Description: &description}
	if targetURL != "" {
		st.TargetURL = &targetURL
	}
	if _, _, err := c.gh.Repositories.CreateStatus(ctx, c.owner, c.repo, sha, st); err != nil {
		return fmt.Errorf("create commit status: %w", err)
	}
	return nil
}
