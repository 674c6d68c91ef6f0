package githubtest

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Documentation URLs GitHub puts in error bodies. go-github tells a secondary
// rate limit from other 403s by the suffix of docsSecondaryLimit.
const (
	docsRoot           = "https://docs.github.com/rest"
	docsPrimaryLimit   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
	docsSecondaryLimit = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	docsGetRepo        = "https://docs.github.com/rest/repos/repos#get-a-repository"
	docsCreateIssue    = "https://docs.github.com/rest/issues/issues#create-an-issue"
	docsGetIssue       = "https://docs.github.com/rest/issues/issues#get-an-issue"
	docsUpdateIssue    = "https://docs.github.com/rest/issues/issues#update-an-issue"
	docsListIssues     = "https://docs.github.com/rest/issues/issues#list-repository-issues"
	docsCreateComment  = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	docsAddLabels      = "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue"
	docsListComments   = "https://docs.github.com/rest/issues/comments#list-issue-comments"
	docsGetLabel       = "https://docs.github.com/rest/issues/labels#get-a-label"
	docsCreateLabel    = "https://docs.github.com/rest/issues/labels#create-a-label"
)

// wireError is GitHub's error body. "status" is a string on GitHub.
type wireError struct {
	Message          string           `json:"message"`
	Errors           []wireFieldError `json:"errors,omitempty"`
	DocumentationURL string           `json:"documentation_url"`
	Status           string           `json:"status"`
}

type wireFieldError struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
	Field    string `json:"field"`
	Message  string `json:"message,omitempty"`
	// Value is the refused value, where GitHub names it (an assignee).
	Value string `json:"value,omitempty"`
}

type wireUser struct {
	Login     string `json:"login"`
	ID        int64  `json:"id"`
	NodeID    string `json:"node_id"`
	AvatarURL string `json:"avatar_url"`
	URL       string `json:"url"`
	HTMLURL   string `json:"html_url"`
	Type      string `json:"type"`
	SiteAdmin bool   `json:"site_admin"`
}

type wireLabel struct {
	ID          int64   `json:"id"`
	NodeID      string  `json:"node_id"`
	URL         string  `json:"url"`
	Name        string  `json:"name"`
	Color       string  `json:"color"`
	Default     bool    `json:"default"`
	Description *string `json:"description"`
}

type wireIssue struct {
	ID                int64       `json:"id"`
	NodeID            string      `json:"node_id"`
	URL               string      `json:"url"`
	RepositoryURL     string      `json:"repository_url"`
	LabelsURL         string      `json:"labels_url"`
	CommentsURL       string      `json:"comments_url"`
	EventsURL         string      `json:"events_url"`
	HTMLURL           string      `json:"html_url"`
	Number            int         `json:"number"`
	State             string      `json:"state"`
	StateReason       *string     `json:"state_reason"`
	Title             string      `json:"title"`
	Body              *string     `json:"body"`
	User              wireUser    `json:"user"`
	Labels            []wireLabel `json:"labels"`
	Assignee          *wireUser   `json:"assignee"`
	Assignees         []wireUser  `json:"assignees"`
	Milestone         *struct{}   `json:"milestone"`
	Locked            bool        `json:"locked"`
	ActiveLockReason  *string     `json:"active_lock_reason"`
	Comments          int         `json:"comments"`
	ClosedAt          *string     `json:"closed_at"`
	CreatedAt         string      `json:"created_at"`
	UpdatedAt         string      `json:"updated_at"`
	ClosedBy          *wireUser   `json:"closed_by,omitempty"`
	AuthorAssociation string      `json:"author_association"`
}

type wireComment struct {
	ID                int64    `json:"id"`
	NodeID            string   `json:"node_id"`
	URL               string   `json:"url"`
	HTMLURL           string   `json:"html_url"`
	IssueURL          string   `json:"issue_url"`
	Body              string   `json:"body"`
	User              wireUser `json:"user"`
	CreatedAt         string   `json:"created_at"`
	UpdatedAt         string   `json:"updated_at"`
	AuthorAssociation string   `json:"author_association"`
}

type wirePermissions struct {
	Admin    bool `json:"admin"`
	Maintain bool `json:"maintain"`
	Push     bool `json:"push"`
	Triage   bool `json:"triage"`
	Pull     bool `json:"pull"`
}

type wireRepository struct {
	ID            int64    `json:"id"`
	NodeID        string   `json:"node_id"`
	Name          string   `json:"name"`
	FullName      string   `json:"full_name"`
	Owner         wireUser `json:"owner"`
	Private       bool     `json:"private"`
	HTMLURL       string   `json:"html_url"`
	URL           string   `json:"url"`
	IssuesURL     string   `json:"issues_url"`
	LabelsURL     string   `json:"labels_url"`
	DefaultBranch string   `json:"default_branch"`
	HasIssues     bool     `json:"has_issues"`
	Archived      bool     `json:"archived"`
	Disabled      bool     `json:"disabled"`
	Visibility    string   `json:"visibility"`
	OpenIssues    int      `json:"open_issues_count"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
	// Permissions are the caller's on the repository; GitHub leaves them
	// out for an installation access token.
	Permissions *wirePermissions `json:"permissions,omitempty"`
}

// wireApp is GET /app.
type wireApp struct {
	ID                 int64             `json:"id"`
	Slug               string            `json:"slug"`
	NodeID             string            `json:"node_id"`
	ClientID           string            `json:"client_id"`
	Owner              wireUser          `json:"owner"`
	Name               string            `json:"name"`
	Description        *string           `json:"description"`
	ExternalURL        string            `json:"external_url"`
	HTMLURL            string            `json:"html_url"`
	CreatedAt          string            `json:"created_at"`
	UpdatedAt          string            `json:"updated_at"`
	Permissions        map[string]string `json:"permissions"`
	Events             []string          `json:"events"`
	InstallationsCount int               `json:"installations_count"`
}

// wireInstallation is an App's installation on an account.
type wireInstallation struct {
	ID                  int64             `json:"id"`
	Account             wireUser          `json:"account"`
	AccessTokensURL     string            `json:"access_tokens_url"`
	RepositoriesURL     string            `json:"repositories_url"`
	HTMLURL             string            `json:"html_url"`
	AppID               int64             `json:"app_id"`
	AppSlug             string            `json:"app_slug"`
	TargetID            int64             `json:"target_id"`
	TargetType          string            `json:"target_type"`
	Permissions         map[string]string `json:"permissions"`
	Events              []string          `json:"events"`
	RepositorySelection string            `json:"repository_selection"`
	SingleFileName      *string           `json:"single_file_name"`
	CreatedAt           string            `json:"created_at"`
	UpdatedAt           string            `json:"updated_at"`
	SuspendedAt         *string           `json:"suspended_at"`
}

// wireAccessToken is an installation access token.
type wireAccessToken struct {
	Token               string            `json:"token"`
	ExpiresAt           string            `json:"expires_at"`
	Permissions         map[string]string `json:"permissions"`
	RepositorySelection string            `json:"repository_selection"`
}

type wireRate struct {
	Limit     int    `json:"limit"`
	Remaining int    `json:"remaining"`
	Reset     int64  `json:"reset"`
	Used      int    `json:"used"`
	Resource  string `json:"resource"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the stand-in's own types are encoded here; failing to encode
		// one is a bug in this package.
		panic(fmt.Sprintf("githubtest: encode %T: %v", v, err))
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, message, docs string, errs ...wireFieldError) {
	writeJSON(w, status, wireError{Message: message, Errors: errs, DocumentationURL: docs, Status: strconv.Itoa(status)})
}

func notFound(w http.ResponseWriter, docs string) {
	writeError(w, http.StatusNotFound, "Not Found", docs)
}

func validationFailed(w http.ResponseWriter, docs string, errs ...wireFieldError) {
	writeError(w, http.StatusUnprocessableEntity, "Validation Failed", docs, errs...)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// apiBase is the base URL the client reached the stand-in at, so the URLs in
// answers point back at it whatever address it listens on.
func apiBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/"
}

func (s *Server) user(base, login string, id int64, kind string) wireUser {
	return wireUser{
		Login:     login,
		ID:        id,
		NodeID:    fmt.Sprintf("U_standin%d", id),
		AvatarURL: fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id),
		URL:       base + "users/" + url.PathEscape(login),
		HTMLURL:   githubWebBaseURL + url.PathEscape(login),
		Type:      kind,
	}
}

// author is the user of an issue by login: the token's user, or someone
// else with a stable id of their own.
func (s *Server) author(base, login string) wireUser {
	if login == "" || strings.EqualFold(login, s.opts.Login) {
		return s.user(base, s.opts.Login, tokenUserID, "User")
	}
	kind := "User"
	if strings.HasSuffix(login, "[bot]") {
		kind = "Bot"
	}
	return s.user(base, login, otherUserID+int64(crc32.ChecksumIEEE([]byte(login))%1000000), kind)
}

func (s *Server) repoAPIURL(base string) string {
	return base + "repos/" + s.opts.Owner + "/" + s.opts.Repo
}

func (s *Server) wireLabel(base string, l *label) wireLabel {
	return wireLabel{
		ID:          l.id,
		NodeID:      fmt.Sprintf("LA_standin%d", l.id),
		URL:         s.repoAPIURL(base) + "/labels/" + url.PathEscape(l.name),
		Name:        l.name,
		Color:       l.color,
		Description: optional(l.description),
	}
}

// wireIssueLocked renders is; the caller holds s.mu.
func (s *Server) wireIssueLocked(base string, is *issue) wireIssue {
	issueURL := fmt.Sprintf("%s/issues/%d", s.repoAPIURL(base), is.number)
	out := wireIssue{
		ID:                is.id,
		NodeID:            fmt.Sprintf("I_standin%d", is.id),
		URL:               issueURL,
		RepositoryURL:     s.repoAPIURL(base),
		LabelsURL:         issueURL + "/labels{/name}",
		CommentsURL:       issueURL + "/comments",
		EventsURL:         issueURL + "/events",
		HTMLURL:           fmt.Sprintf("%s%s/%s/issues/%d", githubWebBaseURL, s.opts.Owner, s.opts.Repo, is.number),
		Number:            is.number,
		State:             is.state,
		StateReason:       optional(is.stateReason),
		Title:             is.title,
		Body:              optional(is.body),
		User:              s.author(base, is.user),
		Labels:            make([]wireLabel, 0, len(is.labels)),
		Assignees:         []wireUser{},
		Comments:          len(is.comments),
		CreatedAt:         stamp(is.created),
		UpdatedAt:         stamp(is.updated),
		AuthorAssociation: "COLLABORATOR",
	}
	for _, l := range is.labels {
		out.Labels = append(out.Labels, s.wireLabel(base, l))
	}
	for i, login := range is.assignees {
		out.Assignees = append(out.Assignees, s.user(base, login, otherUserID+1+int64(i), "User"))
	}
	if len(out.Assignees) > 0 {
		out.Assignee = &out.Assignees[0]
	}
	if is.state == "closed" {
		closed := stamp(is.closed)
		out.ClosedAt = &closed
		by := s.author(base, is.closedBy)
		if is.closedBy == maintainerLogin {
			by = s.user(base, maintainerLogin, maintainerID, "User")
		}
		out.ClosedBy = &by
	}
	return out
}

func (s *Server) wireComment(base string, is *issue, c *comment) wireComment {
	issueURL := fmt.Sprintf("%s/issues/%d", s.repoAPIURL(base), is.number)
	return wireComment{
		ID:                c.id,
		NodeID:            fmt.Sprintf("IC_standin%d", c.id),
		URL:               fmt.Sprintf("%s/issues/comments/%d", s.repoAPIURL(base), c.id),
		HTMLURL:           fmt.Sprintf("%s%s/%s/issues/%d#issuecomment-%d", githubWebBaseURL, s.opts.Owner, s.opts.Repo, is.number, c.id),
		IssueURL:          issueURL,
		Body:              c.body,
		User:              s.author(base, c.user),
		CreatedAt:         stamp(c.created),
		UpdatedAt:         stamp(c.updated),
		AuthorAssociation: "COLLABORATOR",
	}
}
