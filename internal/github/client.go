// Package github is booty's adapter to GitHub: it renders a problem as issue
// text, and files, comments on, reopens and closes issues through go-github,
// classifying every failure in one place.
package github

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v92/github"
)

// Issue is what booty needs to know of a GitHub issue.
type Issue struct {
	Number   int
	Closed   bool
	ClosedAt time.Time
	// URL is GitHub's html_url of the issue, for logs and links.
	URL string
	// ProblemKey is the key in the issue's hidden marker, or "" when it
	// has none.
	ProblemKey string
	// Body is the issue's body as GitHub has it, and Title its title
	// (read by Issue only).
	Body, Title string
	// Author is the login of who opened the issue.
	Author string
}

// Client files and updates issues in one repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
	// whoami names the identity booty files as when SetCreator was not
	// called; nil means the token's user (GET /user).
	whoami func(context.Context) (string, error)
	// gitToken is the credential for the repository's git remote: the
	// token, or an App installation's current token.
	gitToken func(context.Context) (string, error)

	mu      sync.Mutex
	creator string
}

// Lookups list at most lookupPages pages of lookupPerPage issues: enough
// for any real burst, and a runaway repository cannot turn one lookup into
// thousands of calls. Pages are kept small so that a page of the longest
// bodies GitHub allows stays far under MaxAnswerBytes.
const (
	lookupPages   = 20
	lookupPerPage = 50
)

// NewClient returns a Client for owner/repo on the REST API at apiURL (with a
// trailing slash), authenticated with token. httpClient carries the timeout
// and any instrumentation (NewTransport).
func NewClient(httpClient *http.Client, apiURL, token, owner, repo, version string) (*Client, error) {
	if token == "" {
		return nil, errors.New("github client: no token")
	}
	return newClient(httpClient, apiURL, token, owner, repo, version)
}

// newClient is NewClient, without a token when httpClient authenticates
// (a GitHub App's installation).
func newClient(httpClient *http.Client, apiURL, token, owner, repo, version string) (*Client, error) {
	opts := []gh.ClientOptionsFunc{
		gh.WithHTTPClient(httpClient),
		gh.WithURLs(&apiURL, &apiURL),
		gh.WithUserAgent("booty/" + version),
		// booty pauses writes on rate limits itself, in one place (the
		// worker's write budget, in the store).
		// go-github's own bookkeeping would block the client for up to an
		// hour after a secondary limit that names no Retry-After, where
		// GitHub asks for a minute.
		gh.WithDisableRateLimitCheck(),
	}
	if token != "" {
		opts = append(opts, gh.WithAuthToken(token))
	}
	c, err := gh.NewClient(opts...)
	if err != nil {
		// go-github's errors here name the URL, never the token.
		return nil, fmt.Errorf("github client: %w", err)
	}
	return &Client{gh: c, owner: owner, repo: repo,
		gitToken: func(context.Context) (string, error) { return token, nil }}, nil
}

// SetCreator names the identity booty's issues are created by, as GitHub
// shows it in an issue's user.login: a GitHub App files as "NAME[bot]",
// which GET /user cannot tell. Without it, Creator asks GitHub.
func (c *Client) SetCreator(login string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.creator = login
}

// Creator returns the login booty's issues are created by: the one given to
// SetCreator, else a GitHub App's bot (SLUG[bot]) for a Client of
// Clients.ClientFor, else the token's user from GET /user, asked once and
// kept.
func (c *Client) Creator(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.creator != "" {
		return c.creator, nil
	}
	if c.whoami != nil {
		login, err := c.whoami(ctx)
		if err != nil {
			return "", err
		}
		c.creator = login
		return login, nil
	}
	u, _, err := c.gh.Users.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("get the token's user: %w", err)
	}
	if u.GetLogin() == "" {
		return "", fmt.Errorf("get the token's user: %w", ErrOutcomeUnknown)
	}
	c.creator = u.GetLogin()
	return c.creator, nil
}

// CreateIssue opens an issue with labels in one call (GitHub creates labels
// it does not know). An answer that may hide a created issue (no answer, a
// 5xx, a success without an issue number) is ErrOutcomeUnknown.
func (c *Client) CreateIssue(ctx context.Context, title, body string, labels []string) (Issue, error) {
	return c.CreateAssignedIssue(ctx, title, body, labels, nil)
}

// CreateAssignedIssue is CreateIssue with the issue assigned to assignees
// in the same call. GitHub refuses the whole create with 422 when one of
// them cannot be assigned in the repository: that is
// ErrAssigneesRefused.
func (c *Client) CreateAssignedIssue(ctx context.Context, title, body string, labels, assignees []string) (Issue, error) {
	is, _, err := c.gh.Issues.Create(ctx, c.owner, c.repo, gh.CreateIssueRequest{
		Title: title, Body: &body, Labels: labels, Assignees: assignees,
	})
	switch {
	case err != nil && len(assignees) > 0 && refusedAssignees(err):
		return Issue{}, fmt.Errorf("create issue: %w: %w", ErrAssigneesRefused, err)
	case err != nil && statusOf(err) == http.StatusGone:
		// An issue that does not exist yet cannot be deleted.
		return Issue{}, fmt.Errorf("create issue: %w: %w", ErrIssuesDisabled, err)
	case err != nil && mayHaveHappened(err):
		return Issue{}, fmt.Errorf("create issue: %w: %w", ErrOutcomeUnknown, err)
	case err != nil:
		return Issue{}, fmt.Errorf("create issue: %w", err)
	case is.GetNumber() <= 0:
		return Issue{}, fmt.Errorf("create issue: answer without an issue number: %w", ErrOutcomeUnknown)
	}
	return toIssue(is), nil
}

// FindIssues returns the issues that carry the hidden marker of problemKey
// among those created by booty's identity (Creator) and updated since
// since, with or without labels, oldest first. It is how a create whose
// outcome is unknown is checked before it is tried again, and how
// duplicates are found.
func (c *Client) FindIssues(ctx context.Context, problemKey string, since time.Time) ([]Issue, error) {
	return c.findIssues(ctx, problemKey, since, lookupPages)
}

// FindRecentIssues is FindIssues over the newest page of booty's issues
// alone: the check for a duplicate after each write. A duplicate made by a
// late commit is created beside the issue it repeats, so it is among the
// newest; the periodic sweep reads further. Reading every page on every
// write would cost a storm of n issues n²/50 requests.
func (c *Client) FindRecentIssues(ctx context.Context, problemKey string, since time.Time) ([]Issue, error) {
	return c.findIssues(ctx, problemKey, since, 1)
}

func (c *Client) findIssues(ctx context.Context, problemKey string, since time.Time, pages int) ([]Issue, error) {
	all, err := c.ownIssues(ctx, since, pages)
	if err != nil {
		return nil, fmt.Errorf("find issue %s: %w", problemKey, err)
	}
	var out []Issue
	for _, is := range all {
		if is.ProblemKey == problemKey {
			out = append(out, is)
		}
	}
	return out, nil
}

// OwnIssues returns the issues created by booty's identity and updated
// since since that carry a problem marker, oldest first.
func (c *Client) OwnIssues(ctx context.Context, since time.Time) ([]Issue, error) {
	return c.ownIssues(ctx, since, lookupPages)
}

// ownIssues is OwnIssues over at most pages pages, newest first.
func (c *Client) ownIssues(ctx context.Context, since time.Time, pages int) ([]Issue, error) {
	creator, err := c.Creator(ctx)
	if err != nil {
		return nil, fmt.Errorf("list own issues: %w", err)
	}
	opts := &gh.IssueListByRepoOptions{
		Creator: creator, State: "all", Sort: "created", Direction: "desc", Since: since,
		ListOptions: gh.ListOptions{PerPage: lookupPerPage},
	}
	var out []Issue
	for range pages {
		list, resp, err := c.gh.Issues.ListByRepo(ctx, c.owner, c.repo, opts)
		if err != nil {
			return nil, fmt.Errorf("list own issues: %w", err)
		}
		for _, is := range list {
			if is.PullRequestLinks != nil {
				continue
			}
			// GitHub filters by creator; checking again keeps a proxy or
			// an older GitHub Enterprise that ignores the filter from
			// letting anyone's issue pass for booty's.
			if !strings.EqualFold(is.GetUser().GetLogin(), creator) {
				continue
			}
			if i := toIssue(is); i.ProblemKey != "" {
				out = append(out, i)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.ListOptions.Page = resp.NextPage
	}
	slices.SortFunc(out, func(a, b Issue) int { return cmp.Compare(a.Number, b.Number) })
	return out, nil
}

// Issue returns issue number. A 410 is ErrIssueGone or ErrIssuesDisabled.
func (c *Client) Issue(ctx context.Context, number int) (Issue, error) {
	is, _, err := c.gh.Issues.Get(ctx, c.owner, c.repo, number)
	if err != nil {
		return Issue{}, fmt.Errorf("get issue %d: %w", number, c.gone(ctx, err))
	}
	out := toIssue(is)
	out.Body, out.Title = is.GetBody(), is.GetTitle()
	return out, nil
}

// EditBody replaces the body of issue number, leaving its title.
func (c *Client) EditBody(ctx context.Context, number int, body string) error {
	if _, _, err := c.gh.Issues.Update(ctx, c.owner, c.repo, number, gh.UpdateIssueRequest{Body: &body}); err != nil {
		return fmt.Errorf("edit issue %d: %w", number, c.gone(ctx, err))
	}
	return nil
}

// Comment adds a comment to issue number.
func (c *Client) Comment(ctx context.Context, number int, body string) error {
	if _, _, err := c.gh.Issues.CreateComment(ctx, c.owner, c.repo, number, gh.IssueCommentRequest{Body: body}); err != nil {
		return fmt.Errorf("comment on issue %d: %w", number, c.gone(ctx, err))
	}
	return nil
}

// HasComment reports whether issue number has a comment since since that
// contains marker: the check before a comment whose outcome is unknown is
// tried again.
func (c *Client) HasComment(ctx context.Context, number int, marker string, since time.Time) (bool, error) {
	opts := &gh.IssueListCommentsOptions{Since: &since, ListOptions: gh.ListOptions{PerPage: lookupPerPage}}
	for range lookupPages {
		list, resp, err := c.gh.Issues.ListComments(ctx, c.owner, c.repo, number, opts)
		if err != nil {
			return false, fmt.Errorf("list comments of issue %d: %w", number, c.gone(ctx, err))
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
		return fmt.Errorf("reopen issue %d: %w", number, c.gone(ctx, err))
	}
	return nil
}

// EditIssue replaces the title and body of issue number: how booty keeps a
// storm digest up to date.
func (c *Client) EditIssue(ctx context.Context, number int, title, body string) error {
	if _, _, err := c.gh.Issues.Update(ctx, c.owner, c.repo, number, gh.UpdateIssueRequest{Title: &title, Body: &body}); err != nil {
		return fmt.Errorf("edit issue %d: %w", number, c.gone(ctx, err))
	}
	return nil
}

// CloseDuplicate closes issue number as a duplicate of issue of
// (state_reason duplicate), with a comment linking the older issue. It is
// how booty heals a problem it filed twice.
func (c *Client) CloseDuplicate(ctx context.Context, number, of int) error {
	body := fmt.Sprintf("booty filed this problem twice. Closing as a duplicate of #%d, which booty keeps.", of)
	if _, _, err := c.gh.Issues.CreateComment(ctx, c.owner, c.repo, number, gh.IssueCommentRequest{Body: body}); err != nil {
		return fmt.Errorf("comment on duplicate issue %d: %w", number, c.gone(ctx, err))
	}
	closed, reason := "closed", "duplicate"
	if _, _, err := c.gh.Issues.Update(ctx, c.owner, c.repo, number, gh.UpdateIssueRequest{State: &closed, StateReason: &reason}); err != nil {
		return fmt.Errorf("close duplicate issue %d: %w", number, c.gone(ctx, err))
	}
	return nil
}

// EnsureLabel creates the label if the repository lacks it.
func (c *Client) EnsureLabel(ctx context.Context, name string) error {
	_, _, err := c.gh.Issues.GetLabel(ctx, c.owner, c.repo, name)
	if err == nil {
		return nil
	}
	if statusOf(err) != http.StatusNotFound {
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
		return fmt.Errorf("%s/%s: %w", c.owner, c.repo, ErrIssuesDisabled)
	}
	return nil
}

// gone tells the two meanings of GitHub's 410 apart: a deleted issue, or a
// repository whose issues are turned off (its has_issues). Other errors
// pass through. When the repository cannot be read, its error is returned,
// so the call is tried again rather than guessed at.
func (c *Client) gone(ctx context.Context, err error) error {
	if statusOf(err) != http.StatusGone {
		return err
	}
	r, _, rerr := c.gh.Repositories.Get(ctx, c.owner, c.repo)
	switch {
	case rerr != nil:
		// Not the 410 itself: that would park the job on a guess.
		return fmt.Errorf("read the repository to tell what a 410 means: %w", rerr)
	case r.HasIssues != nil && !r.GetHasIssues():
		return fmt.Errorf("%w: %w", ErrIssuesDisabled, err)
	}
	return fmt.Errorf("%w: %w", ErrIssueGone, err)
}

// refusedAssignees reports whether err is GitHub's 422 naming the
// assignees field.
func refusedAssignees(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || statusOf(err) != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if strings.EqualFold(e.Field, "assignees") || strings.EqualFold(e.Field, "assignee") {
			return true
		}
	}
	return false
}

func toIssue(is *gh.Issue) Issue {
	key, _ := MarkerKey(is.GetBody())
	return Issue{
		Number:     is.GetNumber(),
		Closed:     is.GetState() == "closed",
		ClosedAt:   is.GetClosedAt().Time,
		URL:        is.GetHTMLURL(),
		ProblemKey: key,
		Author:     is.GetUser().GetLogin(),
	}
}
