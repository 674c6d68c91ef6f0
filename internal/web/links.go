package web

import (
	"net/url"
	"strconv"
	"strings"

	"booty/internal/config"
)

// DefaultRepoName is how a problem filed in the default repository is
// shown when TARGET_REPO_URL does not say which one that is.
const DefaultRepoName = "(default repository)"

// IssueLinks names issues for the operator: OWNER/REPO#N and the issue's
// web URL. The CLI and the status page share it.
type IssueLinks struct {
	// DefaultRepo is TARGET_REPO_URL as OWNER/REPO, "" when unset or bad.
	DefaultRepo string
	// Web is the GitHub web host issues are on, such as https://github.com.
	Web string
}

// NewIssueLinks reads targetRepoURL (TARGET_REPO_URL) for the default
// repository and githubAPIURL (GITHUB_API_URL) for the web host:
// github.com for api.github.com (or when unset); HOST for an api.HOST API
// (GitHub Enterprise Cloud); else the API's own scheme and host (GitHub
// Enterprise Server, https://HOST/api/v3/).
func NewIssueLinks(targetRepoURL, githubAPIURL string) IssueLinks {
	var l IssueLinks
	if owner, name, err := config.ParseRepo(targetRepoURL); err == nil {
		l.DefaultRepo = owner + "/" + name
	}
	l.Web = "https://github.com"
	if u, err := url.Parse(strings.TrimSpace(githubAPIURL)); err == nil && u.Host != "" &&
		(u.Scheme == "https" || u.Scheme == "http") && !strings.EqualFold(u.Hostname(), "api.github.com") {
		host := u.Host
		if h, ok := strings.CutPrefix(strings.ToLower(host), "api."); ok {
			host = h
		}
		l.Web = u.Scheme + "://" + host
	}
	return l
}

// Repo is the repository a problem stored with repo is filed in, as
// OWNER/REPO ("" is the default repository).
func (l IssueLinks) Repo(stored string) string {
	switch {
	case stored != "":
		return stored
	case l.DefaultRepo != "":
		return l.DefaultRepo
	}
	return DefaultRepoName
}

// JSONRepo is Repo for JSON: OWNER/REPO, "" when it is the default
// repository and TARGET_REPO_URL does not say which that is.
func (l IssueLinks) JSONRepo(stored string) string {
	if r := l.Repo(stored); r != DefaultRepoName {
		return r
	}
	return ""
}

// Ref is issue number of repo as OWNER/REPO#N; "" without an issue.
func (l IssueLinks) Ref(stored string, number int) string {
	if number <= 0 {
		return ""
	}
	return l.Repo(stored) + "#" + strconv.Itoa(number)
}

// URL is the web URL of issue number of repo; "" without an issue or when
// the repository is not known.
func (l IssueLinks) URL(stored string, number int) string {
	repo := l.Repo(stored)
	if number <= 0 || repo == DefaultRepoName {
		return ""
	}
	return l.Web + "/" + repo + "/issues/" + strconv.Itoa(number)
}

// PullURL is the web URL of pull request number of repo; "" without one
// or when the repository is not known.
func (l IssueLinks) PullURL(stored string, number int) string {
	repo := l.Repo(stored)
	if number <= 0 || repo == DefaultRepoName {
		return ""
	}
	return l.Web + "/" + repo + "/pull/" + strconv.Itoa(number)
}

// CommitURL is the web URL of commit sha of repo; "" when sha is not a
// commit's hexadecimal name or the repository is not known.
func (l IssueLinks) CommitURL(stored, sha string) string {
	repo := l.Repo(stored)
	if repo == DefaultRepoName || !isCommitName(sha) {
		return ""
	}
	return l.Web + "/" + repo + "/commit/" + sha
}

// isCommitName reports whether s is a commit's name as git prints it: 7
// to 64 hexadecimal digits (SHA-1 or SHA-256, in full or abbreviated).
func isCommitName(s string) bool {
	if len(s) < 7 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
