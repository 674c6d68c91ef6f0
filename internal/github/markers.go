package github

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v92/github"
)

// MarkedIssue is an issue whose body carries booty's hidden problem marker.
type MarkedIssue struct {
	ProblemKey string
	Number     int
	Closed     bool
	CreatedAt  time.Time
}

// maxMarkerPages bounds the listing: 100,000 issues, far beyond any
// repository booty files into, so a runaway answer cannot loop for ever.
const maxMarkerPages = 1000

// MarkedIssues lists every issue booty's identity (Creator) opened in the
// repository, open or closed, whose body carries booty's problem marker,
// oldest first: what booty needs to rebuild its problem → issue map when
// its store was lost.
func (c *Client) MarkedIssues(ctx context.Context) ([]MarkedIssue, error) {
	// Only booty's own issues: a marker is text anyone who can open an
	// issue could copy, and must not win them booty's comments or builds.
	creator, err := c.Creator(ctx)
	if err != nil {
		return nil, fmt.Errorf("list marked issues: %w", err)
	}
	opts := &gh.IssueListByRepoOptions{
		State: "all", Sort: "created", Direction: "asc", Creator: creator,
		ListOptions: gh.ListOptions{PerPage: 100},
	}
	var out []MarkedIssue
	for page := 0; page < maxMarkerPages; page++ {
		list, resp, err := c.gh.Issues.ListByRepo(ctx, c.owner, c.repo, opts)
		if err != nil {
			return nil, fmt.Errorf("list marked issues: %w", err)
		}
		for _, is := range list {
			if is.PullRequestLinks != nil || !strings.EqualFold(is.GetUser().GetLogin(), creator) {
				continue
			}
			key, ok := ProblemKeyOf(is.GetBody())
			if !ok {
				continue
			}
			out = append(out, MarkedIssue{ProblemKey: key, Number: is.GetNumber(),
				Closed: is.GetState() == "closed", CreatedAt: is.GetCreatedAt().Time})
		}
		if resp.NextPage == 0 {
			sort.SliceStable(out, func(i, j int) bool { return out[i].Number < out[j].Number })
			return out, nil
		}
		opts.ListOptions.Page = resp.NextPage
	}
	return nil, fmt.Errorf("list marked issues: more than %d pages", maxMarkerPages)
}

// ProblemKeyOf returns the problem key of the hidden marker in body: the
// first line that is exactly a marker, as ContainsMarker requires.
func ProblemKeyOf(body string) (string, bool) {
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		v, ok := strings.CutPrefix(line, markerPrefix)
		if !ok {
			continue
		}
		if v, ok = strings.CutSuffix(v, " -->"); !ok {
			continue
		}
		key, err := url.PathUnescape(v)
		// Only the canonical spelling is booty's: Marker(key) must give the
		// line back.
		if err != nil || key == "" || Marker(key) != line {
			continue
		}
		return key, true
	}
	return "", false
}
